"""An operation's transaction run again when the database ends it to break a deadlock.

Two people acting at once on rows they reach in different orders (a call handler
recording a call while a caseworker names the same person on another case; a merge
while the person answers online) can each hold what the other waits for. PostgreSQL
then ends one of the two transactions (SQLSTATE 40P01; 40001 for a serialization
failure) and the other goes on. Without a second try the one ended was a 500 and
whatever the user typed was lost; with it, it waits for the other to commit and is
worked again from the rows as they now are: saved, or refused for the reason a user
is told (the person is already a contact, the item has moved on).

Only the transaction's owner may run it again: an operation called inside a
caller's transaction runs once, in that transaction, and the caller decides. Safe
because an operation does everything in its transaction and queues its effects for
the commit (work.effects): a transaction ended by the database has left nothing.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

from django.db import OperationalError, connection, transaction

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

# deadlock_detected, serialization_failure
RETRIED_SQLSTATES = frozenset({"40P01", "40001"})
TRIES = 4


def ended_to_break_a_conflict(exc: BaseException) -> bool:
    """Whether the database ended the transaction because of another one (a deadlock
    or a serialization failure), rather than for something wrong with this one."""
    cause = exc.__cause__ if isinstance(exc, OperationalError) else None
    return getattr(cause, "pgcode", None) in RETRIED_SQLSTATES


def atomic_operation(func: Callable[P, R]) -> Callable[P, R]:
    """`transaction.atomic`, and when the transaction is this call's own and the
    database ends it to break a deadlock, run again (up to TRIES times in all, after a
    short random pause, so the two do not meet again in step)."""

    @wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if connection.in_atomic_block:  # the caller's transaction: theirs to retry
            with transaction.atomic():
                return func(*args, **kwargs)
        for attempt in range(1, TRIES + 1):
            try:
                with transaction.atomic():
                    return func(*args, **kwargs)
            except OperationalError as exc:
                if attempt == TRIES or not ended_to_break_a_conflict(exc):
                    raise
                log.info(
                    "%s ended by the database to break a conflict; run again (%d)",
                    func.__qualname__,
                    attempt,
                )
                time.sleep(random.uniform(0.01, 0.05) * attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    return run
