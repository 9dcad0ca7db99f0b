"""Forecasting the work: pure functions on lists of numbers, no database, no Django.

The day's intake is a log-linear trend times a day-of-week factor:

- the weekday factors: for each weekday, the median over the last eight weeks of the
  day's count over the centred seven-day average around it (a median, so a bank
  holiday or a lab's bad day does not move the pattern);
- the trend: a Poisson regression of the last two weeks' counts on time, with the
  weekday factors as an offset (log mu = a + b t + log f_weekday), each day counting
  half as much a week further back, so it turns with the epidemic. A count of nought
  is data, not a hole in a logarithm, and a history that fits the model exactly is
  forecast exactly. The growth is held within doubling or halving in a week.
- the interval: from the method's own errors in the history, each of the last four
  weeks' days forecast from the days before it (log(actual / forecast)), widening
  with the square root of the days ahead.

Hours come from the days by an hour-of-day profile (measured from the arrivals, or a
stated default); calls from items by the attempts each item takes, spaced by the call
rules' gap, and from the work already waiting by the calls each item still needs;
and `simulate_queue` replays a rota against the work arriving (FIFO, an item still
waiting after the call window leaving the queue for the local team, as the
escalation sweep does), for the backtest (bench/capacity.py), which measured
the choices here against England's winter of 2020-21.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

HORIZON_DAYS = 14
# The trend is fitted to the last two weeks, a day a week back counting half as much
# as yesterday: in the backtest, longer windows lagged the turns of the epidemic.
TREND_DAYS = 14
HALF_LIFE_DAYS = 7.0
# The weekday pattern is read over eight weeks: it hardly changes, and a long window
# outvotes a holiday.
WEEKDAY_DAYS = 56
# The interval's coverage: four days in five should fall inside it; it is read from
# the forecasts of the last four weeks' days.
INTERVAL = 0.8
ERROR_DAYS = 28
# Fewer days than these and the fit leaves out the weekday pattern, then the trend.
MIN_DAYS_FOR_WEEKDAYS = 14
MIN_DAYS_FOR_TREND = 7
# A trend read from a handful of items is noise: below this many in the days fitted
# the forecast is their mean (a small local team's quiet weeks).
MIN_ITEMS_FOR_TREND = 30
# The fastest the trend may grow or shrink: doubling or halving in a week. England's
# fastest rise in autumn 2020 doubled in about a week; a steeper fit is a few days'
# noise, and fourteen days of it would forecast a wall.
MAX_DAILY_GROWTH = 2 ** (1 / 7)

# When fewer than this many arrivals were measured, hours follow the default profile.
MIN_ARRIVALS_FOR_PROFILE = 100
# Results arrive mostly in the working day and evening (labs report through the day):
# the relative weight of each local hour, midnight first, used until there is history.
DEFAULT_HOUR_WEIGHTS = (
    1,
    1,
    1,
    1,
    1,
    1,
    1,
    3,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    6,
    4,
    2,
    1,
)

# What the work takes until the records say: used where too few calls or items were
# measured (the capacity page says so) and by the backtest. A contact-tracing case has
# two to four contacts; about half the items need a second call; a case's call (the
# risk assessment, when reached) runs long, a contact's short; each call is followed
# by five minutes' write-up (figures.utilisation.WRAP_UP), included here.
DEFAULT_CONTACTS_PER_CASE = 3.0
DEFAULT_ATTEMPTS_PER_ITEM = {"case": 1.5, "contact": 1.5}
DEFAULT_MINUTES_PER_CALL = {"case": 20.0, "contact": 10.0}
DEFAULT_ESCALATED_SHARE = {"case": 0.1, "contact": 0.2}


@dataclass(frozen=True)
class DailyForecast:
    """The forecast of the next days' counts, with its interval and the fit behind it."""

    mean: tuple[float, ...]
    low: tuple[float, ...]
    high: tuple[float, ...]
    growth: float  # the trend's daily factor: 1.05 is 5% more each day
    weekday_factors: tuple[float, ...]  # Monday first; 1.0 an average day
    days_used: int
    error_sd: float  # of log(actual / forecast) a day ahead, in the history
    trend_measured: bool = False  # False: too little history, flat
    weekdays_measured: bool = False  # False: under two weeks, every day alike

    @property
    def doubling_days(self) -> float | None:
        """Days for the trend to double (negative: to halve); None when flat."""
        if abs(self.growth - 1) < 1e-9:
            return None
        return math.log(2) / math.log(self.growth)


