"""Staff where the work will be: the forecast of the work by the hour, the staff it
needs, and the gap against the booked shifts. No queries here: the measurements come
from figures.capacity_selectors, and everything below is arithmetic on them, so it
is tested on hand-built histories.

For the next 14 days, hour by hour, per tier (tier 2 works cases, tier 3 contacts):

- cases: the daily forecast of figures.forecast (trend times weekday pattern, with
  its interval) over the local hours by the hour-of-day profile of the cases that
  arrived in the last eight weeks; today counts as the cases arrived so far and the
  forecast for the rest of it;
- contacts: the cases times the contacts per case measured in the last two weeks,
  over the hours by the contacts' own profile (today's cases are those arrived so
  far, waiting or not, and the rest of the day's forecast: their contacts are all
  in it); and the cases carried over from the days before and waiting now, each
  the contacts per case less those it has named already, in the hour its next call
  is due (a case whose calls are spent goes to its local team, and names none to
  the phones);
- calls: the work already waiting for the tier (in the pool, or held and not yet
  reached), each item the calls it still needs (the calls an item took, less those
  made in its round, and at least one), the first when its next call is due (now,
  if overdue); then the items to arrive, each the calls an item took (measured over
  the items whose calling ended in the last week: reached, escalated or closed), the
  first when it arrives and each further one the call rules' gap later
  (TRACING_CALL_RULES). The arrivals of the current hour before the waiting work
  was read are in it: of the hour's forecast arrivals only the rest of the hour's
  are called, so each item is counted once;
- staff-hours: calls times the measured minutes per call of the tier (talk, by
  outcome, plus the write-up), and the staff needed in an hour that over the
  occupancy (TRACING_CAPACITY_OCCUPANCY);
- escalations: the measured share of items the local teams took, when the call
  window closes.

Too little history, and the stated defaults of figures.forecast stand in (the page
says which). Each hour is then short, about right or over-staffed: booked staff
within the tolerance (TRACING_CAPACITY_TOLERANCE of the need, or half a person) of
what is needed is about right.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta

from django.conf import settings
from django.utils import timezone

from calls.models import Outcome
from clock import local_day_bounds
from clock.calling import calling_hours
from staffing.models import Tier

from . import forecast as fc

HOUR = timedelta(hours=1)
HORIZON_HOURS = fc.HORIZON_DAYS * 24
# The history read: eight weeks of cases by the hour (the weekday pattern's), two of
# contacts (their hours and contacts per case), one of calls (attempts and handling
# times: they change with the rules and the staff, and are plentiful).
HISTORY_DAYS = fc.WEEKDAY_DAYS
CONTACT_HISTORY_DAYS = 14
CALL_HISTORY_DAYS = 7
# Hours before now whose items may still escalate (their calls still to come are
# the waiting work's).
LEAD_HOURS = 48
# Fewer items or calls than this in the history, and the default stands in.
MIN_MEASURED = 30
# Booked staff this close to the need is about right whatever the tolerance says:
# nobody can be booked for a third of a person.
HALF_A_PERSON = 0.5

TIERS: tuple[int, ...] = (Tier.CLINICAL, Tier.CALL_HANDLER)
KIND_OF_TIER: dict[int, str] = {Tier.CLINICAL: "case", Tier.CALL_HANDLER: "contact"}
TIER_LABELS: dict[int, str] = {
    Tier.CLINICAL: "Tier 2: cases",
    Tier.CALL_HANDLER: "Tier 3: contacts",
}


# --- what the history measured -----------------------------------------------------


@dataclass(frozen=True)
class OutcomeMinutes:
    """One outcome's calls by one tier in the history, and their mean talk time."""

    outcome: str
    calls: int
    talk_minutes: float

    @property
    def label(self) -> str:
        return Outcome(self.outcome).label if self.outcome in Outcome.values else ""


@dataclass(frozen=True)
class Handling:
    """How long a tier's calls take, talk and write-up, by outcome."""

    tier: int
    calls: int
    minutes_per_call: float  # talk plus write-up, all outcomes together
    measured: bool  # False: too few calls, the default
    by_outcome: tuple[OutcomeMinutes, ...] = ()


