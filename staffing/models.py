from __future__ import annotations

from datetime import UTC, date, datetime

from django.conf import settings
from django.db import models
from django.db.models import CharField, Exists, F, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone

from audit.models import AuditEvent


class Tier(models.IntegerChoices):
    LOCAL = 1, "Tier 1: local public health team"
    CLINICAL = 2, "Tier 2: clinical caseworker"
    CALL_HANDLER = 3, "Tier 3: call handler"


class Organisation(models.Model):
    """An employer of staff."""

    class Kind(models.TextChoices):
        CLINICAL_AGENCY = "clinical_agency", "Clinical staffing agency"
        CALL_CENTRE = "call_centre", "Call-centre provider"
        COUNCIL = "council", "Council"
        NHS = "nhs", "NHS or health agency"

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A national team of caseworkers or call handlers under one or more supervisors."""

    name = models.CharField(max_length=200, unique=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="teams"
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def open_work_cap(tier: int, *, new_starter: bool) -> int:
    """How many open items someone of `tier` may hold at once (fewer for a new
    starter: not yet signed off by their supervisor)."""
    caps = settings.TRACING_OPEN_WORK_CAP
    key = "tier2" if tier == Tier.CLINICAL else "tier3"
    return caps[f"{key}_new_starter" if new_starter else key]


class StaffProfile(models.Model):
    """Everything the service knows about one member of staff (one per user)."""

    class RegistrationBody(models.TextChoices):
        NMC = "NMC", "Nursing and Midwifery Council"
        HCPC = "HCPC", "Health and Care Professions Council"
        GMC = "GMC", "General Medical Council"
        SWE = "SWE", "Social Work England"
        GPHC = "GPhC", "General Pharmaceutical Council"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    is_supervisor = models.BooleanField(default=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="staff"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    local_team = models.ForeignKey(
        "areas.LocalTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
        help_text="For tier 1 staff: the local team whose areas they work.",
    )
    registration_body = models.CharField(
        max_length=5, choices=RegistrationBody.choices, blank=True
    )
    registration_number = models.CharField(max_length=30, blank=True)
    registration_verified_on = models.DateField(null=True, blank=True)
    registration_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    registration_expires_on = models.DateField(null=True, blank=True)
    languages = models.ManyToManyField("people.Language", blank=True, related_name="+")
    started_on = models.DateField(default=timezone.localdate)
    # A new starter until a supervisor signs off their first reviewed calls.
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    weekly_hours_cap = models.PositiveSmallIntegerField(
        default=settings.TRACING_WEEKLY_HOURS_CAP
    )
    # When they were last given work (by assignment or a supervisor's move): among
    # staff equally loaded, assignment gives to whoever has waited longest.
    last_assigned_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    weekly_hours_cap__lte=settings.TRACING_WEEKLY_HOURS_CEILING
                ),
                name="hours_cap_under_ceiling",
            ),
            models.CheckConstraint(
                condition=~Q(tier=Tier.LOCAL) | Q(local_team__isnull=False),
                name="local_staff_have_team",
            ),
        ]
        indexes = [models.Index(fields=["tier", "team"], name="staff_tier_team")]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.get_tier_display()})"

    @property
    def is_new_starter(self) -> bool:
        return self.signed_off_at is None

    def registration_valid_on(self, day: date) -> bool:
        """Verified by a supervisor, and not expired on that day."""
        return (
            bool(self.registration_number)
            and self.registration_verified_on is not None
            and self.registration_expires_on is not None
            and self.registration_expires_on >= day
        )

    @property
    def open_work_cap(self) -> int:
        return open_work_cap(self.tier, new_starter=self.is_new_starter)


class HoursCapChange(models.Model):
    """A supervisor raised or lowered someone's weekly hours cap, and why."""

    profile = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="cap_changes"
    )
    old_cap = models.PositiveSmallIntegerField()
    new_cap = models.PositiveSmallIntegerField()
    reason = models.CharField(max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.profile}: {self.old_cap} -> {self.new_cap} hours"


class ShiftQuerySet(models.QuerySet["Shift"]):
    def on_now(self, now: datetime) -> ShiftQuerySet:
        return self.filter(
            status=Shift.Status.BOOKED, starts_at__lte=now, ends_at__gt=now
        )


