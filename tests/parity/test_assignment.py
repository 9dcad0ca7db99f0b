"""Who holds the work: automatic assignment audits each item as giving it by hand does;
the escalation sweep escalates as escalating one item does, and frees the holders'
slots by asking for an assignment run once it commits."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.assignment import assign_work, item_assign, item_release
from work.escalation import escalate_unreached, item_escalate_unreached

from .conftest import ASSIGN_RUN, contact_in, hold

pytestmark = pytest.mark.django_db


def assign_events(run) -> list[dict]:
    return [e for e in run.new("audit.auditevent") if e["action"] == "assign"]


def holders(run) -> dict[int, int]:
    return {
        c["id"]: c["assignee_id"]
        for c in run.rows["contacts.contact"]
        if c["assignee_id"] is not None
    }


def turns_aside(*runs) -> None:
    """The staff's last_assigned_at to the second: a run stamps each person it gave
    work with its time plus their last turn in it, in microseconds, so the next run's
    ties go round (tests/assignment/test_fair_turns.py); by hand, one item is one
    person's turn at that time."""
    for run in runs:
        for row in run.rows["staffing.staffprofile"]:
            if row["last_assigned_at"] is not None:
                row["last_assigned_at"] = row["last_assigned_at"].replace(microsecond=0)


# --- automatic assignment ----------------------------------------------------------------


def test_automatic_assignment_audits_an_item_as_giving_it_by_hand_does(
    doors, call_handler
):
    contact = contact_in()

    auto = doors.run(assign_work)
    by_hand = doors.run(lambda: item_assign(item=contact, to=call_handler))

    (event,) = assign_events(auto)
    assert event["user_id"] is None
    assert event["detail"] == {"from": None, "to": call_handler.pk}
    assert (event["object_type"], event["object_id"], event["person_id"]) == (
        "contacts.contact",
        str(contact.pk),
        contact.person_id,
    )
    turns_aside(auto, by_hand)
    assert auto.diff(by_hand) == {}


def test_automatic_assignment_writes_one_assign_event_per_item_it_hands_out(
    doors, call_handler
):
    second = f.StaffProfileFactory(user__username="second_call_handler")
    f.ShiftFactory(staff=second)
    contacts = [contact_in() for _ in range(3)]

    auto = doors.run(assign_work)
    given = holders(auto)
    order = [int(e["object_id"]) for e in assign_events(auto)]
    users = {u.pk: u for u in (call_handler, second.user)}
    by_hand = doors.run(
        lambda: [
            item_assign(item=Contact.objects.get(pk=pk), to=users[given[pk]])
            for pk in order
        ]
    )

    assert sorted(order) == sorted(c.pk for c in contacts)
    assert {e["user_id"] for e in assign_events(auto)} == {None}
    assert all(
        e["detail"] == {"from": None, "to": given[int(e["object_id"])]}
        for e in assign_events(auto)
    )
    turns_aside(auto, by_hand)
    assert auto.diff(by_hand) == {}


# --- the escalation sweep ------------------------------------------------------------------


def out_of_time(contact: Contact) -> Contact:
    Contact.objects.filter(pk=contact.pk).update(
        escalate_due_at=timezone.now() - dt.timedelta(hours=1)
    )
    contact.refresh_from_db()
    return contact


def test_the_sweep_queues_an_assignment_run_after_commit_when_it_escalates_held_work(
    django_capture_on_commit_callbacks, call_handler
):
    contact = out_of_time(hold(contact_in(), call_handler))

    with django_capture_on_commit_callbacks() as callbacks:
        escalated, _ = escalate_unreached()
    assert escalated == 1
    contact.refresh_from_db()
    assert (contact.status, contact.assignee) == (Status.ESCALATED, None)

    with mock.patch("work.tasks.assign_work_task.delay") as delay:
        for callback in callbacks:
            callback()
    delay.assert_called_once_with()


def test_the_sweep_asks_for_no_assignment_run_when_nothing_it_escalated_was_held(
    django_capture_on_commit_callbacks,
):
    out_of_time(contact_in())

    with django_capture_on_commit_callbacks() as callbacks:
        escalated, _ = escalate_unreached()
    assert escalated == 1

    with mock.patch("work.tasks.assign_work_task.delay") as delay:
        for callback in callbacks:
            callback()
    delay.assert_not_called()


def test_the_sweep_escalates_a_held_item_exactly_as_escalating_it_alone_does(
    doors, call_handler
):
    contact = out_of_time(hold(contact_in(), call_handler))

    sweep = doors.run(escalate_unreached)
    alone = doors.run(lambda: item_escalate_unreached(item=contact))

    (escalation,) = sweep.new("escalations.escalation")
    assert escalation["contact_id"] == contact.pk
    assert [e["action"] for e in sweep.new("audit.auditevent")] == ["escalate"]
    assert sweep.diff(alone) == {}
    assert sweep.queued == alone.queued == [ASSIGN_RUN]


# --- work back in the pool -------------------------------------------------------------------


def test_a_call_that_sends_a_contact_back_to_the_pool_asks_for_an_assignment_run(
    doors, client, call_handler
):
    contact = hold(contact_in(), call_handler)
    client.force_login(call_handler)

    released = doors.run(lambda: item_release(item=contact, reason="Needs Urdu"))
    called = doors.run(
        lambda: client.post(
            reverse("contacts:call", args=[contact.pk]),
            {"outcome": Outcome.NEEDS_INTERPRETER, "language": "Welsh"},
        )
    )

    (row,) = [c for c in called.rows["contacts.contact"] if c["id"] == contact.pk]
    assert (row["status"], row["assignee_id"]) == (Status.NEW, None)
    assert released.queued == [ASSIGN_RUN]
    assert called.queued == released.queued
