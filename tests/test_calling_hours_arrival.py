"""Work arriving at night is first due a call at the opening of the calling hours
(needs the change to cases/workitem.py, work/intake.py, work/casework.py and
work/escalation.py in /tmp/fix_hours_extra.patch)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake
from work.queues import next_due_item

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.mark.now(at(2021, 1, 12, 21, 30))
def test_a_case_with_a_landline_arriving_at_night_is_first_called_at_eight(
    clock, call_handler
):
    """Before, its first call was due at once: the night shift phoned them."""
    case, _ = case_intake(
        result=TestResult(
            lab_reference="NIGHT-L-1",
            person=PersonDetails(
                first_name="Lan",
                last_name="Dline",
                phone="01144960001",
                postcode="S1 1AA",
            ),
            specimen_date=dt.date(2021, 1, 11),
            result_date=dt.date(2021, 1, 12),
        )
    )

    assert case.next_attempt_at == at(2021, 1, 13, 8, 0)
    assert next_due_item(call_handler, now=at(2021, 1, 12, 22, 0)) is None


@pytest.mark.now(at(2021, 1, 12, 21, 55))
def test_a_contact_named_at_night_is_first_called_at_eight(clock):
    case = f.CaseFactory()

    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(
                first_name="Nora",
                last_name="Knight",
                phone="01144960002",
                postcode="S1 1AA",
            ),
            exposure_date=dt.date(2021, 1, 10),
            exposure="household",
        ),
    )

    assert contact.next_attempt_at == at(2021, 1, 13, 8, 0)


@pytest.mark.now(at(2021, 1, 12, 10, 0))
def test_a_case_arriving_in_the_day_is_due_at_once(clock):
    case, _ = case_intake(
        result=TestResult(
            lab_reference="DAY-L-1",
            person=PersonDetails(
                first_name="Lan",
                last_name="Day",
                phone="01144960004",
                postcode="S1 1AA",
            ),
            specimen_date=dt.date(2021, 1, 11),
            result_date=dt.date(2021, 1, 12),
        )
    )

    assert case.next_attempt_at == at(2021, 1, 12, 10, 0)
