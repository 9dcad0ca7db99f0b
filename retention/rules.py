"""The retention rules: how long each kind of record is kept once closed
(settings.TRACING_RETENTION), and when a case or contact counts as closed.

Pseudonymisation waits days (180) and the warning to local teams is given days
ahead (7); the purges wait calendar years (contacts 5, cases 8, the audit trail 10),
counted on the local (Europe/London) clock whatever 29 Februarys they span: a record
closed at 10:00 on 1 March 2023 is due at 10:00 on 1 March 2028. A record closed on
29 February is due on 1 March of a year without one (its years kept in full): a
run's cut-off, its moment so many years back, falls on 28 February then
(years_back), and a record's day is years_on.

A case is closed when completed or closed by its local team; a contact also when
reached (a reached contact has been told to isolate: nothing more is done with it).
It was closed at its latest stamp: closed, else completed, else reached (else, for
a record written without its stamps, created). A contact named again by another
case (a further exposure) counts from that naming if it is later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import DateTimeField, F
from django.db.models.functions import Coalesce
from django.utils import timezone

from cases.workitem import CASE_DONE, Status

# A withdrawn contact (its case's result sent in error, work.withdraw) is done too,
# closed when it was withdrawn (closed_at): kept and purged as a closed one is.
CONTACT_DONE = (Status.REACHED, Status.COMPLETED, Status.CLOSED, Status.WITHDRAWN)


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


def years_on(day: date, years: int) -> date:
    """The local day a record of `day` is due, `years` calendar years on: the same
    date, or 1 March for 29 February in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, to a year without one
        return date(day.year + years, 3, 1)


def years_back(moment: datetime, years: int) -> datetime:
    """A run's cut-off: the same local time `years` calendar years before, on
    28 February for 29 February in a year without one (so what was closed on
    29 February is taken on 1 March: years_on)."""
    local = timezone.localtime(moment)
    try:
        return local.replace(year=local.year - years)
    except ValueError:  # 29 February, from a year without one
        return local.replace(year=local.year - years, day=28)


# The purges' periods, once in days: a run started before they were counted in
# years (its rules stored with days) is read as the years those days stood for.
_OLD_DAYS = {
    "purge_contacts_after_years": "purge_contacts_after_days",
    "purge_cases_after_years": "purge_cases_after_days",
    "audit_after_years": "audit_after_days",
}
DAYS_A_YEAR = 365.2425


@dataclass(frozen=True)
class RetentionDays:
    """The rules' periods: pseudonymisation and the warning in days, the purges in
    calendar years (years_back, years_on)."""

    pseudonymise_after_days: int
    purge_contacts_after_years: int
    purge_cases_after_years: int
    audit_after_years: int
    warn_days_before_purge: int

    @classmethod
    def from_settings(cls) -> RetentionDays:
        return cls.of_run(settings.TRACING_RETENTION)

    @classmethod
    def of_run(cls, stored: dict[str, Any]) -> RetentionDays:
        """The periods as settings hold them, or as a run stored them (RetentionRun
        .rules["days"]), also a run stored when the purges were counted in days."""
        values = {}
        for name in cls.__dataclass_fields__:
            if name not in stored and name in _OLD_DAYS:
                values[name] = round(int(stored[_OLD_DAYS[name]]) / DAYS_A_YEAR)
            else:
                values[name] = int(stored[name])
        return cls(**values)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def period_words(stored: dict[str, Any], rule: str) -> str:
    """A rule's period in words ("180 days", "5 years") as a run stored it (in days
    for the purges of a run stored before they were counted in years; "" for none).
    `rule`: "pseudonymise", "purge_contacts", "purge_cases" or "audit"."""
    for unit in ("years", "days"):
        value = stored.get(f"{rule}_after_{unit}")
        if value is not None:
            return f"{value} {unit[:-1] if int(value) == 1 else unit}"
    return ""


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
        """Counted on the local (Europe/London) clock: a record closed at 10:00 is
        due at 10:00 so many days, or calendar years, on, across a clock change
        too."""
        local = timezone.localtime(now)
        return cls(
            pseudonymise_before=local - timedelta(days=days.pseudonymise_after_days),
            purge_contacts_before=years_back(local, days.purge_contacts_after_years),
            purge_cases_before=years_back(local, days.purge_cases_after_years),
            purge_audit_before=years_back(local, days.audit_after_years),
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
