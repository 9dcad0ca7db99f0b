"""Pseudonymisation replaces the lab reference of a further result kept with a case
(work/intake.py), as it replaces the case's own: each is a key to the lab's named
record of the person."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import FurtherResult
from retention.pseudonymise import MARK
from retention.services import retention_run
from tests import factories as f

from .builders import CLOSED, PSEUDONYMISE_DAYS, completed_case

pytestmark = pytest.mark.django_db

DUE = CLOSED + dt.timedelta(days=PSEUDONYMISE_DAYS)


def further_result_of(case, ref: str) -> FurtherResult:
    return FurtherResult.objects.create(
        case=case,
        lab_reference=ref,
        specimen_date=case.specimen_date + dt.timedelta(days=1),
        result_date=case.specimen_date + dt.timedelta(days=2),
        received_at=CLOSED - dt.timedelta(days=1),
    )


def test_a_further_results_lab_reference_is_replaced_with_the_cases(clock):
    case = completed_case(person=f.PersonFactory(first_name="Ada"))
    further = further_result_of(case, "LAB-FURTHER-1")
    clock.move_to(DUE)

    retention_run()

    case.refresh_from_db()
    further.refresh_from_db()
    assert case.lab_reference == f"{MARK}{case.pk}"
    assert further.lab_reference == f"{MARK}f{further.pk}"
    # Never the marker of a case, whatever the ids: a reference is one or the other.
    assert further.lab_reference != case.lab_reference
    # The dates stay, as a case's do.
    assert further.specimen_date == case.specimen_date + dt.timedelta(days=1)


def test_a_further_result_of_someone_not_due_keeps_its_lab_reference(clock):
    due = completed_case(person=f.PersonFactory(first_name="Ada"))
    # Closed a day later: a day short of due when the first is.
    later = completed_case(
        CLOSED + dt.timedelta(days=1), person=f.PersonFactory(first_name="Bea")
    )
    further = further_result_of(later, "LAB-FURTHER-2")
    clock.move_to(DUE)

    retention_run()

    due.refresh_from_db()
    further.refresh_from_db()
    assert due.lab_reference == f"{MARK}{due.pk}"  # the run did pseudonymise
    assert further.lab_reference == "LAB-FURTHER-2"
