"""Reads that may come from a read replica: the figures, the exports, the searches.

When DATABASE_REPLICA_URL is set (tracing/settings.py) the service has a second
database alias, "replica": a PostgreSQL hot standby fed by streaming replication from
the primary. ReplicaRouter sends a read there only inside `replica_reads()`, a scope a
door opens around the reads it knows can be a little behind; everything else, and
every write, is the primary's. A caseworker who saves a contact and opens the next
page reads the contact as saved: nothing is read from the replica by default.

What a reader in the scope may see: the primary as it was a moment ago, usually well
under a second and a few seconds when the primary is busy (the replica's lag, which
PostgreSQL reports in pg_stat_replication). A contact reached a second ago may not be
in the week's reached yet; an escalation closed a second ago may show as picked up in
the export. The pages chosen tolerate that because none of them is where a person acts
on what they just did: the weekly figures are already cached for minutes
(FIGURES_OPEN_WEEK_SECONDS) and describe a week, an export is a snapshot the moment it
is taken, and a search finds people whose records were made minutes or days before
(the record itself opens on the primary). Their scans are the heaviest reads the
service makes, and on the replica they no longer compete with the call handlers'
writes.

The audit rows these pages write are writes, so they go to the primary like any
other; and inside a transaction on the primary (transaction.atomic) reads stay on the
primary, so a transaction reads its own writes and holds its locks where it took them.

A standby cancels a query that holds back the replay of rows the primary has since
vacuumed away; a long export would fail so unless the standby runs with
hot_standby_feedback on (README). The router lives here, below the doors, so the pages,
the API and the figures' own beat task can all open the scope; it imports no model.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, OperationalError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"

T = TypeVar("T")

# A context variable rather than a thread-local: each request (thread or asyncio
# task) has its own, so one request's scope never reaches another's reads.
_replica_reads: ContextVar[bool] = ContextVar("replica_reads", default=False)


def replica_answers() -> bool:
    """The replica is configured and its connection answers, or opens now (the
    settings give it a short connect timeout).

    A connection kept open from an earlier request is checked with a SELECT 1
    (is_usable) and replaced when it does not answer: the check the settings'
    CONN_HEALTH_CHECKS makes once a request before a kept connection's first query,
    made here before the scope is chosen rather than after, so it costs no more
    than before. A connection opened in this request, or already checked in it, is
    not asked again: within a request a read the replica fails is made again on the
    primary (read_on_replica, read_from_replica)."""
    if REPLICA not in connections:
        return False
    replica = connections[REPLICA]
    try:
        if replica.settings_dict.get("CONN_HEALTH_CHECKS"):
            replica.close_if_health_check_failed()
        elif replica.connection is not None and not replica.is_usable():
            # Without CONN_HEALTH_CHECKS (the settings turn them on): each scope.
            replica.close()
        replica.ensure_connection()
    except DatabaseError as exc:
        logger.warning(
            "The read replica does not answer (%s): reading the primary.", exc
        )
        return False
    return True


def _replica_failed() -> bool:
    """After an OperationalError in a replica scope: whether it was the replica's
    connection that failed (gone, or no longer answering), rather than a query, or
    the primary. One that failed is closed, so the next scope opens it afresh."""
    if REPLICA not in connections:
        return False
    replica = connections[REPLICA]
    if replica.connection is not None and replica.is_usable():
        return False
    with suppress(DatabaseError):  # already gone: nothing to close
        replica.close()
    return True


@contextmanager
def replica_reads() -> Iterator[None]:
    """The reads made inside may be served by the replica (when there is one). A
    replica that does not answer is passed by: the reads go to the primary, as
    they would with no replica at all (the replica is a help, not a dependency).
    Whether it answers is asked as the scope opens; a read inside that the replica
    then fails raises (read_on_replica makes it again on the primary)."""
    token = _replica_reads.set(replica_answers())
    try:
        yield
    finally:
        _replica_reads.reset(token)


def read_on_replica(read: Callable[[], T]) -> T:
    """`read()` made inside replica_reads(); made again on the primary if the
    replica's connection fails under it (a replica that went down after it was
    checked). `read` must be safe to make twice: reads only, the audit rows after."""
    try:
        with replica_reads():
            return read()
    except OperationalError:
        if not _replica_failed():
            raise
    logger.warning("The read replica failed a read: reading the primary.")
    # The primary, even inside a replica scope opened around this one.
    token = _replica_reads.set(False)
    try:
        return read()
    finally:
        _replica_reads.reset(token)


def read_from_replica(chunks: Iterable[T] | Callable[[], Iterable[T]]) -> Iterator[T]:
    """A lazy iterable (a streamed response's content) whose reads may be served by
    the replica. The scope is opened for each step and closed before the chunk is
    handed on: a streamed response is iterated by the server after the view has
    returned, so a scope around the view's body would be closed by then, and one
    left open between steps would cover whatever the server does in between.

    Given a function that makes the chunks rather than the chunks, a stream the
    replica fails before anything has been handed on is made again from the start
    on the primary. The first chunk (an export's header, made without reading) is
    then held back until the second has been made, so that the first read has been
    made before the first byte is sent."""
    # Whether the replica answers is asked once for the stream, not for each of its
    # (often tens of thousands of) steps.
    use_replica = replica_answers()
    make: Callable[[], Iterable[T]] | None
    if callable(chunks):
        make = chunks
        steps = iter(chunks())
    else:
        make = None
        steps = iter(chunks)
    held: list[T] = []  # the first chunk, until the second is made
    sent = False
    while True:
        token = _replica_reads.set(use_replica)
        try:
            chunk = next(steps)
        except StopIteration:
            yield from held
            return
        except OperationalError:
            if make is None or sent or not use_replica or not _replica_failed():
                raise
            logger.warning("The read replica failed a stream: reading the primary.")
            use_replica, steps, held = False, iter(make()), []
            continue
        finally:
            _replica_reads.reset(token)
        if make is not None and not sent and not held:
            held.append(chunk)
            continue
        sent = True
        yield from held
        held = []
        yield chunk


class ReplicaRouter:
    """Reads to the replica inside replica_reads() and outside a transaction on the
    primary; everything else to the primary. Installed by the settings only when
    DATABASE_REPLICA_URL is set."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        if (
            _replica_reads.get()
            and REPLICA in connections
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        # Outside the scope the primary, even for an object loaded from the
        # replica (its relations are then read afresh from the primary).
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the primary: an object read from one may be
        # related to an object of the other.
        return True

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        # The replica replays the primary's changes, schema included: it is never
        # migrated itself (and a hot standby refuses writes).
        return db == DEFAULT_DB_ALIAS
