"""A second positive of the same infection is kept with the case, even when that case
is completed and the person is still isolating as the contact who became it.

Before, once a contact's own case (a contact who tested positive) was completed, any
further result of theirs within the episode made a new case while the contact was
isolating: intake left out every completed case of anyone who was a contact
isolating now, "exposed again since", though that contact followed that very case.
The confirmatory test, a day later, made a third item: a second "your test was
positive" text and a second tracing call. Now a completed case is left out only for
a contact exposed after its specimen date who did not become it: a reinfection after
a new exposure is still a new case.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, FurtherResult
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake, case_intake_many

pytestmark = pytest.mark.django_db

CAL = PersonDetails(
    first_name="Cal",
    last_name="Confirm",
    date_of_birth=dt.date(1990, 9, 9),
    phone="07404 123456",
    postcode="S1 2HE",
)


def ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def named(*, exposed: dt.date, case: Case | None = None) -> Contact:
    """Cal named as a household contact, exposed on `exposed`."""
    return contact_add(
        case=case or f.CaseFactory(specimen_date=ago(4), result_date=ago(3)),
        details=ContactDetails(
            person=CAL, exposure_date=exposed, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )


def reached(contact: Contact) -> None:
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.REACHED, reached_at=timezone.now()
    )


def positive(ref: str, specimen: dt.date) -> TestResult:
    return TestResult(
        lab_reference=ref, person=CAL, specimen_date=specimen, result_date=ago(0)
    )


def completed(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(
        status=Status.COMPLETED, completed_at=timezone.now()
    )


def other(ref: str) -> TestResult:
    """Someone else's result, so that a batch is written set-wise."""
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Oli", last_name="Other", date_of_birth=dt.date(1970, 1, 1)
        ),
        specimen_date=ago(1),
        result_date=ago(0),
    )


def positive_texts() -> int:
    return sum(
        "test was positive" in body
        for body in Message.objects.filter(person__last_name="Confirm").values_list(
            "body", flat=True
        )
    )


@pytest.mark.parametrize("batch", ["alone", "in a batch"])
def test_a_confirmatory_test_after_the_contacts_case_is_completed_is_kept_with_it(
    clock, batch
):
    """The hunter's story: Cal, a contact reached and isolating, tests positive (a
    case, rightly); that case is traced and completed; the confirmatory test, its
    specimen a day later, arrives."""
    contact = named(exposed=ago(3))
    reached(contact)
    first, created = case_intake(result=positive("C-1", ago(1)))
    assert created
    completed(first)
    contact.refresh_from_db()
    assert contact.isolation_ends_on >= timezone.localdate()  # isolating still

    results = [positive("C-2", ago(0))]
    if batch == "in a batch":
        results.append(other("OTHER-1"))
    outcome = case_intake_many(results=results)[0]

    assert not outcome.created
    assert outcome.case == first
    assert outcome.further == FurtherResult.objects.get(lab_reference="C-2")
    assert list(Case.objects.filter(person=first.person)) == [first]
    assert positive_texts() == 1


def test_a_late_result_then_its_confirmatory_test_stay_one_case(clock):
    """Named with an exposure after their own specimen (their result came late):
    the contact became that case, so that exposure is not a new one for it."""
    contact = named(exposed=ago(2))
    first, created = case_intake(result=positive("L-1", ago(3)))
    assert created
    assert IsolationChange.objects.filter(contact=contact, became_case=first).exists()
    completed(first)

    again, created = case_intake(result=positive("L-2", ago(1)))

    assert not created
    assert again == first
    assert FurtherResult.objects.filter(case=first, lab_reference="L-2").exists()


def test_exposed_again_after_a_completed_case_a_positive_is_a_new_case(clock):
    """What the rule is for: Cal's case is completed and their isolation over; a new
    case names them, exposed since; their positive is a new case, traced for the
    people they met since, though within the episode's days of the old one."""
    old, _ = case_intake(result=positive("R-1", ago(30)))
    completed(old)
    contact = named(exposed=ago(2))
    assert contact.isolation_ends_on >= timezone.localdate()

    new, created = case_intake(result=positive("R-2", ago(1)))

    assert created
    assert new != old
    assert not FurtherResult.objects.exists()


def test_an_open_case_keeps_its_further_results_whoever_names_them(clock):
    """Unchanged: a case still being worked takes a further result of its episode,
    even from someone named since."""
    case, _ = case_intake(result=positive("O-1", ago(5)))
    named(exposed=ago(2))

    again, created = case_intake(result=positive("O-2", ago(1)))

    assert not created
    assert again == case
