"""The tags that show a work item's status and whether its call is due: one mapping
each, for the shared partials (calls/_status_tag.html, calls/_due_tag.html) and for
My work's rows, which are made ready in Python (pages/desk/queue_rows.py)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

STATUS_TAG_CLASS = {
    "reached": "nhsuk-tag--green",
    "completed": "nhsuk-tag--green",
    "escalated": "nhsuk-tag--red",
    "closed": "nhsuk-tag--grey",
    "new": "nhsuk-tag--white",
}
# Anything else (assigned, unreachable...) is blue.
OTHER_STATUS_CLASS = "nhsuk-tag--blue"

DUE_TAGS = {
    "overdue": ("nhsuk-tag--red", "Overdue"),
    "due": ("nhsuk-tag--orange", "Due now"),
}
# Drawn once: a queue asks for a tag on every row.
_DUE_TAG_HTML = {
    state: format_html('<strong class="nhsuk-tag {}">{}</strong>', *tag)
    for state, tag in DUE_TAGS.items()
}


@register.filter
def status_tag_class(status: str) -> str:
    """The design system's colour for a status tag."""
    return STATUS_TAG_CLASS.get(status, OTHER_STATUS_CLASS)


@register.filter
def due_tag(due_state: str) -> SafeString:
    """The tag for an item whose call is overdue or due now; nothing otherwise."""
    return _DUE_TAG_HTML.get(due_state, SafeString(""))


@register.filter
def isolation_over(ends_on) -> bool:
    """Whether isolation to the end of `ends_on` is over today (London's date):
    work.rules.isolation_over, the one rule, for the pages' tables."""
    from work.rules import isolation_over as over  # noqa: PLC0415

    return ends_on is not None and over(ends_on)


@register.filter
def closed_when_due(item) -> bool:
    """work.rules.closed_when_due: a contact the sweep will close, not send to a
    local team, its isolation over by then."""
    from work.rules import closed_when_due as closed  # noqa: PLC0415

    return closed(item)
