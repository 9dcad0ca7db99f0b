"""Assignment on the `assignment` queue: queued on arrival of work and every minute.

Safe to run twice and to be killed at any point: the task takes no arguments, every
write it makes is conditional on the row still being in the state it expects, and each
batch commits as one transaction, so a re-run after a lost worker (acks_late and
reject_on_worker_lost hand the message back) finishes the same work and no more.
"""

from __future__ import annotations

from celery import shared_task

from .assignment import assign_work, release_stranded_work


@shared_task(name="staffing.tasks.assign_work_task", soft_time_limit=50, time_limit=60)
def assign_work_task() -> dict[str, int]:
    """Release work stranded off shift, then assign; re-queues itself while more waits."""
    release_stranded_work()
    report = assign_work()
    if report.more:
        assign_work_task.delay()
    return report.assigned
