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


@shared_task(name="escalations.tasks.detect_clusters_task")
def detect_clusters_task() -> dict[str, int]:
    """The beat's cluster search; idempotent, so a repeated run records nothing new."""
    from .clusters import clusters_detect

    report = clusters_detect()
    return {"created": report.created, "cases_added": report.cases_added}
