"""Work arriving at night is first due a call at the opening of the calling hours
(intake, a contact added, an item a local team sends back), and so is a call whose
wait for an answer online ends at night (its link's text failed)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from notify.errors import PermanentFailure
from notify.services import message_send
from online.models import OnlineLink
from people.services import PersonDetails
from tests import factories as f
from tests.notify.conftest import recording  # noqa: F401 (a fixture, used by name)
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake
from work.online import online_case_wait, online_cases_invite
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


@pytest.mark.now(at(2021, 1, 12, 22, 30))
def test_a_link_text_failing_at_night_makes_the_call_due_at_eight(
    clock,
    recording,  # noqa: F811 (tests/notify's fixture)
):
    # Held for an answer online until the morning; the text then fails (a bad
    # number): the call it waited for is due at the opening, not at 22:30.
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400123678"))
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    online_cases_invite(cases=[case], now=now)
    recording.reset(PermanentFailure("400 bad number"))

    message_send(OnlineLink.objects.filter(case=case).latest("created_at").message.pk)

    case.refresh_from_db()
    assert case.next_attempt_at == at(2021, 1, 13, 8, 0)
