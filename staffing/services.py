"""Writes for staffing: shifts, hour caps, registrations, training and new starters.

Every refusal a person can cause raises `StaffingRefused` with a plain message the
page shows as it is.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Field, Q, QuerySet
from django.utils import timezone

from areas.models import Area
from audit.models import AuditEvent
from audit.services import audit_event, audit_record, audit_record_many
from calls.models import CallAttempt
from clock import (
    SENT_TWICE_WITHIN,
    NoSuchLocalTime,
    local_midnight,
    local_moment,
    local_week_bounds,
)
from clock.written import short_time_today
from rows.retry import atomic_operation

from .access import profile_of
from .models import (
    NEW_STARTER_AGAIN,
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


def hours_as_read(value: float) -> str:
    """8, 44.5, 60.02: hours as a person reads them, to the minute or so."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


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
        """Each chosen day's slot, start and end. A start or end the clocks skip
        (in the hour they go forward) is refused: it names no moment."""
        windows = []
        day = self.first_day
        while day <= self.last_day:
            if day.weekday() in self.weekdays:
                start = _wall_clock(day, self.starts)
                end_day = day if self.ends > self.starts else day + timedelta(days=1)
                end = _wall_clock(end_day, self.ends)
                windows.append((start, end))
            day += timedelta(days=1)
        return windows


def _wall_clock(day: date, at: time) -> datetime:
    """The moment a clock in Europe/London shows `at` on `day`; refused when the
    clocks go forward past it that night (01:30 on the last Sunday of March)."""
    try:
        return local_moment(datetime.combine(day, at))
    except NoSuchLocalTime as gap:
        raise StaffingRefused(
            f"{gap} Choose start and end times outside that hour, or leave that day "
            "out of the dates."
        ) from None


@atomic_operation
def shifts_publish(
    *,
    team: Team,
    plan: SlotPlan,
    by: User,
    now: datetime | None = None,
    reason: str = "",
    publication: uuid.UUID | None = None,
) -> list[Shift]:
    """Open `count` slots for each chosen day in the range, for anyone in the team;
    each slot audited as published (with the reason, when one is given).

    `publication` names the form that asked: sent again (a double click, the browser
    sending it again), it is the slots that sending published, nothing opened twice
    (the team's row is locked, so a second sending waits for the first's commit)."""
    now = now or timezone.now()
    if publication is not None:
        Team.objects.select_for_update().filter(pk=team.pk).first()
        published = list(
            Shift.objects.filter(team=team, publication=publication).order_by("pk")
        )
        if published:
            return published
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
    shifts = Shift.objects.bulk_create(
        Shift(
            tier=team.tier,
            team=team,
            starts_at=start,
            ends_at=end,
            status=Shift.Status.OPEN,
            published_by=by,
            publication=publication,
        )
        for start, end in windows
        for _ in range(plan.count)
    )
    detail = {"shift": "published", "team": team.pk}
    if reason:
        detail["reason"] = reason
    audit_record_many(
        audit_event(
            user=by, action=AuditEvent.Action.CREATE, obj=s, detail=detail, at=now
        )
        for s in shifts
    )
    return shifts


@atomic_operation
def shifts_publish_many(
    *,
    team: Team,
    plans: Sequence[SlotPlan],
    by: User,
    now: datetime | None = None,
    reason: str = "",
) -> list[Shift]:
    """Several sets of slots at once (the capacity page's cover for a gap), each
    through `shifts_publish` and its rules: all published, or none."""
    now = now or timezone.now()
    if not plans:
        raise StaffingRefused("There are no slots to publish.")
    total = sum(len(p.windows()) * p.count for p in plans)
    if total > MAX_SLOTS_PER_PUBLISH:
        raise StaffingRefused(
            f"That would open {total} slots; publish at most "
            f"{MAX_SLOTS_PER_PUBLISH} at once."
        )
    return [
        shift
        for plan in plans
        for shift in shifts_publish(team=team, plan=plan, by=by, now=now, reason=reason)
    ]


def _lock_open_twin(shift: Shift) -> Shift | None:
    """An open slot identical to `shift` (team, tier, times), locked; None when none
    is left open (or every one is being taken at this moment)."""
    return (
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


def _lock_open_slot(shift_id: int) -> Shift:
    """The slot asked for, locked; if someone just took it, an identical open one."""
    shift = Shift.objects.select_for_update().filter(pk=shift_id).first()
    if shift is None:
        raise StaffingRefused("That slot no longer exists.")
    if shift.status == Shift.Status.OPEN:
        return shift
    twin = _lock_open_twin(shift)
    if twin is None:
        raise StaffingRefused("Someone else has just booked that slot.")
    return twin


@atomic_operation
def shift_book(
    *,
    shift_id: int,
    profile: StaffProfile,
    confirm_over_cap: bool = False,
    now: datetime | None = None,
) -> Shift:
    """Book an open slot for oneself: a registration in date throughout it (tier 2),
    no clash, the minimum rest either side, and within the weekly hours ceiling.
    Past the weekly cap it needs `confirm_over_cap` (without it, `OverWeeklyCap`
    says how many hours it would make).

    The staff row is locked first, so one person's two bookings at once cannot both
    pass the cap; the slot row is locked so two people cannot book the same slot.
    """
    now = now or timezone.now()
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    _refuse_if_left(profile, who="Your")
    shift = _lock_open_slot(shift_id)
    if shift.tier != profile.tier or (
        shift.team_id is not None and shift.team_id != profile.team_id
    ):
        raise StaffingRefused("That slot is for another team.")
    if shift.starts_at <= now:
        raise StaffingRefused("That slot has already started.")
    _check_bookable(
        profile=profile,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        confirm_over_cap=confirm_over_cap,
        now=now,
    )
    shift.staff = profile
    shift.status = Shift.Status.BOOKED
    shift.booked_at = now
    shift.save(update_fields=["staff", "status", "booked_at"])
    detail: dict[str, Any] = {"shift": "booked", "staff": profile.pk}
    if shift.pk != shift_id:
        detail["asked_for"] = shift_id  # taken meanwhile: an identical slot booked
    audit_record(
        user=profile.user,
        action=AuditEvent.Action.UPDATE,
        obj=shift,
        detail=detail,
        at=now,
    )
    return shift


@atomic_operation
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
            "That shift has already started: ask your supervisor to end it early "
            "(the hours you have worked stay booked)."
        )
    shift.staff = None
    shift.status = Shift.Status.OPEN
    shift.booked_at = None
    shift.save(update_fields=["staff", "status", "booked_at"])
    audit_record(
        user=profile.user,
        action=AuditEvent.Action.UPDATE,
        obj=shift,
        detail={"shift": "given back", "staff": profile.pk},
        at=now,
    )
    return shift