@dataclass(frozen=True)
class History:
    """Weeks of arrivals by the hour, and the rates measured over them."""

    since: datetime  # local midnight, eight weeks before today (the cases')
    until: datetime  # the start of the current hour
    cases_by_hour: dict[datetime, float]  # UTC hour -> arrivals
    contacts_by_hour: dict[datetime, float]
    contacts_per_case: float
    contacts_per_case_measured: bool
    attempts_per_item: dict[str, float]  # "case" / "contact"
    attempts_measured: dict[str, bool]
    escalated_share: dict[str, float]
    escalated_measured: dict[str, bool]
    handling: dict[int, Handling]  # by tier
    # "case" / "contact": the work waiting now, not yet reached: (UTC hour its next
    # call is due, None for now; calls made in its round; items).
    waiting: dict[str, tuple[tuple[datetime | None, int, int], ...]] = field(
        default_factory=dict
    )
    # When the waiting work was read (None: at `until`); the current hour's arrivals
    # before it are among the waiting work.
    read_at: datetime | None = None
    # The waiting cases again, by what their contacts still to come depend on: (UTC
    # hour its next call is due, None for now; calls made in its round; the local
    # day it arrived; the contacts it has named so far; cases).
    waiting_cases: tuple[tuple[datetime | None, int, date, int, int], ...] = ()

    @property
    def cases(self) -> int:
        return round(sum(self.cases_by_hour.values()))

    @property
    def contacts(self) -> int:
        return round(sum(self.contacts_by_hour.values()))


def measured_rate(
    numerator: float, denominator: float, default: float
) -> tuple[float, bool]:
    """numerator / denominator when there were MIN_MEASURED items to divide by (and
    something counted on top), else the default; and whether it was measured."""
    if denominator >= MIN_MEASURED and numerator > 0:
        return numerator / denominator, True
    return default, False


def handling_for(
    tier: int, rows: Sequence[tuple[str, int, float]], *, wrap_up_minutes: float
) -> Handling:
    """Minutes per call for a tier from its calls by outcome (outcome, calls, talk
    seconds in all): the mean talk plus the write-up, or the default."""
    calls = sum(n for _, n, _ in rows)
    by_outcome = tuple(
        OutcomeMinutes(outcome, n, talk / 60 / n if n else 0.0)
        for outcome, n, talk in sorted(rows, key=lambda r: -r[1])
    )
    if calls < MIN_MEASURED:
        minutes = fc.DEFAULT_MINUTES_PER_CALL[KIND_OF_TIER[tier]]
        return Handling(tier, calls, minutes, False, by_outcome)
    talk = sum(t for _, _, t in rows) / 60 / calls
    return Handling(tier, calls, talk + wrap_up_minutes, True, by_outcome)


# --- the forecast by the hour -------------------------------------------------------


@dataclass(frozen=True)
class TierForecast:
    """One tier's forecast work, hour by hour over the horizon."""

    tier: int
    kind: str
    items: tuple[float, ...]  # arriving each hour
    items_low: tuple[float, ...]
    items_high: tuple[float, ...]
    calls: tuple[float, ...]
    staff_hours: tuple[float, ...]  # of calls, talk and write-up
    needed: tuple[float, ...]  # staff on shift: staff_hours / occupancy
    needed_low: tuple[float, ...]
    needed_high: tuple[float, ...]
    escalations: tuple[float, ...]  # items the local teams take, each hour
    minutes_per_call: float
    attempts_per_item: float
    waiting: int = 0  # items waiting now, not yet reached
    waiting_calls: float = 0.0  # the calls they still need

    @property
    def label(self) -> str:
        return TIER_LABELS[self.tier]


