"""What the staffing pages share: the week asked for, and htmx partials."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone

from clock import monday_of

from ..htmx import part_only

# The weeks the pages show: ten years either way of today. A week further off is a
# mistyped address, read as an unreadable one (and year 9999 or 1 has no next or
# previous week to link to).
WEEKS_SHOWN_YEARS = 10


def _week(request: HttpRequest, now: datetime) -> date:
    """The Monday of the week asked for (?week=YYYY-MM-DD), else of this week: also
    when the week asked for is more than `WEEKS_SHOWN_YEARS` from today."""
    today = timezone.localdate(now)
    try:
        day = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = today
    if abs(day.year - today.year) > WEEKS_SHOWN_YEARS:
        day = today
    return monday_of(day)


def _week_nav(monday: date) -> dict[str, date]:
    return {
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
    }


def _partial(request: HttpRequest, template: str, part: str) -> str:
    return f"{template}#{part}" if part_only(request) else template
