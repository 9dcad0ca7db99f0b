"""A moment as staff read it on a page or in a refusal: local (Europe/London) time,
short. One wording for every layer that tells staff when something happens or
happened (the call panel, the queue, the work core's refusals)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def short_time(at: datetime) -> str:
    """A time this week or next, as the call panel writes a day: "01:30 on Sun 6
    Dec", in local time whatever zone `at` is in."""
    at = timezone.localtime(at)
    return f"{at:%H:%M} on {at:%a} {at.day} {at:%b}"


def short_time_today(at: datetime, now: datetime | None = None) -> str:
    """short_time, but a time on the day of `now` (today) is its hour alone:
    "10:05", else "10:05 on Tue 12 Jan"."""
    local = timezone.localtime(at)
    if local.date() == timezone.localtime(now or timezone.now()).date():
        return f"{local:%H:%M}"
    return short_time(at)
