"""Registrations and training decide who the assignment gives work to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from staffing.models import TrainingCompletion, TrainingModule
from tests import factories as f
from work.assignment import assign_work

from .conftest import NOW, member

pytestmark = pytest.mark.django_db
TODAY = NOW.date()


def test_supervisor_verifies_a_registration(clock, client, lead, clinical_team):
    worker = member(
        clinical_team, registration_verified_on=None, registration_number="12A3456E"
    )
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": "NMC",
            "registration_number": "12A3456E",
            "registration_expires_on": "2027-03-31",
        },
    )
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.registration_verified_on == TODAY
    assert worker.registration_verified_by == lead.user
    assert worker.registration_expires_on == dt.date(2027, 3, 31)


def test_an_expired_registration_cannot_be_verified(clock, client, lead, clinical_team):
    worker = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": "NMC",
            "registration_number": "12A3456E",
            "registration_expires_on": "2026-01-13",
        },
    )
    assert "That registration expired on 13 January 2026" in response.text
    assert 'value="12A3456E"' in response.text
    worker.refresh_from_db()
    assert worker.registration_verified_on is None


def test_an_expired_date_is_told_with_the_forms_other_problems(
    clock, client, lead, clinical_team
):
    """Before, an expired date was told only once every other field was right."""
    worker = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {"registration_body": "NMC", "registration_expires_on": "2026-01-13"},
    )
    errors = response.context["form"].errors
    assert errors["registration_expires_on"] == [
        "That registration expired on 13 January 2026: it cannot be verified."
    ]
    assert errors["registration_number"] == ["Enter the registration number"]


def test_registrations_page_lists_expiring_and_expired(
    clock, client, lead, clinical_team
):
    member(
        clinical_team,
        user__first_name="Sam",
        user__last_name="Soon",
        registration_expires_on=TODAY + dt.timedelta(days=20),
    )
    member(
        clinical_team,
        user__first_name="Ed",
        user__last_name="Expired",
        registration_expires_on=TODAY - dt.timedelta(days=1),
    )
    member(
        clinical_team,
        user__first_name="Fay",
        user__last_name="Fine",
        registration_expires_on=TODAY + dt.timedelta(days=200),
    )
    client.force_login(lead.user)
    regs = client.get(reverse("staffing:registrations")).context["regs"]
    assert [m.user.last_name for m in regs.expiring] == ["Soon"]
    assert [m.user.last_name for m in regs.expired] == ["Expired"]


@pytest.mark.parametrize(
    "registration",
    [
        {"registration_verified_on": None},
        {"registration_expires_on": TODAY - dt.timedelta(days=1)},
        {"registration_number": ""},
    ],
    ids=["unverified", "expired", "no-number"],
)
def test_assignment_gives_no_case_without_a_valid_registration(
    clock, clinical_team, registration
):
    member(clinical_team, **registration)
    case = f.CaseFactory()
    assign_work(now=NOW)
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.NEW, None)


def test_assignment_gives_a_case_once_the_registration_is_verified(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, registration_verified_on=None)
    case = f.CaseFactory()
    assign_work(now=NOW)
    client.force_login(lead.user)
    client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": "NMC",
            "registration_number": worker.registration_number,
            "registration_expires_on": "2027-01-01",
        },
    )
    assign_work(now=NOW)
    case.refresh_from_db()
    assert case.assignee == worker.user


def test_staff_see_their_modules_and_mark_one_complete(clock, client, calls_team):
    module = TrainingModule.objects.create(name="Data protection", tier=calls_team.tier)
    worker = member(calls_team)
    TrainingCompletion.objects.filter(profile=worker).delete()
    client.force_login(worker.user)
    page = client.get(reverse("staffing:my_training"))
    assert "Data protection" in page.text
    assert "Not yet" in page.text
    client.post(reverse("staffing:my_training"), {"module": module.pk})
    assert TrainingCompletion.objects.get(profile=worker).completed_on == TODAY


def test_staff_cannot_complete_another_tiers_module(clock, client, calls_team):
    module = TrainingModule.objects.create(name="Clinical risk", tier=2)
    worker = member(calls_team)
    client.force_login(worker.user)
    response = client.post(reverse("staffing:my_training"), {"module": module.pk})
    assert response.status_code == 404
    assert not TrainingCompletion.objects.filter(profile=worker).exists()


def test_nobody_gets_work_until_their_training_is_done_then_they_do(
    clock, client, calls_lead, calls_team
):
    module = TrainingModule.objects.create(name="Call handling", tier=calls_team.tier)
    worker = member(calls_team)
    TrainingCompletion.objects.filter(profile=worker).delete()
    contact = f.ContactFactory(case__status=Status.COMPLETED)
    assign_work(now=NOW)
    contact.refresh_from_db()
    assert contact.assignee is None
    client.force_login(calls_lead.user)
    client.post(
        reverse("staffing:member_training", args=[worker.pk]), {"module": module.pk}
    )
    assign_work(now=NOW)
    contact.refresh_from_db()
    assert contact.assignee == worker.user
    assert Contact.objects.filter(assignee=worker.user).count() == 1
    assert not Case.objects.filter(assignee=worker.user).exists()


@pytest.mark.parametrize(
    ("body", "number", "told"),
    [
        ("NMC", "-1", "An NMC PIN is two digits, a letter, four digits and a letter"),
        ("NMC", "1234567", "An NMC PIN is two digits"),
        ("GMC", "12A3456E", "A GMC reference number is seven digits"),
        ("HCPC", "abc", "An HCPC registration number is the profession's letters"),
        ("HCPC", "PYLO12345", "An HCPC registration number is the profession's"),
        ("SWE", "0001-01-01", "A Social Work England number is SW and digits"),
    ],
)
def test_a_number_not_of_the_bodys_form_is_told_beside_it(
    clock, client, lead, clinical_team, body, number, told
):
    """Verifying a registration lets a clinician change isolation dates: a number
    typed into the wrong box, or of another register, is not verified."""
    worker = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": body,
            "registration_number": number,
            "registration_expires_on": "2027-03-31",
        },
    )
    assert response.status_code == 200
    [problem] = response.context["form"].errors["registration_number"]
    assert problem.startswith(told)
    assert f'value="{number}"' in response.text
    worker.refresh_from_db()
    assert worker.registration_verified_on is None


def test_a_number_typed_in_lower_case_with_spaces_is_kept_as_the_register_writes_it(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": "NMC",
            "registration_number": " 12a 3456e ",
            "registration_expires_on": "2027-03-31",
        },
    )
    worker.refresh_from_db()
    assert worker.registration_number == "12A3456E"
    assert worker.registration_verified_on == TODAY


def test_an_expiry_further_off_than_any_register_renews_is_told(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": "NMC",
            "registration_number": "12A3456E",
            "registration_expires_on": "9999-12-31",
        },
    )
    assert response.context["form"].errors["registration_expires_on"] == [
        "31 December 9999 is more than 5 years away, and no register renews a "
        "registration that seldom: check the date on the register."
    ]
    worker.refresh_from_db()
    assert worker.registration_verified_on is None


@pytest.mark.parametrize(
    ("body", "number"),
    [
        ("HCPC", "PA12345"),
        ("HCPC", "PYL12345"),  # practitioner psychologists
        ("HCPC", "HAD01234"),  # hearing aid dispensers
        ("HCPC", "ODP12345"),  # operating department practitioners
        ("GMC", "1234567"),
        ("GPhC", "2012345"),
        ("SWE", "SW12345"),
    ],
)
def test_real_numbers_of_each_body_are_verified(
    clock, client, lead, clinical_team, body, number
):
    worker = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    client.post(
        reverse("staffing:registration_verify", args=[worker.pk]),
        {
            "registration_body": body,
            "registration_number": number,
            "registration_expires_on": "2027-03-31",
        },
    )
    worker.refresh_from_db()
    assert (worker.registration_number, worker.registration_verified_on) == (
        number,
        TODAY,
    )