@dataclass(frozen=True)
class WorkForecast:
    start: datetime  # the first hour (the current one)
    hours: tuple[datetime, ...]  # UTC, each hour's start
    daily: fc.DailyForecast  # of cases, from today
    days: tuple[date, ...]  # the local days of `daily`
    case_profile: tuple[float, ...]
    case_profile_measured: bool
    contact_profile: tuple[float, ...]
    contact_profile_measured: bool
    history_days: tuple[float, ...]  # cases a day, oldest first, to yesterday
    history: History
    occupancy: float
    tiers: dict[int, TierForecast] = field(default_factory=dict)

    @property
    def defaults_used(self) -> list[str]:
        """What the history was too thin to measure, in words."""
        h = self.history
        said = []
        if not self.daily.trend_measured:
            said.append("the trend (the forecast is flat)")
        if not self.daily.weekdays_measured:
            said.append("the weekday pattern")
        if not self.case_profile_measured:
            said.append("the hour of day cases arrive")
        if not self.contact_profile_measured:
            said.append("the hour of day contacts arrive")
        if not h.contacts_per_case_measured:
            said.append("contacts per case")
        for kind in ("case", "contact"):
            if not h.attempts_measured[kind]:
                said.append(f"calls per {kind}")
            if not h.escalated_measured[kind]:
                said.append(f"the share of {kind}s escalated")
        for tier in TIERS:
            if not h.handling[tier].measured:
                said.append(f"minutes per call, tier {int(tier)}")
        return said


def hour_starts(start: datetime, hours: int) -> tuple[datetime, ...]:
    """`hours` consecutive hours from `start` (aware), in UTC."""
    first = start.astimezone(UTC)
    return tuple(first + i * HOUR for i in range(hours))


def current_hour(now: datetime) -> datetime:
    """The start of the hour `now` is in (England's offsets are whole hours, so a
    UTC hour is a local hour)."""
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def calling_hours_open(hours: Sequence[datetime]) -> list[bool]:
    """Whether calls are made in each of `hours` (hour starts), by the calling hours
    (clock.calling.calling_hours, as the call rules read them: local time, every
    day, any hour when they open and close at the same time): an hour is open if
    any of it is in them. Local time, so it holds across the clock changes."""
    opens, closes = (_minute_of_day(at) for at in calling_hours())
    if opens == closes:
        return [True] * len(hours)
    starts = (_minute_of_day(timezone.localtime(h).time()) for h in hours)
    return [start < closes and start + 60 > opens for start in starts]


def _minute_of_day(at: time) -> int:
    return at.hour * 60 + at.minute


def local_hour_of(moment: datetime) -> int:
    return timezone.localtime(moment).hour


def by_local_day(
    buckets: dict[datetime, float], first: date, last: date
) -> list[float]:
    """Per local day from `first` to `last`, the sum of the hourly buckets."""
    totals = [0.0] * ((last - first).days + 1)
    for moment, n in buckets.items():
        i = (timezone.localtime(moment).date() - first).days
        if 0 <= i < len(totals):
            totals[i] += n
    return totals


def whole_days_before(
    buckets: dict[datetime, float], moment: datetime
) -> dict[datetime, float]:
    """The hourly buckets before `moment` (a midnight: the whole days before it)."""
    return {hour: n for hour, n in buckets.items() if hour < moment}


def by_local_hour(buckets: dict[datetime, float]) -> list[float]:
    totals = [0.0] * 24
    for moment, n in buckets.items():
        totals[local_hour_of(moment)] += n
    return totals


def day_hours(day: date) -> list[datetime]:
    """A local day's hours (23, 24 or 25 of them), UTC."""
    start, end = local_day_bounds(day)
    hours = []
    cursor = start.astimezone(UTC)
    while cursor < end:
        hours.append(cursor)
        cursor += HOUR
    return hours


def _hourly(
    daily: Sequence[float],
    days: Sequence[date],
    profile: Sequence[float],
    hours: Sequence[datetime],
) -> list[float]:
    """Each day's total over its local hours by the profile, read at `hours`."""
    at: dict[datetime, float] = {}
    for day, total in zip(days, daily, strict=True):
        moments = day_hours(day)
        values = fc.spread_over_hours(
            total, profile, [local_hour_of(h) for h in moments]
        )
        at.update(zip(moments, values, strict=True))
    return [at.get(h, 0.0) for h in hours]


def waiting_now(
    waiting: Sequence[tuple[datetime | None, int, int]],
    *,
    start: datetime,
    attempts: float,
) -> list[tuple[int, float, float]]:
    """The waiting work as figures.forecast.waiting_calls_by_hour takes it: the hour
    from `start` each item's next call is due (0: now or overdue), the calls it still
    needs (the calls an item takes, less those made in its round), how many."""
    return [
        (due_hour(due, start), attempts - made, float(n))
        for due, made, n in waiting
        if not calls_spent(due, made)
    ]


