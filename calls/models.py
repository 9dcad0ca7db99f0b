from __future__ import annotations

from datetime import datetime, timedelta

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


# A call's outcome logged by mistake (the wrong contact's "Reached", a voicemail
# logged as "Reached") may be corrected for this long after the call
# (work.calls.call_correct): long enough to notice it at a break or on reading back
# the morning's calls, short enough that the next call and the deadline for the local
# team it had are still ahead, or just behind, and the week it is counted in is
# still open. Later, what was done is for the item's own route (its local team).
CORRECTABLE_FOR = timedelta(hours=4)

# The outcomes whose effect is the item's alone (its status, attempts, next call and
# deadline, its reaching, its advice text): a call logged with one of them may be
# corrected to another. A call back may be corrected (to what it was), but not
# booked by a correction: it needs a time asked for on the call. A safeguarding
# concern (escalated at once, supervisors emailed) and an interpreter needed (handed
# on, their language recorded) have gone beyond the item: not corrected.
CORRECTED_TO = (
    Outcome.REACHED,
    Outcome.NO_ANSWER,
    Outcome.VOICEMAIL,
    Outcome.WRONG_NUMBER,
    Outcome.REFUSED,
)
CORRECTED_FROM = (*CORRECTED_TO, Outcome.CALL_BACK)
CORRECTION_REASON_MAX = 1000


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
    # The item as the call found it and as it left it (WorkItem.call_state): a
    # correction of its outcome puts the item back as it was before the call and
    # applies the corrected outcome, but only while it is still as the call left it.
    # Empty for calls logged before they were kept: those are not corrected.
    item_before = models.JSONField(null=True, blank=True, editable=False)
    item_after = models.JSONField(null=True, blank=True, editable=False)
    # A correction of the outcome (work.calls.call_correct): `outcome` is then the
    # corrected one, `corrected_from` the one logged first; who, when and why. The
    # history shows both; the audit trail has the correction too.
    # Empty by the database's own default too: the bulk writes of calls (the
    # benches' COPY and INSERT ... SELECT, the scale tests) name only a call's own
    # columns.
    corrected_from = models.CharField(
        max_length=20,
        choices=Outcome.choices,
        blank=True,
        editable=False,
        default="",
        db_default="",
    )
    corrected_at = models.DateTimeField(null=True, blank=True, editable=False)
    # No index: read with its call only. Accounts are deactivated, not deleted.
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        editable=False,
    )
    correction_reason = models.TextField(
        blank=True, editable=False, default="", db_default=""
    )
    # The form (or API request, by its Idempotency-Key) the correction was sent by:
    # sent again, it is the correction made, not a second one.
    correction_submission = models.UUIDField(
        null=True, blank=True, unique=True, editable=False
    )

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(corrected_from="")
                    & Q(corrected_at__isnull=True)
                    & Q(corrected_by__isnull=True)
                )
                | (
                    ~Q(corrected_from="")
                    & Q(corrected_at__isnull=False)
                    & Q(corrected_by__isnull=False)
                ),
                name="call_correction_whole",
            ),
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

    @property
    def outcome_logged(self) -> str:
        """The outcome as the caller logged it, before any correction."""
        return self.corrected_from or self.outcome

    @property
    def correctable_until(self) -> datetime:
        return self.started_at + CORRECTABLE_FOR

    @property
    def may_be_corrected(self) -> bool:
        """Whether its outcome may still be corrected, as far as the call itself
        tells (not corrected yet, an outcome corrected, within CORRECTABLE_FOR, its
        item's state kept): the operation asks the rest (work.calls)."""
        return (
            not self.corrected_from
            and self.item_after is not None
            and self.outcome in CORRECTED_FROM
            and timezone.now() < self.correctable_until
        )


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