def z_for(level: float) -> float:
    """The normal quantile for a central interval holding `level` of outcomes."""
    return NormalDist().inv_cdf(0.5 + level / 2)


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Solve a x = b (a small square system) by Gaussian elimination with pivoting."""
    n = len(b)
    m = [[*row, b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) < 1e-300:
            raise ZeroDivisionError("singular system")
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            if factor:
                for c in range(col, n + 1):
                    m[r][c] -= factor * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def _fit_poisson(
    rows: list[list[float]],
    y: Sequence[float],
    offset: Sequence[float],
    weights: Sequence[float],
) -> list[float]:
    """Weighted Poisson regression with a log link and a fixed offset on the log
    scale, by iteratively reweighted least squares."""
    p = len(rows[0])
    rate = sum(w * v for w, v in zip(weights, y, strict=True)) / sum(
        w * math.exp(o) for w, o in zip(weights, offset, strict=True)
    )
    beta = [math.log(rate)] + [0.0] * (p - 1)
    for _ in range(100):
        info = [[0.0] * p for _ in range(p)]
        score = [0.0] * p
        for row, observed, fixed, weight in zip(rows, y, offset, weights, strict=True):
            linear = sum(r * b for r, b in zip(row, beta, strict=True))
            mu = math.exp(max(-30.0, min(30.0, linear + fixed)))
            working = linear + (observed - mu) / mu
            for i in range(p):
                wi = weight * mu * row[i]
                score[i] += wi * working
                for j in range(p):
                    info[i][j] += wi * row[j]
        new = _solve(info, score)
        if max(abs(n - b) for n, b in zip(new, beta, strict=True)) < 1e-10:
            return new
        beta = new
    return beta


def weekday_factors(
    history: Sequence[float], *, first_weekday: int, days: int = WEEKDAY_DAYS
) -> tuple[float, ...]:
    """Each weekday's count over the centred seven-day average around it, the median
    over the last `days` (Monday first, averaging 1); all 1 under two weeks."""
    start = max(0, len(history) - days)
    y = history[start:]
    if len(y) < MIN_DAYS_FOR_WEEKDAYS:
        return (1.0,) * 7
    ratios: dict[int, list[float]] = {w: [] for w in range(7)}
    for t in range(3, len(y) - 3):
        around = sum(y[t - 3 : t + 4]) / 7
        if around > 0:
            ratios[(first_weekday + start + t) % 7].append(y[t] / around)
    medians = [statistics.median(ratios[w]) if ratios[w] else 1.0 for w in range(7)]
    average = sum(medians) / 7
    if average <= 0:
        return (1.0,) * 7
    return tuple(m / average for m in medians)


@dataclass(frozen=True)
class _Fit:
    level: float  # log of the deseasonalised count on the last day of history
    slope: float  # log of the daily growth
    factors: tuple[float, ...]
    last_weekday: int
    days_used: int
    trend: bool  # a trend was fitted (else the level alone)

    def predict(self, ahead: int) -> float:
        """The count `ahead` days after the last day of history (1: the next day)."""
        factor = self.factors[(self.last_weekday + ahead) % 7]
        if factor <= 0:
            return 0.0
        return math.exp(min(30.0, self.level + self.slope * ahead)) * factor


def _fit(
    history: Sequence[float], *, first_weekday: int, trend_days: int, half_life: float
) -> _Fit | None:
    """The trend and the weekday pattern of a history; None when it holds no work."""
    factors = weekday_factors(history, first_weekday=first_weekday)
    y = [max(0.0, float(v)) for v in history[-trend_days:]]
    n = len(y)
    last_weekday = (first_weekday + len(history) - 1) % 7
    if n == 0 or sum(y) == 0:
        return None
    weekdays = [(last_weekday - (n - 1 - t)) % 7 for t in range(n)]
    # A weekday that never has work adds nothing to the fit (its factor is nought).
    kept = [t for t in range(n) if factors[weekdays[t]] > 0]
    if not kept:
        return None
    times = [float(t - (n - 1)) for t in kept]  # 0 on the last day
    offset = [math.log(factors[weekdays[t]]) for t in kept]
    weights = [0.5 ** ((n - 1 - t) / half_life) for t in kept]
    counts = [y[t] for t in kept]
    trend = n >= MIN_DAYS_FOR_TREND and sum(y) >= MIN_ITEMS_FOR_TREND
    if not trend:
        (level,) = _fit_poisson([[1.0]] * len(kept), counts, offset, weights)
        return _Fit(level, 0.0, factors, last_weekday, n, False)
    level, slope = _fit_poisson([[1.0, t] for t in times], counts, offset, weights)
    limit = math.log(MAX_DAILY_GROWTH)
    if abs(slope) > limit:
        # Held at the limit; the level fitted again around it.
        slope = math.copysign(limit, slope)
        held = [o + slope * t for o, t in zip(offset, times, strict=True)]
        (level,) = _fit_poisson([[1.0]] * len(kept), counts, held, weights)
    return _Fit(level, slope, factors, last_weekday, n, True)


def forecast_daily(
    history: Sequence[float],
    *,
    first_weekday: int,
    horizon: int = HORIZON_DAYS,
    trend_days: int = TREND_DAYS,
    half_life: float = HALF_LIFE_DAYS,
    level: float = INTERVAL,
) -> DailyForecast:
    """The next `horizon` days' counts from the daily counts before them.

    `history` is oldest first and ends the day before the first day forecast;
    `first_weekday` is the weekday of history[0] (0 Monday). Under two weeks of
    history there is no weekday pattern, under one week (or under
    MIN_ITEMS_FOR_TREND items) no trend: the forecast is the weighted mean. The
    history counts from its first day with work; no work at all forecasts none.
    """
    # Days before the first with any work tell nothing (the service had not
    # started, or the area had none yet): the history starts at the first work.
    start = next((i for i, v in enumerate(history) if v > 0), len(history))
    history = history[start:]
    first_weekday = (first_weekday + start) % 7
    fit = _fit(
        history,
        first_weekday=first_weekday,
        trend_days=trend_days,
        half_life=half_life,
    )
    if fit is None:
        zeros = (0.0,) * horizon
        return DailyForecast(zeros, zeros, zeros, 1.0, (1.0,) * 7, 0, 0.0)
    errors = []
    for end in range(max(MIN_DAYS_FOR_TREND, len(history) - ERROR_DAYS), len(history)):
        past = _fit(
            history[:end],
            first_weekday=first_weekday,
            trend_days=trend_days,
            half_life=half_life,
        )
        if past is not None:
            said = past.predict(1)
            errors.append(math.log((history[end] + 0.5) / (said + 0.5)))
    sd = math.sqrt(statistics.fmean(e * e for e in errors)) if errors else 0.0
    z = z_for(level)
    mean = [fit.predict(k + 1) for k in range(horizon)]
    widths = [math.exp(z * sd * math.sqrt(k + 1)) for k in range(horizon)]
    return DailyForecast(
        mean=tuple(mean),
        low=tuple(m / w for m, w in zip(mean, widths, strict=True)),
        high=tuple(m * w for m, w in zip(mean, widths, strict=True)),
        growth=math.exp(fit.slope),
        weekday_factors=fit.factors,
        days_used=fit.days_used,
        error_sd=sd,
        trend_measured=fit.trend,
        weekdays_measured=len(history) >= MIN_DAYS_FOR_WEEKDAYS,
    )


# --- from days to hours, and from items to calls ------------------------------------


def _shares(weights: Sequence[float]) -> tuple[float, ...]:
    total = float(sum(weights))
    return tuple(w / total for w in weights)


DEFAULT_HOUR_PROFILE = _shares(DEFAULT_HOUR_WEIGHTS)


def hour_profile(counts: Sequence[float]) -> tuple[tuple[float, ...], bool]:
    """The share of a day's arrivals in each local hour (midnight first), from the
    arrivals counted in each hour of the day; and whether it was measured (False:
    too few arrivals, the default profile)."""
    if len(counts) != 24:
        raise ValueError("An hour profile has 24 hours.")
    if sum(counts) < MIN_ARRIVALS_FOR_PROFILE:
        return DEFAULT_HOUR_PROFILE, False
    return _shares(counts), True


def spread_over_hours(
    total: float, profile: Sequence[float], hours: Sequence[int]
) -> list[float]:
    """A day's total over its local hours (23 or 25 of them on a clock change: the
    profile's shares of the hours the day has, scaled to sum to the total)."""
    weights = [profile[h] for h in hours]
    whole = sum(weights)
    if not whole:
        return [total / len(hours)] * len(hours) if hours else []
    return [total * w / whole for w in weights]


