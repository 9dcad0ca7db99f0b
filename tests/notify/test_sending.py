"""Queuing once per event, sending at most once, retrying what may work later."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from notify.errors import PermanentFailure, TemporaryFailure
from notify.services import (
    STUCK_REASON,
    backend_for,
    message_queue,
    message_send,
    messages_lost_requeue,
    messages_stuck_fail,
    receipt_record,
)
from notify.tasks import fail_stuck_messages_task, send_message_task
from people.models import Message

pytestmark = pytest.mark.django_db


def queue(person, key="isolation_advice:contact:1", **overrides):
    fields = {
        "person": person,
        "kind": Message.Kind.ISOLATION_ADVICE,
        "channel": Message.Channel.SMS,
        "to": str(person.phone),
        "body": "Please self-isolate.",
        "key": key,
    }
    return message_queue(**{**fields, **overrides})


def send(message) -> str:
    """Run the sending task here as a worker would: each retry it asks for (Retry,
    raised by an eager task) is run again with its count, until it ends."""
    retries = 0
    while True:
        try:
            result = send_message_task.apply(
                kwargs={"message_id": message.pk}, retries=retries, throw=True
            )
        except Retry as retry:
            asked_for = retry.exc
        else:
            return result.get()
        # Only a temporary failure asks for a retry.
        assert isinstance(asked_for, TemporaryFailure)
        retries += 1


def test_the_same_key_twice_makes_one_message_and_sends_it_once(
    person, recording, run_tasks_here
):
    with run_tasks_here():
        first = queue(person, body="First")
        second = queue(person, body="Second")

    assert second.pk == first.pk
    assert Message.objects.count() == 1
    assert recording.calls == [(first.pk, Message.Status.SENDING)]
    first.refresh_from_db()
    assert first.status == Message.Status.SENT
    assert first.body == "First"
    assert first.provider_reference == "fake-1"
    assert first.attempts == 1

    # Queued again later (another call, another commit): nothing more is sent.
    with run_tasks_here():
        assert queue(person).pk == first.pk
    assert len(recording.calls) == 1


def test_the_send_is_queued_only_when_the_transaction_commits(
    person, recording, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        message = queue(person)
        assert recording.calls == []
    assert len(callbacks) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.key == "isolation_advice:contact:1"
    assert message.language == "en"
    assert message.personalisation == {}


def test_a_broker_that_is_down_leaves_the_message_queued_and_the_change_saved(
    person, recording, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(**kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(send_message_task, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        message = queue(person)
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert recording.calls == []


def test_a_message_needs_a_key(person):
    with pytest.raises(ValueError, match="key"):
        queue(person, key="")


def test_temporary_failures_are_retried_and_it_is_sent_exactly_once(person, recording):
    message = queue(person)
    recording.reset(
        TemporaryFailure("GOV.UK Notify answered 503"),
        TemporaryFailure("timed out"),
        "provider-42",
    )

    assert send(message) == Message.Status.SENT

    assert recording.calls == [(message.pk, Message.Status.SENDING)] * 3
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 3
    assert message.provider_reference == "provider-42"
    assert message.sent_at is not None
    assert message.failure_reason == ""


def test_a_temporary_failure_puts_it_back_in_the_queue_and_is_raised(person, recording):
    message = queue(person)
    recording.reset(TemporaryFailure("429: slow down"))

    with pytest.raises(TemporaryFailure):
        message_send(message.pk)

    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.attempts == 1
    assert "429" in message.failure_reason


def test_a_permanent_failure_fails_it_and_is_never_retried(person, recording):
    message = queue(person)
    recording.reset(PermanentFailure("400: phone_number Not a UK mobile number"))

    assert send(message) == Message.Status.FAILED

    assert len(recording.calls) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.attempts == 1
    assert message.failure_reason == "400: phone_number Not a UK mobile number"
    assert message.sent_at is None
    # Asked again (a redelivered task): still nothing sent.
    send(message)
    assert len(recording.calls) == 1


def test_when_the_retries_run_out_the_message_is_failed(person, recording, monkeypatch):
    monkeypatch.setattr(send_message_task, "max_retries", 2)
    message = queue(person)
    recording.reset(*[TemporaryFailure("GOV.UK Notify answered 500")] * 5)

    assert send(message) == Message.Status.FAILED

    assert len(recording.calls) == 3  # the first try and two retries
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.attempts == 3
    assert message.failure_reason == (
        "gave up after 3 attempts: GOV.UK Notify answered 500"
    )


def test_the_retries_are_configured_with_backoff_and_no_full_jitter(settings):
    task = send_message_task
    assert task.name == "notify.tasks.send_message_task"
    assert task.autoretry_for == (TemporaryFailure,)
    assert task.retry_backoff == 30  # seconds, doubling to the max
    assert task.retry_backoff_max == 600
    # Celery's jitter is full (a wait drawn below its step): it halved the outage
    # ridden out (test_retry_schedule).
    assert task.retry_jitter is False
    assert task.max_retries == settings.NOTIFY_MAX_RETRIES == 6
    assert task.acks_late is True


def test_a_message_already_sending_is_not_sent_again(person, recording):
    message = queue(person)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, attempts=1, last_attempt_at=timezone.now()
    )

    assert send(message) == Message.Status.SENDING

    assert recording.calls == []
    message.refresh_from_db()
    assert message.attempts == 1


@pytest.mark.parametrize(
    "status", [Message.Status.SENT, Message.Status.DELIVERED, Message.Status.FAILED]
)
def test_a_message_past_the_queue_is_not_sent(person, recording, status):
    message = queue(person)
    Message.objects.filter(pk=message.pk).update(status=status)
    send(message)
    assert recording.calls == []


def test_a_deleted_message_is_nothing_to_send(recording):
    assert message_send(999_999_999) is None
    assert send_message_task.apply(kwargs={"message_id": 999_999_999}).get() == (
        "missing"
    )


def test_an_unexpected_error_while_sending_fails_it_as_unknown(person, recording):
    message = queue(person)
    recording.reset(RuntimeError("the backend fell over"))

    with pytest.raises(RuntimeError):
        message_send(message.pk)

    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.failure_reason == "unknown: RuntimeError: the backend fell over"


def test_messages_stuck_sending_are_failed_not_resent(person, recording, clock):
    stuck = queue(person, key="stuck")
    recent = queue(person, key="recent")
    queued = queue(person, key="queued")
    Message.objects.filter(pk=stuck.pk).update(
        status=Message.Status.SENDING,
        last_attempt_at=timezone.now() - dt.timedelta(minutes=20),
    )
    Message.objects.filter(pk=recent.pk).update(
        status=Message.Status.SENDING,
        last_attempt_at=timezone.now() - dt.timedelta(minutes=1),
    )

    assert messages_stuck_fail(dt.timedelta(minutes=15)) == 1

    stuck.refresh_from_db()
    assert stuck.status == Message.Status.FAILED
    assert stuck.failure_reason == STUCK_REASON
    assert Message.objects.get(pk=recent.pk).status == Message.Status.SENDING
    assert Message.objects.get(pk=queued.pk).status == Message.Status.QUEUED
    send(stuck)
    assert recording.calls == []

    clock.shift(dt.timedelta(minutes=30))
    with mock.patch.object(send_message_task, "delay") as queued_again:
        swept = fail_stuck_messages_task.apply().get()
    assert swept == {"failed": 1, "requeued": 1}
    assert Message.objects.get(pk=recent.pk).status == Message.Status.FAILED
    # The one still queued half an hour on had lost its task: queued again, once.
    queued_again.assert_called_once_with(message_id=queued.pk)


def test_a_message_whose_task_was_lost_is_queued_again_and_sent_once(
    clock, person, recording
):
    message = queue(person, key="lost:1")  # made; its task never reached a worker
    with mock.patch.object(send_message_task, "delay") as queued_again:
        assert messages_lost_requeue(dt.timedelta(minutes=15)) == 0  # too soon
        clock.shift(dt.timedelta(minutes=16))
        assert messages_lost_requeue(dt.timedelta(minutes=15)) == 1
    queued_again.assert_called_once_with(message_id=message.pk)

    send(message)
    send(message)  # the lost task turning up after all

    assert len(recording.calls) == 1
    assert Message.objects.get(pk=message.pk).status == Message.Status.SENT


def test_the_stuck_sweep_runs_on_the_beat(settings):
    entries = {e["task"]: e for e in settings.CELERY_BEAT_SCHEDULE.values()}
    entry = entries["notify.tasks.fail_stuck_messages_task"]
    assert entry["schedule"] == dt.timedelta(minutes=10)


def test_letters_are_not_sent(person, recording):
    with pytest.raises(PermanentFailure, match="letters are not sent"):
        backend_for(Message.Channel.LETTER)
    message = queue(person, channel=Message.Channel.LETTER, to="1 High St")

    assert send(message) == Message.Status.FAILED
    message.refresh_from_db()
    assert message.failure_reason == "letters are not sent by this service"
    assert recording.calls == []


def test_each_channel_has_its_backend(settings):
    from notify.backends import ConsoleBackend, FileBackend

    settings.NOTIFY_SMS_BACKEND = "notify.backends.ConsoleBackend"
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.FileBackend"
    assert isinstance(backend_for(Message.Channel.SMS), ConsoleBackend)
    assert isinstance(backend_for(Message.Channel.EMAIL), FileBackend)


# --- delivery receipts ----------------------------------------------------------------


def sent_message(person, recording, provider_id="notify-id-1"):
    message = queue(person, key=f"sent:{provider_id}")
    recording.reset(provider_id)
    send(message)
    message.refresh_from_db()
    return message


def test_a_delivered_receipt_marks_it_delivered_once(person, recording):
    message = sent_message(person, recording)
    at = timezone.now() + dt.timedelta(minutes=1)

    assert receipt_record(provider_id="notify-id-1", status="delivered", at=at) == (
        message
    )
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.delivered_at == at

    # The same receipt again changes nothing; a late failure never undoes it.
    receipt_record(provider_id="notify-id-1", status="delivered")
    receipt_record(provider_id="notify-id-1", status="permanent-failure")
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert message.delivered_at == at


@pytest.mark.parametrize(
    "status", ["permanent-failure", "temporary-failure", "technical-failure"]
)
def test_a_failure_receipt_fails_it_with_the_reason(person, recording, status):
    message = sent_message(person, recording)
    receipt_record(provider_id="notify-id-1", status=status)
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert f"({status})" in message.failure_reason


def test_a_receipt_for_an_unknown_id_or_a_passing_status(person, recording):
    message = sent_message(person, recording)
    assert receipt_record(provider_id="never-sent", status="delivered") is None
    assert receipt_record(provider_id="", status="delivered") is None
    receipt_record(provider_id="notify-id-1", status="sending")
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
