"""Many new rows of one model in one statement, for the bulk writes of a whole batch
(intake's people, cases, audit rows, messages and online links).

Django's bulk_create (5.2) already hands PostgreSQL one array per column,

    INSERT INTO table (a, b, ...) SELECT * FROM UNNEST(%s::type[], %s::type[], ...)

but first prepares each value of each row through its field: about a fifth of an
intake batch's Python time went there, sampled, some 25,000 values a batch, each
through three or four calls that hand a string or a number back unchanged.
insert_rows writes the same statement (the same bare types, so a value too long is
refused, not cut short; the new ids read back in the rows' order, as bulk_create
reads them) and prepares a column through its field only when one of its values is
not already what the database takes as it is (a str for a text column, an int for a
number or a foreign key, an aware datetime, and so on): a phone number, a dict for
JSON, a naive datetime or anything else goes through get_db_prep_save as bulk_create
would send it. The instances come back as bulk_create leaves them: saved, with their
new ids.

Anything it does not write as bulk_create would (another database than PostgreSQL,
array columns, database defaults or generated columns, expressions as values, some
rows with ids and some without) goes to bulk_create itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from typing import TypeVar

from django.db import connections, models

M = TypeVar("M", bound=models.Model)

# Rows per statement: each column's array is one parameter.
CHUNK = 10_000


def _is_str(value: object) -> bool:
    # str itself or a subclass (a TextChoices member, a SafeString): the driver
    # writes them as text, as bulk_create would hand them over.
    return isinstance(value, str)


def _exactly(*kinds: type) -> Callable[[object], bool]:
    # Exactly these types: a datetime is a date, but a date column converts it.
    return lambda value: type(value) in kinds


def _aware(value: object) -> bool:
    # A naive datetime is made aware by the field (with a warning): not as it is.
    return isinstance(value, datetime) and value.tzinfo is not None


_is_int = _exactly(int)

# For a column of this field class, the values the database takes as they are: each
# one passes through the field's preparation unchanged.
AS_IT_IS: dict[type[models.Field], Callable[[object], bool]] = {
    models.CharField: _is_str,
    models.TextField: _is_str,
    models.EmailField: _is_str,
    models.SlugField: _is_str,
    models.URLField: _is_str,
    models.AutoField: _is_int,
    models.BigAutoField: _is_int,
    models.SmallAutoField: _is_int,
    models.IntegerField: _is_int,
    models.BigIntegerField: _is_int,
    models.SmallIntegerField: _is_int,
    models.PositiveIntegerField: _is_int,
    models.PositiveBigIntegerField: _is_int,
    models.PositiveSmallIntegerField: _is_int,
    models.BooleanField: _exactly(bool),
    models.FloatField: _exactly(float),
    models.DateField: _exactly(date),
    models.TimeField: _exactly(time),
    models.DateTimeField: _aware,
}


def insert_rows(objs: Sequence[M], *, using: str = "default") -> list[M]:
    """Write these new instances of one model, as bulk_create(objs) would: each
    saved, a new id set on those without one. One statement per CHUNK rows."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    connection = connections[using]
    opts = model._meta
    pk = opts.pk
    assert pk is not None
    for obj in objs:
        if obj.pk is None:
            obj.pk = pk.get_pk_value_on_save(obj)
    with_ids = [obj.pk is not None for obj in objs]
    if not _set_wise(model, connection) or len(set(with_ids)) > 1:
        return model._base_manager.db_manager(using).bulk_create(objs)
    for obj in objs:
        # As bulk_create: a related instance saved since it was set gives its id.
        obj._prepare_related_fields_for_save(operation_name="bulk_create")  # type: ignore[attr-defined]
    fields = [field for field in opts.concrete_fields if with_ids[0] or field is not pk]
    columns = [_column(field, objs, connection) for field in fields]
    if any(column is None for column in columns):
        # An expression among the values: bulk_create knows what to do with it.
        return model._base_manager.db_manager(using).bulk_create(objs)
    for start in range(0, len(objs), CHUNK):
        _write(
            model,
            fields,
            [column[start : start + CHUNK] for column in columns],  # type: ignore[index]
            objs[start : start + CHUNK],
            with_ids[0],
            connection,
        )
    for obj in objs:
        obj._state.adding = False
        obj._state.db = using
    return objs


def _set_wise(model: type[models.Model], connection) -> bool:
    """Whether this model's rows can be written column-wise here."""
    if connection.vendor != "postgresql":
        return False
    opts = model._meta
    if opts.parents or opts.proxy:
        return False
    for field in opts.concrete_fields:
        if getattr(field, "generated", False) or (
            field.db_returning and not field.primary_key
        ):
            return False
        if getattr(field, "db_default", models.NOT_PROVIDED) is not models.NOT_PROVIDED:
            return False
        if "[" in (field.cast_db_type(connection) or ""):
            # unnest would flatten an array column's arrays.
            return False
    return True


def _column(
    field: models.Field, objs: Sequence[models.Model], connection
) -> list | None:
    """The values of one column for these rows, as the database takes them; None if
    one of them is an expression."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        values = [field.pre_save(obj, True) for obj in objs]
    else:
        attname = field.attname
        values = [getattr(obj, attname) for obj in objs]
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    as_it_is = AS_IT_IS.get(type(target))
    if as_it_is is not None and all(v is None or as_it_is(v) for v in values):
        return values
    if any(hasattr(v, "resolve_expression") for v in values):
        return None
    return [field.get_db_prep_save(v, connection) for v in values]


def _base_type(field: models.Field, connection) -> str:
    """The column's type without its modifier (varchar, not varchar(100)): an explicit
    cast to varchar(100) would cut a longer value short, where the INSERT itself
    refuses it, as bulk_create's does."""
    return re.sub(r"\(.*?\)", "", field.cast_db_type(connection) or "")


def _write(
    model: type[models.Model],
    fields: list[models.Field],
    columns: list[list],
    objs: Sequence[models.Model],
    with_ids: bool,
    connection,
) -> None:
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    names = ", ".join(quote(field.column) for field in fields)
    arrays = ", ".join(f"%s::{_base_type(field, connection)}[]" for field in fields)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) "
        f"SELECT * FROM unnest({arrays})"
    )
    if not with_ids:
        # Rows come back in the order they were given, as bulk_create reads them.
        sql += f" RETURNING {quote(pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, columns)
        if not with_ids:
            for obj, (new_id,) in zip(objs, cursor.fetchall(), strict=True):
                setattr(obj, pk.attname, new_id)
