from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from clock.written import short_time


class Escalation(models.Model):
    """A case or contact handed to a local team: why, when, who took it, how it ended."""

    class Reason(models.TextChoices):
        UNREACHED = "unreached", "Not reached after every attempt"
        WRONG_NUMBER = "wrong_number", "Wrong or missing number"
        REFUSED = "refused", "Refused by phone"
        COMPLEX = "complex", "Complex setting"
        SAFEGUARDING = "safeguarding", "Safeguarding concern"
        SUPPORT = "support", "Asked for support to isolate"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        PICKED_UP = "picked_up", "Picked up"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        REACHED = "reached", "Reached and advised"
        NOT_FOUND = "not_found", "Not found"
        MOVED_AWAY = "moved_away", "Moved away"
        REFUSED = "refused", "Refused"
        ALREADY_ISOLATING = "already_isolating", "Already isolating"
        RETURNED = "returned", "Sent back to the national queue"
        # Closed by the withdrawal of the positive result behind it (sent in error,
        # work.withdraw), never by the team: nobody was looked for, so it counts
        # as none of the outcomes above.
        WITHDRAWN = "withdrawn", "Result withdrawn (sent in error)"

    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="escalations",
    )
    # No index of its own: escalation_queue and escalation_team_created lead with it.
    local_team = models.ForeignKey(
        "areas.LocalTeam",
        on_delete=models.PROTECT,
        related_name="escalations",
        db_index=False,
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.TextField(blank=True)
    # The item's postcode matched no area, so it went to the fallback team.
    area_unknown = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Empty when the escalation sweep raised it.",
    )
    due_at = models.DateTimeField()
    picked_up_at = models.DateTimeField(null=True, blank=True)
    picked_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who closed it (or sent it back). Empty for those closed before "
        "this was kept.",
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    alert_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the caller's supervisors were emailed about this "
        "safeguarding escalation (set once the mail has gone).",
    )
    alert_claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While the alert is being sent: no other worker sends it before "
        "then. A claim whose worker was lost lapses, and the alert is sent again.",
    )
    alert_refused = models.TextField(
        blank=True,
        default="",
        # Raw SQL writers (the sweep's batch, the bench's loaders) leave it out.
        db_default="",
        help_text="Why the caller's supervisors' email was not sent, and is not "
        "tried again: the mail server refused it for good.",
    )
    # The local team's email about this safeguarding escalation, sent and stamped
    # apart from the supervisors' above, so that one failing never sends the other
    # again (work.calls.safeguarding_email_send).
    team_alert_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the local team was emailed that this safeguarding "
        "escalation is in their queue (set once the mail has gone).",
    )
    team_alert_claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While the team's email is being sent: no other worker sends it "
        "before then. A claim whose worker was lost lapses, and it is sent again.",
    )
    team_alert_refused = models.TextField(
        blank=True,
        default="",
        # Raw SQL writers (the sweep's batch, the bench's loaders) leave it out.
        db_default="",
        help_text="Why the local team's email was not sent, and is not tried "
        "again: the mail server refused it for good, or it was not needed (the "
        "team had picked the concern up, closed it or sent it back before the "
        "email could go).",
    )
    # The email that escalates further a safeguarding concern still not picked up
    # at its due time: to the team's supervisors and the caller's, once, stamped
    # apart from the two above (work.calls.safeguarding_overdue_email_send).
    overdue_alert_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the local team's supervisors and the caller's were emailed "
        "that this safeguarding escalation was still not picked up at its due time "
        "(set once the mail has gone).",
    )
    overdue_alert_claimed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="While the overdue email is being sent: no other worker sends it "
        "before then. A claim whose worker was lost lapses, and it is sent again.",
    )
    overdue_alert_refused = models.TextField(
        blank=True,
        default="",
        # Raw SQL writers (the sweep's batch, the bench's loaders) leave it out.
        db_default="",
        help_text="Why the overdue email was not sent, and is not tried again: "
        "nobody to email (no supervisor at the team nor of the caller's team has "
        "an address), the mail server refused it for good, or it was not needed "
        "(the team had picked the concern up, closed it or sent it back before the "
        "email could go).",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(case__isnull=False) & Q(contact__isnull=True))
                | (Q(case__isnull=True) & Q(contact__isnull=False)),
                name="escalation_is_for_case_or_contact",
            ),
            # Exactly once: at most one open escalation per case and per contact.
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(closed_at__isnull=True, case__isnull=False),
                name="one_open_escalation_per_case",
            ),
            models.UniqueConstraint(
                fields=["contact"],
                condition=Q(closed_at__isnull=True, contact__isnull=False),
                name="one_open_escalation_per_contact",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True)
                | Q(closed_at__gte=models.F("created_at")),
                name="escalation_closed_after_created",
            ),
        ]
        indexes = [
            models.Index(
                fields=["local_team", "status", "due_at"], name="escalation_queue"
            ),
            # The open tabs, a page at a time in their order: the urgent reasons
            # first, then soonest due (escalations.selectors.escalation_queue). The
            # CASE is escalations.selectors.urgency() as it writes it: changed
            # there, it is changed here too, or every page sorts the whole tab.
            models.Index(
                F("local_team"),
                F("status"),
                Case(
                    When(reason="safeguarding", then=Value(0)),
                    When(reason="complex", then=Value(1)),
                    default=Value(2),
                    output_field=models.IntegerField(),
                ),
                F("due_at"),
                F("id"),
                name="escalation_open_queue",
                condition=Q(status__in=["new", "picked_up"]),
            ),
            # The queue's closed tab, most recently closed first.
            models.Index(
                F("local_team"),
                F("closed_at").desc(),
                name="escalation_closed",
                condition=Q(status="closed"),
            ),
            # The admin list's date range, newest first.
            models.Index(fields=["created_at"], name="escalation_created"),
            # The safeguarding alerts not sent yet, either of the two (work.calls.
            # safeguarding_alerts_unsent, every few minutes): a handful of rows,
            # whatever the table's size. Its condition is work.calls.ALERT_UNSENT:
            # changed there, it is changed here too.
            models.Index(
                fields=["created_at"],
                condition=Q(reason="safeguarding")
                & (
                    Q(alert_sent_at__isnull=True, alert_refused="")
                    | Q(team_alert_sent_at__isnull=True, team_alert_refused="")
                ),
                name="escalation_alert_unsent",
            ),
            # The safeguarding concerns still new whose overdue email is unsent, by
            # due time (work.calls.safeguarding_overdue_unsent, every minute): those
            # waiting at their teams now, a handful whatever the table's size. Its
            # condition is work.calls.OVERDUE_ALERT_UNSENT: changed there, it is
            # changed here too.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(
                    reason="safeguarding",
                    status="new",
                    overdue_alert_sent_at__isnull=True,
                    overdue_alert_refused="",
                ),
                name="escalation_overdue_unsent",
            ),
            # A team's export, oldest first, read in the index's order: no sort of
            # the team's tens of thousands of rows before the first line.
            models.Index(
                fields=["local_team", "created_at", "id"],
                name="escalation_team_created",
            ),
            # Those picked up, by whom (the sweep gives a leaver's back to the team):
            # the few open in hand, whatever the table's size.
            models.Index(
                fields=["picked_up_by"],
                condition=Q(status="picked_up"),
                name="escalation_picked_up",
            ),
        ]

    def __str__(self) -> str:
        return f"Escalation of {self.item} to {self.local_team}"

    @property
    def item(self):
        return self.case or self.contact


