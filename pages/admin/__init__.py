"""The admin site: reference data is edited here; state and ownership are shown read
only, and changed only through actions that call the same services as the pages
(reassign, return to the pool, change an hours cap with a reason, verify a
registration, cancel a shift)."""

from . import (  # noqa: F401  (each module registers its models)
    accounts,
    areas,
    audit,
    calls,
    cases,
    contacts,
    escalations,
    people,
    retention,
    staffing,
)
