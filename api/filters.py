"""Filters the API lists share: ids, local dates, and work-item fields."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.db.models import QuerySet

from cases.workitem import Status
from clock import local_midnight

# Far dates are refused by the form rather than overflowing a datetime.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)


class IdFilter(filters.NumberFilter):
    """A whole-number id; anything else is a 400, never a database error."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})


class YesNoField(forms.Field):
    """true/false, 1/0 or yes/no in any case; absent or blank is no filter, and
    anything else is refused, never read as no filter at all."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": "Give true or false (or 1/0, yes/no), not “%(value)s”."
    }

    def to_python(self, value):
        if value is None:
            return None
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        if word == "":
            return None
        raise forms.ValidationError(
            self.error_messages["invalid"], code="invalid", params={"value": value}
        )


class YesNoFilter(filters.BooleanFilter):
    """A boolean filter: see YesNoField. (django-filter's own reads only "true" and
    "false", and takes any other value, "1" or "yes", as no filter at all.)"""

    field_class = YesNoField


class ColumnChoicesFilter(filters.MultipleChoiceFilter):
    """One or more of a column's choices (`?status=new&status=assigned`), for a column
    of the listed model itself (or of a row it points to): no join can repeat a row,
    so no DISTINCT. (django-filter's default adds one, for to-many joins; over a wide
    row it sorts the whole filtered list before the first page can be read.)"""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class LocalDayFilter(filters.DateFilter):
    """A local date bound on a time stamp: `from` includes the day, `to` includes it too.

    Compares the column with local midnight, so the index on the time stamp is used.
    """

    def __init__(self, *args, bound: str, **kwargs):
        self.bound = bound
        kwargs.setdefault(
            "help_text",
            "Local date (YYYY-MM-DD), inclusive: "
            + ("on or after." if bound == "from" else "on or before."),
        )
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: dt.date | None) -> QuerySet:
        if value in filters.constants.EMPTY_VALUES:
            return qs
        value = min(max(value, EARLIEST), LATEST)
        if self.bound == "from":
            return qs.filter(**{f"{self.field_name}__gte": local_midnight(value)})
        end = local_midnight(value + dt.timedelta(days=1))
        return qs.filter(**{f"{self.field_name}__lt": end})


class WorkItemFilter(filters.FilterSet):
    status = ColumnChoicesFilter(choices=Status.choices)
    area = filters.CharFilter(field_name="area__code", help_text="ONS area code.")
    assignee = IdFilter(field_name="assignee_id", help_text="User id of the holder.")
    unassigned = YesNoFilter(
        field_name="assignee",
        lookup_expr="isnull",
        help_text="true (or 1, yes): held by nobody; false (or 0, no): held.",
    )
    created_from = LocalDayFilter(field_name="created_at", bound="from")
    created_to = LocalDayFilter(field_name="created_at", bound="to")
