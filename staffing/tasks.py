from __future__ import annotations

from celery import shared_task

from .assignment import assign_work, release_stranded_work


@shared_task(name="staffing.tasks.assign_work_task")
def assign_work_task() -> dict[str, int]:
    """Release work stranded off shift, then assign; re-queues itself while more waits."""
    release_stranded_work()
    report = assign_work()
    if report.more:
        assign_work_task.delay()
    return report.assigned