# The outcomes a team closes an escalation with (the page's choices, the API's close):
# not "returned", the send back's own, nor "withdrawn", which only the withdrawal of
# the result sets.
CLOSING_OUTCOMES = [
    (value, label)
    for value, label in Escalation.Outcome.choices
    if value not in (Escalation.Outcome.RETURNED, Escalation.Outcome.WITHDRAWN)
]
# Why a team may not close with "withdrawn", as the page and the API say it.
WITHDRAWN_NOT_CHOSEN = (
    f"“{Escalation.Outcome.WITHDRAWN.label}” is set only when a supervisor withdraws "
    "the result behind the escalation, or the lab withdraws it through its "
    "integration: the withdrawal closes it. Choose what your team found."
)


class EscalationAction(models.Model):
    """Something the local team did about an escalation."""

    class Kind(models.TextChoices):
        DOORSTEP = "doorstep", "Door-step visit"
        PHONE = "phone", "Phone call"
        LETTER = "letter", "Letter"
        OTHER = "other", "Other"
        # A close undone (made by mistake): recorded by the reopening alone
        # (work.escalation.escalation_reopen), never as something the team did.
        REOPENED = "reopened", "Reopened"

    escalation = models.ForeignKey(
        Escalation, on_delete=models.CASCADE, related_name="actions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    note = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    # The form (or request) the action was sent by: sent again (a double click, the
    # browser sending it again), it is the action recorded the first time.
    submission = models.UUIDField(null=True, blank=True, editable=False)
    # A reopening: the close it undid (its note, if any, follows the reason in
    # `note`, so that it goes with the notes when they are pseudonymised).
    undone_outcome = models.CharField(
        max_length=20, choices=Escalation.Outcome.choices, blank=True
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who made the close a reopening undid (empty: not kept then).",
    )

    class Meta:
        ordering = ["at"]
        constraints = [
            models.UniqueConstraint(
                fields=["escalation", "submission"],
                name="escalation_action_once_per_submission",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.by} at {timezone.localtime(self.at):%d %b %H:%M}"

    def get_kind_display(self) -> str:
        """What was done, as the history names it; a reopening says which close it
        undid: "Reopened (closed as “Reached and advised” by Sam Lee at 10:00 on
        Tue 12 Jan)"."""
        label = str(self.Kind(self.kind).label)
        if self.kind != self.Kind.REOPENED or not self.undone_outcome:
            return label
        said = [f"closed as “{Escalation.Outcome(self.undone_outcome).label}”"]
        if self.undone_by is not None:
            said.append(
                f"by {self.undone_by.get_full_name() or self.undone_by.username}"
            )
        if self.undone_at is not None:
            said.append(f"at {short_time(self.undone_at)}")
        return f"{label} ({' '.join(said)})"


class Cluster(models.Model):
    """Several cases at one setting within a short window, in one area."""

    setting = models.ForeignKey(
        "cases.ExposureSetting", on_delete=models.CASCADE, related_name="clusters"
    )
    area = models.ForeignKey("areas.Area", on_delete=models.PROTECT, related_name="+")
    first_visit_on = models.DateField()
    last_visit_on = models.DateField()
    cases = models.ManyToManyField("cases.Case", related_name="clusters")
    detected_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["setting", "first_visit_on"], name="cluster_once_per_window"
            )
        ]
        indexes = [models.Index(fields=["area", "-detected_at"], name="cluster_area")]

    def __str__(self) -> str:
        return f"Cluster at {self.setting}"
