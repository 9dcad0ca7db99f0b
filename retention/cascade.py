"""Deleting records with everything that depends on them, set-based.

Django's own delete loads every row it cascades to; a purge of millions cannot. Here
each kind of dependent row goes in one statement (`DELETE ... WHERE fk IN (...)`),
deepest first, found from the models themselves (every reverse relation, hidden ones
too: a new model that points at a contact is purged with it, by its own on_delete):
CASCADE is followed, SET_NULL set, DO_NOTHING left, and PROTECT (or RESTRICT) refuses
if any row outside the set points in. The callers choose rows nothing protects; the
refusal is the safety net, and rolls the batch back whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

from django.db import connections, models
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

MAX_DEPTH = 8


class RecordsProtected(Exception):
    """Rows of another kind still point at the rows to delete, and must stay."""

    def __init__(self, label: str, count: int):
        self.label = label
        self.count = count
        super().__init__(f"{count} {label} row(s) still refer to them.")


def reverse_relations(model: type[models.Model]) -> Iterator[models.ForeignObjectRel]:
    """Every foreign key (or one-to-one) pointing at the model, hidden ones too (a
    many-to-many is reached through its table's own foreign key)."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not isinstance(rel, models.ForeignObjectRel) or rel.many_to_many:
            continue
        yield rel


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


def related_model(rel: models.ForeignObjectRel) -> type[models.Model]:
    related = rel.related_model
    if not (isinstance(related, type) and issubclass(related, models.Model)):
        raise TypeError(f"{rel} points from no model")
    return related


def id_set(ids: Sequence[int], using: str) -> Sequence[int] | RawSQL:
    """The ids for an `IN`: on PostgreSQL one array parameter (a batch's thousands
    of ids are sent and parsed once per statement, not as thousands of
    parameters); elsewhere the list."""
    if connections[using].vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return ids


def _children(
    rel: models.ForeignObjectRel, parents: QuerySet, ids: Sequence[int] | None
) -> QuerySet:
    parent_rows = id_set(ids, parents.db) if ids is not None else parents.values("pk")
    return (
        related_model(rel)
        ._base_manager.using(parents.db)
        .filter(**{f"{rel.field.name}__in": parent_rows})
    )


def delete_with_dependents(
    model: type[models.Model],
    *,
    rows: QuerySet | None = None,
    ids: Sequence[int] | None = None,
    counts: Counter[str] | None = None,
    using: str = "default",
    _depth: int = 0,
) -> Counter[str]:
    """Delete the rows (a queryset of `model`, or their ids) and what depends on them;
    the count of rows removed by kind ("contacts.contact": 12). Raises
    RecordsProtected (nothing is deleted by the statement that would have broken
    it; the caller's transaction rolls back the rest)."""
    counts = Counter() if counts is None else counts
    if _depth > MAX_DEPTH:
        raise RuntimeError(f"Dependencies of {_label(model)} nest too deep.")
    if rows is None:
        if ids is None:
            raise ValueError("Give the rows or their ids.")
        rows = model._base_manager.using(using).filter(pk__in=id_set(ids, using))
    for rel in reverse_relations(model):
        related = related_model(rel)
        on_delete = rel.on_delete
        children = _children(rel, rows, ids)
        if on_delete is models.CASCADE:
            delete_with_dependents(
                related,
                rows=children,
                counts=counts,
                using=using,
                _depth=_depth + 1,
            )
        elif on_delete is models.SET_NULL:
            children.update(**{rel.field.name: None})
        elif on_delete in (models.PROTECT, models.RESTRICT):
            if related is model:  # a row of the set pointing at another of it
                children = children.exclude(
                    pk__in=id_set(ids, using) if ids is not None else rows
                )
            found = children.count()
            if found:
                raise RecordsProtected(_label(related), found)
        elif on_delete is not models.DO_NOTHING:
            raise NotImplementedError(
                f"{_label(related)}.{rel.field.name}: on_delete not handled"
            )
    found = rows._raw_delete(rows.db)
    if found:
        counts[_label(model)] += found
    return counts
