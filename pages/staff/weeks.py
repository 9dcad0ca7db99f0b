"""What the staffing pages share: the week asked for, and htmx partials."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.http import HttpRequest
from django.utils import timezone

from clock import monday_of


def _week(request: HttpRequest, now: datetime) -> date:
    """The Monday of the week asked for (?week=YYYY-MM-DD), else of this week."""
    try:
        day = date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        day = timezone.localdate(now)
    return monday_of(day)


def _week_nav(monday: date) -> dict[str, date]:
    return {
        "monday": monday,
        "sunday": monday + timedelta(days=6),
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
    }


def _partial(request: HttpRequest, template: str, part: str) -> str:
    return f"{template}#{part}" if request.htmx else template
