"""A Celery worker killed as it is about to send an email (SIGKILL, out of memory, a
deploy): the process stops where it is, so the mail does not go and nothing it would
have done next runs, not even a rollback of what it had written."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


class WorkerKilled(BaseException):
    """SIGKILL: the process stops where it is, and nothing after it runs."""


@contextmanager
def worker_killed_at_send_mail(monkeypatch, send_mail: str) -> Iterator[None]:
    """The worker dies as `send_mail` (the dotted name the code under test calls) is
    about to send: no mail, and no statement after it."""
    dead = False

    def killed(*args, **kwargs):
        nonlocal dead
        dead = True
        raise WorkerKilled

    def nothing_runs_after_death(execute, sql, params, many, context):
        if dead:
            raise WorkerKilled
        return execute(sql, params, many, context)

    with (
        monkeypatch.context() as patched,
        connection.execute_wrapper(nothing_runs_after_death),
    ):
        patched.setattr(send_mail, killed)
        yield
