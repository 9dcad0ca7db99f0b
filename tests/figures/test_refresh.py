"""The weeks readers ask for most are computed ahead of them (figures.tasks, on beat):
a reader of England's open week, its last closed weeks, or a local team's open and
last closed week finds them cached and waits for no query."""

from __future__ import annotations

import datetime as dt
from contextlib import nullcontext
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from areas.models import LocalTeam
from figures.tasks import weekly_figures_refresh_task
from figures.weekly import (
    Period,
    RouteFigures,
    Scope,
    compute_weekly_figures,
    forget_cached_figures,
    weekly_figures,
)
from figures.weekly_refresh import compute_team_figures, weekly_figures_refresh
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)  # a Tuesday: the week of 7 Jan
OPEN = Period(dt.date(2021, 1, 7))

pytestmark = pytest.mark.now(NOW)


@pytest.fixture
def team(db) -> LocalTeam:
    case = f.CaseFactory(created_at=NOW - dt.timedelta(hours=2))
    return case.area.local_team


def test_after_a_refresh_england_and_a_team_are_read_from_the_cache(
    clock, team, django_assert_num_queries
):
    weekly_figures_refresh(now=NOW, closed_weeks=2)
    # One query a week: the marker (figures.weekly.forgotten_in_database).
    with django_assert_num_queries(4):
        england = weekly_figures(period=OPEN, scope=Scope.england(), now=NOW)
        weekly_figures(period=OPEN.previous(2), scope=Scope.england(), now=NOW)
        weekly_figures(period=OPEN, scope=Scope.team(team), now=NOW)
        weekly_figures(period=OPEN.previous(), scope=Scope.team(team), now=NOW)
    assert england.cases.transferred == 1


def test_a_week_not_refreshed_is_still_computed_when_asked(clock, team):
    weekly_figures_refresh(now=NOW, closed_weeks=1, scopes=[Scope.england()])
    older = weekly_figures(period=OPEN.previous(5), scope=Scope.england(), now=NOW)
    assert older.cases.transferred == 0


def test_the_open_week_is_recomputed_each_run_and_closed_weeks_kept(clock, team):
    teams = LocalTeam.objects.count()
    first = weekly_figures_refresh(now=NOW, closed_weeks=2)
    # England: the open week and two closed; each team: the open and the last closed.
    assert (first.computed, first.kept) == (3 + 2 * teams, 0)
    f.CaseFactory(created_at=NOW - dt.timedelta(hours=1), area=f.CaseFactory().area)
    second = weekly_figures_refresh(now=NOW, closed_weeks=2)
    assert (second.computed, second.kept) == (1 + teams, 2 + teams)
    england = weekly_figures(period=OPEN, scope=Scope.england(), now=NOW)
    assert england.cases.transferred == 3  # the open week, as of the second run


def test_the_task_runs_the_refresh(clock, team):
    result = weekly_figures_refresh_task.apply().get()
    assert result["computed"] >= 2
    figures = weekly_figures(period=OPEN, scope=Scope.england(), now=NOW)
    assert figures.cases.transferred == 1


# --- every team at once -----------------------------------------------------------

WEEK = OPEN.previous()  # 31 December to 6 January: closed by NOW


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2021, 1, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def teams_week(db):
    """A week across three teams (Sheffield, a second team, and a third with nothing
    in it), with each kind of row the figures tell apart."""
    sheffield = f.area()
    other = f.AreaFactory()
    caller = f.StaffProfileFactory(clinical=True).user
    shared_phone = "+447700900101"

    def case(area, created, **kwargs):
        return f.CaseFactory(
            person=kwargs.pop("person", None) or f.PersonFactory(area=area),
            created_at=created,
            specimen_date=dt.date(2020, 12, 30),
            result_date=dt.date(2020, 12, 31),
            **kwargs,
        )

    # Sheffield: reached by a tier 2 call within 24 h, online after 30 h, one with no
    # phone nor email, one unreached with a phone; and a known contact: named the
    # week before, exposed on 28 December, then a case.
    c1 = case(
        sheffield,
        _at(1, 9),
        status="completed",
        reached_at=_at(1, 20),
        reached_route="national",
        reached_tier=2,
    )
    c1b = case(
        sheffield,
        _at(2, 9),
        status="completed",
        reached_at=_at(3, 15),
        reached_route="online",
    )
    case(sheffield, _at(3, 9), person=f.PersonFactory(phone="", email=""))
    case(sheffield, _at(4, 9))
    known = f.PersonFactory()
    f.ContactFactory(
        case=case(sheffield, _at(1, 9) - dt.timedelta(days=7)),
        person=known,
        exposure_date=dt.date(2020, 12, 28),
        created_at=_at(1, 9) - dt.timedelta(days=6),
    )
    case(sheffield, _at(5, 9), person=known)
    # The other team: a case reached by its local team after three days.
    c2 = case(
        other, _at(2, 10), status="closed", reached_at=_at(5, 12), reached_route="local"
    )

    def contact(of, created, person, *, reached=None, route="", tier=None):
        return f.ContactFactory(
            case=of,
            created_at=created,
            status="reached" if reached else "new",
            reached_at=reached,
            reached_route=route,
            reached_tier=tier,
            person=person,
        )

    # Contacts: one person named by two cases in Sheffield, once reached; another
    # person of the same phone in the other team's area, that team's person.
    twice = f.PersonFactory(phone=shared_phone)
    contact(c1, _at(1, 21), twice)
    contact(
        c1b,
        _at(2, 9, 30),
        twice,
        reached=_at(2, 10),
        route="national",
        tier=3,
    )
    contact(
        c2,
        _at(3, 8),
        f.PersonFactory(phone=shared_phone, area=other),
        reached=_at(4, 20),
        route="national",
    )
    # Reached online 24 h 30 min after being named: reached, not within 24 hours.
    contact(
        c2,
        _at(3, 9),
        f.PersonFactory(area=other),
        reached=_at(4, 9, 30),
        route="online",
    )
    # A case in no area, a contact of the week after: in no team's week of these
    # (the fallback team's: tests/figures/test_fallback_team_figures.py).
    f.CaseFactory(created_at=_at(2, 9), area=None, person=f.PersonFactory(area=None))
    f.ContactFactory(case=c1, created_at=_at(7, 1))
    f.CallAttemptFactory(
        case=c1,
        contact=None,
        caller=caller,
        started_at=_at(1, 19),
        duration_seconds=600,
    )
    empty = f.LocalTeamFactory()
    return [sheffield.local_team, other.local_team, empty]


