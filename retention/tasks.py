"""The retention job's Celery tasks: thin, idempotent, calling the services.

The beat starts `retention_run_task` once a day. It takes up the unfinished run if
there is one (its worker was lost), else begins a new one, runs batches for a while
(each its own transaction) and queues itself again while more remains. A second
task started beside it finds the run lock taken and leaves the work to the first.
"""

from __future__ import annotations

import logging

from celery import shared_task

from .models import RetentionRun
from .services import (
    purge_warning_send,
    retention_run_continue,
    retention_run_start,
    run_exclusively,
)

log = logging.getLogger(__name__)


@shared_task(name="retention.tasks.retention_run_task", soft_time_limit=240)
def retention_run_task(run_id: int | None = None) -> dict[str, object]:
    """Batches of today's run (or of `run_id`, queued by the task before it);
    queues the next stretch while the run has more to do."""
    with run_exclusively() as mine:
        if not mine:
            log.info("retention run: another worker holds the run; nothing done")
            return {"busy": True}
        if run_id is None:
            run = retention_run_start(trigger="beat")
        else:
            found = RetentionRun.objects.filter(pk=run_id, running=True).first()
            if found is None:
                return {"run": run_id, "more": False}
            run = found
        more = retention_run_continue(run_id=run.pk)
    if more:
        retention_run_task.delay(run_id=run.pk)
    return {"run": run.pk, "more": more}


@shared_task(
    name="retention.tasks.purge_warning_send_task",
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=5,
)
def purge_warning_send_task(*, warning_id: int) -> int:
    """Email a local team of a purge to come (once committed); a mail server that
    cannot be reached is retried with backoff."""
    return len(purge_warning_send(warning_id=warning_id))
