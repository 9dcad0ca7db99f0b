"""Filters the API lists share: ids, local dates, codes, and work-item fields; and
the refusal of a query parameter a list does not have."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django import forms
from django.db.models import Model, QuerySet
from drf_spectacular.drainage import set_override
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.settings import api_settings

from areas.models import Area
from cases.workitem import Status
from clock import local_midnight

# Far dates are refused by the form rather than overflowing a datetime.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)


class IdFilter(filters.NumberFilter):
    """A whole-number id; anything else is a 400, never a database error. Published
    as an integer (drf-spectacular takes a NumberFilter for any number, 1.5 too,
    unless told), with its description."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)
        schema: dict[str, Any] = {
            "type": "integer",
            "format": "int64",
            "minimum": kwargs["min_value"],
            "maximum": kwargs["max_value"],
        }
        if help_text := kwargs.get("help_text"):
            # An override's own description is the one shown: the filter's is not.
            schema["description"] = str(help_text)
        set_override(self, "field", schema)


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
    The date is YYYY-MM-DD only, as in the API's bodies: the form's own formats are
    the language's (05/12/2026 is 5 December in en-gb, 12 May in en).
    """

    def __init__(self, *args, bound: str, **kwargs):
        self.bound = bound
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        kwargs.setdefault(
            "error_messages", {"invalid": "Enter a real date as YYYY-MM-DD."}
        )
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


def normal_code(code: str) -> str:
    """An area's or local team's code as held: trimmed, in upper case (ONS codes are
    upper case, E08000019; so are the teams', their upper-tier areas', and the
    fallback's), so "e08000019 " is Sheffield's."""
    return code.strip().upper()


# Formatted as Django's messages are (its params kept apart: a code may hold a %).
NO_AREA = "No area has the code %(code)s."
NO_LOCAL_TEAM = "No local team has the code %(code)s."


class CodeField(forms.CharField):
    """An area's or local team's code, read as /figures/ reads it (normal_code):
    cleaned to the row's id, in one small query; a code nothing has is refused, as
    there, rather than read as a filter matching nothing (a dashboard asking in
    lower case read zero). Blank is no filter."""

    def __init__(self, *args, model: type[Model], missing: str, **kwargs):
        self.model = model
        self.missing = missing
        super().__init__(*args, **kwargs)

    def clean(self, value):
        code = normal_code(super().clean(value) or "")
        if not code:
            return None
        pk = self.model._default_manager.filter(code=code).values_list("pk").first()
        if pk is None:
            raise forms.ValidationError(
                self.missing, code="unknown_code", params={"code": code}
            )
        return pk[0]


class CodeFilter(filters.CharFilter):
    """Items of the area (or local team) with this code: by its id, no join.

    Which items a caller may see is the list's own queryset, so a client bound to a
    local team asking for another team's area is shown nothing, as before; a code
    nothing has is a 400, which /figures/ says already."""

    field_class = CodeField


UNKNOWN_PARAMETER = (
    "This list has no parameter “{name}”: it would be ignored and every item listed. "
    "It takes: {known}."
)


def list_parameters(view: Any) -> set[str]:
    """The query parameters the view's filters read: each filter's name, or its
    suffixed names for a filter of two inputs (a range's `_min` and `_max`)."""
    filterset_class = getattr(view, "filterset_class", None)
    if filterset_class is None:
        return set()
    names = set()
    for name, declared in filterset_class.base_filters.items():
        suffixes = getattr(declared.field.widget, "suffixes", None) or [""]
        names.update(f"{name}_{suffix}" if suffix else name for suffix in suffixes)
    return names


def refuse_unknown_parameters(request: Request, view: Any, *, also: set[str]) -> None:
    """A 400 naming each query parameter the list does not have, and those it has.

    Ignored, a parameter a list lacks (`?local_team=` on cases, where each case has
    one) answered the whole list, which the client read as filtered: as a code no area
    has is refused (CodeField), so is a filter no list has. Known are the view's
    filters, `also` (the paging's own), and `format`."""
    known = list_parameters(view) | also | {api_settings.URL_FORMAT_OVERRIDE}
    unknown = sorted(set(request.query_params) - known)
    if unknown:
        listed = ", ".join(sorted(known))
        raise ValidationError(
            {
                name: [UNKNOWN_PARAMETER.format(name=name, known=listed)]
                for name in unknown
            },
            code="unknown_parameter",
        )


class WorkItemFilter(filters.FilterSet):
    status = ColumnChoicesFilter(choices=Status.choices)
    area = CodeFilter(
        field_name="area_id",
        model=Area,
        missing=NO_AREA,
        help_text="An area's ONS code (E08000019), in any case; a code no area has "
        "is a 400.",
    )
    assignee = IdFilter(field_name="assignee_id", help_text="User id of the holder.")
    unassigned = YesNoFilter(
        field_name="assignee",
        lookup_expr="isnull",
        help_text="true (or 1, yes): held by nobody; false (or 0, no): held.",
    )
    created_from = LocalDayFilter(field_name="created_at", bound="from")
    created_to = LocalDayFilter(field_name="created_at", bound="to")
