"""The team's escalations as CSV, streamed row by row."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from itertools import islice

from django.db.models import QuerySet
from django.utils import timezone

from escalations.models import Escalation

from ..csv_cells import csv_cell


class _Echo:
    """A file-like object whose write hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


EXPORT_HEADER = [
    "escalation",
    "kind",
    "item",
    "first name",
    "last name",
    "phone",
    "postcode",
    "area",
    "reason",
    "detail",
    "status",
    "escalated at",
    "due at",
    "picked up by",
    "picked up at",
    "closed at",
    "outcome",
    "outcome note",
]


BATCH = 500


def escalation_person_id(escalation: Escalation) -> int | None:
    """Whose record an escalation row shows: its case's or contact's person."""
    item = escalation.item
    return item.person_id if item is not None else None


def _batches(rows: QuerySet[Escalation]) -> Iterator[list[Escalation]]:
    """The rows a batch at a time, read from a server-side cursor: a large export
    never holds more than one batch in memory."""
    stream = rows.iterator(chunk_size=BATCH)
    while batch := list(islice(stream, BATCH)):
        yield batch


def _export_rows(
    rows, on_batch: Callable[[list[Escalation]], None] | None = None
) -> Iterator[list[str]]:
    yield EXPORT_HEADER
    for batch in _batches(rows):
        if on_batch is not None:
            on_batch(batch)
        for e in batch:
            yield _export_row(e)


def _export_row(e: Escalation) -> list[str]:
    item = e.item
    person = item.person
    return [
        csv_cell(v)
        for v in (
            e.pk,
            item.kind,
            item.pk,
            person.first_name,
            person.last_name,
            person.phone,
            person.postcode,
            item.area.name if item.area else "",
            e.get_reason_display(),
            e.detail,
            e.get_status_display(),
            _local(e.created_at),
            _local(e.due_at),
            (e.picked_up_by.get_full_name() or e.picked_up_by.username)
            if e.picked_up_by
            else "",
            _local(e.picked_up_at),
            _local(e.closed_at),
            e.get_outcome_display() if e.outcome else "",
            e.outcome_note,
        )
    ]


def escalations_csv_lines(
    rows: QuerySet[Escalation],
    *,
    on_batch: Callable[[list[Escalation]], None] | None = None,
) -> Iterator[str]:
    """CSV lines for the escalations (with QUEUE_RELATED loaded), header first.

    `on_batch(batch)` is called with each batch of rows before their lines are
    yielded (the view audits the people in it)."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in _export_rows(rows, on_batch))
