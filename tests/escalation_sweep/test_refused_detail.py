"""A contact who answers and refuses, or whose number a stranger answers, goes to
their local team at the next sweep, and the escalation's detail says so: when they
refused (or the number was found wrong), with the note made on that call, then the
call history. Both ways of writing the sweep's batch (one PostgreSQL statement, row
by row) and the single escalation word it alike.

Before, the detail opened "Not reached within 24 hours (2 call attempts)." for a
contact who had been spoken to and refused 18 hours in: false twice, and the local
team's first line told them the phones had run out of time.

Only the calls of the item's current round say so: one sent back by its local team
(talked round, a new number found) and not reached again is "Not reached within 24
hours of being sent back", never the earlier round's refusal or wrong number, nor
its note; the history lists both rounds' calls, the send back between them. Before,
such a contact went back to the team "Refused by phone", "Refused to take part when
called on Mon 07 Dec 12:33 (0 call attempts).", with the old call's note."""

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
from work.escalation import (
    escalate_unreached,
    escalation_claim,
    escalation_return,
    item_escalate_unreached,
)

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


# A refusal (or a wrong number) escalated, talked round by the local team and sent
# back to the phones: a new round, its attempts counted from 0. What the next
# escalation says is what happened in that round, not in the one before.
SENT_BACK = SWEEP + dt.timedelta(minutes=30)  # Mon 07 Dec 13:05
SENT_BACK_NOTE = "Visited: she will take a call now"


def sent_back(contact: Contact, *, now: dt.datetime, new_phone: str = "") -> None:
    """The contact's open escalation picked up and sent back by its local team."""
    escalation_ = Escalation.objects.get(contact=contact, closed_at__isnull=True)
    member = f.StaffProfileFactory(local=True, local_team=escalation_.local_team).user
    escalation_claim(escalation=escalation_, by=member, now=now)
    escalation_return(
        escalation=Escalation.objects.get(pk=escalation_.pk),
        note=SENT_BACK_NOTE,
        by=member,
        new_phone=new_phone,
        now=now,
    )


def sent_back_after(outcome: str, *, notes: str) -> Contact:
    """A contact called once on Monday with `outcome`, escalated for it, and sent
    back to the phones by their local team half an hour later (with a new number
    for a wrong one)."""
    caller = f.StaffProfileFactory().user
    contact = f.ContactFactory(
        created_at=NAMED, status=Status.ASSIGNED, assignee=caller, assigned_at=NAMED
    )
    call_record(
        item=contact, caller=caller, outcome=outcome, notes=notes, now=SECOND_CALL
    )
    item_escalate_unreached(item=contact, now=SWEEP)
    assert Escalation.objects.get(contact=contact).reason == outcome
    sent_back(
        contact,
        now=SENT_BACK,
        new_phone="07911 123457" if outcome == Outcome.WRONG_NUMBER else "",
    )
    contact.refresh_from_db()
    assert contact.status == Status.NEW
    assert contact.attempts == 0
    return contact


def escalated_again(contact: Contact, way: str, *, now: dt.datetime) -> Escalation:
    """The contact, out of time in its new round, escalated again `way`."""
    if way == "single":
        item_escalate_unreached(item=contact, now=now)
    else:
        escalate_unreached(now=now)  # (its case, never called, goes too)
    return Escalation.objects.filter(contact=contact).latest("created_at")


@pytest.mark.parametrize(
    ("outcome", "notes"),
    [
        (Outcome.REFUSED, NOTE),
        (Outcome.WRONG_NUMBER, "A Mr Okafor answered: has had this number for years"),
    ],
    ids=["refused", "wrong number"],
)
def test_sent_back_and_not_called_again_is_told_as_not_reached_since(
    clock, way, outcome, notes
):
    contact = sent_back_after(outcome, notes=notes)
    later = contact.escalate_due_at + dt.timedelta(minutes=5)
    clock.move_to(later)

    second = escalated_again(contact, way, now=later)

    assert second.reason == Escalation.Reason.UNREACHED
    assert second.detail.split("\n") == [
        "Not reached within 24 hours of being sent back (0 call attempts).",
        "Call history:",
        f"Mon 07 Dec 12:33: {Outcome(outcome).label}",
        "Mon 07 Dec 13:05: Sent back by the local team",
    ]
    assert notes not in second.detail


def test_refused_again_in_the_new_round_is_told_with_that_call_and_its_note(clock, way):
    contact = sent_back_after(Outcome.REFUSED, notes=NOTE)
    caller = f.StaffProfileFactory().user
    contact.assignee, contact.status = caller, Status.ASSIGNED
    contact.save(update_fields=["assignee", "status"])
    called_at = dt.datetime(2026, 12, 8, 10, 15, tzinfo=LONDON)
    clock.move_to(called_at)
    again = "Changed her mind: will not give names"
    call_record(
        item=contact, caller=caller, outcome=Outcome.REFUSED, notes=again, now=called_at
    )
    later = called_at + dt.timedelta(minutes=2)
    clock.move_to(later)

    second = escalated_again(contact, way, now=later)

    assert second.reason == Escalation.Reason.REFUSED
    assert second.detail.split("\n") == [
        "Refused to take part when called on Tue 08 Dec 10:15 (1 call attempt).",
        f"Note made on the call: {again}",
        "Call history:",
        "Mon 07 Dec 12:33: Refused to take part",
        "Mon 07 Dec 13:05: Sent back by the local team",
        "Tue 08 Dec 10:15: Refused to take part",
    ]
    assert NOTE not in second.detail


def test_no_answer_in_the_new_round_is_not_reached_since(clock, way):
    contact = sent_back_after(Outcome.REFUSED, notes=NOTE)
    caller = f.StaffProfileFactory().user
    contact.assignee, contact.status = caller, Status.ASSIGNED
    contact.save(update_fields=["assignee", "status"])
    called_at = dt.datetime(2026, 12, 8, 10, 15, tzinfo=LONDON)
    clock.move_to(called_at)
    call_record(item=contact, caller=caller, outcome=Outcome.NO_ANSWER, now=called_at)
    contact.refresh_from_db()
    later = contact.escalate_due_at + dt.timedelta(minutes=5)
    clock.move_to(later)

    second = escalated_again(contact, way, now=later)

    assert second.reason == Escalation.Reason.UNREACHED
    assert second.detail.split("\n")[0] == (
        "Not reached within 24 hours of being sent back (1 call attempt)."
    )
    assert NOTE not in second.detail


def test_never_called_in_either_round_says_never_called_since_sent_back(clock, way):
    contact = f.ContactFactory(created_at=NAMED, escalate_due_at=SWEEP)
    item_escalate_unreached(item=contact, now=SWEEP)
    sent_back(contact, now=SENT_BACK)
    contact.refresh_from_db()
    later = contact.escalate_due_at + dt.timedelta(minutes=5)
    clock.move_to(later)

    second = escalated_again(contact, way, now=later)

    assert second.reason == Escalation.Reason.UNREACHED
    assert second.detail.split("\n") == [
        "Not reached within 24 hours of being sent back: never called.",
        "No calls were made.",
    ]
