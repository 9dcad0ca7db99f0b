from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditIsAppendOnly(Exception):
    """The audit trail is written once and never changed or deleted by the service.

    (The database refuses it too: a trigger on audit_auditevent raises on UPDATE and
    DELETE unless the transaction has run `SET LOCAL tracing.audit_purge = 'on'`,
    which only the retention job does.)
    """


APPEND_ONLY = (
    "The audit trail is append-only: audit events are never changed or deleted."
)


class AuditEventQuerySet(models.QuerySet):
    """Reads and inserts only: updates and deletes raise AuditIsAppendOnly."""

    def update(self, **kwargs):
        raise AuditIsAppendOnly(APPEND_ONLY)

    def _update(self, values):
        raise AuditIsAppendOnly(APPEND_ONLY)

    def delete(self):
        raise AuditIsAppendOnly(APPEND_ONLY)

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def _raw_delete(self, using):
        raise AuditIsAppendOnly(APPEND_ONLY)

    def bulk_update(self, objs, fields, batch_size=None):
        raise AuditIsAppendOnly(APPEND_ONLY)

    def bulk_create(self, objs, *args, **kwargs):
        if kwargs.get("update_conflicts"):
            raise AuditIsAppendOnly(APPEND_ONLY)
        return super().bulk_create(objs, *args, **kwargs)


class AuditEvent(models.Model):
    """Who viewed or changed which person's data, and when. Append-only."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        ASSIGN = "assign", "Assigned"
        REASSIGN = "reassign", "Reassigned"
        ESCALATE = "escalate", "Escalated"
        EXPORT = "export", "Exported"
        CALL = "call", "Call logged"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
        LOCKED_OUT = "locked_out", "Locked out"
        UNLOCKED = "unlocked", "Unlocked"
        SIGN_OUT = "sign_out", "Signed out"
        TWO_FACTOR = "two_factor", "Two-factor"
        PASSWORD = "password", "Password"

    at = models.DateTimeField(db_index=False)
    # No index of their own on the two keys: (user, -at) and (person, -at) lead with
    # them, and every index is written on each of the trail's many inserts.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        help_text="Empty for the system's own tasks.",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            # Each list of the trail is read newest first, by keyset (at, id).
            models.Index(fields=["person", "-at"], name="audit_person"),
            models.Index(fields=["user", "-at"], name="audit_user"),
            models.Index(
                fields=["object_type", "object_id", "-at"], name="audit_object_at"
            ),
            models.Index(fields=["action", "-at", "-id"], name="audit_action_at"),
            models.Index(fields=["-at", "-id"], name="audit_at"),
            # One object's changes without its views, which are most of the trail
            # (every page view writes one): what a page reads of what was done to the
            # object it shows, however often it has been opened.
            models.Index(
                fields=["object_type", "object_id", "-at"],
                name="audit_object_changes",
                condition=~models.Q(action="view"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.action} {self.object_type} {self.object_id}"

    def save(
        self,
        *,
        force_insert=False,
        force_update=False,
        using=None,
        update_fields=None,
    ) -> None:
        """Insert a new event; an event already saved is never saved again."""
        if not self._state.adding or force_update or update_fields is not None:
            raise AuditIsAppendOnly(APPEND_ONLY)
        # Always an INSERT, even with an explicit id: never an UPDATE of a row.
        super().save(force_insert=True, using=using)

    save.alters_data = True  # type: ignore[attr-defined]

    def delete(self, using=None, keep_parents=False):
        raise AuditIsAppendOnly(APPEND_ONLY)

    delete.alters_data = True  # type: ignore[attr-defined]
