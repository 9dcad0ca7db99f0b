"""Reading the audit trail: newest first, a page at a time by keyset.

A page is one indexed query, whatever the size of the table: the rows before a cursor
(at, id), newest first, one more than the page to know whether there is another. No
OFFSET, no COUNT(*). Each filter reads the index made for it: a person's trail
(person, -at), a user's (user, -at), an object's (object_type, object_id, -at), an
action's (action, -at, -id), and everything (-at, -id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet, Subquery

from clock import local_midnight, moment_of
from rows.ids import row_id

from .models import AuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the (at, id) of its last, oldest row."""

    at: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.at.isoformat()},{self.id}"

    @classmethod
    def parse(cls, value: str | None) -> Cursor | None:
        """`<iso time>,<id>`, as __str__ writes it; anything else is None (the first
        page). A "+" the query string turned into a space is put back."""
        if not value:
            return None
        moment, _, pk = value.strip().rpartition(",")
        at, row = moment_of(moment), row_id(pk)
        if at is None or row is None:
            return None
        return cls(at=at, id=row)


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next: Cursor | None  # the cursor of the next (older) page, if there is one
    before: Cursor | None  # the cursor this page was read from (None: the newest)


def page_query(
    events: QuerySet[AuditEvent], *, before: Cursor | None, size: int = PAGE_SIZE
) -> QuerySet[AuditEvent]:
    """The one query of a page: the rows older than `before`, newest first, one more
    than the page (to know whether another follows)."""
    if before is not None:
        # at <= t reads the index as a range; the tie on `at` is cut by id.
        events = events.filter(
            Q(at__lte=before.at) & (Q(at__lt=before.at) | Q(id__lt=before.id))
        )
    return events.order_by("-at", "-id")[: size + 1]


def audit_page(
    events: QuerySet[AuditEvent],
    *,
    before: Cursor | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """One page of `events`, newest first, older than `before`."""
    rows = list(page_query(events, before=before, size=size))
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more else None
    return AuditPage(
        events=rows,
        next=Cursor(at=last.at, id=last.pk) if last is not None else None,
        before=before,
    )


@dataclass(frozen=True)
class AuditFilters:
    username: str = ""
    person_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive: the whole local day

    @property
    def index(self) -> str:
        """The index a search with these filters reads (for the page and the bench)."""
        if self.person_id is not None:
            return "audit_person"
        if self.object_type and self.object_id:
            return "audit_object_at"
        if self.username:
            return "audit_user"
        if self.action:
            return "audit_action_at"
        return "audit_at"


def audit_search(filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The events matching every filter given (page them with `audit_page`)."""
    events = AuditEvent.objects.all()
    if filters.username:
        # The user's id as a scalar subquery: the planner then reads (user, -at)
        # rather than joining auth_user to every row.
        user_ids = get_user_model().objects.filter(username=filters.username)
        events = events.filter(user_id=Subquery(user_ids.values("pk")[:1]))
    if filters.person_id is not None:
        events = events.filter(person_id=filters.person_id)
    if filters.object_type or filters.object_id:
        events = events.filter(
            object_type=filters.object_type, object_id=filters.object_id
        )
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.date_from is not None:
        events = events.filter(at__gte=local_midnight(filters.date_from))
    if filters.date_to is not None and filters.date_to < date.max:
        events = events.filter(at__lt=local_midnight(filters.date_to + timedelta(1)))
    return events


def person_trail(person_id: int) -> QuerySet[AuditEvent]:
    """Every event about one person (read by (person, -at))."""
    return AuditEvent.objects.filter(person_id=person_id)


def users_named(events: list[AuditEvent]) -> dict[Any, Any]:
    """The users the events' details name ("from", "to", "caller", "clinician"), by
    id, in one query (none when no event names anyone)."""
    ids = {
        value
        for event in events
        if isinstance(event.detail, dict)
        for key, value in event.detail.items()
        if key in ("from", "to", "caller", "clinician") and isinstance(value, int)
    }
    if not ids:
        return {}
    return get_user_model().objects.in_bulk(ids)
