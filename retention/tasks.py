"""The retention job's Celery tasks: thin, idempotent, calling the services.

The beat starts `retention_run_task` once a day. It takes up the unfinished run if
there is one (its worker was lost), else begins a new one, runs batches for a while
(each its own transaction) and queues itself again while more remains. A second
task started beside it finds the run lock taken and leaves the work to the first.
`purge_warnings_sweep_task` (beat, every few minutes) sends the warnings to local
teams that their own task did not.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task
from django.utils import timezone

from .models import RetentionRun
from .services import (
    WARNING_TASK_TIME_LIMIT,
    purge_warning_send,
    purge_warnings_unsent,
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
    # Its own, not the settings' default: the warning's claim outlasts it.
    soft_time_limit=WARNING_TASK_TIME_LIMIT - 30,
    time_limit=WARNING_TASK_TIME_LIMIT,
)
def purge_warning_send_task(*, warning_id: int) -> int:
    """Email a local team of a purge to come (once committed); a mail server that
    cannot be reached is retried with backoff (not one that took the mail and then
    dropped the connection: rows.lease.mail_may_have_gone). Beyond its tries, the
    sweep below."""
    return len(purge_warning_send(warning_id=warning_id))


WARNING_SWEEP_SECONDS = 60


@shared_task(
    name="retention.tasks.purge_warnings_sweep_task",
    soft_time_limit=WARNING_TASK_TIME_LIMIT - 30,
    time_limit=WARNING_TASK_TIME_LIMIT,
)
def purge_warnings_sweep_task() -> int:
    """Send the warnings still unsent before their purge (every few minutes, on
    beat): those whose task's tries ran out or was never queued, and those whose
    sender was lost mid-send once its claim has lapsed. While the mail server cannot
    be reached the sweep stops, and the next one tries again."""
    sent = 0
    # Well inside the soft time limit: what is left waits for the next sweep.
    stop_at = time.monotonic() + WARNING_SWEEP_SECONDS
    for warning_id in purge_warnings_unsent(timezone.now()):
        if time.monotonic() > stop_at:
            break
        try:
            if purge_warning_send(warning_id=warning_id):
                sent += 1
        except OSError:
            log.warning(
                "the mail server cannot be reached: unsent purge warnings wait for "
                "the next sweep",
                exc_info=True,
            )
            break
    return sent
