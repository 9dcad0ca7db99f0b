"""Local time for the whole service: days and weeks as people in England live them.

Every time stamp is stored aware (UTC in the database); a day or a week is a span of
local (Europe/London) midnights, so a week across a clock change is 167 or 169 hours
long and a day 23 or 25. This is the one place that arithmetic is written.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime

MONDAY = 0
THURSDAY = 3

# A form sent again comes within seconds (a double click) or a minute or two (the
# browser asked to send it again, the page reloaded): longer is a new entry. The one
# window of every door's sent-twice check (work/sent_twice.py, staffing's cancel).
SENT_TWICE_WITHIN = timedelta(minutes=10)


class NoSuchLocalTime(ValueError):
    """A local time the clocks skip: in the hour they go forward there is no 01:30.

    Its text names the gap ("The clocks go forward on Sunday 28 March 2027, from
    01:00 to 02:00, so there is no 01:30 that night."); whoever refuses the time adds
    what the person should do instead."""

    def __init__(self, wall: datetime, gap_starts: datetime, gap_ends: datetime):
        self.wall = wall
        self.gap_starts = gap_starts
        self.gap_ends = gap_ends
        super().__init__(
            f"The clocks go forward on {wall:%A %-d %B %Y}, from "
            f"{gap_starts:%H:%M} to {gap_ends:%H:%M}, so there is no "
            f"{wall:%H:%M} that night."
        )


def local_moment(wall: datetime) -> datetime:
    """The moment a clock in Europe/London shows the naive `wall` time, aware.

    In the hour the clocks go back a time happens twice: it is the first, on summer
    time (a person asking for 01:30 that night means the first 01:30 they reach).
    In the hour they go forward it does not happen at all: NoSuchLocalTime, naming
    the gap, never a moment an hour off. Every door reading a local time a person
    typed without an offset asks this, so they all read it the same way."""
    tz = timezone.get_current_timezone()
    moment = wall.replace(tzinfo=tz, fold=0)
    if moment.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall:
        return moment
    # Skipped: the gap ends at the first minute on the summer offset.
    winter = moment.utcoffset() or timedelta(0)
    minute = moment.replace(fold=1).astimezone(UTC).replace(second=0, microsecond=0)
    while minute.astimezone(tz).utcoffset() == winter:
        minute += timedelta(minutes=1)
    gap_ends = minute.astimezone(tz)
    gap_starts = gap_ends - ((gap_ends.utcoffset() or winter) - winter)
    raise NoSuchLocalTime(wall, gap_starts, gap_ends)


def local_midnight(day: date) -> datetime:
    """The first moment of a local day, aware."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def moment_of(text: str, *, naive_is_local: bool = True) -> datetime | None:
    """A moment written in an address (a page's cursor): ISO 8601, a "+" the query
    string turned into a space put back, local time when it has no offset (None,
    if not `naive_is_local`); in UTC.
    None for text that is no moment, or whose offset or year the database cannot
    hold (PostgreSQL refuses an offset beyond 16 hours; 9999-12-31 at -12:00 is
    past year 9999 in UTC)."""
    try:
        at = parse_datetime(text) or parse_datetime(text.replace(" ", "+"))
        if at is None:
            return None
        if timezone.is_naive(at):
            if not naive_is_local:
                return None
            at = timezone.make_aware(at)
        return at.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """Local midnight of the day to local midnight of the next."""
    return local_midnight(day), local_midnight(day + timedelta(days=1))


def week_start(day: date, *, first_weekday: int = MONDAY) -> date:
    """The first day of the week holding `day` (weeks starting on `first_weekday`)."""
    return day - timedelta(days=(day.weekday() - first_weekday) % 7)


def monday_of(day: date) -> date:
    return week_start(day, first_weekday=MONDAY)


def week_bounds(first_day: date) -> tuple[datetime, datetime]:
    """Local midnight on the week's first day to local midnight seven days later."""
    return local_midnight(first_day), local_midnight(first_day + timedelta(days=7))


def local_week_bounds(
    moment: datetime, *, first_weekday: int = MONDAY
) -> tuple[datetime, datetime]:
    """The local week (Monday to Sunday by default) around a moment."""
    return week_bounds(
        week_start(timezone.localtime(moment).date(), first_weekday=first_weekday)
    )


def split_by_local_day(start: datetime, end: datetime) -> list[tuple[date, float]]:
    """Seconds of [start, end) falling on each local day, cut at local midnight."""
    parts = []
    cursor = start
    while cursor < end:
        day = timezone.localtime(cursor).date()
        cut = min(end, local_midnight(day + timedelta(days=1)))
        parts.append((day, (cut - cursor).total_seconds()))
        cursor = cut
    return parts