def calls_spent(due: datetime | None, made: int) -> bool:
    """Called, and no call is left (attempts spent, refused, a wrong number): the
    sweep sends it on; the phones have nothing more to do with it."""
    return due is None and made > 0


def due_hour(due: datetime | None, start: datetime) -> int:
    """The hour from `start` a waiting item's next call is due (0: now or overdue)."""
    return 0 if due is None else max(0, round((due - start) / HOUR))


def contacts_to_name(
    waiting_cases: Sequence[tuple[datetime | None, int, date, int, int]],
    *,
    today: date,
    start: datetime,
    per_case: float,
    hours: int,
) -> list[float]:
    """The contacts the waiting cases carried over from before `today` (as
    History.waiting_cases gives them) will name, over the next `hours` hours from
    `start`: each case the contacts per case less those it has named already, in the
    hour its next call is due (when it is reached). Today's cases, waiting or not,
    are among the arrivals the contact forecast is made from: their contacts are in
    it, and counted once."""
    out = [0.0] * hours
    for due, made, arrived_on, named, n in waiting_cases:
        if arrived_on >= today or calls_spent(due, made):
            continue
        hour = due_hour(due, start)
        if hour < hours:
            out[hour] += n * max(0.0, per_case - named)
    return out


def rest_of_hour(start: datetime, read_at: datetime | None) -> float:
    """The share of the hour from `start` still to come at `read_at` (None: all)."""
    if read_at is None:
        return 1.0
    return min(1.0, max(0.0, (start + HOUR - read_at) / HOUR))


def share_of_day_left(day: date, profile: Sequence[float], start: datetime) -> float:
    """The share of a day's arrivals the profile puts from `start` on."""
    hours = day_hours(day)
    shares = fc.spread_over_hours(1.0, profile, [local_hour_of(h) for h in hours])
    return sum(s for h, s in zip(hours, shares, strict=True) if h >= start)


def daily_from_today(
    past_days: Sequence[float],
    *,
    first: date,
    so_far: float,
    left: float,
    horizon: int,
) -> tuple[fc.DailyForecast, fc.DailyForecast]:
    """The days' forecast from today, today's arrivals so far counting: today is
    what has arrived plus the forecast of the rest of it, and the days after are
    forecast from the history with today in it, so a surge this morning moves them.
    Also the same with today forecast whole, for the hours left of it to take their
    share of."""
    weekday = first.weekday()
    today = fc.forecast_daily(past_days, first_weekday=weekday, horizon=1)

    def whole(rest: float) -> float:
        return so_far + rest * left

    today_total = whole(today.mean[0])
    after = fc.forecast_daily(
        [*past_days, today_total], first_weekday=weekday, horizon=horizon - 1
    )
    daily = replace(
        after,
        mean=(today_total, *after.mean),
        low=(whole(today.low[0]), *after.low),
        high=(whole(today.high[0]), *after.high),
    )
    by_hours = replace(
        after,
        mean=(today.mean[0], *after.mean),
        low=(today.low[0], *after.low),
        high=(today.high[0], *after.high),
    )
    return daily, by_hours