@dataclass(frozen=True)
class ShiftAsShown:
    """A shift as the page asking to cancel it showed it: who held it (None for an
    open slot) and its status."""

    staff_id: int | None
    status: str

    @classmethod
    def sent(cls, data: Any, suffix: str = "") -> ShiftAsShown | None:
        """What a cancel form drew, from its hidden fields `shown_staff` and
        `shown_status` (with `suffix`: one form drawing several shifts); None from a
        form sent without them. A holder no form draws reads as one no shift has,
        so the shift is not cancelled."""
        if f"shown_status{suffix}" not in data:
            return None
        staff = data.get(f"shown_staff{suffix}", "")
        return cls(
            staff_id=int(staff) if staff.isdigit() else (None if staff == "" else -1),
            status=data[f"shown_status{suffix}"],
        )

    def matches(self, shift: Shift) -> bool:
        """The shift is as it was shown: the same holder, the same status."""
        return (shift.staff_id, shift.status) == (self.staff_id, self.status)


def _holder_name(shift: Shift) -> str:
    user = shift.staff.user if shift.staff is not None else None
    return (user.get_full_name() or user.username) if user is not None else ""


def _shift_as_shown(shift: Shift, shown: ShiftAsShown) -> Shift:
    """The shift to cancel, given the locked row and what the page showed of it.

    An open slot booked since is not withdrawn from under its new holder: an
    identical slot still open is withdrawn instead, or, none left, refused. Any
    other change of holder is refused, saying whose the shift is now."""
    if shift.status == Shift.Status.CANCELLED:
        raise StaffingRefused("That shift is already cancelled.")
    holder = _holder_name(shift)
    if shown.status == Shift.Status.OPEN and shown.staff_id is None:
        twin = _lock_open_twin(shift) if shift.status == Shift.Status.BOOKED else None
        if twin is not None:
            return twin
        raise StaffingRefused(
            f"This slot has been booked since you opened the page: it is now "
            f"{holder}'s, and no identical slot is left open. Nothing was withdrawn."
        )
    now_is = f"{holder}'s" if holder else "an open slot, no one's"
    raise StaffingRefused(
        f"This shift has changed hands since you opened the page: it is now "
        f"{now_is}. Nothing was cancelled."
    )


def _cancel_just_made(
    shift: Shift, shown: ShiftAsShown, *, by: User, reason: str, now: datetime
) -> Shift | None:
    """This user's cancel of `shift` as shown, made a moment ago with this reason:
    the form sent again (a double click without JavaScript, a resend). The row it
    cancelled (the shift itself, or the identical open slot withdrawn for it once
    it had been booked), or None."""
    if shown.status == Shift.Status.CANCELLED:
        return None
    event = (
        AuditEvent.objects.filter(
            user_id=by.pk,
            action=AuditEvent.Action.UPDATE,
            object_type=Shift._meta.label_lower,
            at__gte=now - SENT_TWICE_WITHIN,
            detail__shift="cancelled",
            detail__reason=reason,
        )
        .filter(Q(object_id=str(shift.pk)) | Q(detail__asked_for=shift.pk))
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return None
    return Shift.objects.filter(
        pk=int(event.object_id),
        status=Shift.Status.CANCELLED,
        staff_id=shown.staff_id,
    ).first()


@atomic_operation
def shift_cancel(
    *,
    shift: Shift,
    by: User,
    reason: str,
    shown: ShiftAsShown | None = None,
    now: datetime | None = None,
) -> Shift:
    """A supervisor cancels a booked shift or withdraws an open slot, saying why;
    returns the cancelled row.

    `shown` is the shift as the supervisor's page showed it: if it has changed hands
    since, nothing is cancelled (_shift_as_shown), but an open slot booked meanwhile
    has an identical open one withdrawn instead, which is returned. The same form
    sent again is answered with the row its first sending cancelled, and nothing
    more is cancelled (before, each sending withdrew another identical slot).

    A booked shift already under way is cut short instead: the part worked stays
    booked and ends now (it counts in the person's hours, the cap and the figures),
    and the rest becomes a cancelled row from now to the old end, with the reason.
    The booked person keeps the cancelled row on their shifts page with the reason.
    """
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise StaffingRefused("Give a reason: the person booked will see it.")
    shift = (
        Shift.objects.select_for_update(of=("self",))
        .select_related("staff__user")
        .get(pk=shift.pk)
    )
    asked_for = shift.pk
    if shown is not None and not shown.matches(shift):
        done = _cancel_just_made(shift, shown, by=by, reason=reason, now=now)
        if done is not None:
            return done
        shift = _shift_as_shown(shift, shown)
    if shift.status == Shift.Status.CANCELLED:
        raise StaffingRefused("That shift is already cancelled.")
    if shift.ends_at <= now:
        raise StaffingRefused("That shift has already ended.")
    if shift.status == Shift.Status.BOOKED and shift.starts_at < now:
        return _shift_cut_short(shift=shift, by=by, reason=reason, now=now)
    shift.status = Shift.Status.CANCELLED
    shift.cancelled_at = now
    shift.cancelled_by = by
    shift.cancel_reason = reason
    shift.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"]
    )
    detail: dict[str, Any] = {
        "shift": "cancelled",
        "staff": shift.staff_id,
        "reason": reason,
    }
    if shift.pk != asked_for:
        detail["asked_for"] = asked_for  # booked meanwhile: an identical slot withdrawn
    audit_record(
        user=by, action=AuditEvent.Action.UPDATE, obj=shift, detail=detail, at=now
    )
    return shift


def _shift_cut_short(
    *,
    shift: Shift,
    by: User,
    reason: str,
    now: datetime,
    ends_at: datetime | None = None,
) -> Shift:
    """End a booked shift under way now (or at `ends_at`, a moment still to come
    before its end); the rest of it, cancelled, is returned."""
    old_end = shift.ends_at
    cut = ends_at or now
    rest = Shift.objects.create(
        tier=shift.tier,
        team_id=shift.team_id,
        staff_id=shift.staff_id,
        starts_at=cut,
        ends_at=old_end,
        status=Shift.Status.CANCELLED,
        published_by_id=shift.published_by_id,
        booked_at=shift.booked_at,
        cancelled_at=now,
        cancelled_by=by,
        cancel_reason=reason,
    )
    shift.ends_at = cut
    shift.save(update_fields=["ends_at"])
    audit_record_many(
        [
            audit_event(
                user=by,
                action=AuditEvent.Action.UPDATE,
                obj=shift,
                detail={
                    "shift": "cut short",
                    "staff": shift.staff_id,
                    "ends_at": {"from": old_end.isoformat(), "to": cut.isoformat()},
                    "reason": reason,
                    "rest_cancelled": rest.pk,
                },
                at=now,
            ),
            audit_event(
                user=by,
                action=AuditEvent.Action.CREATE,
                obj=rest,
                detail={
                    "shift": "cancelled",
                    "staff": shift.staff_id,
                    "reason": reason,
                    "cut_from": shift.pk,
                },
                at=now,
            ),
        ]
    )
    return rest


