"""Calls are made in calling hours (08:00 to 20:00, London time, as NHS Test and
Trace phoned): an attempt the rules would set at night is due at the next opening,
and nobody is sent to their local team at night or before the attempts the rules
allow could be made in the day."""

from __future__ import annotations

import datetime as dt
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from cases.workitem import Status
from people.services import PersonDetails
from tests import factories as f
from work.escalation import escalate_unreached
from work.intake import TestResult, case_intake
from work.queues import next_due_item

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def no_answer(client, contact) -> str:
    page = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "no_answer"},
        follow=True,
    )
    assert page.status_code == 200
    return unescape(page.content.decode())


@pytest.mark.now(at(2021, 1, 12, 19, 0))
def test_no_answer_in_the_evening_is_tried_again_at_eight_next_morning(
    clock, client, call_handler
):
    """Before, the next attempt was due at 23:00, and a night shift phoned them."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    client.force_login(call_handler)

    said = no_answer(client, contact)

    assert "Next attempt 08:00 on Wed 13 Jan" in said
    contact.refresh_from_db()
    assert contact.next_attempt_at == at(2021, 1, 13, 8, 0)


@pytest.mark.now(at(2021, 1, 12, 10, 0))
def test_no_answer_in_the_day_keeps_the_usual_gap(clock, client, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    client.force_login(call_handler)

    said = no_answer(client, contact)

    assert "Next attempt 14:00 on Tue 12 Jan" in said


@pytest.mark.parametrize(
    ("evening", "morning_utc"),
    [
        # The clocks go forward that night: 08:00 is 07:00 GMT.
        (at(2020, 3, 28, 19, 0), dt.datetime(2020, 3, 29, 7, 0, tzinfo=dt.UTC)),
        # And back: 08:00 is 08:00 GMT.
        (at(2020, 10, 24, 19, 0), dt.datetime(2020, 10, 25, 8, 0, tzinfo=dt.UTC)),
    ],
    ids=["spring", "autumn"],
)
def test_the_next_morning_is_eight_local_time_across_the_clock_change(
    clock, client, call_handler, evening, morning_utc
):
    clock.move_to(evening)
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    f.ShiftFactory(staff=call_handler.staff)
    client.force_login(call_handler)

    said = no_answer(client, contact)

    contact.refresh_from_db()
    assert contact.next_attempt_at == morning_utc
    assert "Next attempt 08:00 on Sun" in said


@pytest.mark.now(at(2021, 1, 12, 21, 55))
def test_a_contact_named_at_night_is_not_sent_to_the_local_team_at_night(clock):
    """Before, the deadline was 21:55 the next day: an item not tried by then (its
    calls due through the night) went to the local team at night."""
    contact = f.ContactFactory()

    clock.move_to(at(2021, 1, 13, 22, 0))
    escalate_unreached()

    contact.refresh_from_db()
    assert contact.status == Status.NEW
    deadline = contact.escalate_due_at.astimezone(LONDON)
    assert dt.time(8) <= deadline.time() < dt.time(20)
    assert deadline.date() == dt.date(2021, 1, 14)


@pytest.mark.now(at(2021, 1, 12, 21, 55))
def test_a_contact_named_at_night_gets_every_attempt_in_the_day(
    clock, client, call_handler
):
    contact = f.ContactFactory(next_attempt_at=at(2021, 1, 13, 8, 0))
    f.ShiftFactory(
        staff=call_handler.staff,
        starts_at=at(2021, 1, 13, 7, 0),
        ends_at=at(2021, 1, 13, 19, 0),
    )
    contact.assignee = call_handler
    contact.status = Status.ASSIGNED
    contact.save()
    said = []

    for hour in (8, 12, 16):
        clock.move_to(at(2021, 1, 13, hour, 0))
        client.force_login(call_handler)  # signed in afresh after hours away
        said.append(no_answer(client, contact))

    assert "Next attempt 12:00 on Wed 13 Jan" in said[0]
    assert "Next attempt 16:00 on Wed 13 Jan" in said[1]
    assert "No more attempts by phone" in said[2]


@pytest.mark.now(at(2021, 1, 12, 19, 45))
def test_a_last_attempt_brought_forward_stays_in_calling_hours(
    clock, client, call_handler
):
    """Before, the last attempt was brought forward to 21:25, in the night."""
    contact = f.ContactFactory(
        status=Status.ASSIGNED,
        assignee=call_handler,
        escalate_due_at=at(2021, 1, 12, 21, 55),
    )
    client.force_login(call_handler)

    said = no_answer(client, contact)

    assert "Next attempt 21:25" not in said
    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.next_attempt_at is None or (
        dt.time(8) <= contact.next_attempt_at.astimezone(LONDON).time() < dt.time(20)
    )


@pytest.mark.now(at(2021, 1, 12, 21, 30))
def test_a_case_with_a_mobile_arriving_at_night_is_first_called_at_eight(
    clock, call_handler
):
    """Before, the online wait ended at 01:30, and the night shift phoned them."""
    case, _ = case_intake(
        result=TestResult(
            lab_reference="NIGHT-M-1",
            person=PersonDetails(
                first_name="Mo",
                last_name="Bile",
                phone="07911123456",
                postcode="S1 1AA",
            ),
            specimen_date=dt.date(2021, 1, 11),
            result_date=dt.date(2021, 1, 12),
        )
    )

    assert case.next_attempt_at == at(2021, 1, 13, 8, 0)
    clock.move_to(at(2021, 1, 13, 1, 30))
    assert next_due_item(call_handler, now=at(2021, 1, 13, 1, 30)) is None
