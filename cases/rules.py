"""The service's rules, read from settings: isolation periods and call attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings


def case_isolation_ends_on(*, symptom_onset: date | None, specimen_date: date) -> date:
    """Last day of isolation: N full days after onset, or after the test if no symptoms."""
    start = symptom_onset or specimen_date
    return start + timedelta(days=settings.TRACING_ISOLATION_DAYS["case"])


def contact_isolation_ends_on(*, last_exposure: date) -> date:
    """Last day of isolation: N full days after the last exposure."""
    return last_exposure + timedelta(days=settings.TRACING_ISOLATION_DAYS["contact"])


@dataclass(frozen=True)
class CallRule:
    max_attempts: int
    min_gap: timedelta
    window: timedelta

    @classmethod
    def for_kind(cls, kind: str) -> CallRule:
        rule = settings.TRACING_CALL_RULES[kind]
        return cls(
            max_attempts=rule["max_attempts"],
            min_gap=timedelta(hours=rule["min_gap_hours"]),
            window=timedelta(hours=rule["window_hours"]),
        )

    def escalate_due_at(self, arrived_at: datetime) -> datetime:
        """When an item not reached by then is out of time."""
        return arrived_at + self.window