# --- the booking rules -------------------------------------------------------------


class OverWeeklyCap(StaffingRefused):
    """The booking would take someone past their weekly hours cap (but not past the
    ceiling): allowed only when the person booking confirms it."""

    def __init__(self, message: str, *, hours: float, total: float, cap: int) -> None:
        super().__init__(message)
        self.hours = hours  # the shift's length
        self.total = total  # the week's hours with it
        self.cap = cap


def min_rest() -> timedelta:
    """The least time off between one shift's end and the next one's start."""
    return timedelta(hours=settings.TRACING_MIN_REST_HOURS)


def _at(moment: datetime, *, day_of: datetime | None = None) -> str:
    """'04:06 on Tuesday'; just '04:06' when it falls on the same day as `day_of`."""
    local = timezone.localtime(moment)
    if day_of is not None and timezone.localtime(day_of).date() == local.date():
        return f"{local:%H:%M}"
    return f"{local:%H:%M} on {local:%A}"


def _check_rest(
    *,
    profile: StaffProfile,
    starts_at: datetime,
    ends_at: datetime,
    who: str,
) -> None:
    """Refuse a shift that clashes with one already booked or leaves less than the
    minimum rest before or after it.

    Shifts that touch (one ends as the next starts) are one spell of work, as when
    someone books both halves of a day; a spell so joined may be no longer than a day
    less the rest, so every 24 hours still hold the rest. (How long one published
    slot may be is the supervisor's choice.)
    """
    rest = min_rest()
    whose = "Your" if who == "you" else f"{who}'s"
    reach = rest + timedelta(days=1)
    nearby = list(
        Shift.objects.filter(
            staff=profile,
            status=Shift.Status.BOOKED,
            starts_at__lt=ends_at + reach,
            ends_at__gt=starts_at - reach,
        ).order_by("starts_at")
    )
    for other in nearby:
        if other.starts_at < ends_at and other.ends_at > starts_at:
            your = "your" if who == "you" else "their"
            raise StaffingRefused(
                f"That slot overlaps {your} shift {other}: "
                f"{who} cannot be on two at once."
            )
    before = [s for s in nearby if s.ends_at <= starts_at]
    after = [s for s in nearby if s.starts_at >= ends_at]
    rule = f"That leaves less than {hours_as_read(rest.total_seconds() / 3600)} hours' rest"
    if before:
        last = max(before, key=lambda s: s.ends_at)
        if last.ends_at != starts_at and starts_at - last.ends_at < rest:
            earliest = last.ends_at + rest
            raise StaffingRefused(
                f"{rule} between shifts. {whose} shift ends at {_at(last.ends_at)}: "
                f"the next may start at {_at(earliest, day_of=last.ends_at)} "
                "at the earliest."
            )
    if after:
        following = min(after, key=lambda s: s.starts_at)
        if following.starts_at != ends_at and following.starts_at - ends_at < rest:
            latest = following.starts_at - rest
            raise StaffingRefused(
                f"{rule} between shifts. {whose} next shift starts at "
                f"{_at(following.starts_at)}: one before it must end by "
                f"{_at(latest, day_of=following.starts_at)} at the latest."
            )
    # The spell this shift joins: shifts touching it, end to start, either side.
    first, last_end = starts_at, ends_at
    for s in sorted(before, key=lambda s: s.ends_at, reverse=True):
        if s.ends_at == first:
            first = s.starts_at
    for s in sorted(after, key=lambda s: s.starts_at):
        if s.starts_at == last_end:
            last_end = s.ends_at
    longest = timedelta(days=1) - rest
    joined = (first, last_end) != (starts_at, ends_at)
    if joined and last_end - first > longest:
        spell = hours_as_read((last_end - first).total_seconds() / 3600)
        raise StaffingRefused(
            f"That would make {spell} hours on shift without a break, from "
            f"{_at(first)} to {_at(last_end, day_of=first)}: with "
            f"{hours_as_read(rest.total_seconds() / 3600)} hours' rest a day, at most "
            f"{hours_as_read(longest.total_seconds() / 3600)} in a row."
        )


def _check_hours(
    *,
    profile: StaffProfile,
    starts_at: datetime,
    ends_at: datetime,
    who: str,
    confirm_over_cap: bool,
) -> None:
    """Refuse a shift past the weekly ceiling; past the person's own cap, ask for a
    confirmation (`OverWeeklyCap`). A shift counts in the week it starts."""
    your = "your" if who == "you" else "their"
    hours = (ends_at - starts_at).total_seconds() / 3600
    booked = booked_hours_in_week(profile=profile, moment=starts_at)
    total = booked + hours
    week_start = timezone.localtime(local_week_bounds(starts_at)[0])
    would = (
        f"Booking this {hours_as_read(hours)}-hour shift would take {who} to "
        f"{hours_as_read(total)} hours in the week of {week_start:%-d %B}"
    )
    ceiling = settings.TRACING_WEEKLY_HOURS_CEILING
    if total > ceiling:
        raise StaffingRefused(
            f"{would}, over the ceiling of {ceiling} hours a week: "
            "no one may be booked for more."
        )
    cap = profile.weekly_hours_cap
    if total > cap and not confirm_over_cap:
        raise OverWeeklyCap(
            f"{would}, over {your} weekly cap of {cap} hours.",
            hours=hours,
            total=total,
            cap=cap,
        )


def registration_runs_out_before(
    *, profile: StaffProfile, ends_at: datetime
) -> date | None:
    """The day a caseworker's registration expires, when it runs out before
    `ends_at` (a shift's end, or the end of the days a page shows): from the next day
    assignment gives them no work (eligible_staff), so a shift then is no cover. None
    when their tier needs no registration, it stays in date until then, or it is not
    verified (a hold-up of its own, which My shifts says, that their supervisor may
    clear before the shift). No query: read on the row as the reasons assignment
    passes someone over read it (registration_valid_on)."""
    expires_on = profile.registration_expires_on
    if profile.tier != Tier.CLINICAL or expires_on is None:
        return None
    if not profile.registration_valid_on(expires_on):
        return None  # valid on no day, not even its last: not verified
    # The last day the shift runs on: one that ends at midnight is over by then.
    last_day = timezone.localdate(ends_at - timedelta(microseconds=1))
    return None if profile.registration_valid_on(last_day) else expires_on


def _day_said(day: date, *, today: date) -> str:
    """'Thu 10 Dec', with the year when it is not this year's."""
    return f"{day:%a %-d %b}" if day.year == today.year else f"{day:%a %-d %b %Y}"


