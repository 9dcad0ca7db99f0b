"""Queries a frequent operation makes every time, composed by the ORM once per
process and then run with the operation's time.

An assignment run (every minute, and on every arrival of work) reads its staff, their
loads, their languages and the head of the pool: at peak composing those querysets
took the ORM some 5 ms of every run, as much as the database took to run two of
them. Their SQL differs from one run to the next only by the run's time (and the
local date it falls on), so it is compiled once, with stand-ins for those, and each
run sends the same SQL with its own values in their place.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

# Stand-ins compiled into the SQL in place of the run's time and its local date.
_NOW = datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC)
_COMPILED: dict[tuple[Hashable, ...], tuple[str, tuple[Any, ...], date]] = {}


def rows_compiled_once(
    key: Hashable, build: Callable[[datetime], QuerySet], now: datetime
) -> list[tuple]:
    """The rows of `build(now)` as the database sends them (no per-row conversion),
    its SQL compiled once per process, database and key. `build` may vary with
    nothing but `now` and the local date it falls on (timezone.localdate(now)); a
    queryset whose SQL holds other values that change must not come through here.
    In a transaction when the queryset locks (select_for_update)."""
    sql, values = compiled_once(key, build, now, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


def compiled_once(
    key: Hashable, build: Callable[[datetime], QuerySet], now: datetime, database: Any
) -> tuple[str, list[Any]]:
    """The SQL of `build(now)` on `database` (a connection) and its parameters: the
    SQL compiled once per process, database and key, with stand-ins for the time
    and its local date; the parameters with `now` and its local date in their place,
    as the backend's fields write them (PostgreSQL takes a datetime as it is;
    SQLite, the embedded default, takes text)."""
    cache_key = (database.alias, database.vendor, key)
    if cache_key not in _COMPILED:
        query = build(_NOW).query
        sql, params = query.get_compiler(connection=database).as_sql()
        _COMPILED[cache_key] = (sql, tuple(params), timezone.localdate(_NOW))
    sql, params, stand_in_day = _COMPILED[cache_key]
    ops = database.ops
    stand_ins = {
        ops.adapt_datetimefield_value(_NOW): ops.adapt_datetimefield_value(now),
        # Whose local date: the current time zone's, as the queryset would take.
        ops.adapt_datefield_value(stand_in_day): ops.adapt_datefield_value(
            timezone.localdate(now)
        ),
    }
    return sql, [stand_ins.get(p, p) if _hashable(p) else p for p in params]


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:  # a list of values for IN, say: never a stand-in
        return False
    return True
