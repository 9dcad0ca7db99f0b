"""What the retention job did and what stops it: its runs (and each rule's counts by
kind of record), the people pseudonymised, the warnings sent to local teams, the
legal holds, and the erasures done on request."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Rule(models.TextChoices):
    """What the job does, in the order a run does it."""

    WARN = "warn", "Warn local teams of a purge"
    PSEUDONYMISE = "pseudonymise", "Pseudonymise identifying fields"
    PURGE_CONTACTS = "purge_contacts", "Purge contacts"
    PURGE_CASES = "purge_cases", "Purge cases"
    PURGE_AUDIT = "purge_audit", "Purge the audit trail"
    PURGE_PEOPLE = "purge_people", "Purge people"


RULE_ORDER = [rule.value for rule in Rule]


class RetentionRun(models.Model):
    """One pass of the rules over the whole service, in batches.

    The cut-offs are fixed when the run starts, so a run taken up again after its
    worker was lost applies the same rules; `step` and `cursor` say where it is.
    At most one run is unfinished at a time (the partial unique constraint).
    """

    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    trigger = models.CharField(max_length=20, default="beat")
    running = models.BooleanField(default=True)
    step = models.CharField(max_length=20, choices=Rule.choices, default=Rule.WARN)
    cursor = models.JSONField(default=dict, blank=True)
    batches = models.PositiveIntegerField(default=0)
    # The days of each rule when the run started, and the moments they made.
    rules = models.JSONField(default=dict, blank=True)
    pseudonymise_before = models.DateTimeField()
    purge_contacts_before = models.DateTimeField()
    purge_cases_before = models.DateTimeField()
    purge_audit_before = models.DateTimeField()
    warn_until = models.DateTimeField(
        help_text="Records due for purge by then (not yet) are told to local teams."
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["running"],
                condition=Q(running=True),
                name="retention_one_run_at_a_time",
            )
        ]
        indexes = [models.Index(fields=["-started_at"], name="retention_run_started")]

    def __str__(self) -> str:
        return f"Retention run {self.pk} of {timezone.localtime(self.started_at):%d %b %Y %H:%M}"


class RetentionAction(models.Model):
    """How many rows of one kind one rule changed or removed in one run."""

    run = models.ForeignKey(
        RetentionRun, on_delete=models.CASCADE, related_name="actions"
    )
    rule = models.CharField(max_length=20, choices=Rule.choices)
    kind = models.CharField(
        max_length=100, help_text="The kind of record: its model, app.model."
    )
    count = models.PositiveBigIntegerField(default=0)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["run", "rule", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "rule", "kind"], name="retention_action_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.count} {self.kind}"


class Pseudonymisation(models.Model):
    """A person whose identifying fields were replaced: done once, never again."""

    person = models.OneToOneField(
        "people.Person",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="pseudonymisation",
    )
    run = models.ForeignKey(
        RetentionRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Person {self.person_id} pseudonymised"


class PurgeWarning(models.Model):
    """A local team told of the records of its areas to be purged on a day: once
    for each team and day, however many runs see them coming."""

    local_team = models.ForeignKey(
        "areas.LocalTeam", on_delete=models.PROTECT, related_name="+"
    )
    purge_on = models.DateField(help_text="The local day the records become due.")
    contacts = models.PositiveIntegerField(default=0)
    cases = models.PositiveIntegerField(default=0)
    run = models.ForeignKey(
        RetentionRun, null=True, on_delete=models.SET_NULL, related_name="warnings"
    )
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="Set once the email has gone."
    )
    recipients = models.JSONField(default=list, blank=True)
    claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While the email is being sent: no other worker sends it before "
        "then. A claim whose worker was lost lapses, and the email is sent again.",
    )

    class Meta:
        ordering = ["-purge_on", "local_team"]
        constraints = [
            models.UniqueConstraint(
                fields=["local_team", "purge_on"], name="purge_warning_once"
            )
        ]
        indexes = [
            # The warnings not sent yet (retention.services.purge_warnings_unsent,
            # every few minutes): a handful of rows, however many were sent.
            models.Index(
                fields=["purge_on"],
                condition=Q(sent_at__isnull=True),
                name="purge_warning_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.local_team} told of the purge on {self.purge_on}"


class LegalHold(models.Model):
    """A person's records kept whatever their age: nothing of theirs is
    pseudonymised, purged or erased while a hold is on (placed and lifted by an
    administrator, each audited)."""

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="legal_holds"
    )
    reason = models.TextField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    placed_at = models.DateTimeField()
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        constraints = [
            # One hold on at a time (and the index the job's checks read).
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(lifted_at__isnull=True),
                name="legal_hold_one_active",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""), name="legal_hold_has_reason"
            ),
        ]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "on"
        return f"Legal hold on person {self.person_id} ({state})"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class Erasure(models.Model):
    """A person's records erased on request: who, when, why and how many rows of
    each kind went. Nothing here identifies the person (not even their id)."""

    class Reason(models.TextChoices):
        ERROR = "error", "Recorded in error (not this person, or never a contact)"
        OBJECTION = "objection", "Objection upheld: no overriding reason to keep it"
        UNLAWFUL = "unlawful", "Held unlawfully"
        ORDER = "order", "Ordered by a court or the Information Commissioner"

    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    removed = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Erasure of {timezone.localtime(self.at):%d %b %Y %H:%M}"


# Which records each purge warning told a local team of: one row a record.
# A warning (PurgeWarning) counts records by team and day; this says which records
# those were, so a purge takes only a record its team was told of, for a day that
# has come (retention.selectors.contacts_to_purge, cases_to_purge), and a record the
# warnings never covered (its person had something open in its warning week, a hold
# was on, it was named again since), or covered more than a warning's days before
# (kept past its day since), is told of again and taken a warning's days later. A
# record purged or erased takes its row with it.
class PurgeNotice(models.Model):
    """One contact or case a warning told its local team of. (A plain foreign key,
    not one-to-one: a contact folded into another by a merge brings its notice
    along, and the record is covered by any of its notices.)"""

    warning = models.ForeignKey(
        PurgeWarning, on_delete=models.CASCADE, related_name="notices"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )

    class Meta:
        app_label = "retention"
        constraints = [
            models.CheckConstraint(
                condition=Q(contact__isnull=True) ^ Q(case__isnull=True),
                name="purge_notice_one_record",
            )
        ]

    def __str__(self) -> str:
        what = (
            f"contact {self.contact_id}" if self.contact_id else f"case {self.case_id}"
        )
        return f"{what}, told of in warning {self.warning_id}"
