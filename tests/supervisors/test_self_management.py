"""A supervisor never approves themself: their own registration, hours cap, calls
and sign-off are another supervisor's. And training recorded is audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from staffing.models import CallReview, StaffProfile, TrainingModule
from staffing.services import (
    StaffingRefused,
    call_review_record,
    new_starter_sign_off,
    training_complete,
)
from tests import factories as f

from .conftest import NOW, member, supervisor_of

pytestmark = pytest.mark.django_db


def reload(profile: StaffProfile) -> StaffProfile:
    return StaffProfile.objects.get(pk=profile.pk)


# --- registration ---------------------------------------------------------------


def test_a_supervisor_cannot_verify_their_own_registration(
    clock, client, lead, clinical_team
):
    before = reload(lead)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[lead.pk]),
        {
            "registration_body": "NMC",
            "registration_number": "99Z9999Z",
            "registration_expires_on": "2030-01-01",
        },
    )
    assert response.status_code == 200
    assert (
        "You cannot verify your own registration: another supervisor must verify it."
        in response.text
    )
    after = reload(lead)
    assert (after.registration_number, after.registration_expires_on) == (
        before.registration_number,
        before.registration_expires_on,
    )


def test_the_own_registration_page_says_another_supervisor_verifies_it(
    clock, client, lead
):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:registration_verify", args=[lead.pk]))
    assert "another supervisor must verify it" in page.text
    assert "I have checked the register" not in page.text


def test_the_registrations_list_offers_no_verify_for_oneself(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team)
    client.force_login(lead.user)
    page = client.get(reverse("staffing:registrations"))
    assert reverse("staffing:registration_verify", args=[worker.pk]) in page.text
    assert reverse("staffing:registration_verify", args=[lead.pk]) not in page.text
    assert "Yours is verified by another supervisor" in page.text


def test_another_supervisor_verifies_a_supervisors_registration(
    clock, client, lead, clinical_team
):
    other = supervisor_of(clinical_team)
    client.force_login(other.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[lead.pk]),
        {
            "registration_body": "NMC",
            "registration_number": "99Z9999Z",
            "registration_expires_on": "2030-01-01",
        },
    )
    assert response.status_code == 302
    assert reload(lead).registration_verified_by == other.user


# --- hours cap ------------------------------------------------------------------


def test_a_supervisor_cannot_raise_their_own_hours_cap(clock, client, lead):
    cap = lead.weekly_hours_cap
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:hours_cap", args=[lead.pk]),
        {"new_cap": str(cap + 10), "reason": "Busy week"},
    )
    assert response.status_code == 200
    assert (
        "You cannot change your own weekly hours cap: another supervisor must "
        "change it for you." in response.text
    )
    assert reload(lead).weekly_hours_cap == cap


def test_the_team_page_offers_no_cap_change_for_oneself(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team)
    client.force_login(lead.user)
    page = client.get(reverse("staffing:team"))
    assert reverse("staffing:hours_cap", args=[worker.pk]) in page.text
    assert reverse("staffing:hours_cap", args=[lead.pk]) not in page.text
    assert "Your cap is changed by another supervisor" in page.text


def test_the_own_cap_page_says_another_supervisor_changes_it(clock, client, lead):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:hours_cap", args=[lead.pk]))
    assert page.status_code == 200
    assert "another supervisor must change it for you" in page.text
    assert "Change the cap" not in page.text


# --- a new starter supervisor's calls and sign-off ------------------------------


def test_a_new_starter_supervisor_cannot_review_their_own_calls(
    clock, client, clinical_team
):
    starter = supervisor_of(clinical_team, new_starter=True)
    other = supervisor_of(clinical_team)
    review = CallReview.objects.create(
        call=f.CallAttemptFactory(caller=starter.user, started_at=NOW)
    )
    client.force_login(starter.user)
    assert review.pk not in [
        r.pk for r in client.get(reverse("staffing:reviews")).context["queue"]
    ]
    with pytest.raises(StaffingRefused, match="another supervisor must review it"):
        call_review_record(
            review=review, verdict=CallReview.Verdict.GOOD, note="", by=starter.user
        )
    assert CallReview.objects.get(pk=review.pk).reviewed_at is None
    # Another supervisor sees it and reviews it.
    client.force_login(other.user)
    assert review.pk in [
        r.pk for r in client.get(reverse("staffing:reviews")).context["queue"]
    ]
    call_review_record(
        review=review, verdict=CallReview.Verdict.GOOD, note="", by=other.user
    )
    assert CallReview.objects.get(pk=review.pk).reviewer == other.user


def test_a_new_starter_supervisor_cannot_sign_themself_off(clock, clinical_team):
    starter = supervisor_of(clinical_team, new_starter=True)
    with pytest.raises(StaffingRefused, match="another supervisor must sign you off"):
        new_starter_sign_off(profile=starter, by=starter.user)
    assert reload(starter).is_new_starter


# --- training recorded is audited -----------------------------------------------


def test_a_member_recording_their_training_is_audited(clock, client, clinical_team):
    worker = member(clinical_team)
    module = TrainingModule.objects.create(name="Safeguarding 2", tier=worker.tier)
    client.force_login(worker.user)
    client.post(reverse("staffing:my_training"), {"module": module.pk})
    event = AuditEvent.objects.get(
        object_type="staffing.staffprofile", object_id=str(worker.pk)
    )
    assert event.detail["training"] == "completed"
    assert event.detail["module_name"] == "Safeguarding 2"
    assert event.user == worker.user  # who recorded it, from the page
    # Recorded again: nothing new happened, nothing new audited.
    client.post(reverse("staffing:my_training"), {"module": module.pk})
    assert (
        AuditEvent.objects.filter(
            object_type="staffing.staffprofile", object_id=str(worker.pk)
        ).count()
        == 1
    )


def test_training_recorded_by_a_supervisor_is_audited_as_theirs(
    clock, lead, clinical_team
):
    worker = member(clinical_team)
    module = TrainingModule.objects.create(name="Data protection", tier=worker.tier)
    training_complete(profile=worker, module=module, by=lead.user)
    event = AuditEvent.objects.get(
        object_type="staffing.staffprofile", object_id=str(worker.pk)
    )
    assert (event.user, event.action) == (lead.user, AuditEvent.Action.UPDATE)
    assert event.detail == {
        "training": "completed",
        "module": module.pk,
        "module_name": "Data protection",
        "completed_on": str(NOW.date()),
    }
