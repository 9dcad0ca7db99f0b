"""Messages to people: queued once per event, sent at most once, receipts recorded.

- `message_queue` makes the message for an event (its key) unless it exists, and
  queues its sending once the transaction commits: nothing is sent in a request.
- `message_send` (the task's work) moves it queued -> sending in a short transaction
  holding the row, calls the backend outside it, then records what happened. Only a
  queued message is sent, so a task run twice sends once; one left "sending" by a
  worker that stopped mid-call is never sent again (it may have gone):
  `messages_stuck_fail` marks it failed.
- `receipt_record` applies a provider's delivery receipt.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from people.models import Message, Person
from rows.insert import insert_rows

from .backends import Backend
from .errors import PermanentFailure, TemporaryFailure
from .signals import tell_failed

log = logging.getLogger(__name__)

SEND_MESSAGE = "notify.tasks.send_message_task"
QUEUE_MESSAGES = "notify.tasks.queue_messages_task"
QUEUE_MANY_CHUNK = 1_000
STUCK_REASON = "unknown: the worker stopped while sending"
# The status of a message a newer one replaced before it went (a later end date, a
# new link): never sent, and not a failure (nothing to tell the person by phone).
SUPERSEDED = "superseded"
REASON_LENGTH = Message._meta.get_field("failure_reason").max_length or 200

# Notify's final statuses in a delivery receipt, and what a failure means.
DELIVERED = "delivered"
RECEIPT_FAILURES = {
    "permanent-failure": "The provider could not deliver it: the number or address "
    "is wrong or not in use (permanent-failure).",
    "temporary-failure": "The provider could not deliver it: the phone was off or "
    "the inbox full (temporary-failure).",
    "technical-failure": "It was not sent: a problem between the service and the "
    "provider (technical-failure).",
}


def _reason(text: object) -> str:
    text = str(text) or "no reason given"
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def message_send_later(message_id: int) -> None:
    """Queue the message's sending task now. (By name from the registry: the task
    module imports this one.)"""
    current_app.tasks[SEND_MESSAGE].delay(message_id=message_id)


def _queue_send_many(message_ids: list[int]) -> None:
    """Queue the sending of these messages: one task for one message; for more, one
    task per QUEUE_MANY_CHUNK that queues each message's own task from the worker
    (an intake batch of 1,000 is one publish in the request, not 1,000)."""
    if len(message_ids) == 1:
        message_send_later(message_ids[0])
        return
    for start in range(0, len(message_ids), QUEUE_MANY_CHUNK):
        current_app.tasks[QUEUE_MESSAGES].delay(
            message_ids=message_ids[start : start + QUEUE_MANY_CHUNK]
        )


def _send_after_commit(message_ids: list[int]) -> None:
    """Queue the messages' sending once the transaction commits (now, outside one).

    Robust: a broker that is down must not undo the saved change; the beat queues
    again a message whose task was lost (messages_lost_requeue). (A lambda, not
    functools.partial: Django logs a robust callback's failure by its __qualname__,
    which a partial lacks, and would raise after all.)"""
    if message_ids:
        transaction.on_commit(lambda: _queue_send_many(message_ids), robust=True)


def message_queue(
    *,
    person: Person,
    kind: str,
    channel: str,
    to: str,
    body: str,
    key: str,
    case: models.Model | None = None,
    contact: models.Model | None = None,
    language: str = "en",
    template: str = "",
    personalisation: dict[str, Any] | None = None,
) -> Message:
    """The message for one event (`key`, e.g. "isolation_advice:contact:123"),
    made and queued for sending once the transaction commits; if the event already
    has its message, that one is returned and nothing more is sent."""
    if not key:
        raise ValueError("A message needs a key naming its event.")
    # The case and contact are typed as models: notify sits below cases and contacts.
    defaults: dict[str, Any] = {
        "person": person,
        "case": case,
        "contact": contact,
        "kind": kind,
        "channel": channel,
        "to": to,
        "body": body,
        "language": language,
        "template": template,
        "personalisation": personalisation or {},
    }
    message, created = Message.objects.get_or_create(key=key, defaults=defaults)
    if created:
        _send_after_commit([message.pk])
    return message


# How the key of a message queued again in another's place ends (message_requeue):
# "readdressed:merge:45.1:message:123", "details_corrected:message:123". The reason before it
# is the caller's; this ending is how message_standing finds the copy.
REQUEUED_KEY_END = ":message:{pk}"
# A chain of copies longer than this is not followed further (each is a correction
# or a merge of one person's record while the text waited: a few at most).
REQUEUED_CHAIN_LONGEST = 20


def message_requeue(
    old: Message, *, person: Person, channel: str, to: str, key: str
) -> Message:
    """`old`, not sent, queued again as it was written (the same words, kind,
    language and template) for `person` at another address (`channel`, `to`): for
    a merge that moved it to the record kept, or a correction of the address it
    was for. The caller supersedes or withdraws `old` itself. `key` ends with
    REQUEUED_KEY_END naming `old` ("details_corrected:message:123"): the copy is the
    message standing for old's event once old is replaced (message_standing)."""
    if not key.endswith(REQUEUED_KEY_END.format(pk=old.pk)):
        raise ValueError(
            f"A message queued again has a key ending "
            f"{REQUEUED_KEY_END.format(pk=old.pk)!r}, naming the one it replaces."
        )
    return message_queue(
        person=person,
        case=old.case,
        contact=old.contact,
        kind=old.kind,
        channel=channel,
        to=to,
        body=old.body,
        key=key,
        language=old.language,
        template=old.template,
        personalisation=old.personalisation,
    )


