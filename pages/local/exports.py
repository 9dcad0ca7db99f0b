"""The team's escalations as CSV, streamed row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from escalations.models import Escalation


class _Echo:
    """A file-like object whose write hands the line back, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


def _cell(value: object) -> str:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not text[1:].isdigit():
        return "'" + text
    return text


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


def _export_rows(rows) -> Iterator[list[str]]:
    yield EXPORT_HEADER
    for e in rows.iterator(chunk_size=500):
        item = e.item
        person = item.person
        yield [
            _cell(v)
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


def escalations_csv_lines(rows: QuerySet[Escalation]) -> Iterator[str]:
    """CSV lines for the escalations (with QUEUE_RELATED loaded), header first."""
    writer = csv.writer(_Echo())
    return (writer.writerow(row) for row in _export_rows(rows))