def test_every_team_at_once_gives_what_each_team_alone_gives(
    clock, teams_week, django_assert_max_num_queries
):
    sheffield, other, empty = teams_week
    every_team = list(LocalTeam.objects.all())  # England's ~180, and the test's
    # One query per block (cases, contacts, three columns of times) with the
    # transaction's three: not one set per team. (SQLite, the embedded default,
    # goes team by team: the same figures.)
    grouped = connection.vendor == "postgresql"
    with django_assert_max_num_queries(8) if grouped else nullcontext():
        together = compute_team_figures(period=WEEK, teams=every_team, now=NOW)
    for team in teams_week:
        alone = compute_weekly_figures(period=WEEK, scope=Scope.team(team), now=NOW)
        assert together[team.pk] == alone
    # Not equal by being empty: each part of the figures is there.
    ours = together[sheffield.pk]
    assert (ours.cases.transferred, ours.cases.reached) == (5, 2)
    assert ours.cases.within_24h == 1
    assert ours.cases.not_reached_no_details == 1
    assert ours.cases.known_contacts == 1
    assert ours.cases.by_route["tier2"].reached == 1
    assert ours.cases.by_route["online"].reached == 1
    assert (ours.contacts.identified, ours.contacts.merged) == (1, 1)
    assert ours.contacts.by_route["tier3"].within_24h == 1
    assert ours.times.result_to_case_reached.n == 2
    assert ours.times.case_reached_to_contacts_reached.n == 1
    theirs = together[other.pk]
    assert (theirs.contacts.identified, theirs.contacts.reached) == (2, 2)
    assert theirs.contacts.within_24h == 0
    assert theirs.contacts.spread["24_48h"] == 2
    assert theirs.contacts.by_route["online"] == RouteFigures(1, 0)
    assert theirs.cases.by_route["local"].reached == 1
    assert together[empty.pk].cases.transferred == 0
    assert together[empty.pk].times.specimen_to_result.n == 0


def test_a_refresh_caches_each_teams_week_from_one_set_of_queries(
    clock, teams_week, django_assert_max_num_queries
):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite, the embedded default, goes team by team")
    forget_cached_figures()
    teams = LocalTeam.objects.count()
    assert teams > 100  # England's local teams, and the test's
    # England: the open week and two closed weeks, five queries each with their
    # transaction; the teams: two weeks, a handful each, whatever their number.
    with django_assert_max_num_queries(3 * 9 + 2 * 9 + 3):
        report = weekly_figures_refresh(now=NOW, closed_weeks=2)
    assert report.computed == 3 + 2 * teams
    sheffield = teams_week[0]
    cached = weekly_figures(period=WEEK, scope=Scope.team(sheffield), now=NOW)
    assert cached.cases.transferred == 5


def test_a_week_just_over_is_recomputed_each_run_until_it_settles(
    db, clock, django_assert_num_queries
):
    """Its last evening's cases are reached after it: the run after they are shows
    them to a reader, who waits for no computing (one query: the marker)."""
    last_evening = dt.datetime(2021, 1, 13, 22, 0, tzinfo=LONDON)
    case = f.CaseFactory(created_at=last_evening)
    team = Scope.team(case.area.local_team)
    just_over = dt.datetime(2021, 1, 14, 0, 2, tzinfo=LONDON)
    clock.move_to(just_over)
    weekly_figures_refresh(now=just_over, closed_weeks=1)
    type(case).objects.filter(pk=case.pk).update(
        status="reached",
        reached_at=last_evening + dt.timedelta(hours=10),
        reached_route="tier2",
    )

    later = just_over + dt.timedelta(hours=10)
    clock.move_to(later)
    weekly_figures_refresh(now=later, closed_weeks=1)

    with django_assert_num_queries(2):  # the marker, for each
        england = weekly_figures(period=OPEN, scope=Scope.england(), now=later)
        local = weekly_figures(period=OPEN, scope=team, now=later)
    assert england.cases.within_24h == local.cases.within_24h == 1