def message_standing(message: Message, *, lock: bool = False) -> Message:
    """The message standing for `message`'s event now: `message` itself, unless it
    was replaced (superseded; or replaced while the provider had it, then recorded
    sent to the address corrected away) by a copy queued again at the
    person's new address (message_requeue: a correction of their phone or email, a
    merge of their records); then that copy, followed to the last one queued again
    (itself replaced by another, or not). A message replaced by nothing (withdrawn:
    a number logged wrong, nowhere left to send it) stands as it is: it never went.

    Each step is one query on the message's case or contact (or person), whose
    messages are few. `lock`: each message is read FOR UPDATE before its status is
    (its sending task moves it from queued holding that lock: the status read is
    the one it goes on from, and the one returned is held)."""
    for _ in range(REQUEUED_CHAIN_LONGEST):
        if lock:
            message = Message.objects.select_for_update().get(pk=message.pk)
        # One replaced is superseded, and may then be recorded sent (the provider
        # had it): its copy stands all the same. One to go was never replaced.
        if message.status in (Message.Status.QUEUED, Message.Status.SENDING):
            break
        if message.contact_id is not None:
            owner: dict[str, Any] = {"contact_id": message.contact_id}
        elif message.case_id is not None:
            owner = {"case_id": message.case_id}
        else:
            owner = {"person_id": message.person_id}
        copy = (
            Message.objects.filter(
                **owner,
                kind=message.kind,
                pk__gt=message.pk,
                key__endswith=REQUEUED_KEY_END.format(pk=message.pk),
            )
            # The latest: a merge undone queues the message again, and a merge made
            # again after it queues another copy (the undone one's withdrawn).
            .order_by("-pk")
            .first()
        )
        if copy is None:
            break
        message = copy
    return message


def backend_for(channel: str) -> Backend:
    """The configured backend for a channel (NOTIFY_SMS_BACKEND, NOTIFY_EMAIL_BACKEND)."""
    if channel == Message.Channel.SMS:
        path = settings.NOTIFY_SMS_BACKEND
    elif channel == Message.Channel.EMAIL:
        path = settings.NOTIFY_EMAIL_BACKEND
    else:
        raise PermanentFailure("letters are not sent by this service")
    backend: Backend = import_string(path)()
    return backend


def _finish(
    message: Message, *, from_statuses: tuple[str, ...], **fields: Any
) -> Message:
    """Record the attempt's outcome if the row is still where it was left."""
    changed = Message.objects.filter(pk=message.pk, status__in=from_statuses).update(
        **fields
    )
    if changed:
        for name, value in fields.items():
            setattr(message, name, value)
    else:
        message.refresh_from_db()
    return message


