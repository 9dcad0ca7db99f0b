"""The escalation sweep: unreached work goes to its local team, exactly once."""

from __future__ import annotations

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from audit.models import AuditEvent
from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.calls import call_record
from work.escalation import escalate_unreached
from work.tasks import escalate_unreached_task

from .conftest import HOUR, CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2021, 1, 12, 9, 0, tzinfo=ZoneInfo("Europe/London"))
MINUTE = dt.timedelta(minutes=1)


def sheffield_team():
    return f.area("E08000019").local_team


def called(item, *outcomes_at, caller=None):
    """Record calls: (outcome, when) or (outcome, when, call_back_at).

    By a supervisor unless told: the sweep does not care who called.
    """
    caller = caller or f.StaffProfileFactory(is_supervisor=True).user
    for outcome, when, *call_back in outcomes_at:
        call_record(
            item=item,
            caller=caller,
            outcome=outcome,
            call_back_at=call_back[0] if call_back else None,
            notes="Worried about a child" if outcome == Outcome.SAFEGUARDING else "",
            now=when,
        )
    item.refresh_from_db()
    return item


def test_contact_escalates_to_its_local_team_after_three_failed_attempts():
    contact = ContactFactory(created_at=T0)
    called(
        contact,
        (Outcome.NO_ANSWER, T0),
        (Outcome.VOICEMAIL, T0 + 4 * HOUR),
        (Outcome.NO_ANSWER, T0 + 8 * HOUR),
    )

    escalated, more = escalate_unreached(now=T0 + 8 * HOUR + MINUTE)

    contact.refresh_from_db()
    assert (escalated, more) == (1, False)
    assert contact.status == Status.ESCALATED
    assert contact.local_team == sheffield_team()
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.local_team == sheffield_team()
    assert escalation.reason == Escalation.Reason.UNREACHED
    assert not escalation.area_unknown


def test_escalation_carries_the_reason_and_whole_call_history():
    contact = ContactFactory(created_at=T0)
    called(
        contact,
        (Outcome.NO_ANSWER, T0),
        (Outcome.VOICEMAIL, T0 + 4 * HOUR),
        (Outcome.NO_ANSWER, T0 + 8 * HOUR),
    )

    escalate_unreached(now=T0 + 9 * HOUR)

    detail = Escalation.objects.get(contact=contact).detail
    assert detail.splitlines() == [
        "Not reached after 3 call attempts.",
        "Call history:",
        "Tue 12 Jan 09:00: No answer",
        "Tue 12 Jan 13:00: Voicemail left",
        "Tue 12 Jan 17:00: No answer",
    ]


def test_contact_with_attempts_and_hours_left_is_not_escalated():
    contact = ContactFactory(created_at=T0)
    called(contact, (Outcome.NO_ANSWER, T0), (Outcome.NO_ANSWER, T0 + 4 * HOUR))

    escalated, _ = escalate_unreached(now=T0 + 7 * HOUR)

    contact.refresh_from_db()
    assert escalated == 0
    assert contact.status == Status.NEW
    assert not Escalation.objects.exists()


def test_contact_never_reached_escalates_once_its_hours_are_up():
    contact = ContactFactory(created_at=T0)

    assert escalate_unreached(now=T0 + 23 * HOUR)[0] == 0
    escalate_unreached(now=T0 + 24 * HOUR)

    escalation = Escalation.objects.get(contact=contact)
    assert escalation.detail.startswith("Not reached within 24 hours: never called.")


def test_case_follows_its_own_rule():
    case = CaseFactory(created_at=T0)
    called(
        case,
        (Outcome.NO_ANSWER, T0),
        (Outcome.NO_ANSWER, T0 + 2 * HOUR),
        (Outcome.NO_ANSWER, T0 + 4 * HOUR),
    )

    escalate_unreached(now=T0 + 4 * HOUR + MINUTE)

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert Escalation.objects.get(case=case).reason == Escalation.Reason.UNREACHED


def test_sweep_run_twice_escalates_each_item_exactly_once():
    contacts = [ContactFactory(created_at=T0) for _ in range(3)]
    now = T0 + 25 * HOUR

    first = escalate_unreached(now=now)
    second = escalate_unreached(now=now + 5 * MINUTE)

    assert first[0] == 3
    assert second[0] == 0
    for contact in contacts:
        assert Escalation.objects.filter(contact=contact).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ESCALATE).count() == 3


