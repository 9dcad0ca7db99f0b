"""The team's escalations as CSV, streamed a batch at a time from a server-side
cursor: each line from tuples, not model instances (the escalation's columns from the
stream, the times formatted by PostgreSQL; its item's from one query a batch by
primary key).

Times are UK time with the zone's name after each ("2026-10-25 01:30 BST"): the hour
the clocks go back happens twice, and without it its two 01:30s read the same."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, tzinfo
from functools import cache
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import CharField, F, Func, QuerySet, Value
from django.db.models.functions import Cast
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation

from ..csv_cells import BOM, csv_cell


class _Echo:
    """A file-like object whose write hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


EXPORT_HEADER = [
    "escalation",
    "kind",
    "item",
    "first name",
    "last name",
    "phone",
    "email",
    "postcode",
    "area",
    "reason",
    "detail",
    "status",
    "escalated at (UK time)",
    "due at (UK time)",
    "picked up by",
    "picked up at (UK time)",
    "closed at (UK time)",
    "outcome",
    "outcome note",
]


BATCH = 500

# The columns of a line's tuple, in order. Each escalation is of a case or a contact
# (a check constraint), so its item's columns are the case's, else the contact's.
_COLUMNS = (
    "pk",
    "case_id",
    "contact_id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "postcode",
    "area_name",
    "reason",
    "detail",
    "status",
    "created_at",
    "due_at",
    "picker_first_name",
    "picker_last_name",
    "picker_username",
    "picked_up_at",
    "closed_at",
    "outcome",
    "outcome_note",
    "person_id",
)
_TIMES = ("created_at", "due_at", "picked_up_at", "closed_at")
PERSON = _COLUMNS.index("person_id")
# Those read from the escalation's item, in _ITEM_READ's order after its key.
_ITEM = (
    "first_name",
    "last_name",
    "phone",
    "email",
    "postcode",
    "area_name",
    "person_id",
)

_REASONS = dict(Escalation.Reason.choices)
_STATUSES = dict(Escalation.Status.choices)
_OUTCOMES = dict(Escalation.Outcome.choices)


def _zone_names(zone: tzinfo) -> dict[int, str]:
    """The zone's names by their offset from UTC in seconds, as this year's winter
    and summer print them: {0: "GMT", 3600: "BST"} for Europe/London."""
    return _zone_names_in(zone, timezone.now().year)


@cache
def _zone_names_in(zone: tzinfo, year: int) -> dict[int, str]:
    """_zone_names for `year`, worked out once (the export without PostgreSQL asks
    for every time of every row)."""
    names = {}
    for month in (1, 7):
        moment = datetime(year, month, 15, 12, tzinfo=zone)
        offset = moment.utcoffset() or timedelta(0)
        names[int(offset.total_seconds())] = moment.tzname() or "UTC"
    return names


def _zone_name(offset: int, names: dict[int, str]) -> str:
    """The name of a local time `offset` seconds ahead of UTC; an offset the zone
    had in no recent year as UTC and the offset ("UTC+02:00"), as _LocalMinute
    writes it."""
    if offset in names:
        return names[offset]
    sign = "-" if offset < 0 else "+"
    hours, seconds = divmod(abs(offset), 3600)
    return f"UTC{sign}{hours:02d}:{seconds // 60:02d}"


