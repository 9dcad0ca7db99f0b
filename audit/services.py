"""Writing the audit trail: one row for one act, or many rows for a bulk act."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import models
from django.utils import timezone

from .models import AuditEvent


def audit_event(
    *,
    user,
    action: str,
    obj: models.Model,
    person=None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """An unsaved audit event; `person` defaults to the object's own person (read from
    its `person_id`, so no query is made for it)."""
    person_id = person.pk if person is not None else getattr(obj, "person_id", None)
    return AuditEvent(
        at=at or timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        person_id=person_id,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail or {},
    )


def audit_record(
    *,
    user,
    action: str,
    obj: models.Model,
    person=None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Write one audit event; `person` defaults to the object's own person."""
    event = audit_event(
        user=user, action=action, obj=obj, person=person, detail=detail, at=at
    )
    event.save()
    return event


def audit_record_many(events: Iterable[AuditEvent]) -> int:
    """Write many audit events in one statement (a bulk act writes its rows in bulk)."""
    return len(AuditEvent.objects.bulk_create(list(events), batch_size=2000))


def audit_view(
    *,
    user,
    obj: models.Model,
    via: str,
    person=None,
    detail: dict | None = None,
):
    """Record that someone read a person's record (a case, contact, escalation...),
    and through which door: "page", "api" or "admin"."""
    return audit_record(
        user=user,
        action=AuditEvent.Action.VIEW,
        obj=obj,
        person=person,
        detail={"via": via, **(detail or {})},
    )


def _person_id_of(item: Any) -> int | None:
    """The person an item shown is about: its `person_id`, or the person itself."""
    person_id = getattr(item, "person_id", None)
    if person_id is None and item._meta.label_lower == "people.person":
        person_id = item.pk
    return person_id


def audit_list_view(
    *,
    user,
    items: Iterable[models.Model],
    via: str,
    list_name: str,
    person_of: Callable[[Any], int | None] | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> int:
    """Record that someone was shown a list of people's records: one "view" event per
    person shown (the first item about them is the object), in one INSERT.

    `items` carry `person_id` (cases, contacts) or are persons; for anything else
    (calls, escalations) `person_of(item)` says whose record it is. Items about nobody
    are skipped; an empty list writes nothing. Returns the number of events written.
    """
    person_of = person_of or _person_id_of
    at = at or timezone.now()
    detail = {"via": via, "list": list_name, **(detail or {})}
    events: dict[int, AuditEvent] = {}
    for item in items:
        person_id = person_of(item)
        if person_id is None or person_id in events:
            continue
        event = audit_event(
            user=user,
            action=AuditEvent.Action.VIEW,
            obj=item,
            detail=detail,
            at=at,
        )
        event.person_id = person_id
        events[person_id] = event
    if not events:
        return 0
    return len(AuditEvent.objects.bulk_create(events.values()))


def audit_sign_in(
    *, user, action: str, username: str, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """A sign-in event (signed in, failed, locked out, unlocked...), recorded against
    the account named, whether or not it exists (`user` is who acted, if known)."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        object_type="auth.user",
        object_id=username[:40],
        detail={"username": username, **(detail or {})},
    )