def attempt_lags(
    attempts_per_item: float, *, gap_hours: int
) -> list[tuple[int, float]]:
    """When an item's calls fall, in hours after it arrives, and how many of each:
    the first call at once, each further attempt the rules' gap after the last, the
    last attempt taking what is left of the measured mean (1.6 attempts: one call at
    hour 0, 0.6 of one `gap_hours` later)."""
    lags = []
    k = 0
    while attempts_per_item - k > 1e-9:
        lags.append((k * gap_hours, min(1.0, attempts_per_item - k)))
        k += 1
    return lags


def calls_by_hour(
    items: Sequence[float], lags: Sequence[tuple[int, float]], *, lead: int = 0
) -> list[float]:
    """Calls in each hour from the items arriving in each hour: `items` starts `lead`
    hours before the first hour wanted (so calls still due on items that arrived
    earlier are counted), and the result starts at that first hour."""
    out = [0.0] * max(len(items) - lead, 0)
    for i, n in enumerate(items):
        if not n:
            continue
        for lag, weight in lags:
            h = i + lag - lead
            if 0 <= h < len(out):
                out[h] += n * weight
    return out


def waiting_calls_by_hour(
    waiting: Sequence[tuple[int, float, float]], *, gap_hours: int, hours: int
) -> list[float]:
    """Calls in each of the next `hours` hours for the work already waiting: each of
    `waiting` is (the hour its next call is due, 0 for now or overdue; the calls each
    item still needs; how many items). An item waiting needs at least one more call,
    however few the history says items take; further ones the rules' gap apart."""
    out = [0.0] * hours
    for due, still_needed, n in waiting:
        for lag, weight in attempt_lags(max(1.0, still_needed), gap_hours=gap_hours):
            h = max(0, due) + lag
            if h < hours:
                out[h] += n * weight
    return out


