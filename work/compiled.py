"""Queries made again and again, composed by the ORM once per process and then run
with the values that vary: the time (and the local date it falls on) and ids.

Composing a queryset of a few joins, an annotation and an ordering costs the ORM more
than the database takes to plan and run it:

- an assignment run (every minute, and on every arrival of work) reads its staff,
  their loads, their languages and the head of the pool: at peak composing those
  took some 5 ms of every run, as much as the database took to run two of them;
- My work reads the caseworker's queue and their shift on every visit: 1.7 ms of
  the ORM's Python to 0.9 ms of SQL for the queue of 30;
- the case and contact pages read the item with its person, area, holder and
  assessment, its contacts, calls, visits, drafts, links and isolation changes, on
  every visit and every section sent again: a select_related over four or five
  tables takes longer to compose than to run;
- and they ask whether the item is linked to a chain: three EXISTS nested three
  deep, 13 ms to compose, ten times what the database takes.

Their SQL differs from one call to the next only by those values, so it is compiled
once, with stand-ins in their place, and each call sends the same SQL with its own
values. Three ways to read it: the rows as the database sends them
(`rows_compiled_once`), the model instances as the ORM makes them, with what
select_related brings and the annotations (`instances_compiled_once`), or whether
there is a row (`exists_compiled_once`).

`build` may vary with nothing but the values passed: no setting that can change
between calls (put it in the key), no branch on a value. Each id passed must reach the
SQL as a parameter, or the call fails (ValueError) rather than run another id's query.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, connections, router
from django.db.models import Model, QuerySet
from django.db.models.query import get_related_populators
from django.utils import timezone

# Stand-ins compiled into the SQL in place of the time, its local date and the ids.
_NOW = datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC)
_FIRST_ID = -987_654_321  # the ids': this, one less, ... (in the order of their names)


@dataclass(frozen=True)
class _Reader:
    """How the rows of a compiled query become model instances: what Django's
    ModelIterable works out on each iteration (django/db/models/query.py), worked
    out once."""

    compiler: Any  # the ORM's compiler, as it stood after compiling (its columns)
    model: type[Model]
    start: int  # the model's own columns in the row
    end: int
    columns: list[str]
    related: list[Any]  # select_related's populators
    annotations: dict[str, int]
    converters: dict[int, Any]  # the fields' conversions of the values, by column
    composite: list[Any] | None  # the selected expressions, if any is a composite


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]
    stand_in_day: date
    stand_in_ids: dict[str, int]
    reader: _Reader | None  # for model instances


_COMPILED: dict[tuple[Hashable, ...], _Compiled] = {}

ROWS, INSTANCES, EXISTS = "rows", "instances", "exists"


def rows_compiled_once(
    key: Hashable,
    build: Callable[..., QuerySet],
    now: datetime | None = None,
    **ids: int,
) -> list[tuple]:
    """The rows of `build(now, **ids)` as the database sends them (no per-row
    conversion), on the default database, its SQL compiled once per process,
    database and key. In a transaction when the queryset locks (select_for_update)."""
    sql, values = compiled_once(key, build, now, connection, **ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchall()


def instances_compiled_once(
    key: Hashable,
    model: type[Model],
    build: Callable[..., QuerySet],
    now: datetime | None = None,
    **ids: int,
) -> list[Any]:
    """The model instances `build(now, **ids)` gives, made as the ORM makes them
    (select_related's objects, deferred columns, the annotations), read from the
    database the router reads `model` from. Not for a queryset that prefetches."""
    database = connections[router.db_for_read(model)]
    compiled = _compiled(INSTANCES, key, build, now, database, ids)
    with database.cursor() as cursor:
        cursor.execute(compiled.sql, _values(compiled, now, database, ids))
        fetched = cursor.fetchall()
    assert compiled.reader is not None
    return _instances(compiled.reader, fetched, database.alias)


def exists_compiled_once(
    key: Hashable,
    model: type[Model],
    build: Callable[..., QuerySet],
    now: datetime | None = None,
    **ids: int,
) -> bool:
    """Whether `build(now, **ids)` finds a row (the ORM's EXISTS query), read from the
    database the router reads `model` from."""
    database = connections[router.db_for_read(model)]
    compiled = _compiled(EXISTS, key, build, now, database, ids)
    with database.cursor() as cursor:
        cursor.execute(compiled.sql, _values(compiled, now, database, ids))
        return cursor.fetchone() is not None


def compiled_once(
    key: Hashable,
    build: Callable[..., QuerySet],
    now: datetime | None,
    database: Any,
    **ids: int,
) -> tuple[str, list[Any]]:
    """The SQL of `build(now, **ids)` on `database` (a connection) and its parameters:
    the SQL compiled once per process, database and key, with stand-ins for the time,
    its local date and the ids; the parameters with the call's values in their place,
    as the backend's fields write them (PostgreSQL takes a datetime as it is; SQLite,
    the embedded default, takes text). Without `now`, build takes the ids alone."""
    compiled = _compiled(ROWS, key, build, now, database, ids)
    return compiled.sql, _values(compiled, now, database, ids)


def _compiled(
    way: str,
    key: Hashable,
    build: Callable[..., QuerySet],
    now: datetime | None,
    database: Any,
    ids: dict[str, int],
) -> _Compiled:
    cache_key = (database.alias, database.vendor, way, key, tuple(sorted(ids)))
    compiled = _COMPILED.get(cache_key)
    if compiled is not None:
        return compiled
    stand_in_ids = {name: _FIRST_ID - n for n, name in enumerate(sorted(ids))}
    queryset = build(*([] if now is None else [_NOW]), **stand_in_ids)
    query = queryset.query.exists() if way == EXISTS else queryset.query
    compiler = query.get_compiler(connection=database)
    sql, params = compiler.as_sql()
    for name, stand_in in stand_in_ids.items():
        if stand_in not in params:
            raise ValueError(f"{key}: the id {name} must reach the SQL as a parameter")
    prefetches = getattr(queryset, "_prefetch_related_lookups", ())
    if way == INSTANCES and (compiler.klass_info is None or prefetches):
        raise ValueError(f"{key}: model instances, without prefetching, only")
    reader = _reader(compiler, database.alias) if way == INSTANCES else None
    compiled = _Compiled(
        sql, tuple(params), timezone.localdate(_NOW), stand_in_ids, reader
    )
    _COMPILED[cache_key] = compiled
    return compiled


def _values(
    compiled: _Compiled, now: datetime | None, database: Any, ids: dict[str, int]
) -> list[Any]:
    """The compiled parameters with the call's values in place of the stand-ins."""
    stand_ins: dict[Any, Any] = {
        stand_in: ids[name] for name, stand_in in compiled.stand_in_ids.items()
    }
    if now is not None:
        ops = database.ops
        stand_ins[ops.adapt_datetimefield_value(_NOW)] = ops.adapt_datetimefield_value(
            now
        )
        # Whose local date: the current time zone's, as the queryset would take.
        stand_ins[ops.adapt_datefield_value(compiled.stand_in_day)] = (
            ops.adapt_datefield_value(timezone.localdate(now))
        )
    return [stand_ins.get(p, p) if _hashable(p) else p for p in compiled.params]


def _reader(compiler: Any, alias: str) -> _Reader:
    select, klass_info = compiler.select, compiler.klass_info
    fields = klass_info["select_fields"]
    start, end = fields[0], fields[-1] + 1
    selected = [column[0] for column in select[0 : compiler.col_count]]
    return _Reader(
        compiler=compiler,
        model=klass_info["model"],
        start=start,
        end=end,
        columns=[column[0].target.attname for column in select[start:end]],
        # (Django 5.2's signature: the stubs describe a later one.)
        related=get_related_populators(klass_info, select, alias),  # type: ignore[call-arg]
        annotations=dict(compiler.annotation_col_map),
        converters=compiler.get_converters(selected),
        composite=selected if compiler.has_composite_fields(selected) else None,
    )


def _instances(reader: _Reader, fetched: list[tuple], alias: str) -> list[Any]:
    """Model instances from the rows of a compiled query, as ModelIterable makes
    them: the row converted by the fields, the model's columns, the related objects,
    the annotations."""
    compiler = reader.compiler
    rows: Any = fetched
    if reader.converters:
        rows = compiler.apply_converters(rows, reader.converters)
    if reader.composite:
        rows = compiler.composite_fields_to_tuples(rows, reader.composite)
    instances = []
    start, end, columns = reader.start, reader.end, reader.columns
    for row in rows:
        instance = reader.model.from_db(alias, columns, row[start:end])
        for populator in reader.related:
            populator.populate(row, instance)
        for name, position in reader.annotations.items():
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:  # a list of values for IN, say: never a stand-in
        return False
    return True
