from __future__ import annotations

from typing import Any

from django.db import models
from django.utils import timezone

from .models import AuditEvent


def audit_record(
    *,
    user,
    action: str,
    obj: models.Model,
    person=None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Write one audit event; `person` defaults to the object's own person."""
    if person is None:
        person = getattr(obj, "person", None)
    return AuditEvent.objects.create(
        at=timezone.now(),
        user=user if user is not None and user.is_authenticated else None,
        action=action,
        person=person,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail or {},
    )
