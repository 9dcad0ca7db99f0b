"""The retention rules: how long each kind of record is kept once closed
(settings.TRACING_RETENTION), and when a case or contact counts as closed.

A case is closed when completed or closed by its local team; a contact also when
reached (a reached contact has been told to isolate: nothing more is done with it).
It was closed at its latest stamp: closed, else completed, else reached (else, for
a record written without its stamps, created). A contact named again by another
case (a further exposure) counts from that naming if it is later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import DateTimeField, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.workitem import CASE_DONE, Status

CONTACT_DONE = (Status.REACHED, Status.COMPLETED, Status.CLOSED)


def done_statuses(kind: str) -> tuple[str, ...]:
    """The statuses in which a case ("case") or a contact ("contact") is closed."""
    return CONTACT_DONE if kind == "contact" else CASE_DONE


def closed_at(prefix: str = "") -> Coalesce:
    """When an item was closed (meaningful for an item in a closed status)."""
    return Coalesce(
        F(f"{prefix}closed_at"),
        F(f"{prefix}completed_at"),
        F(f"{prefix}reached_at"),
        F(f"{prefix}created_at"),
        output_field=DateTimeField(),
    )


@dataclass(frozen=True)
class RetentionDays:
    pseudonymise_after_days: int
    purge_contacts_after_days: int
    purge_cases_after_days: int
    audit_after_days: int
    warn_days_before_purge: int

    @classmethod
    def from_settings(cls) -> RetentionDays:
        config = settings.TRACING_RETENTION
        return cls(**{name: int(config[name]) for name in cls.__dataclass_fields__})

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Cutoffs:
    """The moments a run applies: a record closed at or before one is due."""

    pseudonymise_before: datetime
    purge_contacts_before: datetime
    purge_cases_before: datetime
    purge_audit_before: datetime
    # The end of the warning's days: a record due for purge by then (and not now) is
    # told to its local team now.
    warn_until: datetime

    @classmethod
    def at(cls, now: datetime, days: RetentionDays) -> Cutoffs:
        """Days counted on the local (Europe/London) clock: a record closed at 10:00
        is due at 10:00 so many days on, across a clock change too."""
        local = timezone.localtime(now)

        def back(n: int) -> datetime:
            return local - timedelta(days=n)

        return cls(
            pseudonymise_before=back(days.pseudonymise_after_days),
            purge_contacts_before=back(days.purge_contacts_after_days),
            purge_cases_before=back(days.purge_cases_after_days),
            purge_audit_before=back(days.audit_after_days),
            warn_until=local + timedelta(days=days.warn_days_before_purge),
        )


def batch_size(vendor: str) -> int:
    """Rows a batch takes; on SQLite (the embedded default) no more than its limit
    of parameters in one statement allows."""
    size = max(1, int(settings.TRACING_RETENTION["batch_size"]))
    return min(size, 500) if vendor == "sqlite" else size


def task_seconds() -> float:
    return float(settings.TRACING_RETENTION["task_seconds"])


def pseudonym_key() -> str:
    return settings.TRACING_PSEUDONYM_KEY
