from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Outcome(models.TextChoices):
    REACHED = "reached", "Reached"
    NO_ANSWER = "no_answer", "No answer"
    VOICEMAIL = "voicemail", "Voicemail left"
    WRONG_NUMBER = "wrong_number", "Wrong number"
    REFUSED = "refused", "Refused to take part"
    CALL_BACK = "call_back", "Asked to be called back"
    NEEDS_INTERPRETER = "needs_interpreter", "Needs an interpreter"
    SAFEGUARDING = "safeguarding", "Safeguarding concern"


class CallAttempt(models.Model):
    """One call to a case or a contact, and how it went."""

    # No index of their own: each leads its composite index (call_case, call_contact,
    # call_caller), which serves a lookup by it alone as well.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calls",
        db_index=False,
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="calls",
        db_index=False,
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="calls",
        db_index=False,
    )
    phone = models.CharField(max_length=32, blank=True)
    started_at = models.DateTimeField()
    duration_seconds = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    call_back_at = models.DateTimeField(null=True, blank=True)
    notes = models.TextField(blank=True)
    # The form (or API request, by its Idempotency-Key) the call was sent by: the same
    # one sent again (a double click, a retry after a timeout) is the same call.
    submission = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(contact__isnull=True))
                | (Q(case__isnull=True) & Q(contact__isnull=False)),
                name="call_is_for_case_or_contact",
            ),
            models.CheckConstraint(
                condition=~Q(outcome=Outcome.CALL_BACK) | Q(call_back_at__isnull=False),
                name="call_back_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["case", "-started_at"], name="call_case"),
            models.Index(fields=["contact", "-started_at"], name="call_contact"),
            models.Index(fields=["caller", "-started_at"], name="call_caller"),
            # The admin list's date range, newest first.
            models.Index(fields=["started_at"], name="call_started"),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} at {timezone.localtime(self.started_at):%d %b %H:%M}"

    @property
    def item(self):
        return self.case or self.contact


class Script(models.Model):
    """The call script for one tier and one kind of call."""

    class Audience(models.TextChoices):
        CASE = "case", "Case (tier 2)"
        CONTACT = "contact", "Contact (tier 3)"

    name = models.CharField(max_length=200)
    audience = models.CharField(max_length=10, choices=Audience.choices, unique=True)

    def __str__(self) -> str:
        return self.name


class ScriptStep(models.Model):
    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["script", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["script", "order"], name="script_step_order"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"


class KnowledgeArticle(models.Model):
    """Guidance a caseworker can look up during a call."""

    title = models.CharField(max_length=200, unique=True)
    body = models.TextField()
    keywords = models.CharField(max_length=300, blank=True)
    # Clinical guidance is for tier 2 only; call handlers see the rest.
    clinical = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title
