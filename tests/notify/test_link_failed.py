"""A link that never reached its person: no answer online can come, so the call held
back for one is due now. Before, a case whose text was refused (a bad number) or
whose receipt said it never arrived waited the full four hours (a contact eight) for
an answer to a link they never had, and the page said "No call before ..."."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from cases.models import Case
from notify.errors import PermanentFailure, TemporaryFailure
from notify.services import message_give_up, message_send, receipt_record
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from work.assignment import item_assign, items_reassign
from work.calls import call_record
from work.online import (
    online_case_wait,
    online_cases_invite,
    online_link_message_failed,
    online_link_resend,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_case(clock) -> Case:
    """A new case sent its link on intake: no call due for some hours."""
    case = f.CaseFactory(person=f.PersonFactory(phone="+447400123678"))
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    online_cases_invite(cases=[case], now=now)
    case.refresh_from_db()
    assert case.next_attempt_at > now + dt.timedelta(hours=1)
    return case


def link_message(case) -> Message:
    link = OnlineLink.objects.filter(case=case).latest("created_at")
    return link.message


def due_now(case) -> bool:
    case.refresh_from_db()
    return case.next_attempt_at <= timezone.now()


def test_a_link_the_provider_refuses_makes_the_call_due_now(waiting_case, recording):
    recording.reset(PermanentFailure("400 bad number"))

    message_send(link_message(waiting_case).pk)

    assert link_message(waiting_case).status == Message.Status.FAILED
    assert due_now(waiting_case)


def test_a_link_whose_tries_ran_out_makes_the_call_due_now(waiting_case, recording):
    recording.reset(TemporaryFailure("503"))
    message = link_message(waiting_case)
    with pytest.raises(TemporaryFailure):
        message_send(message.pk)
    assert not due_now(waiting_case)  # it will be tried again

    message_give_up(message.pk, reason="gave up after retries")

    assert due_now(waiting_case)


def test_a_failure_receipt_makes_the_call_due_now_and_a_delivery_does_not(
    waiting_case, recording, django_capture_on_commit_callbacks
):
    recording.reset("notify-id-7")
    message_send(link_message(waiting_case).pk)

    with django_capture_on_commit_callbacks(execute=True):
        receipt_record(provider_id="notify-id-7", status="delivered")
    assert not due_now(waiting_case)


def test_a_failure_receipt_after_sending_makes_the_call_due_now(
    waiting_case, recording, django_capture_on_commit_callbacks
):
    recording.reset("notify-id-8")
    message_send(link_message(waiting_case).pk)

    with django_capture_on_commit_callbacks(execute=True):
        receipt_record(provider_id="notify-id-8", status="permanent-failure")

    assert due_now(waiting_case)


def test_an_older_links_failure_changes_nothing_once_a_newer_one_was_sent(
    waiting_case, recording, supervisor, clock
):
    old = link_message(waiting_case)
    clock.shift(dt.timedelta(minutes=5))
    online_link_resend(item=waiting_case, by=supervisor)
    waiting_case.refresh_from_db()
    held_until = waiting_case.next_attempt_at
    recording.reset(PermanentFailure("400 bad number"))

    message_send(old.pk)

    waiting_case.refresh_from_db()
    assert waiting_case.next_attempt_at == held_until


def test_a_link_failing_after_a_call_leaves_the_calls_next_time(
    waiting_case, recording, caseworker, supervisor, clock
):
    """Called since the link went, and asked to call back at four: a late failure of
    the link's text leaves the call back as asked (the case back in the pool)."""
    recording.reset("notify-id-9")
    message_send(link_message(waiting_case).pk)
    clock.shift(dt.timedelta(minutes=20))
    item_assign(item=waiting_case, to=caseworker)
    back_at = timezone.now() + dt.timedelta(hours=6)
    call_record(
        item=waiting_case, caller=caseworker, outcome="call_back", call_back_at=back_at
    )
    items_reassign(
        model=Case,
        item_ids=[waiting_case.pk],
        scope=Q(),
        to=None,
        reason="Off sick",
        by=supervisor,
    )

    receipt_record(provider_id="notify-id-9", status="permanent-failure")
    online_link_message_failed(message_id=link_message(waiting_case).pk)

    waiting_case.refresh_from_db()
    assert waiting_case.next_attempt_at == back_at