def _check_registration(
    *, profile: StaffProfile, ends_at: datetime, who: str, now: datetime
) -> None:
    """Refuse a shift that runs on past the day the person's registration expires:
    they would be given no work on it, and the capacity page counts it no cover, so
    a slot booked so would leave its gap asking for another. Said with the day."""
    expires_on = registration_runs_out_before(profile=profile, ends_at=ends_at)
    if expires_on is None:
        return
    today = timezone.localdate(now)
    day = _day_said(expires_on, today=today)
    whose = "Your" if who == "you" else f"{who}'s"
    if expires_on < today:
        said, after = f"{whose} registration ran out on {day}", ""
    else:
        said, after = f"{whose} registration runs out on {day}", " after that day"
    if who == "you":
        raise StaffingRefused(f"{said}: renew it before booking shifts{after}.")
    raise StaffingRefused(
        f"{said}: they must renew it before being booked for shifts{after}."
    )


def _check_bookable(
    *,
    profile: StaffProfile,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    who: str = "you",
    confirm_over_cap: bool = False,
) -> None:
    """Every rule of booking a shift, refusals first, the cap's warning last. The
    caller holds the staff row's lock."""
    _check_registration(profile=profile, ends_at=ends_at, who=who, now=now)
    _check_rest(profile=profile, starts_at=starts_at, ends_at=ends_at, who=who)
    _check_hours(
        profile=profile,
        starts_at=starts_at,
        ends_at=ends_at,
        who=who,
        confirm_over_cap=confirm_over_cap,
    )


@atomic_operation
def shift_assign(
    *,
    profile: StaffProfile,
    starts_at: datetime,
    ends_at: datetime,
    by: User,
    confirm_over_cap: bool = False,
    now: datetime | None = None,
) -> Shift:
    """A supervisor books a shift for a member of their team, with the same rules as
    booking for oneself (the registration, clashes, rest, the ceiling; past the cap
    only confirmed).

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
    _refuse_if_left(profile, who=f"{name}'s")
    _check_bookable(
        profile=profile,
        starts_at=starts_at,
        ends_at=ends_at,
        who=name,
        confirm_over_cap=confirm_over_cap,
        now=now,
    )
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

# A cap page says which version of the cap it showed: the id of that person's last
# HoursCapChange then (NO_CAP_CHANGE: none yet). A version, not the cap itself, so a
# cap changed and changed back (42 to 55, then back to 42: "not approved") is still
# told from the 42 the page showed before both. What a page sends when it says none
# (drawn before pages carried it): refused as made from an unknown cap.
NO_CAP_CHANGE = 0
CAP_CHANGE_NOT_SHOWN = -1


def hours_cap_last_change(profile_id: int) -> HoursCapChange | None:
    """The person's last change of cap (with who made it): its id is the version of
    the cap in force, as a cap page shows it and hours_cap_change compares it. Last
    written, not latest dated: changes are written one at a time under the person's
    row lock, each with a higher id (a change dated earlier, `now`, still counts)."""
    return (
        HoursCapChange.objects.filter(profile_id=profile_id)
        .select_related("changed_by")
        .order_by("-pk")
        .first()
    )


def hours_cap_version(profile_id: int) -> int:
    """The version of the person's cap in force: the id of their last change of cap,
    NO_CAP_CHANGE when it was never changed."""
    last = hours_cap_last_change(profile_id)
    return last.pk if last is not None else NO_CAP_CHANGE


class CapChangedSince(StaffingRefused):
    """The cap was changed since the page the change was made from was drawn (its
    version is not the one the page showed, or the page did not say which it
    showed): saving would undo that change unseen. Says what the cap is now, and who
    set it and when; `version` is the cap's version now, for the page drawn again."""

    def __init__(
        self, *, cap: int, last: HoursCapChange | None, by: User, shown: int
    ) -> None:
        self.cap, self.last, self.shown = cap, last, shown
        self.version = last.pk if last is not None else NO_CAP_CHANGE
        setter = last.changed_by if last is not None else None
        self.by_them = setter is not None and setter.pk == by.pk
        when = short_time_today(last.changed_at) if last is not None else ""
        if shown == CAP_CHANGE_NOT_SHOWN:
            set_by = ""
            if last is not None:
                who = "you" if self.by_them else _name_of(setter)
                set_by = f", set by {who} at {when}" if who else f", set at {when}"
            text = (
                "This page was opened before it showed which cap it was changing: "
                f"the cap is now {cap} hours{set_by}."
            )
        elif self.by_them:
            text = (
                f"You changed the cap to {cap} hours at {when} in another tab or "
                "window, since this page was opened."
            )
        elif last is not None:
            who = _name_of(setter)
            text = (
                f"The cap was changed to {cap} hours{f' by {who}' if who else ''} at "
                f"{when} since you opened this page."
            )
        else:
            text = f"The cap was changed to {cap} hours since you opened this page."
        mine = "This" if self.by_them or shown == CAP_CHANGE_NOT_SHOWN else "Your"
        super().__init__(f"{text} {mine} change is not saved: check it and save again.")


class CapAlreadySet(StaffingRefused):
    """A change to the cap already in force ("The cap is already ..."): for several
    people at once (the admin's action), the others are changed and these named."""


def _name_of(user: User | None) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else ""


@atomic_operation
def hours_cap_change(
    *,
    profile: StaffProfile,
    new_cap: int,
    reason: str,
    by: User,
    now: datetime | None = None,
    shown_version: int | None = None,
) -> HoursCapChange:
    """Set one person's weekly hours cap, up to the configured ceiling, with a reason;
    never one's own (another supervisor sets a supervisor's cap).

    Given `shown_version` (the version of the cap the supervisor's page showed,
    hours_cap_version; CAP_CHANGE_NOT_SHOWN from a page that did not say), a change
    made once the cap was changed since, even changed back, is refused
    (CapChangedSince), under the row's lock, so one supervisor's change never
    silently undoes another's. Without it (the admin's action, which shows no cap
    version) nothing is compared. A change to the cap in force is refused first
    ("The cap is already ..."), which tells a form sent twice (work.sent_twice)."""
    if profile.user_id == by.pk:
        raise StaffingRefused(
            "You cannot change your own weekly hours cap: another supervisor must "
            "change it for you."
        )
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
        raise CapAlreadySet(f"The cap is already {new_cap} hours.")
    if shown_version is not None:
        # Read under the row's lock: every change of cap takes it first.
        last = hours_cap_last_change(profile.pk)
        if shown_version != (last.pk if last is not None else NO_CAP_CHANGE):
            raise CapChangedSince(
                cap=profile.weekly_hours_cap, last=last, by=by, shown=shown_version
            )
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


# --- who someone is: accounts, profiles and areas changed in the admin -------------

# The reason a leaver's shifts end with, on their shifts page and in the trail.
LEFT_THE_SERVICE = "Left the service"

# The tiers a move into makes the person a new starter again: the national tiers,
# whose new starters' calls are reviewed. Local staff make no reviewed calls (they
# could never be signed off), so a move into tier 1 keeps the sign-off.
NEW_START_TIERS = (Tier.CLINICAL, Tier.CALL_HANDLER)

