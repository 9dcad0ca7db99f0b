"""The staff figures as a supervisor reads them: people reached counted once each,
past weeks kept with the team and tier they were worked in, and the capacity
forecast's cover from active staff only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope as ApiScope
from api.services import api_client_create
from calls.models import Outcome
from cases.workitem import Route, Status
from figures import capacity as cap
from figures import capacity_selectors as reads
from figures.utilisation import utilisation
from figures.weekly import (
    Period,
    Scope,
    StaffRow,
    forget_cached_figures,
    weekly_figures,
)
from staffing.models import StaffProfile, Tier
from tests import factories as f

from .test_page import tables

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# The Thursday week 7-13 January 2021; looked at a week after it ended.
WEEK = Period(dt.date(2021, 1, 7))
AFTER = dt.datetime(2021, 1, 20, 12, 0, tzinfo=LONDON)
# The ISO week holding Friday 8 January, for utilisation.
MONDAY = dt.date(2021, 1, 4)
FRIDAY_9 = dt.datetime(2021, 1, 8, 9, 0, tzinfo=LONDON)


def at(hours: float) -> dt.datetime:
    return FRIDAY_9 + dt.timedelta(hours=hours)


def eight_hours_on_friday(profile: StaffProfile) -> None:
    f.ShiftFactory(staff=profile, starts_at=at(0), ends_at=at(8))


def call(profile: StaffProfile, when: dt.datetime, *, outcome: str, **item):
    return f.CallAttemptFactory(
        caller=profile.user,
        started_at=when,
        duration_seconds=300,
        outcome=outcome,
        **item,
    )


def api_client() -> APIClient:
    _, token = api_client_create(
        name="Dashboard national",
        scopes=[ApiScope.READ_FIGURES],
        local_team=None,
        rate_limit_per_minute=10_000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


# --- people reached, each once ---------------------------------------------------


@pytest.mark.now(AFTER)
def test_a_follow_up_reached_call_does_not_count_a_person_twice(client, supervisor):
    """A caseworker on an 8 h shift reaches a case and then calls it again (a
    follow-up, outcome "reached" again), and reaches a contact with two calls too:
    four calls, two people reached (not four), on the page and in the API alike."""
    worker = f.StaffProfileFactory(
        clinical=True, team=f.TeamFactory(name="Clinical A", tier=Tier.CLINICAL)
    )
    eight_hours_on_friday(worker)
    case = f.CaseFactory(
        created_at=at(0),
        reached_at=at(1),
        reached_route=Route.NATIONAL,
        reached_tier=Tier.CLINICAL,
        status=Status.COMPLETED,
    )
    contact = f.ContactFactory(
        case=case,
        created_at=at(1),
        reached_at=at(2),
        reached_route=Route.NATIONAL,
        reached_tier=Tier.CLINICAL,
        status=Status.REACHED,
    )
    call(worker, at(1), outcome=Outcome.REACHED, case=case, contact=None)
    call(worker, at(3), outcome=Outcome.REACHED, case=case, contact=None)
    call(worker, at(2), outcome=Outcome.REACHED, contact=contact)
    call(worker, at(4), outcome=Outcome.REACHED, contact=contact)

    client.force_login(supervisor)
    page = client.get(reverse("figures:weekly"), {"week": WEEK.key})
    assert page.status_code == 200
    [row] = tables(page.content.decode())["staff-table"]
    # Team, tier, hours, calls, people reached, calls an hour, reached an hour.
    # Team, tier, hours, calls, people reached, calls and reached an hour, idle
    # (4 calls of 5 minutes and 5 to write each up: 40 minutes of 8 hours).
    assert row == [
        "Clinical A",
        "Tier 2 (clinical)",
        "8.0",
        "4",
        "2",
        "0.5",
        "0.2",  # 2 / 8 = 0.25, shown to one place
        "91.7%",
    ]

    forget_cached_figures()
    body = api_client().get("/api/v1/figures/weekly/", {"week": WEEK.key}).json()
    [staff] = body["staff"]
    assert (staff["calls"], staff["reached"], staff["reached_per_hour"]) == (
        4,
        2,
        0.25,
    )


# --- past weeks keep the team and tier they were worked in -------------------------


@pytest.fixture
def moved_handler(db) -> tuple[StaffProfile, StaffProfile, StaffProfile]:
    """A call handler of "Calls North" with an 8 h shift and 10 calls in the week,
    moved afterwards (as in the admin) to tier 2 and "Clinical South"; with the
    supervisors of both teams."""
    calls_north = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    clinical_south = f.TeamFactory(name="Clinical South", tier=Tier.CLINICAL)
    handler = f.StaffProfileFactory(team=calls_north, user__last_name="Moved")
    eight_hours_on_friday(handler)
    for n in range(10):
        call(handler, at(n * 0.5), outcome=Outcome.NO_ANSWER)
    old_lead = f.StaffProfileFactory(is_supervisor=True, team=calls_north)
    new_lead = f.StaffProfileFactory(
        clinical=True, is_supervisor=True, team=clinical_south
    )
    handler.tier, handler.team = Tier.CLINICAL, clinical_south
    handler.save(update_fields=["tier", "team"])
    return handler, old_lead, new_lead


@pytest.mark.now(AFTER)
def test_a_past_week_stays_under_the_team_and_tier_it_was_worked_in(
    clock, moved_handler
):
    [row] = weekly_figures(period=WEEK, scope=Scope.england()).staff
    assert row == StaffRow(
        tier=Tier.CALL_HANDLER,
        team="Calls North",
        hours_on_shift=8.0,
        calls=10,
        reached=0,
        calls_per_hour=1.25,
        reached_per_hour=0.0,
        idle_share=round(1 - 10 * 600 / (8 * 3600), 3),
    )


@pytest.mark.now(AFTER)
def test_the_old_supervisors_utilisation_keeps_someone_who_moved(clock, moved_handler):
    handler, old_lead, new_lead = moved_handler

    theirs = utilisation(old_lead, monday=MONDAY)
    [person] = theirs.people
    assert person.profile.pk == handler.pk
    assert (person.hours_on_shift, person.calls) == (8.0, 10)
    assert (theirs.team.hours_on_shift, theirs.team.calls) == (8.0, 10)

    assert utilisation(new_lead, monday=MONDAY).people == []


@pytest.mark.now(AFTER)
def test_utilisation_still_counts_a_member_who_called_with_no_shift(clock, db):
    """Someone of the team now, with calls in the week but no shift: theirs, as
    before."""
    team = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    lead = f.StaffProfileFactory(is_supervisor=True, team=team)
    caller = f.StaffProfileFactory(team=team)
    call(caller, at(0), outcome=Outcome.NO_ANSWER)
    [person] = utilisation(lead, monday=MONDAY).people
    assert (person.profile.pk, person.calls, person.hours_on_shift) == (
        caller.pk,
        1,
        0,
    )


@pytest.mark.now(AFTER)
def test_the_staff_figures_take_the_same_queries_for_many_movers(
    clock, moved_handler, django_assert_num_queries
):
    """No query a person: utilisation's four, whoever moved."""
    _, old_lead, _ = moved_handler
    for _ in range(3):
        person = f.StaffProfileFactory(team=old_lead.team)
        eight_hours_on_friday(person)
        call(person, at(1), outcome=Outcome.REACHED)
        person.team = f.TeamFactory(tier=Tier.CALL_HANDLER)
        person.save(update_fields=["team"])
    with django_assert_num_queries(4):
        u = utilisation(old_lead, monday=MONDAY)
    assert len(u.people) == 4


# --- capacity: cover from active staff only ---------------------------------------


def test_a_deactivated_handlers_shift_is_no_cover(clock):
    """Two call handlers booked 12:00-20:00 tomorrow; one's account is then
    deactivated: assignment never gives them work, so the rota counts one."""
    noon = dt.datetime(2021, 1, 13, 12, 0, tzinfo=LONDON)  # tomorrow
    handlers = [f.StaffProfileFactory() for _ in range(2)]
    for handler in handlers:
        f.ShiftFactory(staff=handler, starts_at=noon, ends_at=noon.replace(hour=20))
    gone = handlers[0].user
    gone.is_active = False
    gone.save(update_fields=["is_active"])

    hours = cap.hour_starts(noon - dt.timedelta(hours=1), 10)  # 11:00 to 21:00
    booked, _ = reads.rota_by_hour(hours, now=timezone.now())[Tier.CALL_HANDLER]
    assert booked == pytest.approx([0, 1, 1, 1, 1, 1, 1, 1, 1, 0])
