"""After-commit effects of the operations: Celery tasks queued once a change is saved.

An operation never sends or runs anything inside the request: it asks for a task here,
and the task is queued only when (and if) the surrounding transaction commits. Tasks
are found by name in the Celery app's registry, so the operations do not import the
task module that imports them.

Robust: a broker that is down must not turn a saved change into an error. The beat's
runs (assignment every minute, the sweep every few) pick up what a lost message missed.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import current_app
from django.db import transaction

log = logging.getLogger(__name__)

ASSIGN_WORK = "work.tasks.assign_work_task"
SAFEGUARDING_EMAIL = "work.tasks.safeguarding_email_task"


def _queue(name: str, kwargs: dict[str, Any]) -> None:
    current_app.tasks[name].delay(**kwargs)


def task_after_commit(name: str, **kwargs: Any) -> None:
    """Queue the task once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: _queue(name, kwargs), robust=True)


def _queue_assignment() -> None:
    _queue(ASSIGN_WORK, {})


def assignment_run_after_commit() -> None:
    """Ask for an assignment run once the current transaction commits.

    Once per transaction however many items it adds or frees.
    """
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(
        func is _queue_assignment for _, func, _ in conn.run_on_commit
    ):
        return
    transaction.on_commit(_queue_assignment, robust=True)
