from __future__ import annotations

from celery import shared_task

from .services import escalate_unreached


@shared_task(name="escalations.tasks.escalate_unreached_task")
def escalate_unreached_task() -> int:
    """The beat's sweep; re-queues itself while a full batch was found."""
    escalated, more = escalate_unreached()
    if more:
        escalate_unreached_task.delay()
    return escalated
