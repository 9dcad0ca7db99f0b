"""Killing the escalation sweep at its worst place, however it writes its rows.

The sweep writes a batch's audit rows last: by one bulk insert after the items and
their escalations (row by row, on SQLite), or in the one statement that writes the
whole batch (on PostgreSQL). Either way, dying just after that write and before the
batch commits is the worst moment: everything is written, nothing is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from audit.models import AuditEvent

AUDIT_INSERT = f'INSERT INTO "{AuditEvent._meta.db_table}"'


@contextmanager
def killed_once_the_sweep_audits(error: Exception | type[Exception]) -> Iterator[None]:
    """Raise `error` just after the first statement that wrote escalation audit rows
    has run, inside the batch's transaction (a statement writing none, such as a
    kind's batch with nothing due, runs on)."""
    escalations = AuditEvent.objects.filter(action=AuditEvent.Action.ESCALATE)
    before = escalations.count()

    def kill(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if AUDIT_INSERT in sql and escalations.count() > before:
            raise error
        return result

    with connection.execute_wrapper(kill):
        yield
