"""Writes for staffing: shifts, hour caps, registrations, training, new starters and
supervisors' reassignment of work.

Every refusal a person can cause raises `StaffingRefused` with a plain message the
page shows as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from calls.models import CallAttempt
from cases.errors import IllegalTransition
from cases.models import Case
from cases.services import item_assign, item_release
from cases.workitem import WorkItem
from contacts.models import Contact

from .access import profile_of
from .assignment import TIER_FOR, eligible_staff
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

# The most slots one publish may create: a surge week for a big team, not a typo.
MAX_SLOTS_PER_PUBLISH = 1000


class StaffingRefused(Exception):
    """A request the rules refuse; the message is for the person who asked."""


# --- time helpers ----------------------------------------------------------------


def local_week_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, Europe/London, around a moment.

    A week with a clock change is 167 or 169 hours long: the bounds are local midnights.
    """
    monday = timezone.localtime(moment).date()
    monday -= timedelta(days=monday.weekday())
    return local_midnight(monday), local_midnight(monday + timedelta(days=7))


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def booked_hours_in_week(*, profile: StaffProfile, moment: datetime) -> float:
    """Hours of booked shifts starting in the ISO week (Europe/London) of a moment.

    A shift counts wholly in the week it starts in, so a Sunday night shift is never
    split between two weeks' caps.
    """
    start, end = local_week_bounds(moment)
    shifts = Shift.objects.filter(
        staff=profile,
        status=Shift.Status.BOOKED,
        starts_at__gte=start,
        starts_at__lt=end,
    ).values_list("starts_at", "ends_at")
    return sum((e - s).total_seconds() / 3600 for s, e in shifts)


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
    *, team: Team, plan: SlotPlan, by: AbstractBaseUser, now: datetime | None = None
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
            status=Shift.Status.OPEN,
            tier=shift.tier,
            team_id=shift.team_id,
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
    clash = (
        Shift.objects.filter(
            staff=profile,
            status=Shift.Status.BOOKED,
            starts_at__lt=shift.ends_at,
            ends_at__gt=shift.starts_at,
        )
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        raise StaffingRefused(
            f"That slot overlaps your shift {clash}: you cannot be on two at once."
        )
    booked = booked_hours_in_week(profile=profile, moment=shift.starts_at)
    if booked + shift.hours > profile.weekly_hours_cap:
        week_start = timezone.localtime(local_week_bounds(shift.starts_at)[0])
        raise StaffingRefused(
            f"Booking this {_hours(shift.hours)}-hour shift would take you to "
            f"{_hours(booked + shift.hours)} hours in the week of "
            f"{week_start:%-d %B}, over your weekly cap of "
            f"{profile.weekly_hours_cap} hours."
        )
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
    *, shift: Shift, by: AbstractBaseUser, reason: str, now: datetime | None = None
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
    return shift


# --- hours cap -------------------------------------------------------------------


@transaction.atomic
def hours_cap_change(
    *,
    profile: StaffProfile,
    new_cap: int,
    reason: str,
    by: AbstractBaseUser,
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
    return change


# --- registrations and training --------------------------------------------------


@transaction.atomic
def registration_verify(
    *,
    profile: StaffProfile,
    body: str,
    number: str,
    expires_on: date,
    by: AbstractBaseUser,
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
    by: AbstractBaseUser,
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
    *, profile: StaffProfile, by: AbstractBaseUser, now: datetime | None = None
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
    return profile


# --- reassignment ----------------------------------------------------------------


def _target_check(
    *, model: type[WorkItem], to: StaffProfile, items: list[WorkItem], now: datetime
) -> None:
    tier = TIER_FOR[model.kind]
    name = to.user.get_full_name() or to.user.username
    if to.tier != tier:
        raise StaffingRefused(
            f"{name} is {to.get_tier_display().lower()}: they cannot take "
            f"{model._meta.verbose_name_plural}."
        )
    if not eligible_staff(tier=tier, now=now).filter(pk=to.pk).exists():
        raise StaffingRefused(
            f"{name} cannot take work now: they must be on shift, with their "
            "training done"
            + (
                " and a verified, in-date registration."
                if tier == Tier.CLINICAL
                else "."
            )
        )
    held = model.objects.held().filter(assignee_id=to.user_id).count()
    arriving = sum(1 for item in items if item.assignee_id != to.user_id)
    if held + arriving > to.open_work_cap:
        raise StaffingRefused(
            f"{name} holds {held} and may hold at most {to.open_work_cap}: "
            f"{arriving} more would put them over their cap."
        )


@transaction.atomic
def work_reassign(
    *,
    model: type[Case] | type[Contact],
    item_ids: Iterable[int],
    scope: Q,
    to: StaffProfile | None,
    reason: str,
    by: AbstractBaseUser,
    now: datetime | None = None,
) -> int:
    """Move items to one person, or back to the pool, all or none, with a reason;
    returns how many moved (items already there are left alone).

    `scope` limits the items to those the supervisor may move. Each move goes through
    cases.services (which writes its audit event); the whole batch is one transaction.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise StaffingRefused("Give a reason for the reassignment.")
    ids = sorted(set(item_ids))
    items = list(
        model.objects.filter(scope, pk__in=ids)
        .select_related("person")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if not items:
        raise StaffingRefused("Choose at least one item to move.")
    if len(items) != len(ids):
        raise StaffingRefused("Some of the chosen items are no longer yours to move.")
    if to is not None:
        _target_check(model=model, to=to, items=items, now=now)
    moved = 0
    for item in items:
        # Already where it is going: nothing to do, nothing to audit.
        if item.assignee_id == (None if to is None else to.user_id):
            continue
        try:
            if to is None:
                item_release(item=item, by=by, reason=reason)
            else:
                item_assign(item=item, to=to.user, by=by, now=now, reason=reason)
        except IllegalTransition as exc:
            raise StaffingRefused(f"{item}: {exc}") from exc
        moved += 1
    return moved
