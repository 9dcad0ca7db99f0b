"""A link's message the stuck sweep fails (its worker stopped mid-call) never
reached them as far as anyone knows: the call held back for an answer online is due
now, as when its tries run out. Before, the sweep failed it in one UPDATE and told
no one: the case page said "Failed" beside "No call before ... unless they answer
online"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case
from notify.services import STUCK_REASON, messages_stuck_fail
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from work.online import online_case_wait, online_cases_invite

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


def _stuck_sending(case: Case) -> Message:
    """The link's message, left "sending" an hour ago by a worker that stopped."""
    message = OnlineLink.objects.get(case=case).message
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING,
        attempts=1,
        last_attempt_at=timezone.now() - dt.timedelta(hours=1),
    )
    return message


def test_a_link_failed_by_the_stuck_sweep_makes_the_call_due_now(
    waiting_case, django_capture_on_commit_callbacks
):
    message = _stuck_sending(waiting_case)

    with django_capture_on_commit_callbacks(execute=True):
        failed = messages_stuck_fail(dt.timedelta(minutes=15))

    assert failed == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.failure_reason == STUCK_REASON
    waiting_case.refresh_from_db()
    assert waiting_case.next_attempt_at <= timezone.now()


def test_the_stuck_sweep_tells_of_each_failed_message_once(
    waiting_case, django_capture_on_commit_callbacks, monkeypatch
):
    told: list[int] = []
    monkeypatch.setattr(
        "notify.services.tell_failed", lambda message_id: told.append(message_id)
    )
    message = _stuck_sending(waiting_case)

    with django_capture_on_commit_callbacks(execute=True):
        messages_stuck_fail(dt.timedelta(minutes=15))
    with django_capture_on_commit_callbacks(execute=True):
        messages_stuck_fail(dt.timedelta(minutes=15))

    assert told == [message.pk]
