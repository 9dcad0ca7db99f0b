"""What review found of keeping a further result with the person's case: two intakes
of one person at once must still make one case, whatever their size; and a contact
isolating now, whose old case is closed, is a new case when they test positive."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.db import transaction

from cases.models import Case, FurtherResult
from cases.workitem import Status
from people.services import PersonDetails
from tests.core.conftest import committed_db  # noqa: F401
from tests.isolation.conftest import DECEMBER_17, SAM, D
from tests.isolation.test_became_case import contact_named_on
from tests.threads import side_by_side
from work.intake import TestResult as LabResult
from work.intake import case_intake_many
from work.results_csv import (
    FURTHER_RESULT,
    NEW_CASE,
    results_file_read,
    results_upload_preview,
)

# The tests' clock stands at 12 January 2021.
DAY = dt.date(2021, 1, 8)


def sian(ref: str, specimen: dt.date) -> LabResult:
    return LabResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Siân",
            last_name="Llŷr",
            date_of_birth=dt.date(1984, 3, 2),
            nhs_number="9434765919",
            phone="07911 123456",
            postcode="S1 2HE",
        ),
        specimen_date=specimen,
        result_date=max(specimen, DAY) + dt.timedelta(days=1),
    )


def filler(tag: str, i: int) -> LabResult:
    """Someone else, each batch's own people."""
    return LabResult(
        lab_reference=f"{tag}-F{i}",
        person=PersonDetails(
            first_name=f"Filler{tag}{i}",
            last_name="Person",
            date_of_birth=dt.date(1950, 1, 1)
            + dt.timedelta(days=i + (0 if tag == "A" else 400)),
        ),
        specimen_date=DAY,
        result_date=DAY + dt.timedelta(days=1),
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("requires_postgres", "committed_db", "clock")
@pytest.mark.parametrize("size", [1, 2, 30])
def test_two_batches_at_once_for_one_held_person_make_one_case(size):
    """Siân is held (a case 100 days ago); two labs send her new result at once, in
    batches of any size: the second waits for the first and keeps its result with
    the first's case."""
    case_intake_many(results=[sian("OLD-1", DAY - dt.timedelta(days=100))])
    a = [filler("A", i) for i in range(size - 1)] + [sian("A-1", DAY)]
    b = [filler("B", i) for i in range(size - 1)] + [sian("B-1", DAY)]
    first_in = threading.Event()

    def lab_a():
        with transaction.atomic():
            case_intake_many(results=a)
            first_in.set()
            time.sleep(1.0)

    def lab_b():
        first_in.wait()
        case_intake_many(results=b)

    assert not side_by_side(lab_a, lab_b)
    [recent] = Case.objects.filter(person__nhs_number="9434765919", specimen_date=DAY)
    assert recent.lab_reference == "A-1"
    [further] = FurtherResult.objects.all()
    assert (further.lab_reference, further.case_id) == ("B-1", recent.pk)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("requires_postgres", "committed_db", "clock")
def test_a_big_batch_waits_for_a_single_result_of_one_of_its_people():
    """A single result (held by its arrival) and a batch over the arrivals' limit
    (held by its people) for one person at once: still one case."""
    case_intake_many(results=[sian("OLD-1", DAY - dt.timedelta(days=100))])
    b = [filler("B", i) for i in range(29)] + [sian("B-1", DAY)]
    first_in = threading.Event()

    def lab_a():
        with transaction.atomic():
            case_intake_many(results=[sian("A-1", DAY)])
            first_in.set()
            time.sleep(1.0)

    def lab_b():
        first_in.wait()
        case_intake_many(results=b)

    assert not side_by_side(lab_a, lab_b)
    assert (
        Case.objects.filter(person__nhs_number="9434765919", specimen_date=DAY).count()
        == 1
    )


def _sam_closed_case_and_december_contact():
    [old] = case_intake_many(
        results=[
            LabResult(
                lab_reference="OLD",
                person=SAM,
                specimen_date=D(2020, 11, 1),
                result_date=D(2020, 11, 2),
            )
        ]
    )
    Case.objects.filter(pk=old.case.pk).update(status=Status.CLOSED)
    return old.case, contact_named_on(D(2020, 12, 14))  # isolate to 24 Dec


SAM_POSITIVE = LabResult(
    lab_reference="NEW",
    person=SAM,
    specimen_date=D(2020, 12, 17),
    result_date=D(2020, 12, 17),
    symptom_onset=D(2020, 12, 16),
)


@pytest.mark.django_db
@pytest.mark.now(DECEMBER_17)
def test_a_contact_with_an_old_closed_case_who_tests_positive_is_a_new_case(clock):
    """Sam's November case is closed; named a contact in December, he tests
    positive: a new case, traced, and his contact isolates as that case does."""
    old, contact = _sam_closed_case_and_december_contact()

    [new] = case_intake_many(results=[SAM_POSITIVE])

    assert new.created
    assert new.further is None
    assert new.case is not None
    assert new.case.pk != old.pk
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 26)
    assert not FurtherResult.objects.exists()


@pytest.mark.django_db
@pytest.mark.now(DECEMBER_17)
def test_the_upload_preview_says_a_new_case_for_that_contact(clock):
    _sam_closed_case_and_december_contact()
    csv = (
        "lab_reference,first_name,last_name,date_of_birth,nhs_number,phone,postcode,"
        "specimen_date,result_date,symptom_onset\n"
        "NEW,Sam,Okafor,1990-04-02,9434765919,07911 123457,S1 2HE,2020-12-17,"
        "2020-12-17,2020-12-16\n"
    )

    [row] = results_upload_preview(results_file_read(csv)).rows

    assert row.outcome == NEW_CASE


@pytest.mark.django_db
@pytest.mark.now(DECEMBER_17)
def test_a_closed_case_without_a_contact_isolating_still_keeps_the_result(clock):
    """No exposure since: the positive is still the November episode's."""
    [old] = case_intake_many(
        results=[
            LabResult(
                lab_reference="OLD",
                person=SAM,
                specimen_date=D(2020, 11, 1),
                result_date=D(2020, 11, 2),
            )
        ]
    )
    Case.objects.filter(pk=old.case.pk).update(status=Status.CLOSED)

    [new] = case_intake_many(results=[SAM_POSITIVE])

    assert not new.created
    assert new.further is not None
    assert new.case == old.case
    csv = (
        "lab_reference,first_name,last_name,date_of_birth,nhs_number,phone,postcode,"
        "specimen_date,result_date\n"
        "NEXT,Sam,Okafor,1990-04-02,9434765919,07911 123457,S1 2HE,2020-12-16,"
        "2020-12-17\n"
    )
    [row] = results_upload_preview(results_file_read(csv)).rows
    assert row.outcome == FURTHER_RESULT
