"""Percentiles of a column: PostgreSQL's `percentile_cont`, and the same in Python.

`PercentileCont(expression, 0.5)` is an aggregate (it takes `filter=` like any other),
written by the database as

    PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY expression)

SQLite (the embedded default) has no such function: there the caller reads the one
column (`values_list`) and `percentile_cont()` below interpolates exactly as
PostgreSQL does, so both give the same answer for the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.db import NotSupportedError
from django.db.models import Aggregate, FloatField, Func


class PercentileCont(Aggregate):
    """The continuous percentile (linear interpolation between the two nearest
    rows) of a numeric expression; NULL for no rows. PostgreSQL only."""

    function = "PERCENTILE_CONT"
    name = "PercentileCont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra) -> None:
        fraction = float(fraction)
        if not 0.0 <= fraction <= 1.0:
            raise ValueError("A percentile is a fraction between 0 and 1.")
        # Written into the SQL as a literal: a float checked above, never user input.
        super().__init__(expression, fraction=repr(fraction), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        raise NotSupportedError(
            "SQLite has no percentile_cont: read the column and use "
            "figures.percentile.percentile_cont()."
        )


class Hours(Func):
    """The hours in a duration (an interval), as a float: PostgreSQL."""

    template = (
        "(CAST(EXTRACT(EPOCH FROM %(expressions)s) AS double precision) / 3600.0)"
    )
    output_field = FloatField()
    arity = 1


def percentile_cont(values: Iterable[float], fraction: float) -> float | None:
    """What PostgreSQL's percentile_cont(fraction) gives for these values: the value
    at position fraction * (n - 1) of the sorted values, interpolated; None for none."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