# A profile's fields whose change is audited: what work someone may be given and
# whose they are.
PROFILE_FIELDS_AUDITED = ("tier", "is_supervisor", "organisation", "team", "local_team")


@dataclass(frozen=True)
class AccountSaved:
    """What saving an account did: whether it was turned off or on, and the shifts
    of a leaver ended (the one under way cut short, those to come cancelled)."""

    activation_changed: bool = False
    shifts_cut_short: int = 0
    shifts_cancelled: int = 0


def _value_name(obj: Any, field: Field) -> Any:
    """How a person reads a field's value: a record's name, a choice's label."""
    if field.is_relation:
        related = getattr(obj, field.name)
        return str(related) if related is not None else None
    return dict(field.flatchoices).get(getattr(obj, field.attname))


def _changes(before: Any, after: Any, fields: Sequence[str]) -> dict[str, Any]:
    """Each field whose value differs: {"from": old, "to": new}, and the names of
    the two when they are records or choices."""
    changes: dict[str, Any] = {}
    for name in fields:
        field = type(after)._meta.get_field(name)
        old, new = getattr(before, field.attname), getattr(after, field.attname)
        if old == new:
            continue
        change = {"from": old, "to": new}
        if field.is_relation or field.choices:
            change["from_name"] = _value_name(before, field)
            change["to_name"] = _value_name(after, field)
        changes[name] = change
    return changes


def _shifts_end(
    shifts: QuerySet[Shift], *, by: User, reason: str, now: datetime
) -> tuple[int, int]:
    """End these booked shifts, each through `shift_cancel` (audited, the reason on
    the person's shifts page and the team's rota): the one under way ends now, the
    hours worked staying booked; those to come are cancelled. Returns (cut short,
    cancelled)."""
    cut_short = cancelled = 0
    for shift in shifts.filter(status=Shift.Status.BOOKED, ends_at__gt=now).order_by(
        "starts_at"
    ):
        rest = shift_cancel(shift=shift, by=by, reason=reason, now=now)
        if rest.pk == shift.pk:
            cancelled += 1
        else:
            cut_short += 1
    return cut_short, cancelled


def _leaver_shifts_end(*, user: User, by: User, now: datetime) -> tuple[int, int]:
    """End the booked shifts of someone who has left (_shifts_end)."""
    return _shifts_end(
        Shift.objects.filter(staff__user=user), by=by, reason=LEFT_THE_SERVICE, now=now
    )


def _moved_reason(profile: StaffProfile, changes: dict[str, Any]) -> str:
    """Why a moved person's shifts end: "Moved to tier 2", "Moved to team Calls
    South", "Moved out of team Calls North"."""
    if "tier" in changes:
        return f"Moved to tier {profile.tier}"
    if profile.team is not None:
        return f"Moved to team {profile.team.name}"
    return f"Moved out of team {changes['team'].get('from_name') or ''}".strip()


def _not_theirs_now(profile: StaffProfile) -> Q:
    """Shifts the person could not book now (shift_book's rule): of another tier,
    or of a team not theirs."""
    return ~Q(tier=profile.tier) | (Q(team__isnull=False) & ~Q(team_id=profile.team_id))


def _refuse_if_left(profile: StaffProfile, *, who: str) -> None:
    """Booking for an account turned off (read once the staff row is locked, the lock
    account_save takes before it ends a leaver's shifts): refused."""
    if not User.objects.filter(pk=profile.user_id, is_active=True).exists():
        raise StaffingRefused(f"{who} account is no longer active: nothing was booked.")


@atomic_operation
def account_save(*, user: User, by: User, now: datetime | None = None) -> AccountSaved:
    """Save an account as changed in the admin. Turning it off or on is audited,
    old and new, as `by`'s; turned off, its person has left: the shift they are on
    ends now and those to come are cancelled, "Left the service", so no figure
    counts hours after they left.

    The account's row is locked without its key (an audit row or a shift naming the
    person, written meanwhile, is not held up: with FOR UPDATE, a give-back of a
    shift deadlocked against it), then its staff row, the lock a booking takes first:
    a booking made meanwhile is either among the shifts ended or refused.

    A new account (made on the admin's "Add user" page) is saved and its making
    audited (_account_created)."""
    now = now or timezone.now()
    if user.pk is None:
        user.save()
        _account_created(user=user, by=by, now=now)
        return AccountSaved()
    was_active = (
        User.objects.select_for_update(no_key=True)
        .filter(pk=user.pk)
        .values_list("is_active", flat=True)
        .first()
    )
    list(
        StaffProfile.objects.select_for_update(no_key=True)
        .filter(user_id=user.pk)
        .values_list("pk", flat=True)
    )
    user.save()
    if was_active is None or was_active == user.is_active:
        return AccountSaved()
    detail: dict[str, Any] = {"is_active": {"from": was_active, "to": user.is_active}}
    cut_short = cancelled = 0
    if not user.is_active:
        cut_short, cancelled = _leaver_shifts_end(user=user, by=by, now=now)
        detail |= {
            "reason": LEFT_THE_SERVICE,
            "shifts_cut_short": cut_short,
            "shifts_cancelled": cancelled,
        }
    audit_record(
        user=by, action=AuditEvent.Action.UPDATE, obj=user, detail=detail, at=now
    )
    return AccountSaved(
        activation_changed=True, shifts_cut_short=cut_short, shifts_cancelled=cancelled
    )


def _account_created(*, user: User, by: User, now: datetime) -> AuditEvent:
    """The making of an account audited as `by`'s: its username, whether it is on,
    staff or superuser, and whether it has a password yet (one made without chooses
    it through "Forgotten your password?"). Who may sign in is the trail's to tell
    from the first account on, not only from its first change."""
    return audit_record(
        user=by,
        action=AuditEvent.Action.CREATE,
        obj=user,
        detail={
            "username": user.get_username(),
            "is_active": user.is_active,
            "is_staff": user.is_staff,
            "is_superuser": user.is_superuser,
            "password_set": user.has_usable_password(),
        },
        at=now,
    )


def _made_with(obj: Any, fields: Sequence[str]) -> dict[str, Any]:
    """A new record's values of `fields`, in the shape of a change (_changes) from
    nothing: {"from": None, "to": value}, and the name of a record or choice."""
    made: dict[str, Any] = {}
    for name in fields:
        field = type(obj)._meta.get_field(name)
        made[name] = {"from": None, "to": getattr(obj, field.attname)}
        if field.is_relation or field.choices:
            made[name]["to_name"] = _value_name(obj, field)
    return made


def _tier_said(tier: int) -> str:
    """ "Tier 2: clinical caseworker" as "tier 2 (clinical caseworker)"."""
    number, _, name = Tier(tier).label.partition(": ")
    return f"{number.lower()} ({name})"


