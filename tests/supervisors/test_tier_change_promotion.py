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
    staff_profile_save,
    training_complete,
)
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import SHEFFIELD
from work.assignment import assign_work
from work.calls import call_record

from .conftest import NOW, at, member
from .test_audit_staff_changes import on_staff_audit

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


# --- what the clinical lead's pages count: his reviews in the new tier only ----------


def _as_starter_on_reviews_page(client, lead, dan):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:reviews"))
    assert page.status_code == 200
    [shown] = [s for s in page.context["starters"] if s.pk == dan.pk]
    return page, shown


def _on_team_page(client, lead, dan):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:team"))
    assert page.status_code == 200
    [shown] = [m for m in page.context["members"] if m.pk == dan.pk]
    return shown


def test_calls_reviewed_as_a_call_handler_are_not_counted_on_the_clinical_leads_pages(
    clock, client, admin, dan, clinical_team, lead, tier_2_module
):
    """Before, the New starters page said "Calls reviewed 1, Waiting 0" and the team
    page "1 reviewed, 0 waiting", while sign-off said none had been reviewed."""
    earlier = f.CallAttemptFactory(
        caller=dan.user, started_at=NOW - dt.timedelta(days=50)
    )
    CallReview.objects.create(
        call=earlier, created_at=earlier.started_at, reviewed_at=earlier.started_at
    )

    promote(client, admin, dan, clinical_team)

    _, shown = _as_starter_on_reviews_page(client, lead, dan)
    assert (shown.reviews_done, shown.reviews_pending) == (0, 0)
    listed = _on_team_page(client, lead, dan)
    assert (listed.reviews_done, listed.reviews_pending) == (0, 0)
    with pytest.raises(StaffingRefused, match="None of their calls"):
        new_starter_sign_off(profile=dan, by=lead.user)


def test_a_call_handlers_call_still_waiting_is_not_queued_for_the_clinical_lead(
    clock, client, admin, dan, clinical_team, lead, tier_2_module
):
    """Before, his tier 3 call waiting for review showed as "Waiting 1" and sat in
    the clinical lead's review queue, though sign-off ignored it."""
    earlier = f.CallAttemptFactory(
        caller=dan.user, started_at=NOW - dt.timedelta(days=2)
    )
    waiting = CallReview.objects.create(call=earlier, created_at=earlier.started_at)

    promote(client, admin, dan, clinical_team)

    page, shown = _as_starter_on_reviews_page(client, lead, dan)
    assert (shown.reviews_done, shown.reviews_pending) == (0, 0)
    assert waiting not in page.context["queue"]
    assert _on_team_page(client, lead, dan).reviews_pending == 0
    with pytest.raises(StaffingRefused, match="None of their calls"):
        new_starter_sign_off(profile=dan, by=lead.user)


def test_his_first_clinical_call_is_counted_as_waiting_on_the_clinical_leads_pages(
    clock, client, admin, dan, clinical_team, lead, tier_2_module
):
    """The reviews since the move are the ones the pages, the queue and sign-off
    count, alike."""
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

    page, shown = _as_starter_on_reviews_page(client, lead, dan)
    assert (shown.reviews_done, shown.reviews_pending) == (0, 1)
    assert [r.call for r in page.context["queue"]] == [call]
    with pytest.raises(StaffingRefused, match="Review their waiting calls"):
        new_starter_sign_off(profile=dan, by=lead.user)


# --- a move into tier 1 is no new start ---------------------------------------------


def test_moved_to_a_local_team_he_is_not_made_a_new_starter(clock, client, admin, dan):
    """Local staff make no reviewed calls and could never be signed off: before, a
    move into tier 1 cleared his sign-off and the audit page said "a new starter in
    the new tier"."""
    ensure_ons_areas()
    sheffield = f.area(SHEFFIELD).local_team
    signed_off_at = dan.signed_off_at

    dan.tier, dan.team, dan.local_team = Tier.LOCAL, None, sheffield
    staff_profile_save(profile=dan, by=admin)

    dan.refresh_from_db()
    assert not dan.is_new_starter
    assert dan.signed_off_at == signed_off_at
    [said] = on_staff_audit(
        client, admin, object_type="staffing.staffprofile", object_id=str(dan.pk)
    )
    assert said.startswith("Moved Dan Evans from tier 3 (call handler) to tier 1")
    assert "new starter" not in said
