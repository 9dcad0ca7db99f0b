"""Reads for the rota pages: a person's week, a team's week, booked hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from clock import local_week_bounds, week_bounds

from ..models import Shift, StaffProfile


def team_shifts(supervisor: StaffProfile) -> QuerySet[Shift]:
    if supervisor.team_id is not None:
        return Shift.objects.filter(team_id=supervisor.team_id)
    return Shift.objects.filter(tier=supervisor.tier, team__isnull=True)


def get_shift_for_supervisor(supervisor: StaffProfile, pk: int) -> Shift:
    try:
        return team_shifts(supervisor).select_related("staff__user").get(pk=pk)
    except Shift.DoesNotExist:
        raise Http404("No such shift in your team.") from None


@dataclass
class SlotGroup:
    """Identical open slots shown as one line: 'three open 08:00 to 14:00'."""

    first: Shift
    count: int


@dataclass
class Day:
    day: date
    shifts: list[Shift] = field(default_factory=list)
    open_slots: list[SlotGroup] = field(default_factory=list)


def _days(monday: date) -> list[Day]:
    return [Day(monday + timedelta(days=i)) for i in range(7)]


def _group_open(days: list[Day], shifts: list[Shift]) -> None:
    by_day = {d.day: d for d in days}
    groups: dict[tuple, SlotGroup] = {}
    for s in shifts:
        key = (s.team_id, s.starts_at, s.ends_at)
        if key in groups:
            groups[key].count += 1
            continue
        groups[key] = SlotGroup(first=s, count=1)
        by_day[timezone.localtime(s.starts_at).date()].open_slots.append(groups[key])


def my_week(profile: StaffProfile, *, monday: date, now: datetime) -> list[Day]:
    """One person's booked and cancelled shifts, and the open slots they may book."""
    start, end = week_bounds(monday)
    team = Q(team__isnull=True) | Q(team_id=profile.team_id)
    shifts = list(
        Shift.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(
            Q(staff=profile)
            | (Q(status=Shift.Status.OPEN, tier=profile.tier, starts_at__gt=now) & team)
        )
        .select_related("cancelled_by")
        .order_by("starts_at", "pk")
    )
    days = _days(monday)
    by_day = {d.day: d for d in days}
    for s in shifts:
        if s.staff_id == profile.pk:
            by_day[timezone.localtime(s.starts_at).date()].shifts.append(s)
    _group_open(days, [s for s in shifts if s.status == Shift.Status.OPEN])
    return days


def recent_cancellations(profile: StaffProfile, *, now: datetime) -> list[Shift]:
    """A person's shifts a supervisor cancelled that had not yet ended, newest first."""
    return list(
        Shift.objects.filter(
            staff=profile,
            status=Shift.Status.CANCELLED,
            ends_at__gt=now - timedelta(days=7),
        )
        .select_related("cancelled_by")
        .order_by("-cancelled_at")[:20]
    )


def team_week(supervisor: StaffProfile, *, monday: date) -> list[Day]:
    start, end = week_bounds(monday)
    shifts = list(
        team_shifts(supervisor)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("staff__user")
        .order_by("starts_at", "pk")
    )
    days = _days(monday)
    by_day = {d.day: d for d in days}
    for s in shifts:
        if s.status != Shift.Status.OPEN:
            by_day[timezone.localtime(s.starts_at).date()].shifts.append(s)
    _group_open(days, [s for s in shifts if s.status == Shift.Status.OPEN])
    return days


def _duration() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("ends_at") - F("starts_at"), output_field=DurationField()
    )


def hours_booked(
    profiles: Sequence[StaffProfile], *, moment: datetime
) -> dict[int, float]:
    """Booked hours in the week of `moment`, for many people in one query."""
    start, end = local_week_bounds(moment)
    rows = (
        Shift.objects.filter(
            staff__in=profiles,
            status=Shift.Status.BOOKED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .order_by()
        .values("staff_id")
        .annotate(total=Sum(_duration()))
    )
    return {r["staff_id"]: r["total"].total_seconds() / 3600 for r in rows}


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
