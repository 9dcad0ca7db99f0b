"""Someone is on shift for assignment only on a shift of their own tier, as the
capacity rota counts them; a move to another team of the same tier ends the old
team's shifts but keeps them signed off."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from figures.capacity_selectors import rota_by_hour
from staffing.models import Shift, StaffProfile, Tier
from staffing.services import staff_profile_save
from tests import factories as f
from work.assignment import assign_work, release_stranded_work

from .conftest import NOW, at, member, supervisor_of

pytestmark = pytest.mark.django_db

TODAY = NOW.date()


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


def test_a_caseworker_on_a_call_handling_shift_is_given_no_cases(
    clock, clinical_team, calls_team
):
    """A shift of tier 3 left booked for someone now of tier 2 (moved before moves
    ended shifts): assignment does not count it, as the capacity rota does not."""
    ada = member(clinical_team, on_shift=False)
    f.ShiftFactory(staff=ada, tier=Tier.CALL_HANDLER, team=calls_team)
    cases = [f.CaseFactory() for _ in range(3)]

    assign_work()

    assert not Case.objects.filter(pk__in=[c.pk for c in cases], assignee=ada.user)
    hour = NOW + dt.timedelta(hours=1)
    booked = {tier: rows[0][0] for tier, rows in rota_by_hour([hour], now=NOW).items()}
    assert booked == {Tier.CLINICAL: 0, Tier.CALL_HANDLER: 0}


def test_cases_held_on_a_call_handling_shift_go_back_to_the_pool(
    clock, clinical_team, calls_team
):
    ada = member(clinical_team, on_shift=False)
    f.ShiftFactory(staff=ada, tier=Tier.CALL_HANDLER, team=calls_team)
    case = f.CaseFactory(status="assigned", assignee=ada.user, assigned_at=NOW)

    release_stranded_work()

    case.refresh_from_db()
    assert case.assignee is None


def test_moved_to_another_team_of_the_tier_he_stays_signed_off_and_leaves_its_rota(
    clock, client, admin, calls_team
):
    south = f.TeamFactory(
        name="Calls South", tier=Tier.CALL_HANDLER, organisation=calls_team.organisation
    )
    north_lead = supervisor_of(calls_team)
    dan = member(calls_team, on_shift=False)
    for days in (0, 1):
        day = TODAY + dt.timedelta(days=days)
        f.ShiftFactory(staff=dan, starts_at=at(day, 9), ends_at=at(day, 17))
    signed_off = dan.signed_off_at

    dan.team = south
    staff_profile_save(profile=dan, by=admin)

    dan = StaffProfile.objects.get(pk=dan.pk)
    assert dan.signed_off_at == signed_off
    assert not dan.is_new_starter
    client.force_login(north_lead.user)
    page = client.get(reverse("staffing:team_shifts"), {"week": "2026-01-12"})
    shown = [s for d in page.context["days"] for s in d.shifts if s.staff == dan]
    assert [(s.status, s.ends_at) for s in shown if s.status == "booked"] == [
        ("booked", NOW)
    ]
    cancelled = [s for s in shown if s.status == Shift.Status.CANCELLED]
    assert len(cancelled) == 2
    assert {s.cancel_reason for s in cancelled} == {"Moved to team Calls South"}