def _team_tier_locked(team_id: int) -> int | None:
    """The team's tier, its row locked: the lock a member's save into the team and a
    change of the team's tier both take first, so neither slips past the other's
    check (None: no such team)."""
    return (
        Team.objects.select_for_update(no_key=True)
        .filter(pk=team_id)
        .values_list("tier", flat=True)
        .first()
    )


def staff_profile_team_check(*, tier: int, team: Team | None) -> None:
    """Someone of `tier` may be in `team` (or in none): a team of another tier is
    refused, saying whose tier each is (a team's work, rota and supervisors are of
    its one tier). Takes the team's row lock (_team_tier_locked),
    so its tier cannot change before the profile is saved."""
    if team is None or team.pk is None:
        return
    team_tier = _team_tier_locked(team.pk)
    if team_tier is None:
        raise StaffingRefused(f"The team {team.name} no longer exists.")
    if team_tier != tier:
        raise StaffingRefused(
            f"{team.name} is a team of {_tier_said(team_tier)}: a member of "
            f"{_tier_said(tier)} cannot be in it. Choose a team of their tier."
        )


def team_tier_check(*, team: Team, tier: int) -> None:
    """`team` may become a team of `tier`: a change of tier is refused while anyone
    is in the team (they would be members of another tier's team, on its rota and
    its supervisors' lists), saying how many. Takes the team's row lock
    (_team_tier_locked), so no one joins it before the change is saved."""
    if team.pk is None:
        return
    tier_now = _team_tier_locked(team.pk)
    if tier_now is None or tier_now == tier:
        return
    members = StaffProfile.objects.filter(team_id=team.pk).count()
    if members:
        raise StaffingRefused(
            f"{team.name} has {members} member{'' if members == 1 else 's'} of "
            f"{_tier_said(tier_now)}: a team's tier cannot change while it has "
            "members. Move them to a team of their tier first, or make a new team."
        )


@atomic_operation
def team_save(*, team: Team) -> None:
    """Save a team as made or changed in the admin; a change of its tier is
    refused while it has members (team_tier_check)."""
    team_tier_check(team=team, tier=team.tier)
    team.save()


@atomic_operation
def staff_profile_save(
    *, profile: StaffProfile, by: User, now: datetime | None = None
) -> AuditEvent | None:
    """Save a profile as made or changed in the admin. A new profile is audited
    with its tier, supervisor, organisation, team and local team (_made_with); a
    change of any of them is audited, old and new, as `by`'s (None when none of
    them changed).

    Moved to another tier or team, the person's shifts booked for the old one end
    as a leaver's do (_shifts_end, "Moved to tier 2"): the one under way now, those
    to come cancelled, so the old team's rota no longer counts them as cover and
    assignment no longer gives them work on it. Moved to another national tier (2
    or 3: NEW_START_TIERS), they are a new starter there (the sign-off cleared): the
    lower cap, their supervisor's list, their first calls in the new tier reviewed,
    those of the old tier no longer counted (CallReview.objects.as_new_starter).

    A team of another tier than the person's is refused (staff_profile_team_check)
    before anything is saved."""
    staff_profile_team_check(tier=profile.tier, team=profile.team)
    now = now or timezone.now()
    if profile.pk is None:
        profile.save()
        return audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            obj=profile,
            detail=_made_with(profile, PROFILE_FIELDS_AUDITED),
            at=now,
        )
    before = (
        StaffProfile.objects.select_for_update(of=("self",))
        .select_related("organisation", "team", "local_team")
        .get(pk=profile.pk)
    )
    new_start = profile.tier != before.tier and profile.tier in NEW_START_TIERS
    if new_start:
        profile.signed_off_at = None
        profile.signed_off_by = None
    profile.save()
    changes = _changes(before, profile, PROFILE_FIELDS_AUDITED)
    if not changes:
        return None
    detail: dict[str, Any] = dict(changes)
    if new_start:
        detail["new_starter"] = NEW_STARTER_AGAIN
        if before.signed_off_at is not None:
            detail["signed_off_at"] = {
                "from": before.signed_off_at.isoformat(),
                "to": None,
            }
    if "tier" in changes or "team" in changes:
        reason = _moved_reason(profile, changes)
        cut_short, cancelled = _shifts_end(
            Shift.objects.filter(staff=profile).filter(_not_theirs_now(profile)),
            by=by,
            reason=reason,
            now=now,
        )
        if cut_short or cancelled:
            detail |= {
                "reason": reason,
                "shifts_cut_short": cut_short,
                "shifts_cancelled": cancelled,
            }
    return audit_record(
        user=by, action=AuditEvent.Action.UPDATE, obj=profile, detail=detail, at=now
    )


@atomic_operation
def area_save(
    *, area: Area, by: User, now: datetime | None = None
) -> AuditEvent | None:
    """Save an area as changed in the admin; a move to another local team is
    audited, old and new, as `by`'s. The admin saves through `work.areas.area_save`,
    which calls this and moves the area's open escalations to the new team."""
    if area.pk is None:
        area.save()
        return None
    before = (
        Area.objects.select_for_update(of=("self",))
        .select_related("local_team")
        .get(pk=area.pk)
    )
    area.save()
    changes = _changes(before, area, ("local_team",))
    if not changes:
        return None
    return audit_record(
        user=by, action=AuditEvent.Action.UPDATE, obj=area, detail=changes, at=now
    )


# --- registrations and training --------------------------------------------------


# The furthest a registration's expiry can be: every body here renews or revalidates
# a registration at least every five years (the GMC's licence, the longest).
REGISTRATION_YEARS_AT_MOST = 5


def registration_expiry_problem(expires_on: date, *, today: date) -> str:
    """What is wrong with a registration's expiry date ("" when fine): the one
    statement of the rule, for the form (beside its field, with the rest) and the
    service. A date further off than any body renews a registration (9999-12-31, a
    year typed wrong) would keep a clinician's registration current for ever."""
    if expires_on < today:
        return (
            f"That registration expired on {expires_on:%-d %B %Y}: "
            "it cannot be verified."
        )
    try:
        furthest = today.replace(year=today.year + REGISTRATION_YEARS_AT_MOST)
    except ValueError:  # 29 February
        furthest = today.replace(year=today.year + REGISTRATION_YEARS_AT_MOST, day=28)
    if expires_on > furthest:
        return (
            f"{expires_on:%-d %B %Y} is more than {REGISTRATION_YEARS_AT_MOST} years "
            "away, and no register renews a registration that seldom: check the "
            "date on the register."
        )
    return ""