def in_calling_hours(calls: Sequence[float], open_hours: Sequence[bool]) -> list[float]:
    """`calls` (one a consecutive hour) made only in the hours `open_hours` marks as
    calling hours: the calls of an hour outside them are made in the first hour of
    the next opening, on top of its own. The total is kept, but for the calls of
    closed hours at the end, with no opening after them: those fall after the last
    hour, as any call later than it does."""
    out = [0.0] * len(calls)
    held = 0.0
    for i, (n, is_open) in enumerate(zip(calls, open_hours, strict=True)):
        if is_open:
            out[i] = n + held
            held = 0.0
        else:
            held += n
    return out


def delayed(
    values: Sequence[float], *, hours: int, share: float, before: Sequence[float] = ()
) -> list[float]:
    """`share` of what arrives in each hour, `hours` later (escalations: the items not
    reached when the call window closes); `before` holds the hours just before the
    first (oldest first), whose share lands in the first hours."""
    series = list(before) + list(values)
    lead = len(before)
    return [
        share * series[i + lead - hours] if 0 <= i + lead - hours < len(series) else 0.0
        for i in range(len(values))
    ]


# --- a rota replayed against the work -----------------------------------------------


@dataclass(frozen=True)
class QueueResult:
    arrived: float
    reached_within: float  # items whose work was done within the window of arriving
    staff_hours: float  # on the rota
    busy_hours: float  # of those, spent on the work
    escalated: float  # left the queue unreached when the window closed
    peak_backlog: float

    @property
    def utilisation(self) -> float:
        return self.busy_hours / self.staff_hours if self.staff_hours else 0.0

    @property
    def reached_within_share(self) -> float:
        return self.reached_within / self.arrived if self.arrived else 0.0


def simulate_queue(
    arrivals: Sequence[float],
    staff_hours: Sequence[float],
    *,
    hours_per_item: float,
    within_hours: int = 24,
) -> QueueResult:
    """Replay a rota hour by hour: items join a first-in-first-out queue as they
    arrive; each hour the staff on the rota work through it at `hours_per_item` each;
    an item still waiting `within_hours` after arriving leaves the queue (the call
    window is over: it goes to the local team). Items are fluid (fractions allowed):
    the figures are the rota's, not one day's luck."""
    if len(arrivals) != len(staff_hours):
        raise ValueError("One rota hour for each hour of arrivals.")
    if hours_per_item <= 0:
        raise ValueError("Work takes some time.")
    queue: deque[list[float]] = deque()  # [hour arrived, items waiting]
    reached = busy = escalated = peak = 0.0
    for hour, (new, staff) in enumerate(zip(arrivals, staff_hours, strict=True)):
        if new > 0:
            queue.append([hour, float(new)])
        while queue and hour - queue[0][0] >= within_hours:
            escalated += queue.popleft()[1]
        can_do = max(staff, 0.0) / hours_per_item
        while queue and can_do > 1e-12:
            cohort = queue[0]
            done = min(cohort[1], can_do)
            cohort[1] -= done
            can_do -= done
            reached += done
            busy += done * hours_per_item
            if cohort[1] <= 1e-12:
                queue.popleft()
        peak = max(peak, sum(c[1] for c in queue))
    escalated += sum(c[1] for c in queue)
    return QueueResult(
        arrived=float(sum(arrivals)),
        reached_within=reached,
        staff_hours=float(sum(max(s, 0.0) for s in staff_hours)),
        busy_hours=busy,
        escalated=escalated,
        peak_backlog=peak,
    )


def absolute_percentage_error(actual: float, forecast: float) -> float | None:
    """|actual - forecast| / actual; None for a day with no work (no percentage)."""
    if actual <= 0:
        return None
    return abs(actual - forecast) / actual
