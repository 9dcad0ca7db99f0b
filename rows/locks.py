"""Keys held until the transaction ends: PostgreSQL's transaction-level advisory
locks, so that two transactions about the same thing (one new person, one new place)
go one after the other."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def hold_until_commit(keys: Iterable[str]) -> None:
    """Hold each key (any text; one lock per distinct key, by its hash) until the
    transaction ends; a transaction asking for a key held waits. All of them in one
    statement, in the order of their hashes, so two transactions holding several
    never wait on each other. Outside a transaction, or on SQLite (one writer at a
    time already), nothing to do."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    held = list(dict.fromkeys(keys))
    if not held:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM ("
            "SELECT DISTINCT hashtextextended(key, 0) AS k "
            "FROM unnest(%s::text[]) AS key ORDER BY k) AS keys",
            [held],
        )