def forecast_work(
    history: History,
    *,
    start: datetime,
    hours: int = HORIZON_HOURS,
    occupancy: float | None = None,
    call_rules: dict | None = None,
) -> WorkForecast:
    """The work of the next `hours` hours from `start` (an hour's start), by tier."""
    occupancy = occupancy or settings.TRACING_CAPACITY_OCCUPANCY
    rules = call_rules or settings.TRACING_CALL_RULES
    start = current_hour(start)
    horizon = hour_starts(start, hours)
    today = timezone.localtime(start).date()
    first = timezone.localtime(history.since).date()
    past_days = by_local_day(history.cases_by_hour, first, today - timedelta(days=1))
    last_day = timezone.localtime(horizon[-1]).date()
    days = tuple(today + timedelta(days=i) for i in range((last_day - today).days + 1))
    # The hours of the day are read from whole days: today's so far would lean the
    # profile to the hours already past.
    midnight = local_day_bounds(today)[0]
    case_profile, case_measured = fc.hour_profile(
        by_local_hour(whole_days_before(history.cases_by_hour, midnight))
    )
    so_far = by_local_day(history.cases_by_hour, today, today)[0]
    daily, by_hours = daily_from_today(
        past_days,
        first=first,
        so_far=so_far,
        left=share_of_day_left(today, case_profile, start),
        horizon=len(days),
    )
    contact_profile, contact_measured = fc.hour_profile(
        by_local_hour(whole_days_before(history.contacts_by_hour, midnight))
    )
    lead = hour_starts(start - LEAD_HOURS * HOUR, LEAD_HOURS)
    per_case = history.contacts_per_case
    # The cases carried over from the days before name their contacts when they are
    # reached: contacts known to come, beside the forecast's (which has today's).
    known = {
        "case": [0.0] * len(horizon),
        "contact": contacts_to_name(
            history.waiting_cases,
            today=today,
            start=start,
            per_case=per_case,
            hours=len(horizon),
        ),
    }
    # The arrivals of the current hour so far are in the waiting work (called from
    # it): of the hour's forecast, only the rest of the hour is still to arrive.
    rest = rest_of_hour(start, history.read_at)
    arrivals = {
        "case": (
            [history.cases_by_hour.get(h, 0.0) for h in lead],
            {
                name: _hourly(values, days, case_profile, horizon)
                for name, values in (
                    ("mean", by_hours.mean),
                    ("low", by_hours.low),
                    ("high", by_hours.high),
                )
            },
        ),
        "contact": (
            [history.contacts_by_hour.get(h, 0.0) for h in lead],
            {
                name: _hourly(
                    [v * per_case for v in values], days, contact_profile, horizon
                )
                for name, values in (
                    ("mean", by_hours.mean),
                    ("low", by_hours.low),
                    ("high", by_hours.high),
                )
            },
        ),
    }
    calling = calling_hours_open(horizon)
    tiers = {}
    for tier in TIERS:
        kind = KIND_OF_TIER[tier]
        before, forecast_items = arrivals[kind]
        also = known[kind]
        items = {
            name: [a + b for a, b in zip(series, also, strict=True)]
            for name, series in forecast_items.items()
        }
        to_call = {
            name: [
                a + b
                for a, b in zip([series[0] * rest, *series[1:]], also, strict=True)
            ]
            for name, series in forecast_items.items()
        }
        attempts = history.attempts_per_item[kind]
        gap_hours = rules[kind]["min_gap_hours"]
        lags = fc.attempt_lags(attempts, gap_hours=gap_hours)
        minutes = history.handling[tier].minutes_per_call
        waiting = history.waiting.get(kind, ())
        # The items that arrived before now have had their calls, or are waiting
        # still: their calls to come are the waiting work's, not their arrivals'.
        waiting_calls = fc.waiting_calls_by_hour(
            waiting_now(waiting, start=start, attempts=attempts),
            gap_hours=gap_hours,
            hours=len(horizon),
        )

        def needed(series: list[float], lags=lags, minutes=minutes, w=waiting_calls):
            # The arrivals' calls and the waiting work's, each due at its lag; those
            # due outside the calling hours made at the next opening.
            calls = fc.in_calling_hours(
                [a + b for a, b in zip(fc.calls_by_hour(series, lags), w, strict=True)],
                calling,
            )
            staff_hours = [c * minutes / 60 for c in calls]
            return calls, staff_hours, [s / occupancy for s in staff_hours]

        calls, staff_hours, need = needed(to_call["mean"])
        _, _, need_low = needed(to_call["low"])
        _, _, need_high = needed(to_call["high"])
        escalations = fc.delayed(
            items["mean"],
            hours=rules[kind]["window_hours"],
            share=history.escalated_share[kind],
            before=before,
        )
        tiers[tier] = TierForecast(
            tier=tier,
            kind=kind,
            items=tuple(items["mean"]),
            items_low=tuple(items["low"]),
            items_high=tuple(items["high"]),
            calls=tuple(calls),
            staff_hours=tuple(staff_hours),
            needed=tuple(need),
            needed_low=tuple(need_low),
            needed_high=tuple(need_high),
            escalations=tuple(escalations),
            minutes_per_call=minutes,
            attempts_per_item=attempts,
            waiting=sum(n for *_, n in waiting),
            waiting_calls=sum(waiting_calls),
        )
    return WorkForecast(
        start=start,
        hours=horizon,
        daily=daily,
        days=days,
        case_profile=case_profile,
        case_profile_measured=case_measured,
        contact_profile=contact_profile,
        contact_profile_measured=contact_measured,
        history_days=tuple(past_days),
        history=history,
        occupancy=occupancy,
        tiers=tiers,
    )


