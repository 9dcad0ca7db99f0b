"""The escalation sweep on the `escalation` queue, from beat every few minutes.

Safe to run twice and to be killed at any point: each batch claims its items with
SKIP LOCKED and escalates them in one transaction guarded by a conditional update and
the one-open-escalation constraint, so a re-run after a lost worker (acks_late and
reject_on_worker_lost hand the message back) escalates what is left, exactly once.
"""

from __future__ import annotations

from celery import shared_task

from .services import escalate_unreached


@shared_task(
    name="escalations.tasks.escalate_unreached_task",
    soft_time_limit=120,
    time_limit=150,
)
def escalate_unreached_task() -> int:
    """One batch of the sweep; re-queues itself while a full batch was found."""
    escalated, more = escalate_unreached()
    if more:
        escalate_unreached_task.delay()
    return escalated


@shared_task(name="escalations.tasks.detect_clusters_task")
def detect_clusters_task() -> dict[str, int]:
    """The beat's cluster search; idempotent, so a repeated run records nothing new."""
    from .clusters import clusters_detect

    report = clusters_detect()
    return {"created": report.created, "cases_added": report.cases_added}
