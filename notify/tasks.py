"""The sending tasks: thin, taking ids, calling notify.services.

send_message_task sends a queued message once; a TemporaryFailure is retried with
backoff (30 s, doubling to 10 minutes) up to NOTIFY_MAX_RETRIES times, then the
message is failed.
Running it twice (a redelivery) sends nothing twice: only a queued message is sent.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .errors import TemporaryFailure
from .services import (
    QUEUE_MESSAGES,
    SEND_MESSAGE,
    message_give_up,
    message_send,
    message_send_later,
    messages_lost_requeue,
    messages_stuck_fail,
)

# Longer than any task may run (its hard time limit), so only a stopped worker's
# message is taken for stuck.
STUCK_AFTER = timedelta(seconds=max(15 * 60, 2 * settings.CELERY_TASK_TIME_LIMIT))


# How a message is tried again: 30 s, 1, 2, 4, 8 then 10 minutes apart, some 25
# minutes of a provider's outage ridden out before it is failed. A safeguarding
# alert to supervisors is tried as long (work.tasks). No jitter: Celery's is "full"
# (each wait drawn anywhere below its step), which halved the time ridden out.
RETRIED_AS_A_MESSAGE = {
    "retry_backoff": 30,
    "retry_backoff_max": 600,
    "retry_jitter": False,
    "max_retries": settings.NOTIFY_MAX_RETRIES,
}


@shared_task(
    bind=True,
    name=SEND_MESSAGE,
    autoretry_for=(TemporaryFailure,),
    acks_late=True,
    **RETRIED_AS_A_MESSAGE,
)
def send_message_task(self, message_id: int) -> str:
    """Send one message; its status afterwards ("missing" if it was deleted)."""
    try:
        message = message_send(message_id)
    except TemporaryFailure:
        if self.max_retries is not None and self.request.retries >= self.max_retries:
            message = message_give_up(
                message_id,
                reason=f"gave up after {self.request.retries + 1} attempts",
            )
            return message.status if message else "missing"
        raise
    return message.status if message else "missing"


@shared_task(name=QUEUE_MESSAGES, acks_late=True)
def queue_messages_task(message_ids: list[int]) -> int:
    """Queue each message's own sending task (one publish from a request for a
    batch's messages; a message's retries stay its own). Run twice, a message gets
    two tasks, and is still sent once (only a queued message is sent)."""
    for message_id in message_ids:
        message_send_later(message_id)
    return len(message_ids)


@shared_task(name="notify.tasks.fail_stuck_messages_task")
def fail_stuck_messages_task() -> dict[str, int]:
    """Fail the messages whose worker stopped while sending them, and queue again
    those whose task was lost (a broker down at commit) (beat)."""
    return {
        "failed": messages_stuck_fail(STUCK_AFTER),
        "requeued": messages_lost_requeue(STUCK_AFTER),
    }