# --- booked staff and the gap -------------------------------------------------------


def staff_by_hour(
    windows: Sequence[tuple[datetime, datetime, int]], hours: Sequence[datetime]
) -> list[float]:
    """People on shift in each hour: `windows` are (start, end, how many) and a shift
    covering part of an hour counts for that part."""
    out = [0.0] * len(hours)
    if not hours:
        return out
    first = hours[0]
    for start, end, n in windows:
        i = max(0, math.floor((start - first) / HOUR))
        last = min(len(hours), math.ceil((end - first) / HOUR))
        for k in range(i, last):
            h = hours[k]
            overlap = min(end, h + HOUR) - max(start, h)
            if overlap > timedelta(0):
                out[k] += n * (overlap / HOUR)
    return out


SHORT, ABOUT_RIGHT, OVER = "short", "about_right", "over"
GAP_LABELS = {SHORT: "Short", ABOUT_RIGHT: "About right", OVER: "Over-staffed"}


def allowance(needed: float, tolerance: float) -> float:
    """How far booked staff may be from the need and still be about right."""
    return max(tolerance * needed, HALF_A_PERSON)


def classify_gap(needed: float, booked: float, tolerance: float) -> str:
    """Short, about right or over-staffed: booked against needed, within the
    tolerance (a share of the need, or half a person, whichever is more)."""
    room = allowance(needed, tolerance)
    if booked < needed - room:
        return SHORT
    if booked > needed + room:
        return OVER
    return ABOUT_RIGHT


def people_to_add(needed: float, on_rota: float, tolerance: float) -> int:
    """The fewest whole people to add for an hour not to be short."""
    missing = needed - allowance(needed, tolerance) - on_rota
    return max(0, math.ceil(missing - 1e-9))


@dataclass(frozen=True)
class HourGap:
    hour: datetime  # UTC
    needed: float
    needed_low: float
    needed_high: float
    booked: float
    open_slots: float
    state: str
    items: float
    calls: float
    escalations: float

    @property
    def local(self) -> datetime:
        return timezone.localtime(self.hour)

    @property
    def local_end(self) -> datetime:
        return timezone.localtime(self.hour + HOUR)

    @property
    def short_by(self) -> float:
        return max(0.0, self.needed - self.booked)

    @property
    def label(self) -> str:
        return GAP_LABELS[self.state]


@dataclass(frozen=True)
class DayGap:
    day: date
    items: float
    items_low: float
    items_high: float
    calls: float
    needed_hours: float  # staff-hours needed on the rota
    needed_low: float
    needed_high: float
    booked_hours: float
    open_hours: float
    escalations: float
    short: int  # hours
    about_right: int
    over: int
    worst: HourGap | None  # the hour most short, if any is