def _failed(message: Message) -> Message:
    """The message as recorded; if it failed, those above are told (notify.signals)."""
    if message.status == Message.Status.FAILED:
        tell_failed(message.pk)
    return message


def _replaced_while_sending(message: Message, reason: str) -> Message:
    """A message replaced while the provider was asked, which then refused it or
    did not answer: it stays replaced (the newer one is what the person is told, so
    nobody is to phone them for it), and says why, which may be that it went."""
    if message.status == SUPERSEDED:
        text = _reason(f"Replaced while being sent; {reason}")
        Message.objects.filter(pk=message.pk, status=SUPERSEDED).update(
            failure_reason=text
        )
        message.failure_reason = text
    return message


def message_send(message_id: int) -> Message | None:
    """Send a queued message once; None if it no longer exists.

    Does nothing unless the message is queued (not one a newer message replaced:
    messages_supersede). On TemporaryFailure the message is queued again and the
    failure raised (the task retries), unless a newer one replaced it meanwhile:
    then it stays replaced, never sent; on PermanentFailure it is failed with the
    reason. Any other error during the call also fails it ("unknown":
    it may have gone) and is raised.
    """
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != Message.Status.QUEUED:
            return message
        message.status = Message.Status.SENDING
        message.attempts += 1
        message.last_attempt_at = timezone.now()
        message.save(update_fields=["status", "attempts", "last_attempt_at"])
    sending = (Message.Status.SENDING,)
    try:
        provider_id = backend_for(message.channel).send(message)
    except TemporaryFailure as exc:
        log.warning("Message %s not sent, to try again: %s", message.pk, exc)
        _finish(
            message,
            from_statuses=sending,
            status=Message.Status.QUEUED,
            failure_reason=_reason(exc),
        )
        raise
    except PermanentFailure as exc:
        log.warning("Message %s refused: %s", message.pk, exc)
        finished = _finish(
            message,
            from_statuses=sending,
            status=Message.Status.FAILED,
            failure_reason=_reason(exc),
        )
        return _failed(_replaced_while_sending(finished, str(exc)))
    except Exception as exc:
        reason = f"unknown: {type(exc).__name__}: {exc}"
        finished = _finish(
            message,
            from_statuses=sending,
            status=Message.Status.FAILED,
            failure_reason=_reason(reason),
        )
        _failed(_replaced_while_sending(finished, reason))
        raise
    # Sent, even if the stuck sweep gave up on it, or a newer message replaced it,
    # meanwhile: it went.
    return _finish(
        message,
        from_statuses=(*sending, Message.Status.FAILED, SUPERSEDED),
        status=Message.Status.SENT,
        sent_at=timezone.now(),
        provider_reference=provider_id[:100],
        failure_reason="",
    )


def messages_supersede(older: models.QuerySet[Message], *, by: Message) -> int:
    """The newer message `by` replaces the `older` ones (the work core says which:
    the item's earlier end dates, its revoked links' texts): those not yet handed
    to the provider (queued, or waiting to be tried again) are never sent, and read
    "Not sent: replaced by the message of 10:42". One being sent is marked so too:
    if the provider takes it, it is recorded sent (it went); if not, it is not
    queued again for a retry that would deliver the old text after the new. One
    sent is left as it is. How many were replaced.

    Under message_send's row lock, in the transaction that makes `by`: a retry
    that comes after finds its message no longer queued, and sends nothing."""
    at = timezone.localtime(by.created_at or timezone.now())
    return messages_withdraw(
        older.exclude(pk=by.pk),
        reason=f"Not sent: replaced by the message of {at:%H:%M}",
    )


def messages_withdraw(older: models.QuerySet[Message], *, reason: str) -> int:
    """The `older` messages are no longer to be sent, for the reason given (the
    work core says why: a newer message replaced them, messages_supersede; the
    person can no longer be messaged): those queued, or being sent, are marked
    superseded. How many."""
    return older.filter(
        status__in=(Message.Status.QUEUED, Message.Status.SENDING)
    ).update(status=SUPERSEDED, failure_reason=_reason(reason))


