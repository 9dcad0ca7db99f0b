"""Open slots for the short hours of the capacity forecast, and what the weekly caps
leave to fill them. Arithmetic on the gap of figures.capacity; the slots are then
published through the shift service (staffing.services.shifts_publish_many), with its
rules and its audit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import pairwise

from django.utils import timezone

from clock import local_day_bounds, monday_of
from staffing.services import SlotPlan

from .capacity import HOUR, SHORT, TierGap, day_hours, people_to_add

# Slots published for a gap: no longer than a standard shift, no shorter than two
# hours (a gap of one hour gets the hour after it too).
MAX_SLOT_HOURS = 8
MIN_SLOT_HOURS = 2


@dataclass(frozen=True)
class GapSlot:
    """Slots to publish: `count` people from `starts` to `ends` (aware, local)."""

    starts: datetime
    ends: datetime
    count: int

    @property
    def hours(self) -> float:
        # In UTC: two times of one zone subtract as on the clock's face, and a
        # clock change's day has an hour more or less than its face shows.
        return (self.ends.astimezone(UTC) - self.starts.astimezone(UTC)) / HOUR

    @property
    def day(self) -> date:
        return self.starts.date()

    @property
    def start_time(self) -> time:
        return self.starts.time()

    @property
    def end_time(self) -> time:
        return self.ends.time()


def _pieces(first: int, last: int) -> list[tuple[int, int]]:
    """A run of hours [first, last) cut into near-equal pieces of at most
    MAX_SLOT_HOURS, each at least MIN_SLOT_HOURS long (a short run is lengthened
    forward)."""
    length = last - first
    if length < MIN_SLOT_HOURS:
        return [(first, first + MIN_SLOT_HOURS)]
    count = math.ceil(length / MAX_SLOT_HOURS)
    cuts = [first + round(i * length / count) for i in range(count + 1)]
    return list(pairwise(cuts))


def gap_slots(
    gap: TierGap,
    *,
    first_day: date,
    last_day: date,
    now: datetime,
    tolerance: float,
) -> list[GapSlot]:
    """The open slots that would take every short hour of the chosen local days (from
    the next whole hour) to about right, counting slots already open as if booked.

    Within each day, the people missing each hour are stacked in layers (the first
    person missing over the longest run, the second over the run where two are
    missing, ...), each run cut into shifts of at most MAX_SLOT_HOURS and lengthened
    to MIN_SLOT_HOURS; identical shifts are one line with a count.
    """
    if not gap.gap_known:
        return []
    counts: dict[date, dict[int, int]] = {}
    for h in gap.hours:
        local = h.local
        if h.hour <= now or not first_day <= local.date() <= last_day:
            continue
        add = people_to_add(h.needed, h.booked + h.open_slots, tolerance)
        if h.state == SHORT and add:
            # Hours by their place in the local day (0 = the first hour after
            # midnight), so a clock change's 23 or 25 hours stay in order.
            start = local_day_bounds(local.date())[0].astimezone(UTC)
            counts.setdefault(local.date(), {})[int((h.hour - start) / HOUR)] = add
    slots: dict[tuple[datetime, datetime], int] = {}
    for day, by_hour in sorted(counts.items()):
        # Counted on in UTC: an hour added to a local time lands on the clock's
        # face, an hour out across a clock change.
        start = local_day_bounds(day)[0].astimezone(UTC)
        length = len(day_hours(day))
        for layer in range(1, max(by_hour.values()) + 1):
            hour = 0
            while hour < length:
                if by_hour.get(hour, 0) < layer:
                    hour += 1
                    continue
                run_start = hour
                while hour < length and by_hour.get(hour, 0) >= layer:
                    hour += 1
                for a, b in _pieces(run_start, hour):
                    if b > length:  # lengthened past midnight: lengthen backward
                        a, b = max(0, length - MIN_SLOT_HOURS), length
                    window = (
                        timezone.localtime(start + a * HOUR),
                        timezone.localtime(start + b * HOUR),
                    )
                    slots[window] = slots.get(window, 0) + 1
    return [GapSlot(s, e, n) for (s, e), n in sorted(slots.items())]


# --- the weekly caps ----------------------------------------------------------------


@dataclass(frozen=True)
class CapCheck:
    """One week's slot hours, with the team's open slots already published that week
    (counted as filled by the gap, and booked against the same caps), against what
    the team's weekly caps leave."""

    monday: date
    slot_hours: float  # the new slots'
    cap_room: float  # hours the team may still book within their caps
    ceiling_room: float  # and within the ceiling, caps raised
    open_count: int = 0  # the team's open slots of that week, still to start
    open_hours: float = 0.0

    @property
    def needed_hours(self) -> float:
        """The hours the caps must leave room for: the new slots and the open ones."""
        return self.slot_hours + self.open_hours

    @property
    def short_by(self) -> float:
        return max(0.0, self.needed_hours - self.cap_room)

    @property
    def beyond_ceiling(self) -> float:
        return max(0.0, self.needed_hours - self.ceiling_room)


def slot_hours_by_week(slots: Sequence[GapSlot]) -> dict[date, float]:
    """Slot hours per ISO week (a shift counts in the week it starts, as the caps do)."""
    weeks: dict[date, float] = {}
    for s in slots:
        monday = monday_of(s.starts.date())
        weeks[monday] = weeks.get(monday, 0.0) + s.hours * s.count
    return weeks


def open_slots_by_week(
    windows: Iterable[tuple[datetime, datetime]],
) -> dict[date, tuple[int, float]]:
    """(open slots, their hours) per ISO week of the local day each starts on, for
    the (starts, ends) of open slots already published."""
    weeks: dict[date, tuple[int, float]] = {}
    for starts, ends in windows:
        monday = monday_of(timezone.localdate(starts))
        count, hours = weeks.get(monday, (0, 0.0))
        weeks[monday] = (count + 1, hours + (ends - starts) / HOUR)
    return weeks


def cap_room(
    members: Sequence[tuple[int, float]], *, ceiling: int
) -> tuple[float, float]:
    """For (weekly cap, hours booked that week) of each person: the hours they may
    still book within their caps, and within the ceiling were the caps raised."""
    within_caps = sum(max(0.0, cap - booked) for cap, booked in members)
    within_ceiling = sum(max(0.0, ceiling - booked) for _, booked in members)
    return within_caps, within_ceiling


@dataclass(frozen=True)
class GapSlotPlan(SlotPlan):
    """One gap slot as the shift service takes it: its window is the slot's own two
    moments, not its times on the clock read again. In the hour the clocks go back a
    time happens twice, and the shift service reads a time as the first: a slot from
    the second 01:00 (GMT) was published from the first (BST), an hour longer than the
    confirm page said."""

    window: tuple[datetime, datetime]

    def windows(self) -> list[tuple[datetime, datetime]]:
        return [self.window]


def slot_plans(slots: Sequence[GapSlot]) -> list[SlotPlan]:
    """The slots as the shift service takes them: one day, one window, a count."""
    return [
        GapSlotPlan(
            first_day=s.day,
            last_day=s.day,
            weekdays=frozenset({s.day.weekday()}),
            starts=s.start_time,
            ends=s.end_time,
            count=s.count,
            window=(s.starts, s.ends),
        )
        for s in slots
    ]


def slots_digest(slots: Sequence[GapSlot]) -> str:
    """A short fingerprint of the slots: what the confirm page showed is what is
    published, or the page is shown again."""
    text = ";".join(
        f"{s.starts.isoformat()}/{s.ends.isoformat()}/{s.count}" for s in slots
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]