class Shift(models.Model):
    """A block of working time: an open slot, then booked by one person."""

    class Status(models.TextChoices):
        OPEN = "open", "Open slot"
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"

    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="shifts"
    )
    staff = models.ForeignKey(
        StaffProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shifts",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.OPEN
    )
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The rota form that published it, for each slot of that sending: the same form
    # sent again (a double click, the browser sending it again) publishes nothing more.
    publication = models.UUIDField(null=True, blank=True, db_index=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    cancel_reason = models.CharField(max_length=300, blank=True)
    attended_at = models.DateTimeField(null=True, blank=True)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(status="booked") | Q(staff__isnull=False),
                name="booked_shift_has_staff",
            ),
        ]
        indexes = [
            models.Index(fields=["staff", "starts_at"], name="shift_staff_start"),
            # Who is on shift now, member by member (assignment's eligible staff, the
            # dashboard's "on shift until"): their booked shifts not yet ended, not
            # every shift they ever had.
            models.Index(
                fields=["staff", "ends_at"],
                name="shift_staff_booked_end",
                condition=Q(status="booked"),
            ),
            # The admin list's date range and order.
            models.Index(fields=["starts_at"], name="shift_start"),
            models.Index(
                fields=["status", "starts_at", "ends_at"], name="shift_status_time"
            ),
        ]

    def __str__(self) -> str:
        local = timezone.localtime
        return f"{local(self.starts_at):%a %d %b %H:%M}-{local(self.ends_at):%H:%M}"

    @property
    def hours(self) -> float:
        """The real hours from start to end, through UTC: two times of one zone
        subtract as on the clock's face (an unsaved shift's are local, as
        SlotPlan.windows() makes them), and 00:00 to 08:00 on a clock change's
        night is 7 or 9 hours."""
        return (
            self.ends_at.astimezone(UTC) - self.starts_at.astimezone(UTC)
        ).total_seconds() / 3600


class TrainingModule(models.Model):
    """A module every member of a tier must complete before getting work."""

    name = models.CharField(max_length=200)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    required = models.BooleanField(default=True)

    class Meta:
        ordering = ["tier", "name"]
        constraints = [
            models.UniqueConstraint(fields=["name", "tier"], name="training_name_tier")
        ]

    def __str__(self) -> str:
        return self.name


class TrainingCompletion(models.Model):
    profile = models.ForeignKey(
        StaffProfile, on_delete=models.CASCADE, related_name="training"
    )
    module = models.ForeignKey(
        TrainingModule, on_delete=models.CASCADE, related_name="completions"
    )
    completed_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["profile", "module"], name="training_once")
        ]

    def __str__(self) -> str:
        return f"{self.profile} completed {self.module}"


# What a move into a national tier records on the person's profile (audit detail
# "new_starter"): a new starter again from that moment, in the new tier; their calls
# reviewed before it were of the old tier's work (CallReviewQuerySet.as_new_starter).
NEW_STARTER_AGAIN = "again"


class CallReviewQuerySet(models.QuerySet["CallReview"]):
    def as_new_starter(self) -> CallReviewQuerySet:
        """Only the reviews of the caller's calls as a new starter in their current
        tier: none queued before their latest move into it (staff_profile_save's
        audit event, new_starter "again"); all of them if they were never moved.
        The one definition the review pages, the review queue, the queueing of a
        call and sign-off all count by."""
        moved_after = AuditEvent.objects.filter(
            object_type=StaffProfile._meta.label_lower,
            object_id=Cast(OuterRef("call__caller__staff__pk"), CharField()),
            action=AuditEvent.Action.UPDATE,
            detail__new_starter=NEW_STARTER_AGAIN,
            at__gt=OuterRef("created_at"),
        )
        return self.filter(~Exists(moved_after))


class CallReview(models.Model):
    """A supervisor's review of one of a new starter's calls."""

    class Verdict(models.TextChoices):
        GOOD = "good", "Good"
        NEEDS_SUPPORT = "needs_support", "Needs support"

    call = models.OneToOneField(
        "calls.CallAttempt", on_delete=models.CASCADE, related_name="review"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(max_length=15, choices=Verdict.choices, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CallReviewQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="review_pending",
                condition=Q(reviewed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"Review of {self.call}"