class _LocalMinute(Func):
    """A time as local text with its zone's name, "2021-01-12 10:00 GMT", formatted
    by PostgreSQL. to_char's TZ would name the session's zone (UTC), not the one the
    time was moved to, so the name comes from the local time's offset from UTC
    (`names`, from _zone_names), as _zone_name finds it."""

    output_field = CharField()

    def __init__(self, moment: F, zone: str, names: dict[int, str]) -> None:
        super().__init__(moment, Value(zone), names=names)

    def as_sql(
        self,
        compiler,
        connection,
        function=None,
        template=None,
        arg_joiner=None,
        **extra_context,
    ):
        moment, zone = self.get_source_expressions()
        at_sql, at_params = compiler.compile(moment)
        zone_sql, zone_params = compiler.compile(zone)
        local = f"({at_sql} AT TIME ZONE {zone_sql})"
        local_params = [*at_params, *zone_params]
        # Seconds ahead of UTC: the local time less the same moment in UTC.
        offset = f"EXTRACT(EPOCH FROM {local} - ({at_sql} AT TIME ZONE 'UTC'))::integer"
        offset_params = [*local_params, *at_params]
        names = self.extra["names"]
        sql = (
            f"to_char({local}, 'YYYY-MM-DD HH24:MI') || ' ' || CASE {offset} "
            + "WHEN %s THEN %s " * len(names)
            + f"ELSE 'UTC' || CASE WHEN {offset} < 0 THEN '-' ELSE '+' END"
            + f" || to_char(make_interval(secs => abs({offset})), 'HH24:MI') END"
        )
        params = [
            *local_params,
            *offset_params,
            *(param for pair in names.items() for param in pair),
            *offset_params,
            *offset_params,
        ]
        return sql, params


def escalation_person_id(escalation: Escalation) -> int | None:
    """Whose record an escalation row shows: its case's or contact's person."""
    item = escalation.item
    return item.person_id if item is not None else None


# The escalation's own columns, read by the streaming query; an item's columns are
# read for a batch at a time by primary key (one query for its cases, one for its
# contacts). A LEFT JOIN of every escalation to both tables, each row having only
# one of them, is planned as a hash join reading a whole table once the team's
# share of escalations is large enough.
_OWN = tuple(name for name in _COLUMNS if name not in _ITEM)
_ITEM_READ = (
    "pk",
    "person__first_name",
    "person__last_name",
    "person__phone",
    "person__email",
    "person__postcode",
    "area__name",
    "person_id",
)
_PHONE_AS_TEXT = {"person__phone": "phone_text"}
_NO_ITEM = (None,) * (len(_ITEM_READ) - 1)
_CASE_AT, _CONTACT_AT = _OWN.index("case_id"), _OWN.index("contact_id")
# Where each of _COLUMNS comes from: (from the item?, its place in that tuple).
_PICK = tuple(
    (True, _ITEM.index(name)) if name in _ITEM else (False, _OWN.index(name))
    for name in _COLUMNS
)


def _export_values(rows: QuerySet[Escalation]) -> QuerySet[Escalation, tuple]:
    """The escalations' own columns (_OWN) as tuples, on PostgreSQL with the times
    formatted there too (elsewhere they are read as datetimes and formatted in
    Python)."""
    in_sql = connections[rows.db].vendor == "postgresql"
    zone = timezone.get_current_timezone_name()
    names = _zone_names(timezone.get_current_timezone())
    times = {
        f"{name}_text": _LocalMinute(F(name), zone, names) if in_sql else F(name)
        for name in _TIMES
    }
    columns = {name: f"{name}_text" for name in _TIMES}
    return rows.annotate(
        picker_first_name=F("picked_up_by__first_name"),
        picker_last_name=F("picked_up_by__last_name"),
        picker_username=F("picked_up_by__username"),
        **times,
    ).values_list(*(columns.get(name, name) for name in _OWN))


def _items(model: type[Case] | type[Contact], ids: list[int], using: str) -> dict:
    """The item columns (_ITEM_READ after the key) of the items `ids`, by key.

    The phone as the text stored (E.164 for a valid number, what was typed for one
    that is not), which is what its PhoneNumber would print: read as a PhoneNumber,
    each was parsed and validated twice, a third of a large export's time."""
    if not ids:
        return {}
    rows = (
        model.objects.using(using)
        .filter(pk__in=ids)
        .annotate(phone_text=Cast("person__phone", CharField()))
        .values_list(*(_PHONE_AS_TEXT.get(name, name) for name in _ITEM_READ))
    )
    return {row[0]: row[1:] for row in rows}


