"""A contact who answers and refuses, or whose number a stranger answers, goes to
their local team at the next sweep, and the escalation's detail says so: when they
refused (or the number was found wrong), with the note made on that call, then the
call history. Both ways of writing the sweep's batch (one PostgreSQL statement, row
by row) and the single escalation word it alike.

Before, the detail opened "Not reached within 24 hours (2 call attempts)." for a
contact who had been spoken to and refused 18 hours in: false twice, and the local
team's first line told them the phones had run out of time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from work import escalation
from work.calls import call_record
from work.escalation import escalate_unreached, item_escalate_unreached

LONDON = ZoneInfo("Europe/London")
# Named on Sunday evening; called then, and again on Monday lunchtime.
NAMED = dt.datetime(2026, 12, 6, 18, 43, tzinfo=LONDON)
FIRST_CALL = dt.datetime(2026, 12, 6, 18, 58, tzinfo=LONDON)
SECOND_CALL = dt.datetime(2026, 12, 7, 12, 33, tzinfo=LONDON)
SWEEP = SECOND_CALL + dt.timedelta(minutes=2)  # 18 hours in: 6 left
NOTE = "Answered, refused, asked not to be called again"

pytestmark = [pytest.mark.django_db, pytest.mark.now(SWEEP)]


@pytest.fixture(params=["one statement", "row by row", "single"])
def way(request, monkeypatch):
    """The sweep's batch in one PostgreSQL statement, row by row (SQLite's), or the
    single escalation of the one item."""
    if request.param == "row by row":
        monkeypatch.setattr(escalation, "_batch_in_one_statement", lambda: False)
    return request.param


def escalated(contact: Contact, way: str) -> Escalation:
    if way == "single":
        item_escalate_unreached(item=contact, now=SWEEP)
    else:
        assert escalate_unreached(now=SWEEP) == (1, False)
    return Escalation.objects.get(contact=contact)


def called_twice(last: str, *, notes: str) -> Contact:
    """A contact named on Sunday evening, not answering then, and answering on
    Monday with `last`."""
    caller = f.StaffProfileFactory().user  # a call handler, holding the contact
    contact = f.ContactFactory(
        created_at=NAMED, status=Status.ASSIGNED, assignee=caller, assigned_at=NAMED
    )
    call_record(item=contact, caller=caller, outcome=Outcome.NO_ANSWER, now=FIRST_CALL)
    call_record(item=contact, caller=caller, outcome=last, notes=notes, now=SECOND_CALL)
    contact.refresh_from_db()
    return contact


def test_a_refusal_is_told_as_a_refusal_with_the_note_of_the_call(clock, way):
    contact = called_twice(Outcome.REFUSED, notes=NOTE)

    escalation_ = escalated(contact, way)

    assert escalation_.get_reason_display() == "Refused by phone"
    assert escalation_.detail.split("\n") == [
        "Refused to take part when called on Mon 07 Dec 12:33 (2 call attempts).",
        f"Note made on the call: {NOTE}",
        "Call history:",
        "Sun 06 Dec 18:58: No answer",
        "Mon 07 Dec 12:33: Refused to take part",
    ]
    assert "Not reached" not in escalation_.detail


def test_a_wrong_number_is_told_as_a_wrong_number(clock, way):
    note = "A Mr Okafor answered: has had this number for years"
    contact = called_twice(Outcome.WRONG_NUMBER, notes=note)

    escalation_ = escalated(contact, way)

    assert escalation_.reason == Escalation.Reason.WRONG_NUMBER
    assert escalation_.detail.split("\n") == [
        "The number called was wrong: answered by someone else on Mon 07 Dec 12:33 "
        "(2 call attempts).",
        f"Note made on the call: {note}",
        "Call history:",
        "Sun 06 Dec 18:58: No answer",
        "Mon 07 Dec 12:33: Wrong number",
    ]


def test_a_refusal_with_no_note_has_no_note_line(clock, way):
    contact = called_twice(Outcome.REFUSED, notes="")

    escalation_ = escalated(contact, way)

    assert escalation_.detail.split("\n")[:2] == [
        "Refused to take part when called on Mon 07 Dec 12:33 (2 call attempts).",
        "Call history:",
    ]