@dataclass(frozen=True)
class TierGap:
    forecast: TierForecast
    hours: tuple[HourGap, ...]
    gap_known: bool  # False: a local team's view, the rota is national

    @property
    def tier(self) -> int:
        return self.forecast.tier

    @property
    def label(self) -> str:
        return self.forecast.label

    def within(self, hours: int, since: datetime | None = None) -> tuple[HourGap, ...]:
        """The first `hours` hours, from `since` when given (a forecast made an hour
        before starts with an hour now past)."""
        left = (
            self.hours if since is None else [h for h in self.hours if h.hour >= since]
        )
        return tuple(left[:hours])

    def _day_indexes(self) -> dict[date, list[int]]:
        """The indexes of the hours of each of the forecast's 14 local days, the
        first from the current hour on. The 336 hours from the current hour reach a
        few hours into a 15th day (one, from midnight, with a spring clock change
        among the days), left out: a part of a day would read as a quiet one, and it
        is past the days a supervisor may ask for or publish slots for
        (capacity_selectors.horizon_days)."""
        by_day: dict[date, list[int]] = {}
        for i, h in enumerate(self.hours):
            by_day.setdefault(h.local.date(), []).append(i)
        return dict(list(by_day.items())[: fc.HORIZON_DAYS])

    def days_hours(self) -> tuple[HourGap, ...]:
        """The hours of the days listed by days(), in order: what the chart beside
        their table draws and describes, so the two hold the same numbers."""
        return tuple(
            self.hours[i] for indexes in self._day_indexes().values() for i in indexes
        )

    def days(self) -> list[DayGap]:
        """The hours' figures added up by local day, with each day's worst hour: the
        forecast's 14 local days (_day_indexes)."""
        f = self.forecast
        out = []
        for day, indexes in self._day_indexes().items():
            hours = [self.hours[i] for i in indexes]
            short = [h for h in hours if h.state == SHORT]
            out.append(
                DayGap(
                    day=day,
                    items=sum(f.items[i] for i in indexes),
                    items_low=sum(f.items_low[i] for i in indexes),
                    items_high=sum(f.items_high[i] for i in indexes),
                    calls=sum(f.calls[i] for i in indexes),
                    needed_hours=sum(h.needed for h in hours),
                    needed_low=sum(h.needed_low for h in hours),
                    needed_high=sum(h.needed_high for h in hours),
                    booked_hours=sum(h.booked for h in hours),
                    open_hours=sum(h.open_slots for h in hours),
                    escalations=sum(h.escalations for h in hours),
                    short=len(short),
                    about_right=sum(1 for h in hours if h.state == ABOUT_RIGHT),
                    over=sum(1 for h in hours if h.state == OVER),
                    worst=max(short, key=lambda h: h.short_by) if short else None,
                )
            )
        return out


def tier_gap(
    forecast: TierForecast,
    *,
    hours: Sequence[datetime],
    booked: Sequence[float] | None,
    open_slots: Sequence[float] | None,
    tolerance: float,
) -> TierGap:
    """Each hour's need against the staff booked (None: not known, a local team's
    view of national staff), classified."""
    known = booked is not None
    booked = booked if booked is not None else [0.0] * len(hours)
    open_slots = open_slots if open_slots is not None else [0.0] * len(hours)
    rows = tuple(
        HourGap(
            hour=h,
            needed=forecast.needed[i],
            needed_low=forecast.needed_low[i],
            needed_high=forecast.needed_high[i],
            booked=booked[i],
            open_slots=open_slots[i],
            state=classify_gap(forecast.needed[i], booked[i], tolerance)
            if known
            else ABOUT_RIGHT,
            items=forecast.items[i],
            calls=forecast.calls[i],
            escalations=forecast.escalations[i],
        )
        for i, h in enumerate(hours)
    )
    return TierGap(forecast=forecast, hours=rows, gap_known=known)


@dataclass(frozen=True)
class GapSummary:
    """The dashboard's line for one tier over the next hours."""

    tier: int
    label: str
    hours: int
    needed_hours: float
    booked_hours: float
    short: int
    about_right: int
    over: int
    worst: tuple[HourGap, ...]


def gap_summary(
    gap: TierGap, *, hours: int, worst: int = 3, since: datetime | None = None
) -> GapSummary:
    window = gap.within(hours, since)
    short = sorted(
        (h for h in window if h.state == SHORT), key=lambda h: (-h.short_by, h.hour)
    )
    return GapSummary(
        tier=gap.tier,
        label=gap.label,
        hours=len(window),
        needed_hours=sum(h.needed for h in window),
        booked_hours=sum(h.booked for h in window),
        short=len(short),
        about_right=sum(1 for h in window if h.state == ABOUT_RIGHT),
        over=sum(1 for h in window if h.state == OVER),
        worst=tuple(short[:worst]),
    )