def test_item_with_no_area_goes_to_the_fallback_team_flagged():
    contact = ContactFactory(
        created_at=T0, person__area=None, area=None, area_unknown=True
    )

    escalate_unreached(now=T0 + 25 * HOUR)

    escalation = Escalation.objects.get(contact=contact)
    assert escalation.local_team.is_fallback
    assert escalation.area_unknown
    contact.refresh_from_db()
    assert contact.local_team.is_fallback


def test_items_with_and_without_area_in_one_batch_each_go_to_their_team():
    known = ContactFactory(created_at=T0)
    unknown = ContactFactory(created_at=T0, person__area=None, area=None)

    escalate_unreached(now=T0 + 25 * HOUR)

    assert Escalation.objects.get(contact=known).local_team == sheffield_team()
    assert not Escalation.objects.get(contact=known).area_unknown
    assert Escalation.objects.get(contact=unknown).local_team.is_fallback


def test_call_back_time_is_honoured_before_escalating():
    contact = ContactFactory(created_at=T0)
    call_back = T0 + 30 * HOUR
    called(contact, (Outcome.CALL_BACK, T0 + 20 * HOUR, call_back))

    escalate_unreached(now=T0 + 25 * HOUR)  # past the 24-hour window
    contact.refresh_from_db()
    assert contact.status == Status.NEW
    assert contact.next_attempt_at == call_back

    called(contact, (Outcome.NO_ANSWER, call_back))
    escalate_unreached(now=call_back + 4 * HOUR)
    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED


def test_wrong_number_escalates_at_the_next_sweep_with_that_reason():
    contact = ContactFactory(created_at=T0)
    called(contact, (Outcome.WRONG_NUMBER, T0 + HOUR))

    escalate_unreached(now=T0 + HOUR + 5 * MINUTE)

    assert (
        Escalation.objects.get(contact=contact).reason == Escalation.Reason.WRONG_NUMBER
    )


def test_assigned_but_unreached_contact_is_taken_from_its_holder():
    handler = f.UserFactory()
    contact = ContactFactory(
        created_at=T0, status=Status.ASSIGNED, assignee=handler, assigned_at=T0
    )

    escalate_unreached(now=T0 + 25 * HOUR)

    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.assignee is None
    assert contact.escalated_at == T0 + 25 * HOUR


def test_reached_contact_is_never_escalated():
    contact = ContactFactory(created_at=T0)
    called(contact, (Outcome.REACHED, T0 + HOUR))

    escalate_unreached(now=T0 + 30 * HOUR)

    assert not Escalation.objects.filter(contact=contact).exists()


def test_safeguarding_concern_escalates_at_once_without_a_sweep():
    contact = ContactFactory(created_at=T0)

    called(contact, (Outcome.SAFEGUARDING, T0 + HOUR))

    assert contact.status == Status.ESCALATED
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert escalation.created_at == T0 + HOUR


def test_safeguarding_escalation_is_not_repeated_by_the_sweep():
    case = CaseFactory(created_at=T0)
    called(case, (Outcome.SAFEGUARDING, T0 + HOUR))

    escalate_unreached(now=T0 + 30 * HOUR)

    assert Escalation.objects.filter(case=case).count() == 1
    case.refresh_from_db()
    assert case.safeguarding_flag


def test_full_batch_reports_more_waiting():
    for _ in range(3):
        ContactFactory(created_at=T0)

    assert escalate_unreached(now=T0 + 25 * HOUR, batch=2) == (2, True)
    assert escalate_unreached(now=T0 + 25 * HOUR, batch=2) == (1, False)


def test_most_overdue_items_are_escalated_first():
    late = ContactFactory(created_at=T0 + HOUR)
    early = ContactFactory(created_at=T0)

    escalate_unreached(now=T0 + 26 * HOUR, batch=1)

    assert Escalation.objects.get().contact == early
    late.refresh_from_db()
    assert late.status == Status.NEW


def test_sweep_task_requeues_itself_while_a_full_batch_was_found(monkeypatch):
    monkeypatch.setattr("work.escalation.SWEEP_BATCH", 2)
    for _ in range(3):
        ContactFactory(created_at=T0 - 30 * HOUR)

    with mock.patch.object(escalate_unreached_task, "delay") as requeue:
        escalate_unreached_task.apply()

    requeue.assert_called_once_with()
    assert Escalation.objects.count() == 2
