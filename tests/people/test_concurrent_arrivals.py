"""Arrivals of one new person at once, each in its own thread and connection on
PostgreSQL: matched one after the other, so there is one person, and one contact to
call (people.services.arrivals_one_at_a_time)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.utils import timezone

from contacts.models import Contact
from people.models import Person
from people.services import PersonDetails
from tests import factories as f
from tests.assignment.conftest import committed_db  # noqa: F401  (a fixture)
from tests.assignment.test_concurrency import at_once
from work.casework import ContactDetails, contact_add, contacts_add_many
from work.intake import TestResult as LabResult
from work.intake import case_intake, case_intake_many

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]

RUNS = 5


def taken_in_turn(items: list):
    """Each thread's own item of `items`, handed out once each."""
    lock = threading.Lock()

    def take():
        with lock:
            return items.pop()

    return take


def test_five_cases_naming_one_new_person_at_once_make_one_person_and_one_contact():
    cases = [f.CaseFactory() for _ in range(RUNS)]
    exposed = timezone.localdate() - dt.timedelta(days=1)
    next_case = taken_in_turn(list(cases))

    def name_them() -> Contact:
        return contact_add(
            case=next_case(),
            details=ContactDetails(
                person=PersonDetails(
                    first_name="Multi",
                    last_name="Named",
                    phone="07911 123477",
                    postcode="S1 2HE",
                ),
                exposure_date=exposed,
                exposure=Contact.Exposure.HOUSEHOLD,
            ),
        )

    added = at_once(name_them, runs=RUNS)

    assert Person.objects.filter(last_name="Named").count() == 1
    assert Contact.objects.filter(person__last_name="Named").count() == 1
    assert sum(contact.joined is not None for contact in added) == RUNS - 1


@pytest.mark.parametrize(
    ("batch", "nhs_number"), [(1, "4010232137"), (1, ""), (2, "4010232137"), (2, "")]
)
def test_results_of_one_new_person_sent_at_once_make_one_person(batch, nhs_number):
    # Five results (or five batches of two) for one person, each its own lab
    # reference: with an NHS number, four single results were refused 409 by its
    # unique key; without one, five people were made.
    today = timezone.localdate()
    references = [f"LAB-{n}" for n in range(RUNS * batch)]
    next_reference = taken_in_turn(references)

    def result() -> LabResult:
        return LabResult(
            lab_reference=next_reference(),
            person=PersonDetails(
                first_name="Asha",
                last_name="Patel",
                date_of_birth=dt.date(1984, 3, 2),
                nhs_number=nhs_number,
                phone="07911 123456",
                postcode="S1 2HE",
            ),
            specimen_date=today - dt.timedelta(days=2),
            result_date=today - dt.timedelta(days=1),
        )

    def send() -> list:
        if batch == 1:
            return [case_intake(result=result())]
        outcomes = case_intake_many(results=[result() for _ in range(batch)])
        return [(o.case, o.created) for o in outcomes if o.error is None]

    sent = [answer for answers in at_once(send, runs=RUNS) for answer in answers]

    assert len(sent) == RUNS * batch  # none refused
    assert Person.objects.filter(last_name="Patel").count() == 1
    assert len({case.person_id for case, _ in sent}) == 1


def test_two_caseworkers_adding_contacts_of_the_same_postcodes_in_turn_never_deadlock():
    # Each adds two new people at once, the postcodes in the other's order: taking
    # each row's locks as it came, each held one postcode and waited for the other.
    exposed = timezone.localdate() - dt.timedelta(days=1)
    cases = [f.CaseFactory(), f.CaseFactory()]
    orders = [["S1 2HE", "S1 1AA"], ["S1 1AA", "S1 2HE"]]
    next_turn = taken_in_turn(list(zip(cases, orders, ["Ann", "Bob"], strict=True)))

    def add_two():
        case, postcodes, name = next_turn()
        return contacts_add_many(
            case=case,
            rows=[
                ContactDetails(
                    person=PersonDetails(
                        first_name=f"{name}{n}",
                        last_name="Lee",
                        phone=f"07911 {200000 + 10 * ord(name[0]) + n}",
                        postcode=postcode,
                    ),
                    exposure_date=exposed,
                    exposure=Contact.Exposure.HOUSEHOLD,
                )
                for n, postcode in enumerate(postcodes)
            ],
        )

    for _ in range(3):
        added = at_once(add_two, runs=2)  # raises what either thread raised
        assert [len(batch) for batch in added] == [2, 2]
        Contact.objects.all().delete()
        next_turn = taken_in_turn(list(zip(cases, orders, ["Ann", "Bob"], strict=True)))
