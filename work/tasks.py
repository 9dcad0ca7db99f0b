"""The work core's Celery tasks: thin, idempotent, taking ids and calling a service.

Assignment runs on the `assignment` queue (on arrival of work and every minute), the
escalation sweep on `escalation` (every few minutes), notifications on `default`.
Each is safe to run twice and to be killed at any point: every write is conditional on
the row still being in the state it expects and each batch commits as one transaction,
so a re-run after a lost worker (acks_late and reject_on_worker_lost hand the message
back) finishes the same work and no more.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from functools import partial

from celery import shared_task
from django.utils import timezone

from notify.tasks import RETRIED_AS_A_MESSAGE

from .assignment import assign_work, release_stranded_work
from .calls import (
    ALERT_PUT_OFF,
    ALERT_TASK_TIME_LIMIT,
    safeguarding_alerts_unsent,
    safeguarding_email_send,
    safeguarding_overdue_email_send,
    safeguarding_overdue_unsent,
)
from .escalation import escalate_unreached, release_escalations_of_leavers
from .pool_counts import count_pool_for_boards

log = logging.getLogger(__name__)


@shared_task(name="work.tasks.assign_work_task", soft_time_limit=50, time_limit=60)
def assign_work_task() -> dict[str, int]:
    """Release work stranded off shift, then assign; re-queues itself while more waits."""
    release_stranded_work()
    report = assign_work()
    if report.more:
        assign_work_task.delay()
    return report.assigned


@shared_task(name="work.tasks.count_pool_task", soft_time_limit=40, time_limit=50)
def count_pool_task() -> dict[str, int]:
    """Count the pool by age for every supervisor's board (once a minute). Safe to run
    twice: each run counts the pool as it finds it and keeps that, with its time."""
    counted = count_pool_for_boards(timezone.now())
    return {"cases": counted.cases.total, "contacts": counted.contacts.total}


@shared_task(
    name="work.tasks.escalate_unreached_task", soft_time_limit=120, time_limit=150
)
def escalate_unreached_task() -> int:
    """Release escalations held by staff who left the team, then one batch of the
    sweep; re-queues itself while a full batch was found."""
    release_escalations_of_leavers()
    escalated, more = escalate_unreached()
    if more:
        escalate_unreached_task.delay()
    return escalated


@shared_task(
    name="work.tasks.safeguarding_email_task",
    autoretry_for=(OSError,),
    # Its own, not the settings' default: the alert's claim outlasts it.
    soft_time_limit=ALERT_TASK_TIME_LIMIT - 30,
    time_limit=ALERT_TASK_TIME_LIMIT,
    # As long as a text to the public is tried, some 25 minutes. Beyond that, and for
    # an alert whose task was never queued, the beat's sweep below.
    **RETRIED_AS_A_MESSAGE,
)
def safeguarding_email_task(*, escalation_id: int, caller_id: int) -> int:
    """Email the local team and the caller's supervisors about a safeguarding
    escalation (once committed), each email once.

    A mail server that cannot be reached, or that puts an email off (a 4xx), is
    retried with backoff, and the retry sends only the email not sent yet; one that
    took the mail and then dropped the connection may have it, and is not sent it
    again (rows.lease.mail_may_have_gone); one refused for good is recorded, and not
    tried again (work.calls.safeguarding_email_send).
    """
    return len(
        safeguarding_email_send(escalation_id=escalation_id, caller_id=caller_id)
    )


ALERT_SWEEP_SECONDS = 60


@shared_task(
    name="work.tasks.safeguarding_alerts_sweep_task",
    soft_time_limit=ALERT_TASK_TIME_LIMIT - 30,
    time_limit=ALERT_TASK_TIME_LIMIT,
)
def safeguarding_alerts_sweep_task() -> int:
    """Send the safeguarding alerts still unsent a few minutes on (every few minutes,
    on beat), as the task's own sending, and those whose sender was lost mid-send
    once its claim has lapsed. An alert the mail server puts off (a mailbox full)
    waits for the next sweep, and the sweep goes on to the others; while the mail
    server cannot be reached at all the sweep stops, and the next one tries again."""
    now = timezone.now()
    return _sent_by_sweep(
        (
            escalation_id,
            partial(
                safeguarding_email_send,
                escalation_id=escalation_id,
                caller_id=caller_id,
            ),
        )
        for escalation_id, caller_id in safeguarding_alerts_unsent(now)
    )


@shared_task(
    name="work.tasks.safeguarding_overdue_sweep_task",
    soft_time_limit=ALERT_TASK_TIME_LIMIT - 30,
    time_limit=ALERT_TASK_TIME_LIMIT,
)
def safeguarding_overdue_sweep_task() -> int:
    """Email, once, the supervisors of the local team and of the caller about each
    safeguarding concern still not picked up at its due time (every minute, on
    beat): work.calls.safeguarding_overdue_email_send. Put off or not reached, as
    the sweep above: the next sweep tries again."""
    return _sent_by_sweep(
        (
            escalation_id,
            partial(safeguarding_overdue_email_send, escalation_id=escalation_id),
        )
        for escalation_id in safeguarding_overdue_unsent(timezone.now())
    )


def _sent_by_sweep(emails: Iterable[tuple[int, Callable[[], list[str]]]]) -> int:
    """Send each escalation's email in turn; how many went. An email the mail server
    puts off (a mailbox full) waits for the next sweep, and the sweep goes on to the
    others; while the mail server cannot be reached at all the sweep stops."""
    sent = 0
    # Well inside the soft time limit: what is left waits for the next sweep.
    stop_at = time.monotonic() + ALERT_SWEEP_SECONDS
    for escalation_id, send in emails:
        if time.monotonic() > stop_at:
            break
        try:
            if send():
                sent += 1
        except ALERT_PUT_OFF:
            log.warning(
                "the mail server put off safeguarding escalation %s's email: it "
                "waits for the next sweep",
                escalation_id,
                exc_info=True,
            )
        except OSError:
            log.warning(
                "the mail server cannot be reached: unsent safeguarding alerts wait "
                "for the next sweep",
                exc_info=True,
            )
            break
    return sent
