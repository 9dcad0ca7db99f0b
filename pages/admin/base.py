"""What the admin pages share: read-only model admins, audited reads, actions that
ask for a reason (or more) on an intermediate page, then call a service; and what
keeps the lists of the big tables quick (a date range on an indexed column, a count
from the planner's statistics, search by indexed columns only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR, ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections, models, transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import cached_property

from areas.postcodes import normalise_postcode
from audit.services import audit_list_view, audit_view
from cases.errors import IllegalTransition
from clock import local_midnight
from people.phones import uk_phone_e164
from retention.errors import RetentionRefused
from staffing.services import StaffingRefused
from work.errors import WorkRefused

REFUSALS = (
    WorkRefused,
    StaffingRefused,
    IllegalTransition,
    PermissionDenied,
    RetentionRefused,
)


class ServiceActionsMixin:
    """Actions that change work or staffing through the services: for administrators
    only (a staff user with view permissions may look, not move work)."""

    def has_work_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never added, changed or deleted here: changes go through the services."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class AuditedReadAdmin(ReadOnlyAdmin):
    """A person's record: opening it in the admin is audited like the pages, and so is
    listing it (one "view" per person on the changelist's page, in one INSERT)."""

    def listed_person_id(self, obj) -> int | None:
        """Whose record a changelist row shows (by default the row's own person)."""
        return getattr(obj, "person_id", None)

    def listed_person_ids(self, obj) -> tuple[int | None, ...]:
        """Everyone a changelist row shows (by default the one of listed_person_id);
        a row naming two people (a merge) is a read of both."""
        return (self.listed_person_id(obj),)

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None and response.status_code == 200:
            # The page of rows the template shows (read here once, then reused).
            audit_list_view(
                user=request.user,
                items=[
                    _RowAbout(row, person_id)
                    for row in changelist.result_list
                    for person_id in self.listed_person_ids(row)
                ],
                via="admin",
                list_name=f"admin {self.opts.verbose_name_plural}",
                person_of=lambda shown: shown.person_id,
            )
        return response

    def audited_read(self, obj) -> tuple[Any, Any, dict[str, Any]]:
        """What a read of `obj` is recorded against: (object, person, detail); the
        person defaults to the object's own."""
        return obj, None, {}

    def audited_reads(self, obj) -> list[tuple[Any, Any, dict[str, Any]]]:
        """Every read that opening `obj` is recorded as (one per person it shows; by
        default the one of audited_read)."""
        return [self.audited_read(obj)]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if obj is not None and response.status_code == 200:
            for target, person, detail in self.audited_reads(obj):
                audit_view(
                    user=request.user,
                    obj=target,
                    via="admin",
                    person=person,
                    detail=detail,
                )
        return response


class _RowAbout:
    """One person a changelist row shows, as audit_list_view reads an item: the
    row's kind and id (the event's object) and that person."""

    __slots__ = ("_meta", "person_id", "pk")

    def __init__(self, row: models.Model, person_id: int | None) -> None:
        self._meta = row._meta
        self.pk = row.pk
        self.person_id = person_id


def form_action(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    form_class: type[forms.Form],
    title: str,
    apply: Callable[[dict[str, Any]], str],
    form_kwargs: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """An admin action that first asks for its details (a reason, a target...).

    The first call shows the form for the selected rows; the second, with the form
    filled in, calls `apply` (which calls a service and returns the message to show).
    A refusal by the rules is shown as the form's error, the form drawn again with
    what was typed and the same rows chosen, and nothing changes.
    """
    form_kwargs = form_kwargs or {}
    if "apply" in request.POST:
        form = form_class(request.POST, **form_kwargs)
        if form.is_valid():
            try:
                # All the selected rows, or none.
                with transaction.atomic():
                    text = apply(form.cleaned_data)
            except REFUSALS as exc:
                form.add_error(None, str(exc))
            else:
                modeladmin.message_user(request, text, messages.SUCCESS)
                return None
    else:
        form = form_class(**form_kwargs)
    opts = modeladmin.model._meta
    return TemplateResponse(
        request,
        "admin/action_form.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "form": form,
            "queryset": queryset,
            "opts": opts,
            "action": request.POST.get("action", ""),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "selected": [str(pk) for pk in queryset.values_list("pk", flat=True)],
        },
    )


# --- list filters ----------------------------------------------------------------------


class _RefusesNul:
    """A list filter refusing a value holding a NUL as a bad lookup, as Django refuses
    a value its field cannot read: the list comes back unfiltered with the admin's
    error mark (?e=1). Django hands the value on as typed, and PostgreSQL refuses
    NUL in any text, so "%00" in the address was a 500 on such a filter."""

    used_parameters: dict[str, Any]

    def queryset(self, request, queryset):
        for value in self.used_parameters.values():
            values = value if isinstance(value, list) else [value]
            if any("\x00" in str(each) for each in values):
                raise IncorrectLookupParameters("A NUL in a filter's value.")
        return super().queryset(request, queryset)  # type: ignore[misc]


class ChoicesWithoutNulFilter(_RefusesNul, admin.ChoicesFieldListFilter):
    """A field with choices (?status__exact=new, seventeen lists)."""


class AllValuesWithoutNulFilter(_RefusesNul, admin.AllValuesFieldListFilter):
    """A field of text without choices, listed by the values it holds (a retention
    run's trigger)."""


# Before Django's own: every admin's list_filter of a field with choices, or of text.
admin.FieldListFilter.register(
    lambda field: bool(field.choices), ChoicesWithoutNulFilter, take_priority=True
)
admin.FieldListFilter.register(
    lambda field: (
        not field.is_relation
        and not field.choices
        and isinstance(field, models.CharField | models.TextField)
    ),
    AllValuesWithoutNulFilter,
    take_priority=True,
)


# --- big tables: a date range, an estimated count -------------------------------------

# Dates outside these are refused rather than overflowing a datetime.
EARLIEST = dt.date(1900, 1, 1)
LATEST = dt.date(9000, 12, 31)


class DateRangeFilter(admin.FieldListFilter):
    """From one local date to another, both included, on an indexed date column:
    `col >= from AND col < to + 1 day` (for a time stamp, from local midnight), which
    its index serves, where the date hierarchy reads every row to list the months.

    Used as `list_filter = [("created_at", DateRangeFilter)]`; the parameters are
    `<column>__from` and `<column>__to` (YYYY-MM-DD, either may be left out). A date
    that is not one is ignored, with a message saying so.
    """

    template = "admin/date_range_filter.html"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.parameter_from = f"{field_path}__from"
        self.parameter_to = f"{field_path}__to"
        super().__init__(field, request, params, model, model_admin, field_path)
        self.column = str(self.title)
        self.title = f"{self.column} (date range)"
        self.date_from = self._date(request, self.parameter_from, "from")
        self.date_to = self._date(request, self.parameter_to, "to")

    def expected_parameters(self) -> list[str]:
        return [self.parameter_from, self.parameter_to]

    def _date(self, request: HttpRequest, parameter: str, which: str) -> dt.date | None:
        values = self.used_parameters.get(parameter)
        text = (values[-1] if isinstance(values, list) else values or "").strip()
        if not text:
            return None
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            day = None
        if day is None or not EARLIEST <= day <= LATEST:
            messages.warning(
                request,
                f"Ignored the {which} date {text[:40]!r} of {self.column}: "
                "give a date as YYYY-MM-DD.",
            )
            return None
        return day

    def _bound(self, day: dt.date) -> dt.date | dt.datetime:
        if isinstance(self.field, models.DateTimeField):
            return local_midnight(day)
        return day

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.date_from is not None:
            queryset = queryset.filter(
                **{f"{self.field_path}__gte": self._bound(self.date_from)}
            )
        if self.date_to is not None:
            end = self._bound(self.date_to + dt.timedelta(days=1))
            queryset = queryset.filter(**{f"{self.field_path}__lt": end})
        return queryset

    def get_facet_counts(self, pk_attname, filtered_qs) -> dict:
        return {}  # no counts per choice: there are no choices, only two dates

    def choices(self, changelist) -> Iterator[dict[str, Any]]:
        # One "choice": the form, carrying the list's other parameters along.
        mine = {self.parameter_from, self.parameter_to, PAGE_VAR, ERROR_FLAG}
        yield {
            "selected": self.date_from is not None or self.date_to is not None,
            "parameter_from": self.parameter_from,
            "parameter_to": self.parameter_to,
            "value_from": self.date_from.isoformat() if self.date_from else "",
            "value_to": self.date_to.isoformat() if self.date_to else "",
            "hidden": [
                (name, value)
                for name, values in changelist.params.items()
                if name not in mine
                for value in (values if isinstance(values, list) else [values])
            ],
            "clear_query_string": changelist.get_query_string(
                remove=[self.parameter_from, self.parameter_to]
            ),
        }


# A table the planner thinks has at least this many rows shows its unfiltered list's
# count from the statistics; a smaller one is counted (quick, and exact).
ESTIMATE_FROM = 50_000


def rows_estimate(model: type[models.Model], using: str) -> int:
    """The planner's estimate of a table's rows (pg_class.reltuples, kept by ANALYZE
    and autovacuum); -1 for a table never analysed."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = to_regclass(%s)",
            [connection.ops.quote_name(model._meta.db_table)],
        )
        row = cursor.fetchone()
    return int(row[0]) if row else -1


class EstimatedCountPaginator(Paginator):
    """Counts a filtered list (through the filter's index) but not the whole of a big
    table: on PostgreSQL the unfiltered list's total is the planner's estimate, where
    COUNT(*) would read every row. (On SQLite, the embedded demo, it counts.)"""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if (
            isinstance(queryset, QuerySet)
            and not queryset.query.where
            and connections[queryset.db].vendor == "postgresql"
        ):
            estimate = rows_estimate(queryset.model, queryset.db)
            if estimate >= ESTIMATE_FROM:
                return estimate
        return super().count


class BigTableChangeList(ChangeList):
    """Sorts only by the columns the admin offers (`sortable_by`): a hand-made
    `?o=` for another would sort every row."""

    def get_ordering_field(self, field_name):
        if field_name not in self.sortable_by:
            return None
        return super().get_ordering_field(field_name)


class BigTableAdmin(admin.ModelAdmin):
    """The list of a table of millions of rows: no date hierarchy (add a
    DateRangeFilter on an indexed column instead), no full count, no counts per
    filter choice, the unfiltered total from the statistics, and no sorting by a
    column without an index."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    date_hierarchy = None
    # Sorted only in the list's own order (which follows an index); a column whose
    # header would sort every row is not offered. An admin names its indexed ones.
    sortable_by: tuple[str, ...] = ()

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return BigTableChangeList


# --- search by indexed columns only ---------------------------------------------------


def _nhs_number(term: str) -> str | None:
    digits = term.replace(" ", "")
    return digits if len(digits) == 10 and digits.isdigit() else None


def _phone(term: str) -> str | None:
    try:
        return uk_phone_e164(term)
    except ValidationError:
        return None


def _postcode(term: str) -> str | None:
    try:
        return normalise_postcode(term)
    except ValidationError:
        return None


class SurnameLower(Lower):
    """LOWER(last_name), the index person_name_dob's expression, on PostgreSQL; on
    SQLite, whose LOWER() lowers A-Z only ("Ó Súilleabháin" stayed "Ó súilleabháin"
    and was never found), the connection's unicode_lower (people/apps.py), which
    lowers every letter as PostgreSQL does."""

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, function="unicode_lower", **extra_context
        )


# How a term is compared with a column, each the way the column's index is made; a
# term that cannot be one (a name is not an NHS number) skips that column.
SEARCH_KINDS: dict[str, Callable[[str, str], Q | None]] = {
    # The value as typed, to the letter (a unique or plain index on the column).
    "exact": lambda path, term: Q(**{path: term}),
    # Ten digits, spaces allowed (the unique index on the NHS number).
    "nhs_number": lambda path, term: (
        Q(**{path: number}) if (number := _nhs_number(term)) else None
    ),
    # A UK number in any usual form, compared in international form as stored.
    "phone": lambda path, term: Q(**{path: phone}) if (phone := _phone(term)) else None,
    "postcode": lambda path, term: (
        Q(**{path: code}) if (code := _postcode(term)) else None
    ),
    # A whole surname in any case: LOWER(last_name) = 'smith', the leading expression
    # of the index person_name_dob (an iexact, UPPER(...), would read every row).
    # (`searched_name` is the lower-cased column, aliased by the search.)
    "surname": lambda path, term: Q(searched_name=term.lower()),
}


class IndexedSearchMixin:
    """Search that reads an index, never a table: one term, compared with each column
    of `indexed_search` ((path, kind) pairs, kinds from SEARCH_KINDS) as its index is
    made. Each column is its own query, and the rows are those of their UNION, so
    that a column of a joined table (the person's surname) does not turn an OR into
    a scan of both tables."""

    indexed_search: list[tuple[str, str]] = []

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return [path for path, _ in self.indexed_search]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if "\x00" in term:  # no value holds one (and PostgreSQL refuses it)
            return queryset.none(), False
        manager = queryset.model._default_manager
        branches = []
        for path, kind in self.indexed_search:
            condition = SEARCH_KINDS[kind](path, term)
            if condition is None:
                continue
            branch = manager.all()
            if kind == "surname":
                branch = branch.alias(searched_name=SurnameLower(path))
            branches.append(branch.filter(condition).order_by().values("pk"))
        if not branches:
            return queryset.none(), False
        matched = branches[0].union(*branches[1:]) if len(branches) > 1 else branches[0]
        return queryset.filter(pk__in=matched), False
