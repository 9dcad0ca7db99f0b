"""The weekly figures the public was promised, computed from the time stamps.

For the cases transferred (created) in a week and the contacts identified in it: how
many were reached, and how many within 24 hours of arriving, each by the route that
reached them. One aggregate query per kind of work, whatever the volume.

The older, simpler reading (ISO weeks, England, the national route not split, contacts
counted as rows), kept for its callers. The figures the page and the API show are
`figures.weekly`: Thursday or ISO weeks, by team or area, tiers 2 and 3, contacts
counted as people, the times between the steps and the staff's hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Q
from django.utils import timezone

from cases.models import Case
from cases.workitem import Route
from clock import week_bounds
from contacts.models import Contact

WITHIN = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Week:
    """An ISO week (Monday to Sunday) in local time."""

    year: int
    week: int

    @classmethod
    def parse(cls, value: str) -> Week:
        """'2026-W47' -> Week; raises ValueError for anything else."""
        year, sep, week = value.strip().upper().partition("-W")
        if not sep or not (year.isdigit() and week.isdigit()) or len(year) != 4:
            raise ValueError("Give an ISO week such as 2026-W47.")
        if not 1900 <= int(year) <= 9000:
            raise ValueError("Give a week between 1900 and 9000.")
        try:
            dt.date.fromisocalendar(int(year), int(week), 1)
        except ValueError:
            raise ValueError(f"{value} is not a week of {year}.") from None
        return cls(int(year), int(week))

    @classmethod
    def last_complete(cls, today: dt.date | None = None) -> Week:
        today = today or timezone.localdate()
        year, week, _ = (today - dt.timedelta(days=7)).isocalendar()
        return cls(year, week)

    @property
    def starts_on(self) -> dt.date:
        return dt.date.fromisocalendar(self.year, self.week, 1)

    @property
    def ends_on(self) -> dt.date:
        return self.starts_on + dt.timedelta(days=6)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """Local midnight on Monday to local midnight the next Monday."""
        return week_bounds(self.starts_on)

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"


def _aggregates() -> dict:
    fast = Q(reached_at__lte=F("created_at") + WITHIN)
    counts = {
        "arrived": Count("pk"),
        "reached": Count("pk", filter=Q(reached_at__isnull=False)),
        "reached_within_24h": Count("pk", filter=Q(reached_at__isnull=False) & fast),
    }
    for route in Route.values:
        on_route = Q(reached_at__isnull=False, reached_route=route)
        counts[f"reached_{route}"] = Count("pk", filter=on_route)
        counts[f"within_{route}"] = Count("pk", filter=on_route & fast)
    return counts


def _shape(row: dict, arrived_as: str) -> dict:
    return {
        arrived_as: row["arrived"],
        "reached": row["reached"],
        "reached_within_24h": row["reached_within_24h"],
        "by_route": {
            route: {
                "reached": row[f"reached_{route}"],
                "reached_within_24h": row[f"within_{route}"],
            }
            for route in Route.values
        },
    }


def weekly_figures(*, week: Week) -> dict:
    """Cases transferred and contacts identified in the week, and how they were reached.

    Reached counts every item of the week's cohort reached by now; within 24 hours
    means reached no later than 24 hours after it arrived.
    """
    start, end = week.bounds()
    in_week = Q(created_at__gte=start, created_at__lt=end)
    cases = Case.objects.filter(in_week).aggregate(**_aggregates())
    contacts = Contact.objects.filter(in_week).aggregate(**_aggregates())
    return {
        "week": str(week),
        "starts_on": week.starts_on,
        "ends_on": week.ends_on,
        "cases": _shape(cases, "transferred"),
        "contacts": _shape(contacts, "identified"),
    }
