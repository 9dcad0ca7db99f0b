"""Histories built by hand, in bulk: cases arriving at set hours of set days."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo

from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import Status
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
# Lab references unique across every batch of a test run.
_references = itertools.count()


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


def cases_arriving(
    per_day: Sequence[int],
    *,
    last_day: dt.date,
    hours: Iterable[int] = range(8, 20),
    area=None,
    waiting: bool = False,
) -> int:
    """per_day[i] cases on the day len(per_day) - 1 - i days before `last_day`, spread
    evenly over the local `hours` (the remainder in the first hours). Two queries
    whatever the number: one person behind them all, the cases in one INSERT.

    Each is reached (online, no call) and completed as it arrives, as past work is:
    the forecast counts the work still waiting as work to do, so a history must not
    be a backlog unless asked for (`waiting`: new, not yet called)."""
    hours = list(hours)
    person = f.PersonFactory(**({"area": area} if area is not None else {}))
    first = last_day - dt.timedelta(days=len(per_day) - 1)
    cases = []
    for i, n in enumerate(per_day):
        day = first + dt.timedelta(days=i)
        for k in range(n):
            arrived = at(day, hours[k % len(hours)], (k // len(hours)) % 60)
            cases.append(
                Case(
                    person=person,
                    area=person.area,
                    lab_reference=f"H{next(_references):09d}",
                    specimen_date=day - dt.timedelta(days=2),
                    result_date=day - dt.timedelta(days=1),
                    isolation_ends_on=day + dt.timedelta(days=8),
                    created_at=arrived,
                    next_attempt_at=arrived,
                    escalate_due_at=arrived + dt.timedelta(hours=24),
                    **(
                        {}
                        if waiting
                        else {
                            "status": Status.COMPLETED,
                            "reached_at": arrived,
                            "completed_at": arrived,
                        }
                    ),
                )
            )
    Case.objects.bulk_create(cases, batch_size=2000)
    return len(cases)


def calls_made(
    n: int,
    *,
    caller,
    started_at: dt.datetime,
    minutes: float,
    outcome: str = "reached",
    case=None,
    contact=None,
) -> None:
    """n calls to one case or contact by one caller, each `minutes` long, in one
    INSERT."""
    CallAttempt.objects.bulk_create(
        CallAttempt(
            case=case,
            contact=contact,
            caller=caller,
            started_at=started_at,
            duration_seconds=round(minutes * 60),
            outcome=outcome,
        )
        for _ in range(n)
    )
