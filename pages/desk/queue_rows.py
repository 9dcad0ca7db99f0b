"""My work's rows, made ready in Python: what each row shows, as text.

A queue of 30 rendered through the template's own lookups, `{% url %}` and date
filters cost more than the queries that read it (bench/load.py --profile): each row
resolved some 25 lookups, reversed a URL, formatted two dates, and tested the phone
for truth (which validates it). Here each row is built once from the item, with the
URL from one reversal per page and the dates formatted as the template's filters
did ("j M", "j M Y", "H:i, D j M", in the local time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString
from phonenumber_field.phonenumber import PhoneNumber

from ..templatetags.work_tags import due_tag, status_tag_class

_ID = 987654321  # stands for the item's id in the URL reversed once per page


@dataclass(frozen=True)
class QueueRow:
    """One row of My work, its status and due tags drawn as the shared partials
    draw them (pages/templatetags/work_tags.py)."""

    url: str
    name: str
    lab_reference: str
    phone: str
    dated: str
    status_label: str
    status_class: str
    online_state: str
    attempts: int
    next_call: str
    due_state: str
    due_tag: SafeString


def _day_month(day: date) -> str:
    return f"{day.day} {day:%b}"


def _next_call(at: datetime | None) -> str:
    if at is None:
        return ""
    local = timezone.localtime(at)
    return f"{local:%H:%M}, {local:%a} {local.day} {local:%b}"


def _phone(phone) -> str:
    # Never tested for truth: a PhoneNumber validates itself to answer.
    return phone.as_national if isinstance(phone, PhoneNumber) else ""


def queue_rows(items: list, *, kind: str) -> list[QueueRow]:
    """The rows of a queue of cases (kind "case") or contacts, in its order."""
    pattern = reverse(
        "cases:detail" if kind == "case" else "contacts:detail", args=[_ID]
    )
    before, after = pattern.split(str(_ID))
    rows = []
    for item in items:
        person = item.person
        if kind == "case":
            dated = _day_month(item.result_date)
            lab_reference = item.lab_reference
        else:
            ends = item.isolation_ends_on
            dated = f"{_day_month(ends)} {ends.year}" if ends else ""
            lab_reference = ""
        rows.append(
            QueueRow(
                url=f"{before}{item.pk}{after}",
                name=person.full_name,
                lab_reference=lab_reference,
                phone=_phone(person.phone),
                dated=dated,
                status_label=item.get_status_display(),
                status_class=status_tag_class(item.status),
                online_state=getattr(item, "online_state", "") or "",
                attempts=item.attempts,
                next_call=_next_call(item.next_attempt_at),
                due_state=item.due_state,
                due_tag=due_tag(item.due_state),
            )
        )
    return rows