def _with_items(batch: list[tuple], using: str) -> list[tuple]:
    """A batch of _OWN tuples as _COLUMNS tuples, its items' columns filled in."""
    cases = _items(Case, [r[_CASE_AT] for r in batch if r[_CASE_AT]], using)
    contacts = _items(Contact, [r[_CONTACT_AT] for r in batch if r[_CONTACT_AT]], using)
    joined = []
    for row in batch:
        if row[_CASE_AT] is not None:
            item = cases.get(row[_CASE_AT], _NO_ITEM)
        else:
            item = contacts.get(row[_CONTACT_AT], _NO_ITEM)
        joined.append(tuple(item[i] if of_item else row[i] for of_item, i in _PICK))
    return joined


def _batches(rows: QuerySet[Escalation]) -> Iterator[list[tuple]]:
    """The rows a batch at a time, read from a server-side cursor: a large export
    never holds more than one batch in memory."""
    stream = _export_values(rows).iterator(chunk_size=BATCH)
    while batch := list(islice(stream, BATCH)):
        yield _with_items(batch, rows.db)


def _local(value) -> str:
    """A time as _LocalMinute writes it (formatted here when the database is not
    PostgreSQL), or the text it wrote."""
    if isinstance(value, datetime):
        local = timezone.localtime(value)
        offset = int((local.utcoffset() or timedelta(0)).total_seconds())
        zone = _zone_name(offset, _zone_names(timezone.get_current_timezone()))
        return f"{local:%Y-%m-%d %H:%M} {zone}"
    return value or ""


def _export_row(row: tuple) -> list:
    """One line: text a person typed passes csv_cell; numbers, labels and times
    cannot start like a formula."""
    (
        pk,
        case_id,
        contact_id,
        first_name,
        last_name,
        phone,
        email,
        postcode,
        area_name,
        reason,
        detail,
        status,
        created_at,
        due_at,
        picker_first_name,
        picker_last_name,
        picker_username,
        picked_up_at,
        closed_at,
        outcome,
        outcome_note,
        _person_id,
    ) = row
    picked_up_by = ""
    if picker_username is not None:
        # As User.get_full_name(), else the username.
        full_name = f"{picker_first_name} {picker_last_name}".strip()
        picked_up_by = csv_cell(full_name or picker_username)
    return [
        pk,
        "case" if case_id is not None else "contact",
        case_id if case_id is not None else contact_id,
        csv_cell(first_name),
        csv_cell(last_name),
        csv_cell(phone),
        csv_cell(email),
        csv_cell(postcode),
        csv_cell(area_name),
        _REASONS.get(reason, reason),
        csv_cell(detail),
        _STATUSES.get(status, status),
        _local(created_at),
        _local(due_at),
        picked_up_by,
        _local(picked_up_at),
        _local(closed_at),
        _OUTCOMES.get(outcome, outcome),
        csv_cell(outcome_note),
    ]


def escalations_audited(
    batch: list[tuple], *, using: str = DEFAULT_DB_ALIAS
) -> tuple[list[Escalation], dict[int, int]]:
    """What a batch shows, for audit_list_view: the first escalation about each
    person (its key alone loaded, as Model.from_db loads a deferred row: no query,
    and a fifth of the cost of Escalation(pk=...)) and whose record each one is."""
    first_about: dict[int, int] = {}
    for row in batch:
        person_id = row[PERSON]
        if person_id is not None and person_id not in first_about:
            first_about[person_id] = row[0]
    return (
        [Escalation.from_db(using, ["id"], [pk]) for pk in first_about.values()],
        {pk: person_id for person_id, pk in first_about.items()},
    )


def escalations_csv_lines(
    rows: QuerySet[Escalation],
    *,
    on_batch: Callable[[list[tuple]], None] | None = None,
) -> Iterator[str]:
    """The escalations as CSV text, in the queryset's order: the header line first,
    then one chunk of lines a batch.

    `on_batch(batch)` is called with each batch of rows (tuples: see
    escalations_audited) before their lines are yielded (the view audits the people
    in it)."""
    writer = csv.writer(_Echo())
    yield BOM + writer.writerow(EXPORT_HEADER)
    for batch in _batches(rows):
        if on_batch is not None:
            on_batch(batch)
        # One chunk a batch: the response encodes and hands on each chunk it is
        # given, so a chunk a line cost as much again as making the line.
        yield "".join([writer.writerow(_export_row(row)) for row in batch])
