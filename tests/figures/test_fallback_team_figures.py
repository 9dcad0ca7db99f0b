"""The items of no area (a postcode outside England, or not in the directory) are
escalated to the fallback team, flagged: its weekly figures count them, so the team
that works those people has figures, and the local teams' figures add up to
England's."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from api.models import Scope as ApiScope
from api.services import api_client_create
from areas.models import LocalTeam
from areas.services import fallback_team
from cases.workitem import Route, Status
from figures.weekly import Period, Scope, compute_weekly_figures, weekly_figures
from figures.weekly_refresh import compute_team_figures, weekly_figures_refresh
from tests import factories as f

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
# The Thursday week 7-13 January 2021; a week later it is over and settled.
WEEK = Period(dt.date(2021, 1, 7))
T = dt.datetime(2021, 1, 7, 9, 0, tzinfo=LONDON)
AFTER = dt.datetime(2021, 1, 20, 12, 0, tzinfo=LONDON)


def at(hours: float) -> dt.datetime:
    return T + dt.timedelta(hours=hours)


def nowhere_person():
    """Someone whose postcode matched no area of the service."""
    return f.PersonFactory(area=None, postcode="CF10 1AA")


@pytest.fixture
def week(db):
    """Sheffield: one case, not reached; another team: two cases, one reached.
    No area: a case reached by its local team (the fallback) within 24 hours, one
    not reached, and one person named by both (two contact rows),
    reached 30 hours after being named."""
    sheffield = f.area()
    other = f.AreaFactory()
    f.CaseFactory(created_at=at(1), person=f.PersonFactory(area=sheffield))
    f.CaseFactory(created_at=at(2), person=f.PersonFactory(area=other))
    f.CaseFactory(
        created_at=at(3),
        person=f.PersonFactory(area=other),
        status=Status.COMPLETED,
        reached_at=at(4),
        reached_route=Route.NATIONAL,
        reached_tier=2,
    )
    reached = f.CaseFactory(
        created_at=at(0),
        person=nowhere_person(),
        status=Status.CLOSED,
        reached_at=at(20),
        reached_route=Route.LOCAL,
    )
    other_case = f.CaseFactory(created_at=at(5), person=nowhere_person())
    person = f.PersonFactory(area=None, postcode="CF10 1AA")
    for hours in (21, 22):
        f.ContactFactory(
            case=reached if hours == 21 else other_case,
            created_at=at(hours),
            person=person,
            status="reached" if hours == 21 else "new",
            reached_at=at(hours + 30) if hours == 21 else None,
            reached_route=Route.LOCAL if hours == 21 else "",
        )
    return sheffield.local_team, other.local_team


def test_the_fallback_team_has_the_items_of_no_area(week):
    figures = compute_weekly_figures(
        period=WEEK, scope=Scope.team(fallback_team()), now=AFTER
    )
    assert figures.cases.transferred == 2
    assert figures.cases.reached == 1
    assert figures.cases.within_24h == 1
    assert figures.cases.by_route["local"].reached == 1
    assert figures.cases.not_reached_other == 1
    assert figures.times.result_to_case_reached.n == 1
    # Two rows of one person: identified once, reached, not within 24 hours.
    assert (figures.contacts.identified, figures.contacts.merged) == (1, 1)
    assert (figures.contacts.reached, figures.contacts.within_24h) == (1, 0)
    assert figures.contacts.spread["24_48h"] == 1
    assert figures.contacts.per_case == 0.5


def test_an_item_of_no_area_counts_for_no_other_team(week):
    sheffield, other = week
    ours = compute_weekly_figures(period=WEEK, scope=Scope.team(sheffield), now=AFTER)
    theirs = compute_weekly_figures(period=WEEK, scope=Scope.team(other), now=AFTER)
    assert (ours.cases.transferred, ours.contacts.identified) == (1, 0)
    assert (theirs.cases.transferred, theirs.cases.reached) == (2, 1)
    assert theirs.contacts.identified == 0


def test_the_teams_cases_add_up_to_englands(week):
    england = compute_weekly_figures(period=WEEK, scope=Scope.england(), now=AFTER)
    teams = [
        compute_weekly_figures(period=WEEK, scope=Scope.team(team), now=AFTER)
        for team in LocalTeam.objects.all()
    ]
    assert england.cases.transferred == 5
    assert sum(team.cases.transferred for team in teams) == 5
    assert sum(team.contacts.rows for team in teams) == england.contacts.rows == 2


def test_every_team_at_once_gives_the_fallback_team_its_own_figures(week):
    fallback = fallback_team()
    together = compute_team_figures(
        period=WEEK, teams=list(LocalTeam.objects.all()), now=AFTER
    )
    alone = compute_weekly_figures(period=WEEK, scope=Scope.team(fallback), now=AFTER)
    assert together[fallback.pk] == alone
    assert together[fallback.pk].cases.transferred == 2
    assert together[fallback.pk].contacts.identified == 1
    sheffield, other = week
    assert together[sheffield.pk].cases.transferred == 1
    assert together[other.pk].cases.transferred == 2


def test_an_area_given_to_the_fallback_team_counts_for_it_too(week):
    """An area moved to the fallback team in the admin: its items are the team's
    with those of no area, alone and with every team at once."""
    fallback = fallback_team()
    moved = f.AreaFactory(local_team=fallback)
    f.CaseFactory(created_at=at(6), person=f.PersonFactory(area=moved))
    alone = compute_weekly_figures(period=WEEK, scope=Scope.team(fallback), now=AFTER)
    together = compute_team_figures(
        period=WEEK, teams=list(LocalTeam.objects.all()), now=AFTER
    )
    assert alone.cases.transferred == 3
    assert together[fallback.pk] == alone


def test_without_the_fallback_team_the_others_keep_their_own_items(week):
    sheffield, other = week
    together = compute_team_figures(period=WEEK, teams=[sheffield, other], now=AFTER)
    assert together[sheffield.pk].cases.transferred == 1
    assert together[other.pk].cases.transferred == 2


@pytest.mark.now(AFTER)
def test_the_beats_cached_week_of_the_fallback_team_is_its_own(
    clock, week, django_assert_num_queries
):
    """The beat caches each team's last week (all teams at once); a reader of the
    fallback team's finds what is computed for it alone."""
    scope = Scope.team(fallback_team())
    weekly_figures_refresh(now=AFTER, closed_weeks=1)
    with django_assert_num_queries(1):  # the marker (forgotten_in_database)
        cached = weekly_figures(period=WEEK, scope=scope, now=AFTER)
    assert cached == compute_weekly_figures(period=WEEK, scope=scope, now=AFTER)
    assert cached.cases.transferred == 2


@pytest.mark.now(AFTER)
def test_the_api_gives_the_fallback_teams_week_by_its_code(clock, week):
    _, token = api_client_create(
        name="Dashboard national",
        scopes=[ApiScope.READ_FIGURES],
        local_team=None,
        rate_limit_per_minute=10_000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = http.get(
        "/api/v1/figures/weekly/",
        {"week": "2021-01-07", "team": settings.TRACING_FALLBACK_TEAM_CODE},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cases"]["transferred"] == 2
    assert body["cases"]["within_24h"] == 1
    assert body["contacts"]["identified"] == 1