def message_give_up(message_id: int, *, reason: str) -> Message | None:
    """Fail a queued message that will not be tried again (its retries ran out)."""
    message = Message.objects.filter(pk=message_id).first()
    if message is None:
        return None
    last = message.failure_reason
    text = f"{reason}: {last}" if last else reason
    return _failed(
        _finish(
            message,
            from_statuses=(Message.Status.QUEUED,),
            status=Message.Status.FAILED,
            failure_reason=_reason(text),
        )
    )


def _tell_failed_after_commit(message_id: int) -> None:
    """Tell those above of the failure once it commits. (A lambda, not a partial:
    see _send_after_commit.)"""
    transaction.on_commit(lambda: tell_failed(message_id), robust=True)


def messages_stuck_fail(older_than: timedelta, *, now: datetime | None = None) -> int:
    """Fail the messages left "sending" longer than `older_than` (their worker
    stopped mid-call): they may have gone, so they are never sent again. Those above
    are told of each, once the failure commits, as of a message whose tries ran out:
    nobody knows it reached them, so a call held back for a link's answer is due."""
    cutoff = (now or timezone.now()) - older_than
    with transaction.atomic():
        # Locked, and skipped by a second sweep at once: each is failed, and told
        # of, by one sweep only.
        stuck = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.SENDING)
            .filter(
                models.Q(last_attempt_at__lt=cutoff)
                | models.Q(last_attempt_at__isnull=True)
            )
            .values_list("pk", flat=True)
        )
        Message.objects.filter(pk__in=stuck).update(
            status=Message.Status.FAILED, failure_reason=STUCK_REASON
        )
        for message_id in stuck:
            _tell_failed_after_commit(message_id)
    if stuck:
        log.warning("%s message(s) stuck sending marked failed", len(stuck))
    return len(stuck)


def messages_lost_requeue(older_than: timedelta, *, now: datetime | None = None) -> int:
    """Queue again the messages still waiting to be sent `older_than` after they were
    made or last tried (their task was lost: the broker was down when the change
    committed). Safe beside a task still on its way: message_send sends a message
    only while it is queued, so the second of two tasks finds it sent."""
    cutoff = (now or timezone.now()) - older_than
    lost = list(
        Message.objects.filter(status=Message.Status.QUEUED, created_at__lt=cutoff)
        .filter(
            models.Q(last_attempt_at__isnull=True)
            | models.Q(last_attempt_at__lt=cutoff)
        )
        .values_list("pk", flat=True)[:1000]
    )
    for message_id in lost:
        message_send_later(message_id)
    if lost:
        log.warning("%s message(s) whose task was lost queued again", len(lost))
    return len(lost)


def receipt_record(
    *, provider_id: str, status: str, at: datetime | None = None
) -> Message | None:
    """Apply a delivery receipt to the message the provider knows by `provider_id`;
    None if there is none. "delivered" -> delivered; a failure -> failed with its
    reason; any other status changes nothing. The same receipt twice changes nothing
    the second time, and a failure never undoes a delivery."""
    if not provider_id:
        return None
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(provider_reference=provider_id)
            .first()
        )
        if message is None:
            return None
        if status == DELIVERED and message.status != Message.Status.DELIVERED:
            message.status = Message.Status.DELIVERED
            message.delivered_at = at or timezone.now()
            message.failure_reason = ""
            message.save(update_fields=["status", "delivered_at", "failure_reason"])
        elif status in RECEIPT_FAILURES and message.status not in (
            Message.Status.DELIVERED,
            Message.Status.FAILED,
        ):
            message.status = Message.Status.FAILED
            message.failure_reason = _reason(RECEIPT_FAILURES[status])
            message.save(update_fields=["status", "failure_reason"])
            transaction.on_commit(lambda: tell_failed(message.pk), robust=True)
    return message


def messages_queue_many(messages: list[Message]) -> list[Message]:
    """Many new messages, each for a new event whose key no message has yet (a link
    just made, say): written in one statement, and queued for sending once the
    transaction commits (by one task, which queues each message's own). A key
    already used fails the whole statement (IntegrityError): use message_queue for
    events that may repeat."""
    for message in messages:
        if not message.key:
            raise ValueError("A message needs a key naming its event.")
    made = insert_rows(messages)
    _send_after_commit([message.pk for message in made])
    return made
