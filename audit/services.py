"""Writing the audit trail: one row for one act, or many rows for a bulk act."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.utils import timezone

from rows.insert import insert_rows

from .models import AuditEvent


def _actor(user):
    """Who acted, as the trail records them: a signed-in user, else nobody (the
    system's own tasks, an anonymous visitor)."""
    return user if user is not None and user.is_authenticated else None


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
        user=_actor(user),
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
    return len(insert_rows(list(events)))


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
    shown: dict[int, tuple[str, str]] = {}  # person -> (object type, object id)
    for item in items:
        person_id = person_of(item)
        if person_id is None or person_id in shown:
            continue
        shown[person_id] = (item._meta.label_lower, str(item.pk))
    if not shown:
        return 0
    actor = _actor(user)
    user_id = actor.pk if actor is not None else None
    if connection.vendor == "postgresql":
        return _list_view_rows_insert(shown, user_id=user_id, detail=detail, at=at)
    return len(
        AuditEvent.objects.bulk_create(
            AuditEvent(
                at=at,
                user_id=user_id,
                action=AuditEvent.Action.VIEW,
                person_id=person_id,
                object_type=object_type,
                object_id=object_id,
                detail=detail,
            )
            for person_id, (object_type, object_id) in shown.items()
        )
    )


def _list_view_rows_insert(
    shown: dict[int, tuple[str, str]], *, user_id, detail: dict, at: datetime
) -> int:
    """The rows of audit_list_view by one INSERT ... SELECT from arrays: everything
    but the person and the object is the same for every row, so no model instance is
    made for each (an export of 70,000 people spent half its time making them)."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    encoder = AuditEvent._meta.get_field("detail").encoder
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table}"
            " (at, user_id, action, person_id, object_type, object_id, detail)"
            " SELECT %s, %s, %s, shown.person_id, shown.object_type, shown.object_id,"
            " %s::jsonb"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[])"
            " AS shown(person_id, object_type, object_id)",
            [
                at,
                user_id,
                AuditEvent.Action.VIEW,
                json.dumps(detail, cls=encoder),
                list(shown),
                [object_type for object_type, _ in shown.values()],
                [object_id for _, object_id in shown.values()],
            ],
        )
        return cursor.rowcount


def audit_sign_in(
    *, user, action: str, username: str, detail: dict[str, Any] | None = None
) -> AuditEvent:
    """A sign-in event (signed in, failed, locked out, unlocked...), recorded against
    the account named, whether or not it exists (`user` is who acted, if known)."""
    return AuditEvent.objects.create(
        at=timezone.now(),
        user=_actor(user),
        action=action,
        object_type="auth.user",
        object_id=username[:40],
        detail={"username": username, **(detail or {})},
    )
