"""Writes for staffing: shifts, hour caps, registrations, training and new starters.

Every refusal a person can cause raises `StaffingRefused` with a plain message the
page shows as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from calls.models import CallAttempt
from clock import local_week_bounds

from .access import profile_of
from .models import (
    CallReview,
    HoursCapChange,
    Shift,
    StaffProfile,
    Team,
    Tier,
    TrainingCompletion,
    TrainingModule,
)
from .selectors.rota import booked_hours_in_week

# The most slots one publish may create: a surge week for a big team, not a typo.
MAX_SLOTS_PER_PUBLISH = 1000


class StaffingRefused(Exception):
    """A request the rules refuse; the message is for the person who asked."""


def _hours(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.1f}"


# --- shifts ----------------------------------------------------------------------


@dataclass(frozen=True)
class SlotPlan:
    """What a supervisor asks for when publishing open slots."""

    first_day: date
    last_day: date
    weekdays: frozenset[int]  # 0 = Monday
    starts: time
    ends: time  # at or before `starts`: the shift ends the next day
    count: int

    def windows(self) -> list[tuple[datetime, datetime]]:
        windows = []
        day = self.first_day
        while day <= self.last_day:
            if day.weekday() in self.weekdays:
                tz = timezone.get_current_timezone()
                start = datetime.combine(day, self.starts, tzinfo=tz)
                end_day = day if self.ends > self.starts else day + timedelta(days=1)
                end = datetime.combine(end_day, self.ends, tzinfo=tz)
                windows.append((start, end))
            day += timedelta(days=1)
        return windows


@transaction.atomic
def shifts_publish(
    *, team: Team, plan: SlotPlan, by: User, now: datetime | None = None
) -> list[Shift]:
    """Open `count` slots for each chosen day in the range, for anyone in the team."""
    now = now or timezone.now()
    windows = plan.windows()
    if not windows:
        raise StaffingRefused("None of the chosen weekdays falls in those dates.")
    if windows[0][0] <= now:
        raise StaffingRefused("Slots must start in the future.")
    total = len(windows) * plan.count
    if total > MAX_SLOTS_PER_PUBLISH:
        raise StaffingRefused(
            f"That would open {total} slots; publish at most "
            f"{MAX_SLOTS_PER_PUBLISH} at once."
        )
    return Shift.objects.bulk_create(
        Shift(
            tier=team.tier,
            team=team,
            starts_at=start,
            ends_at=end,
            status=Shift.Status.OPEN,
            published_by=by,
        )
        for start, end in windows
        for _ in range(plan.count)
    )


def _lock_open_slot(shift_id: int) -> Shift:
    """The slot asked for, locked; if someone just took it, an identical open one."""
    shift = Shift.objects.select_for_update().filter(pk=shift_id).first()
    if shift is None:
        raise StaffingRefused("That slot no longer exists.")
    if shift.status == Shift.Status.OPEN:
        return shift
    twin = (
        Shift.objects.select_for_update(skip_locked=True)
        .filter(
            Q(team_id=shift.team_id)
            if shift.team_id is not None
            else Q(team__isnull=True),
            status=Shift.Status.OPEN,
            tier=shift.tier,
            starts_at=shift.starts_at,
            ends_at=shift.ends_at,
        )
        .order_by("pk")
        .first()
    )
    if twin is None:
        raise StaffingRefused("Someone else has just booked that slot.")
    return twin


@transaction.atomic
def shift_book(
    *, shift_id: int, profile: StaffProfile, now: datetime | None = None
) -> Shift:
    """Book an open slot for oneself, within the weekly hours cap and without clashes.

    The staff row is locked first, so one person's two bookings at once cannot both
    pass the cap; the slot row is locked so two people cannot book the same slot.
    """
    now = now or timezone.now()
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    shift = _lock_open_slot(shift_id)
    if shift.tier != profile.tier or (
        shift.team_id is not None and shift.team_id != profile.team_id
    ):
        raise StaffingRefused("That slot is for another team.")
    if shift.starts_at <= now:
        raise StaffingRefused("That slot has already started.")
    _check_bookable(profile=profile, starts_at=shift.starts_at, ends_at=shift.ends_at)
    shift.staff = profile
    shift.status = Shift.Status.BOOKED
    shift.booked_at = now
    shift.save(update_fields=["staff", "status", "booked_at"])
    return shift


@transaction.atomic
def shift_release_own(
    *, shift: Shift, profile: StaffProfile, now: datetime | None = None
) -> Shift:
    """A member of staff gives back a shift they booked: the slot opens again."""
    now = now or timezone.now()
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if shift.staff_id != profile.pk or shift.status != Shift.Status.BOOKED:
        raise StaffingRefused("That is not one of your booked shifts.")
    if shift.starts_at <= now:
        raise StaffingRefused(
            "That shift has already started: ask your supervisor to cancel it."
        )
    shift.staff = None
    shift.status = Shift.Status.OPEN
    shift.booked_at = None
    shift.save(update_fields=["staff", "status", "booked_at"])
    return shift


@transaction.atomic
def shift_cancel(
    *, shift: Shift, by: User, reason: str, now: datetime | None = None
) -> Shift:
    """A supervisor cancels a booked shift or withdraws an open slot, saying why.

    The booked person keeps the cancelled row on their shifts page with the reason.
    """
    reason = reason.strip()
    if not reason:
        raise StaffingRefused("Give a reason: the person booked will see it.")
    shift = Shift.objects.select_for_update().get(pk=shift.pk)
    if shift.status == Shift.Status.CANCELLED:
        raise StaffingRefused("That shift is already cancelled.")
    if shift.ends_at <= (now or timezone.now()):
        raise StaffingRefused("That shift has already ended.")
    shift.status = Shift.Status.CANCELLED
    shift.cancelled_at = now or timezone.now()
    shift.cancelled_by = by
    shift.cancel_reason = reason
    shift.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"]
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=shift,
        detail={"shift": "cancelled", "staff": shift.staff_id, "reason": reason},
        at=shift.cancelled_at,
    )
    return shift


def _check_bookable(
    *, profile: StaffProfile, starts_at: datetime, ends_at: datetime, who: str = "you"
) -> None:
    """Refuse a shift that clashes with one already booked, or that would take the
    person past their weekly hours cap. The caller holds the staff row's lock."""
    your = "your" if who == "you" else "their"
    clash = (
        Shift.objects.filter(
            staff=profile,
            status=Shift.Status.BOOKED,
            starts_at__lt=ends_at,
            ends_at__gt=starts_at,
        )
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise StaffingRefused(
            f"That slot overlaps {your} shift {clash}: {who} cannot be on two at once."
        )
    hours = (ends_at - starts_at).total_seconds() / 3600
    booked = booked_hours_in_week(profile=profile, moment=starts_at)
    if booked + hours > profile.weekly_hours_cap:
        week_start = timezone.localtime(local_week_bounds(starts_at)[0])
        raise StaffingRefused(
            f"Booking this {_hours(hours)}-hour shift would take {who} to "
            f"{_hours(booked + hours)} hours in the week of "
            f"{week_start:%-d %B}, over {your} weekly cap of "
            f"{profile.weekly_hours_cap} hours."
        )


@transaction.atomic
def shift_assign(
    *,
    profile: StaffProfile,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    now: datetime | None = None,
) -> Shift:
    """A supervisor books a shift for a member of their team, with the same clash and
    hours-cap rules as booking for oneself.

    It may have started already: a supervisor records cover someone is giving now.
    """
    now = now or timezone.now()
    if ends_at <= starts_at:
        raise StaffingRefused("A shift must end after it starts.")
    profile = (
        StaffProfile.objects.select_for_update()
        .select_related("user")
        .get(pk=profile.pk)
    )
    name = profile.user.get_full_name() or profile.user.username
    _check_bookable(profile=profile, starts_at=starts_at, ends_at=ends_at, who=name)
    shift = Shift.objects.create(
        tier=profile.tier,
        team_id=profile.team_id,
        staff=profile,
        starts_at=starts_at,
        ends_at=ends_at,
        status=Shift.Status.BOOKED,
        published_by=by,
        booked_at=now,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        obj=shift,
        detail={"shift": "booked", "staff": profile.pk},
        at=now,
    )
    return shift


# --- hours cap -------------------------------------------------------------------


@transaction.atomic
def hours_cap_change(
    *,
    profile: StaffProfile,
    new_cap: int,
    reason: str,
    by: User,
    now: datetime | None = None,
) -> HoursCapChange:
    """Set one person's weekly hours cap, up to the configured ceiling, with a reason."""
    ceiling = settings.TRACING_WEEKLY_HOURS_CEILING
    if new_cap > ceiling:
        raise StaffingRefused(
            f"{new_cap} hours is above the ceiling of {ceiling} hours a week: "
            "no one may be booked for more."
        )
    if new_cap < 1:
        raise StaffingRefused("A weekly cap must be at least 1 hour.")
    reason = reason.strip()
    if not reason:
        raise StaffingRefused("Give a reason for the change.")
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    if new_cap == profile.weekly_hours_cap:
        raise StaffingRefused(f"The cap is already {new_cap} hours.")
    change = HoursCapChange.objects.create(
        profile=profile,
        old_cap=profile.weekly_hours_cap,
        new_cap=new_cap,
        reason=reason,
        changed_by=by,
        changed_at=now or timezone.now(),
    )
    profile.weekly_hours_cap = new_cap
    profile.save(update_fields=["weekly_hours_cap"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=profile,
        detail={
            "weekly_hours_cap": {"from": change.old_cap, "to": new_cap},
            "reason": reason,
        },
        at=change.changed_at,
    )
    return change


# --- registrations and training --------------------------------------------------


@transaction.atomic
def registration_verify(
    *,
    profile: StaffProfile,
    body: str,
    number: str,
    expires_on: date,
    by: User,
    today: date | None = None,
) -> StaffProfile:
    """A supervisor checked the register: record the registration as verified today."""
    today = today or timezone.localdate()
    if profile.tier != Tier.CLINICAL:
        raise StaffingRefused("Only tier 2 caseworkers hold a registration here.")
    if expires_on < today:
        raise StaffingRefused(
            f"That registration expired on {expires_on:%-d %B %Y}: "
            "it cannot be verified."
        )
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    profile.registration_body = body
    profile.registration_number = number.strip()
    profile.registration_expires_on = expires_on
    profile.registration_verified_on = today
    profile.registration_verified_by = by
    profile.save(
        update_fields=[
            "registration_body",
            "registration_number",
            "registration_expires_on",
            "registration_verified_on",
            "registration_verified_by",
        ]
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=profile,
        detail={
            "registration": "verified",
            "body": body,
            "number": profile.registration_number,
            "expires_on": str(expires_on),
        },
    )
    return profile


def training_complete(
    *, profile: StaffProfile, module: TrainingModule, today: date | None = None
) -> TrainingCompletion:
    """Record that someone completed a module of their tier (once; again is a no-op)."""
    if module.tier != profile.tier:
        raise StaffingRefused(f"{module} is not a module for {profile}'s tier.")
    completion, _ = TrainingCompletion.objects.get_or_create(
        profile=profile,
        module=module,
        defaults={"completed_on": today or timezone.localdate()},
    )
    return completion


# --- new starters ----------------------------------------------------------------


def call_review_queue_if_new_starter(*, call: CallAttempt) -> CallReview | None:
    """Queue a new starter's call for review, up to their first N calls.

    Called by calls.services.call_record inside its transaction.
    """
    # The caller is usually request.user, whose profile the view has already loaded.
    profile = profile_of(call.caller)
    if profile is None or not profile.is_new_starter:
        return None
    queued = CallReview.objects.filter(call__caller_id=call.caller_id).count()
    if queued >= settings.TRACING_NEW_STARTER_REVIEW_CALLS:
        return None
    return CallReview.objects.create(call=call, created_at=call.started_at)


@transaction.atomic
def call_review_record(
    *,
    review: CallReview,
    verdict: str,
    note: str,
    by: User,
    now: datetime | None = None,
) -> CallReview:
    review = CallReview.objects.select_for_update().get(pk=review.pk)
    if review.reviewed_at is not None:
        raise StaffingRefused("That call has already been reviewed.")
    if verdict == CallReview.Verdict.NEEDS_SUPPORT and not note.strip():
        raise StaffingRefused("Say what support they need.")
    review.verdict = verdict
    review.note = note.strip()
    review.reviewer = by
    review.reviewed_at = now or timezone.now()
    review.save(update_fields=["verdict", "note", "reviewer", "reviewed_at"])
    return review


@transaction.atomic
def new_starter_sign_off(
    *, profile: StaffProfile, by: User, now: datetime | None = None
) -> StaffProfile:
    """End someone's new-starter period: from now their normal open-work cap applies.

    Refused while any of their calls still waits for review, or before one has been
    reviewed at all.
    """
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    if not profile.is_new_starter:
        raise StaffingRefused(f"{profile.user.get_full_name()} is already signed off.")
    reviews = CallReview.objects.filter(call__caller_id=profile.user_id)
    if reviews.filter(reviewed_at__isnull=True).exists():
        raise StaffingRefused("Review their waiting calls before signing them off.")
    if not reviews.exists():
        raise StaffingRefused("None of their calls has been reviewed yet.")
    profile.signed_off_at = now or timezone.now()
    profile.signed_off_by = by
    profile.save(update_fields=["signed_off_at", "signed_off_by"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=profile,
        detail={"new_starter": "signed off"},
        at=profile.signed_off_at,
    )
    return profile
