"""The audit trail words a registration verified, training completed and a new
starter signed off by the member's name, and a training module deleted in the
admin (before, the deletion wrote nothing, and the others read only "Changed staff
profile 7")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from staffing.models import CallReview, StaffProfile, Tier, TrainingModule
from staffing.services import (
    new_starter_sign_off,
    registration_verify,
    training_complete,
    training_module_save,
)
from tests import factories as f

from .conftest import NOW, member
from .test_audit_staff_changes import on_staff_audit
from .test_new_starters import a_call

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser(
        "admin", "a@example.org", "x", first_name="Ann", last_name="Admin"
    )


def profile_trail(client, admin, profile: StaffProfile) -> list[str]:
    return on_staff_audit(
        client, admin, object_type="staffing.staffprofile", object_id=str(profile.pk)
    )


def module_trail(client, admin, module_id: int) -> list[str]:
    return on_staff_audit(
        client, admin, object_type="staffing.trainingmodule", object_id=str(module_id)
    )


# --- a member's profile -------------------------------------------------------------


def test_a_registration_verified_reads_its_number_and_expiry(
    clock, client, admin, lead, clinical_team
):
    ada = member(
        clinical_team,
        registration_verified_on=None,
        user__first_name="Ada",
        user__last_name="Hughes",
    )

    registration_verify(
        profile=ada,
        body=StaffProfile.RegistrationBody.NMC,
        number="12a 3456e",
        expires_on=dt.date(2028, 3, 31),
        by=lead.user,
    )

    assert profile_trail(client, admin, ada) == [
        "Verified Ada Hughes's registration: NMC 12A3456E, until 31 Mar 2028"
    ]


def test_training_completed_reads_the_module_and_the_day(
    clock, client, admin, calls_lead, calls_team
):
    fay = member(calls_team, user__first_name="Fay", user__last_name="Lee")
    module = f.TrainingModuleFactory(
        name="Safeguarding level 2", tier=Tier.CALL_HANDLER
    )

    training_complete(profile=fay, module=module, by=calls_lead.user)

    assert profile_trail(client, admin, fay) == [
        "Recorded Fay Lee's training “Safeguarding level 2” as completed on 14 Jan 2026"
    ]


def test_a_new_starter_signed_off_reads_by_name(
    clock, client, admin, calls_lead, calls_team
):
    fay = member(
        calls_team, new_starter=True, user__first_name="Fay", user__last_name="Lee"
    )
    a_call(fay)
    CallReview.objects.update(reviewed_at=NOW, verdict="good", reviewer=calls_lead.user)
    clock.shift(HOUR)

    new_starter_sign_off(profile=fay, by=calls_lead.user)

    assert profile_trail(client, admin, fay)[0] == (
        "Signed off Fay Lee as no longer a new starter"
    )


# --- a training module deleted in the admin -----------------------------------------


def test_a_training_module_deleted_in_the_admin_reads_its_name_and_tier(
    clock, client, admin, calls_team
):
    module = TrainingModule(
        name="Vaccine status script", tier=Tier.CALL_HANDLER, required=True
    )
    training_module_save(module=module, by=admin)
    done = member(calls_team)
    training_complete(profile=done, module=module, by=admin)
    module_id = module.pk
    clock.shift(HOUR)

    client.force_login(admin)
    response = client.post(
        reverse("admin:staffing_trainingmodule_delete", args=[module_id]),
        {"post": "yes"},
    )

    assert response.status_code == 302
    assert not TrainingModule.objects.filter(pk=module_id).exists()
    assert module_trail(client, admin, module_id) == [
        "Deleted the training module “Vaccine status script”, required for tier 3 "
        "(call handler)",
        "Created the training module “Vaccine status script”, required for tier 3 "
        "(call handler)",
    ]


def test_training_modules_deleted_together_in_the_admin_each_read(clock, client, admin):
    kept = TrainingModule(name="Kept", tier=Tier.CALL_HANDLER)
    training_module_save(module=kept, by=admin)
    modules = [
        TrainingModule(name="Old script", tier=Tier.CALL_HANDLER, required=False),
        TrainingModule(name="Old checklist", tier=Tier.CLINICAL, required=True),
    ]
    for module in modules:
        training_module_save(module=module, by=admin)
    clock.shift(HOUR)

    client.force_login(admin)
    response = client.post(
        reverse("admin:staffing_trainingmodule_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [m.pk for m in modules],
            "post": "yes",
        },
    )

    assert response.status_code == 302
    assert list(TrainingModule.objects.values_list("name", flat=True)) == ["Kept"]
    assert module_trail(client, admin, modules[0].pk)[0] == (
        "Deleted the training module “Old script”, optional for tier 3 (call handler)"
    )
    assert module_trail(client, admin, modules[1].pk)[0] == (
        "Deleted the training module “Old checklist”, required for tier 2 "
        "(clinical caseworker)"
    )