# How each body writes its numbers, and how to say it: (pattern, "such as ...").
REGISTRATION_NUMBER_FORMS: dict[str, tuple[re.Pattern[str], str]] = {
    StaffProfile.RegistrationBody.NMC: (
        re.compile(r"\d{2}[A-Z]\d{4}[A-Z]"),
        "An NMC PIN is two digits, a letter, four digits and a letter, such as "
        "12A3456E.",
    ),
    StaffProfile.RegistrationBody.GMC: (
        re.compile(r"\d{7}"),
        "A GMC reference number is seven digits, such as 1234567.",
    ),
    StaffProfile.RegistrationBody.GPHC: (
        re.compile(r"\d{7}"),
        "A GPhC registration number is seven digits, such as 2012345.",
    ),
    StaffProfile.RegistrationBody.HCPC: (
        # Two letters for most professions (PA, PH, OT...), three for a few
        # (PYL practitioner psychologists, HAD hearing aid dispensers, ODP).
        re.compile(r"[A-Z]{2,3}\d{4,6}"),
        "An HCPC registration number is the profession's letters and up to six "
        "digits, such as PA12345 or ODP12345.",
    ),
    StaffProfile.RegistrationBody.SWE: (
        re.compile(r"SW\d{1,7}"),
        "A Social Work England number is SW and digits, such as SW12345.",
    ),
}


def registration_number_read(body: str, number: str) -> tuple[str, str]:
    """The number as the register writes it (capitals, no spaces), and what is
    wrong with it for `body` ("" when fine): a number typed into the wrong box, or
    of another body, is told, not verified."""
    written = "".join(number.split()).upper()
    form = REGISTRATION_NUMBER_FORMS.get(body)
    if form is not None and not form[0].fullmatch(written):
        return written, form[1]
    return written, ""


def _shift_said(shift: Shift, *, today: date) -> str:
    """'Sat 13 Jun 08:00-16:00' (the year too when not this year's)."""
    starts, ends = (
        timezone.localtime(shift.starts_at),
        timezone.localtime(shift.ends_at),
    )
    return f"{_day_said(starts.date(), today=today)} {starts:%H:%M}-{ends:%H:%M}"


def _shifts_were(count: int, *, what: str) -> str:
    """'1 shift booked after ... was', '2 shifts booked after ... were'."""
    return f"{count} shift {what} was" if count == 1 else f"{count} shifts {what} were"


@dataclass(frozen=True)
class RegistrationVerified:
    """A registration verified, and what became of the shifts booked past its
    expiry (_shifts_past_registration_end), each said as 'Sat 13 Jun 08:00-16:00'."""

    profile: StaffProfile
    expires_on: date
    today: date
    released: tuple[str, ...] = ()  # not yet begun: open slots again
    cut_short: tuple[str, ...] = ()  # under way: ends at the expiry's midnight

    def shifts_said(self) -> str:
        """For the supervisor who verified it: which shifts went, and how ("" when
        none ran past the expiry)."""
        after = f"booked after {_day_said(self.expires_on, today=self.today)}"
        said = []
        if self.released:
            were = _shifts_were(
                len(self.released), what=f"{after}, when the registration runs out,"
            )
            said.append(f"{were} released as open slots: {', '.join(self.released)}.")
        for shift in self.cut_short:
            said.append(
                f"The shift under way, {shift}, now ends at midnight, when the "
                "registration runs out."
            )
        return " ".join(said)


