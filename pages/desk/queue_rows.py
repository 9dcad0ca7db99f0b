"""My work's rows, drawn in Python: the table body of a queue, as HTML.

A queue of 30 drawn by the template's loop cost more than the queries that read it
(bench/load.py --profile): each row resolved some 25 lookups, reversed a URL,
formatted two dates, and tested the phone for truth (which validates it). Making the
rows ready in Python first (3fb1ba5) took most of that; the loop itself, 30 rows of 15
lookups and filters each, still took 1.5 to 2 ms of a 15 to 20 ms request. Here each
row is drawn once, escaped as the template escaped it, with the URL from one reversal
per page and the dates formatted as the template's filters did ("j M", "j M Y",
"H:i, D j M", in the local time zone). The markup is the template's, row for row
(tests/workspace/test_queue_rows.py draws both and compares them):

    <tr class="nhsuk-table__row app-queue__row--{due state, or later}" role="row">
      <td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading"
        aria-hidden="true">Case </span><a href="{url}">{name}</a>
        [<br><span class="nhsuk-body-s nhsuk-u-secondary-text-colour">{lab ref}</span>]</td>
      <td ...><span ...>Phone </span>{phone, or a dash}</td>
      <td ...><span ...>Result </span>{date}</td>       (contacts: Isolates until)
      <td ...><span ...>Status </span><strong class="nhsuk-tag {colour}">{status}</strong>
        [<strong class="nhsuk-tag ..." data-testid="online-tag">Online: ...</strong>]</td>
      <td ...><span ...>Attempts </span>{attempts}</td>
      <td ...><span ...>Next call </span>{time, or a dash} [{due tag}]</td>
    </tr>
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from functools import cache
from html import escape  # what django.utils.html.escape calls, without its lazy check

from django.db.models import CharField, ExpressionWrapper, F, Model, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from people.phone_field import national_text

from ..templatetags.work_tags import due_tag, status_tag_class

_ID = 987654321  # stands for the item's id in the URL reversed once per page

# A cell's start, on a line of its own as in the template (the spaces between the
# tags are the template's, so the page looks the same).
_CELL = '\n<td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">'
_OPEN = "</span>"
_ONLINE_TAG = {
    "sent": '<strong class="nhsuk-tag nhsuk-tag--aqua-green" data-testid="online-tag">'
    "Online: sent link</strong>",
    "answered": '<strong class="nhsuk-tag nhsuk-tag--green" data-testid="online-tag">'
    "Online: answered</strong>",
}
_NOTHING = "\u2013"  # an en dash: the template's default for an empty cell


# The columns the rows draw (and the page's audit and due tags read): the queue is
# read with these alone, so it does not carry every column of a wide table. One
# missed here is read row by row (tests/workspace/test_queue.py counts the queries).
# The phone comes as stored text (STORED_PHONE), not as the person's phone field,
# which would parse every number on every read only to print it.
COLUMNS = {
    "case": ("lab_reference", "result_date"),
    "contact": ("isolation_ends_on",),
}
_COMMON = (
    "status",
    "attempts",
    "next_attempt_at",
    "person__first_name",
    "person__last_name",
)
STORED_PHONE = "stored_phone"


def queue_columns(kind: str) -> tuple[str, ...]:
    """The model columns `queue_rows_html` reads of a queue of cases ("case") or
    contacts (and the person's phone as text: `for_rows`)."""
    return COLUMNS[kind] + _COMMON


def for_rows(queue: QuerySet, kind: str) -> QuerySet:
    """The queue read for `queue_rows_html`: the columns it draws, and the person's
    phone as the text stored (formatted once per number: national_text)."""
    return queue.only(*queue_columns(kind)).annotate(
        **{STORED_PHONE: ExpressionWrapper(F("person__phone"), CharField())}
    )


def _day_month(day: date) -> str:
    return f"{day.day} {day:%b}"


def _next_call(at: datetime | None, zone: tzinfo) -> str:
    if at is None:
        return ""
    local = at.astimezone(zone)  # as timezone.localtime converts it
    return f"{local:%H:%M}, {local:%a} {local.day} {local:%b}"


@cache
def _status_labels(model: type[Model]) -> dict[str, str]:
    """The model's status labels by value, as get_status_display shows them."""
    return {
        value: str(label)
        for value, label in model._meta.get_field("status").flatchoices
    }


def queue_rows_html(items: list, *, kind: str) -> SafeString:
    """The table body's rows of a queue of cases (kind "case") or contacts, in its
    order, read by `for_rows`. Each item carries `due_state` (work.queues.with_due_state)
    and may carry `online_state` (pages.desk.cases.with_online_state)."""
    pattern = reverse(
        "cases:detail" if kind == "case" else "contacts:detail", args=[_ID]
    )
    before, after = (escape(part) for part in pattern.split(str(_ID)))
    kind_label, dated_label = (
        ("Case", "Result") if kind == "case" else ("Contact", "Isolates until")
    )
    zone = timezone.get_current_timezone()
    lines = []
    for item in items:
        person = item.person
        if kind == "case":
            dated = _day_month(item.result_date)
            lab_reference = (
                f'<br><span class="nhsuk-body-s nhsuk-u-secondary-text-colour">'
                f"{escape(item.lab_reference)}</span>"
                if item.lab_reference
                else ""
            )
        else:
            ends = item.isolation_ends_on
            dated = f"{_day_month(ends)} {ends.year}" if ends else ""
            lab_reference = ""
        due_state = item.due_state
        status = item.status
        label = _status_labels(type(item)).get(status, status)  # get_status_display
        lines.append(
            f'<tr class="nhsuk-table__row app-queue__row--{escape(due_state or "later")}"'
            f' role="row">'
            f"{_CELL}{kind_label} {_OPEN}<a href="
            f'"{before}{int(item.pk)}{after}">{escape(person.full_name)}</a>'
            f" {lab_reference}</td>"
            f"{_CELL}Phone {_OPEN}{escape(national_text(getattr(item, STORED_PHONE)) or _NOTHING)}</td>"
            f"{_CELL}{dated_label} {_OPEN}{escape(dated)}</td>"
            f'{_CELL}Status {_OPEN}<strong class="nhsuk-tag '
            f'{escape(status_tag_class(status))}">'
            f"{escape(label)}</strong>"
            f" {_ONLINE_TAG.get(getattr(item, 'online_state', '') or '', '')}</td>"
            f"{_CELL}Attempts {_OPEN}{int(item.attempts)}</td>"
            f"{_CELL}Next call {_OPEN}"
            f"{escape(_next_call(item.next_attempt_at, zone) or _NOTHING)}"
            f" {due_tag(due_state)}</td>"
            "\n</tr>"
        )
    return mark_safe("\n".join(lines))  # every value above is escaped
