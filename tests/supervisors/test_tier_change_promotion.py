"""A call handler moved into the clinical tier mid-shift (the admin's staff profile
form): the call-handling shift he is on ends then, those to come are cancelled on
the call-handling rota, "Moved to tier 2", and he starts the clinical tier as a new
starter (the new starter's cap, on the clinical supervisor's list, his first calls
reviewed).

Before, his tier 3 shifts stayed booked: the next assignment run gave him 4 cases
(the experienced caseworker's cap) during the shift booked for the call-handling
team, which still saw it and the four to come as booked cover, and the capacity
rota counted him in neither tier."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from figures.capacity_selectors import rota_by_hour
from staffing.models import CallReview, Shift, StaffProfile, Tier, TrainingModule
from staffing.services import (
    StaffingRefused,
    new_starter_sign_off,
    registration_verify,
    training_complete,
)
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin
from work.assignment import assign_work
from work.calls import call_record

from .conftest import NOW, at, member

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
PROMOTED = NOW  # Wednesday 10:00, an hour into his 09:00-17:00 shift


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


@pytest.fixture
def dan(calls_team) -> StaffProfile:
    """A signed-off call handler on shift now (09:00-17:00) and the next four days."""
    dan = member(
        calls_team,
        on_shift=False,
        user__username="handler.dan",
        user__first_name="Dan",
        user__last_name="Evans",
    )
    for days in range(5):
        day = TODAY + dt.timedelta(days=days)
        f.ShiftFactory(staff=dan, starts_at=at(day, 9), ends_at=at(day, 17))
    return dan


def promote(client, admin, dan, clinical_team) -> StaffProfile:
    """The admin moves him to tier 2, Clinical North, in his profile's change form;
    then his registration is verified and his tier 2 training recorded."""
    client.force_login(admin)
    save_in_admin(client, dan, tier=Tier.CLINICAL, team=clinical_team.pk)
    dan.refresh_from_db()
    registration_verify(
        profile=dan,
        body=StaffProfile.RegistrationBody.NMC,
        number="12A3456E",
        expires_on=TODAY + dt.timedelta(days=600),
        by=admin,
    )
    for module in TrainingModule.objects.filter(tier=Tier.CLINICAL, required=True):
        training_complete(profile=dan, module=module, by=admin)
    dan.refresh_from_db()
    return dan


@pytest.fixture
def tier_2_module(db) -> TrainingModule:
    return f.TrainingModuleFactory(tier=Tier.CLINICAL, name="Clinical risk")


def test_promoted_mid_shift_he_is_given_no_cases_on_his_call_handling_shift(
    clock, client, admin, dan, clinical_team, tier_2_module
):
    cases = [f.CaseFactory() for _ in range(6)]

    promote(client, admin, dan, clinical_team)
    assign_work()

    held = Case.objects.filter(pk__in=[c.pk for c in cases], assignee=dan.user)
    assert held.count() == 0
    # The hours he worked stay booked, to the moment he was moved.
    [worked] = Shift.objects.filter(staff=dan, status=Shift.Status.BOOKED)
    assert (worked.starts_at, worked.ends_at) == (at(TODAY, 9), PROMOTED)


def test_his_call_handling_shifts_to_come_are_cancelled_on_that_teams_rota(
    clock, client, admin, dan, clinical_team, calls_lead, tier_2_module
):
    promote(client, admin, dan, clinical_team)

    client.force_login(calls_lead.user)
    page = client.get(reverse("staffing:team_shifts"), {"week": "2026-01-12"})
    assert page.status_code == 200  # his five days run Wednesday to Sunday
    shown = [s for d in page.context["days"] for s in d.shifts if s.staff == dan]
    booked = [(s.starts_at, s.ends_at) for s in shown if s.status == "booked"]
    assert booked == [(at(TODAY, 9), PROMOTED)]
    cancelled = [s for s in shown if s.status == Shift.Status.CANCELLED]
    assert len(cancelled) == 5  # the rest of today's, and the four to come
    assert {s.cancel_reason for s in cancelled} == {"Moved to tier 2"}
    assert "Moved to tier 2" in page.content.decode()
    # The capacity rota of the hour counts him nowhere, as assignment gives him
    # nothing: the two agree.
    hour = NOW.replace(minute=0) + dt.timedelta(hours=1)
    booked_now = {
        tier: rows[0][0] for tier, rows in rota_by_hour([hour], now=NOW).items()
    }
    assert booked_now == {Tier.CLINICAL: 0, Tier.CALL_HANDLER: 0}
    [moved] = AuditEvent.objects.filter(
        object_type="staffing.staffprofile",
        object_id=str(dan.pk),
        detail__tier__to=Tier.CLINICAL,
    )
    assert moved.user == admin
    assert (moved.detail["shifts_cut_short"], moved.detail["shifts_cancelled"]) == (
        1,
        4,
    )


def test_promoted_he_is_a_new_starter_in_the_clinical_tier(
    clock, client, admin, dan, clinical_team, lead, tier_2_module, settings
):
    promote(client, admin, dan, clinical_team)

    assert dan.is_new_starter
    assert dan.open_work_cap == settings.TRACING_OPEN_WORK_CAP["tier2_new_starter"] < 4
    client.force_login(lead.user)
    page = client.get(reverse("staffing:reviews"))
    assert dan in page.context["starters"]
    # On a clinical shift, his first call to a case goes to review.
    f.ShiftFactory(staff=dan, starts_at=at(TODAY, 11), ends_at=at(TODAY, 19))
    clock.move_to(at(TODAY, 12))
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=dan.user, assigned_at=NOW)
    call = call_record(
        item=case, caller=dan.user, outcome=Outcome.NO_ANSWER, duration_seconds=60
    ).call
    assert CallReview.objects.filter(call=call).exists()


def test_a_new_starter_reviewed_as_a_call_handler_is_reviewed_again_when_promoted(
    clock, client, admin, dan, clinical_team, lead, tier_2_module, settings
):
    """The calls reviewed in his first weeks as a call handler do not count as the
    clinical calls a supervisor has to review before signing him off."""
    settings.TRACING_NEW_STARTER_REVIEW_CALLS = 1
    earlier = f.CallAttemptFactory(
        caller=dan.user, started_at=NOW - dt.timedelta(days=50)
    )
    CallReview.objects.create(
        call=earlier, created_at=earlier.started_at, reviewed_at=earlier.started_at
    )

    promote(client, admin, dan, clinical_team)
    f.ShiftFactory(staff=dan, starts_at=at(TODAY, 11), ends_at=at(TODAY, 19))
    clock.move_to(at(TODAY, 12))
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=dan.user, assigned_at=NOW)
    call = call_record(
        item=case, caller=dan.user, outcome=Outcome.NO_ANSWER, duration_seconds=60
    ).call

    assert CallReview.objects.filter(call=call, reviewed_at__isnull=True).exists()
    with pytest.raises(StaffingRefused, match="Review their waiting calls"):
        new_starter_sign_off(profile=dan, by=lead.user)