def _shift_release(*, shift: Shift, by: User, reason: str, now: datetime) -> None:
    """A booked shift back to the open slot it was booked from, as a shift given
    back is (shift_release_own), audited as `by`'s with the reason."""
    staff_id = shift.staff_id
    shift.staff = None
    shift.status = Shift.Status.OPEN
    shift.booked_at = None
    shift.save(update_fields=["staff", "status", "booked_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=shift,
        detail={"shift": "released", "staff": staff_id, "reason": reason},
        at=now,
    )


# Each shift a verification ended: its id and how it reads ("Sat 13 Jun 08:00-16:00").
EndedShift = tuple[int, str]


def _shifts_past_registration_end(
    *, profile: StaffProfile, expires_on: date, by: User, now: datetime, today: date
) -> dict[str, list[EndedShift]]:
    """The person's booked shifts that run on past the day their registration
    expires (the booking rule's: registration_runs_out_before), ended as a
    leaver's are (_shifts_end), with the reason on their shifts page and the rota.

    Each goes back to being an open slot: the cover it was booked to give is
    needed still, for a colleague to book, whether the person booked it from a
    published slot or a supervisor booked it for them. A shift straddling midnight after the last day goes whole, as the
    booking rule refuses it whole: as published, bookable by someone else, not an
    evening kept and two hours past midnight no one published. Only a shift under
    way (the expiry is today) is cut, at that midnight: the hours until then are
    cover being given, the rest is cancelled (_shift_cut_short).

    Returns them by what became of them: "released", "cut_short".
    The caller holds the staff row's lock, the one a booking takes first."""
    # Never before now: a verified expiry is today at the earliest.
    runs_out_at = max(local_midnight(expires_on + timedelta(days=1)), now)
    shifts = list(
        Shift.objects.select_for_update()
        .filter(
            staff=profile,
            status=Shift.Status.BOOKED,
            ends_at__gt=runs_out_at,
        )
        .order_by("starts_at", "pk")
    )
    ended: dict[str, list[EndedShift]] = {"released": [], "cut_short": []}
    if not shifts:
        return ended
    reason = f"Registration runs out on {_day_said(expires_on, today=today)}"
    for shift in shifts:
        said = (shift.pk, _shift_said(shift, today=today))
        if shift.starts_at < now:
            _shift_cut_short(
                shift=shift, by=by, reason=reason, now=now, ends_at=runs_out_at
            )
            ended["cut_short"].append(said)
        else:
            _shift_release(shift=shift, by=by, reason=reason, now=now)
            ended["released"].append(said)
    return ended


@atomic_operation
def registration_verify(
    *,
    profile: StaffProfile,
    body: str,
    number: str,
    expires_on: date,
    by: User,
    today: date | None = None,
    now: datetime | None = None,
) -> RegistrationVerified:
    """A supervisor checked the register: record the registration as verified today.
    Never one's own: a registration is checked by someone else.

    Shifts the person has booked that run on past the day it expires (booked
    while an expiry further off was recorded, or before it was verified) are what
    booking now refuses: they would be given no work on them, and the capacity page
    counts them no cover. They end (_shifts_past_registration_end), audited, and
    the result says which (shifts_said)."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    if profile.user_id == by.pk:
        raise StaffingRefused(
            "You cannot verify your own registration: another supervisor must "
            "verify it."
        )
    if profile.tier != Tier.CLINICAL:
        raise StaffingRefused("Only tier 2 caseworkers hold a registration here.")
    if problem := registration_expiry_problem(expires_on, today=today):
        raise StaffingRefused(problem)
    number, problem = registration_number_read(body, number)
    if problem:
        raise StaffingRefused(problem)
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    profile.registration_body = body
    profile.registration_number = number
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
    ended = _shifts_past_registration_end(
        profile=profile, expires_on=expires_on, by=by, now=now, today=today
    )
    detail: dict[str, Any] = {
        "registration": "verified",
        "body": body,
        "number": profile.registration_number,
        "expires_on": str(expires_on),
    }
    for what, shifts in ended.items():
        if shifts:
            detail[f"shifts_{what}"] = [pk for pk, _ in shifts]
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=profile,
        detail=detail,
        at=now,
    )
    return RegistrationVerified(
        profile=profile,
        expires_on=expires_on,
        today=today,
        released=tuple(said for _, said in ended["released"]),
        cut_short=tuple(said for _, said in ended["cut_short"]),
    )


@atomic_operation
def training_complete(
    *,
    profile: StaffProfile,
    module: TrainingModule,
    by: User | None = None,
    today: date | None = None,
) -> TrainingCompletion:
    """Record that someone completed a module of their tier (once; again is a no-op),
    audited as who recorded it (`by`: the member themself or their supervisor): done
    training is what lets someone take work."""
    if module.tier != profile.tier:
        raise StaffingRefused(f"{module} is not a module for {profile}'s tier.")
    completion, created = TrainingCompletion.objects.get_or_create(
        profile=profile,
        module=module,
        defaults={"completed_on": today or timezone.localdate()},
    )
    if created:
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=profile,
            detail={
                "training": "completed",
                "module": module.pk,
                "module_name": module.name,
                "completed_on": str(completion.completed_on),
            },
        )
    return completion


# The fields of a training module whose change is audited: a module made required
# stops every member of its tier who has not done it getting work.
TRAINING_MODULE_FIELDS_AUDITED = ("name", "tier", "required")


def _module_as_recorded(module: TrainingModule) -> dict[str, Any]:
    """What the trail keeps of a module made or deleted: its tier (and the tier's
    name) and whether it is required."""
    return {
        "tier": module.tier,
        "tier_name": module.get_tier_display(),
        "required": module.required,
    }


@atomic_operation
def training_module_save(
    *, module: TrainingModule, by: User, now: datetime | None = None
) -> AuditEvent | None:
    """Save a training module as created or changed in the admin, audited as `by`'s:
    a new one with its name, tier and whether it is required; a change, old and new
    (None when none of those changed)."""
    if module.pk is None:
        module.save()
        return audit_record(
            user=by,
            action=AuditEvent.Action.CREATE,
            obj=module,
            detail={
                "training_module": "created",
                "name": module.name,
                **_module_as_recorded(module),
            },
            at=now,
        )
    before = TrainingModule.objects.select_for_update().get(pk=module.pk)
    module.save()
    changes = _changes(before, module, TRAINING_MODULE_FIELDS_AUDITED)
    if not changes:
        return None
    return audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=module,
        detail={"training_module": module.name, **changes},
        at=now,
    )


@atomic_operation
def training_module_delete(
    *, module: TrainingModule, by: User, now: datetime | None = None
) -> AuditEvent:
    """Delete a training module in the admin, audited as `by`'s with its name, tier
    and whether it was required (the trail has no delete of its own: a change, its
    detail marked deleted). Its completions go with it."""
    module = TrainingModule.objects.select_for_update().get(pk=module.pk)
    event = audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=module,
        detail={
            "training_module": module.name,
            "deleted": True,
            **_module_as_recorded(module),
        },
        at=now,
    )
    module.delete()
    return event


# --- new starters ----------------------------------------------------------------


def _reviews_as_new_starter(profile: StaffProfile) -> QuerySet[CallReview]:
    """The reviews of the person's calls as a new starter in their current tier, as
    their supervisor's pages count them (CallReview.objects.as_new_starter)."""
    return CallReview.objects.filter(call__caller_id=profile.user_id).as_new_starter()


def call_review_queue_if_new_starter(*, call: CallAttempt) -> CallReview | None:
    """Queue a new starter's call for review, up to their first N calls.

    Called by calls.services.call_record inside its transaction.
    """
    # The caller is usually request.user, whose profile the view has already loaded.
    profile = profile_of(call.caller)
    if profile is None or not profile.is_new_starter:
        return None
    queued = _reviews_as_new_starter(profile).count()
    if queued >= settings.TRACING_NEW_STARTER_REVIEW_CALLS:
        return None
    return CallReview.objects.create(call=call, created_at=call.started_at)


@atomic_operation
def call_review_record(
    *,
    review: CallReview,
    verdict: str,
    note: str,
    by: User,
    now: datetime | None = None,
) -> CallReview:
    """A supervisor's verdict on a new starter's call; never on one's own call."""
    review = CallReview.objects.select_for_update().get(pk=review.pk)
    if review.call.caller_id == by.pk:
        raise StaffingRefused(
            "You cannot review your own call: another supervisor must review it."
        )
    if review.reviewed_at is not None:
        raise StaffingRefused("That call has already been reviewed.")
    if verdict == CallReview.Verdict.NEEDS_SUPPORT and not note.strip():
        raise StaffingRefused("Say what support they need.")
    review.verdict = verdict
    review.note = note.strip()
    review.reviewer = by
    review.reviewed_at = now or timezone.now()
    review.save(update_fields=["verdict", "note", "reviewer", "reviewed_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=review,
        detail={
            "reviewed": True,
            "verdict": verdict,
            "call": review.call_id,
            "caller": review.call.caller_id,
        },
        at=review.reviewed_at,
    )
    return review


@dataclass(frozen=True)
class SignedOff:
    """A new starter signed off, and how many of their calls had been reviewed (the
    audit event's "calls_reviewed", for the page's message)."""

    profile: StaffProfile
    calls_reviewed: int


@atomic_operation
def new_starter_sign_off(
    *, profile: StaffProfile, by: User, now: datetime | None = None
) -> SignedOff:
    """End someone's new-starter period: from now their normal open-work cap applies.

    Refused while any of their calls still waits for review, or before one has been
    reviewed at all. Fewer than the usual TRACING_NEW_STARTER_REVIEW_CALLS reviewed
    is the supervisor's judgement: the New starters page shows them how many before
    they sign off, and the audit event records it ("calls_reviewed").
    """
    profile = StaffProfile.objects.select_for_update().get(pk=profile.pk)
    if profile.user_id == by.pk:
        raise StaffingRefused(
            "You cannot sign yourself off: another supervisor must sign you off."
        )
    if not profile.is_new_starter:
        raise StaffingRefused(f"{profile.user.get_full_name()} is already signed off.")
    reviews = _reviews_as_new_starter(profile)
    if reviews.filter(reviewed_at__isnull=True).exists():
        raise StaffingRefused("Review their waiting calls before signing them off.")
    if not reviews.exists():
        raise StaffingRefused("None of their calls has been reviewed yet.")
    profile.signed_off_at = now or timezone.now()
    profile.signed_off_by = by
    profile.save(update_fields=["signed_off_at", "signed_off_by"])
    reviewed = reviews.count()
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=profile,
        detail={"new_starter": "signed off", "calls_reviewed": reviewed},
        at=profile.signed_off_at,
    )
    return SignedOff(profile=profile, calls_reviewed=reviewed)
