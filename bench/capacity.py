"""Backtest of the capacity forecast on England's real season, winter 2020-21.

    .venv/bin/python bench/capacity.py               # 1:10, about 10 seconds
    .venv/bin/python bench/capacity.py --scale 100   # 1:100

Replays England's daily positive cases by specimen date (1 September 2020 to 28
February 2021, ../shared/data/england_cases_by_specimen_date.csv) scaled down to a
service of a given size (1:10 by default: a peak of about 7,250 cases a day), with no
database: the pure functions of figures/forecast.py, as the capacity page uses them.

1. Forecast error. Each day from the 29th on is forecast from the days before it only
   (the page's method, figures/forecast.py: the log-linear trend of the last two
   weeks times the weekday pattern of the last eight): one day ahead (the rota drawn up the evening before) and seven days ahead
   (a week's notice). MAPE (mean absolute percentage error) and the share of days
   whose count fell inside the 80% interval; beside them the trend over 21 and 28
   days, and two naive forecasts (the day before; the same weekday a week before).
2. The rota. Each day's cases arrive over its hours by the default hour-of-day
   profile, and each case's contacts with it (contacts per case, attempts and
   minutes per call: the defaults of figures/forecast.py; the occupancy: the
   setting's default). A rota following the forecast books, each hour, the staff
   the forecast work needs at that occupancy; beside each, a fixed rota books the
   same total hours, the same every day (shaped by the hour of day, as a supervisor
   who knows the day's shape but not the trend would); and, for scale, the rota of
   hindsight (exactly the work that came, at that occupancy). A queue simulation replays each rota
   against the work that really came: FIFO, an item still waiting 24 hours after
   arriving goes to the local team. It prints the utilisation (time on the rota
   spent on the work) and the share of the work reached within 24 hours.

A benchmark, not a test: it prints figures and never fails.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures.forecast import (  # noqa: E402  (the path above first)
    DEFAULT_ATTEMPTS_PER_ITEM,
    DEFAULT_CONTACTS_PER_CASE,
    DEFAULT_HOUR_PROFILE,
    DEFAULT_MINUTES_PER_CALL,
    TREND_DAYS,
    absolute_percentage_error,
    forecast_daily,
    simulate_queue,
)

DATA = ROOT.parent / "shared" / "data" / "england_cases_by_specimen_date.csv"
FIRST_FORECAST = 28  # days of history before the first day forecast
# The setting TRACING_CAPACITY_OCCUPANCY's default: staff on a call or writing it
# up this share of their time at most, as call centres plan.
OCCUPANCY = 0.85
WITHIN_HOURS = 24


def read_season(path: Path) -> tuple[list[date], list[float]]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [date.fromisoformat(r["date"]) for r in rows], [
        float(r["cases"]) for r in rows
    ]


@dataclass(frozen=True)
class Forecasts:
    """For each day forecast: the mean, the interval, and the actual count."""

    days: list[int]
    mean: list[float]
    low: list[float]
    high: list[float]


def backtest(
    daily: Sequence[float],
    first_weekday: int,
    *,
    ahead: int,
    trend_days: int = TREND_DAYS,
) -> Forecasts:
    """Forecast each day d >= FIRST_FORECAST from days [0, d - ahead + 1) only."""
    out = Forecasts([], [], [], [])
    for d in range(FIRST_FORECAST, len(daily)):
        history = daily[: d - ahead + 1]
        f = forecast_daily(
            history, first_weekday=first_weekday, horizon=ahead, trend_days=trend_days
        )
        out.days.append(d)
        out.mean.append(f.mean[ahead - 1])
        out.low.append(f.low[ahead - 1])
        out.high.append(f.high[ahead - 1])
    return out


def naive(daily: Sequence[float], lag: int) -> Forecasts:
    days = list(range(FIRST_FORECAST, len(daily)))
    values = [daily[d - lag] for d in days]
    return Forecasts(days, values, values, values)


def mape(daily: Sequence[float], f: Forecasts) -> float:
    errors = [
        absolute_percentage_error(daily[d], m)
        for d, m in zip(f.days, f.mean, strict=True)
    ]
    kept = [e for e in errors if e is not None]
    return 100 * statistics.fmean(kept)


def coverage(daily: Sequence[float], f: Forecasts) -> float:
    inside = [
        lo <= daily[d] <= hi for d, lo, hi in zip(f.days, f.low, f.high, strict=True)
    ]
    return 100 * sum(inside) / len(inside)


def hourly(days: Sequence[float]) -> list[float]:
    """Each day's count over its 24 hours by the default profile (the CSV is daily)."""
    return [n * share for n in days for share in DEFAULT_HOUR_PROFILE]


@dataclass(frozen=True)
class Kind:
    name: str
    per_case: float  # items of this kind per case
    hours_per_item: float  # staff-hours of calls each item takes


def kinds() -> list[Kind]:
    def hours(kind: str) -> float:
        return DEFAULT_ATTEMPTS_PER_ITEM[kind] * DEFAULT_MINUTES_PER_CALL[kind] / 60

    return [
        Kind("Tier 2, cases", 1.0, hours("case")),
        Kind("Tier 3, contacts", DEFAULT_CONTACTS_PER_CASE, hours("contact")),
    ]


def rota_rows(
    daily: Sequence[float], forecasts: dict[str, Forecasts]
) -> list[list[str]]:
    """Per tier: each forecast's rota and a fixed rota of the same total hours, and
    the work met with hindsight; each rota's staff-hours, utilisation, reached within
    24 hours and largest backlog."""
    rows = []
    first = next(iter(forecasts.values())).days[0]
    days = len(daily) - first
    for kind in kinds():
        actual = hourly([n * kind.per_case for n in daily[first:]])

        def staffed(items_by_hour: Sequence[float], kind: Kind = kind) -> list[float]:
            return [n * kind.hours_per_item / OCCUPANCY for n in items_by_hour]

        rotas: list[tuple[str, list[float]]] = []
        for label, f in forecasts.items():
            following = staffed(hourly([m * kind.per_case for m in f.mean]))
            total = sum(following)
            fixed = [
                total / days * share
                for _ in range(days)
                for share in DEFAULT_HOUR_PROFILE
            ]
            rotas.append((f"following the forecast made {label}", following))
            rotas.append(
                ("fixed, the same hours as the one above, every day alike", fixed)
            )
        rotas.append(("hindsight: exactly the work that came", staffed(actual)))
        for label, staff in rotas:
            result = simulate_queue(
                actual,
                staff,
                hours_per_item=kind.hours_per_item,
                within_hours=WITHIN_HOURS,
            )
            rows.append(
                [
                    kind.name,
                    label,
                    f"{result.staff_hours:,.0f}",
                    f"{100 * result.utilisation:.1f}%",
                    f"{100 * result.reached_within_share:.1f}%",
                    f"{result.peak_backlog:,.0f}",
                ]
            )
    return rows


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
    ]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=10,
        help="1 case in the service for this many in England (default 10)",
    )
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    started = time.perf_counter()
    dates, england = read_season(args.data)
    daily = [n / args.scale for n in england]
    weekday = dates[0].weekday()
    print(
        f"England's cases by specimen date, {dates[0]:%-d %B %Y} to "
        f"{dates[-1]:%-d %B %Y} ({len(daily)} days), scaled 1:{args.scale:g}: "
        f"peak {max(daily):,.0f} a day, {sum(daily):,.0f} in all. Days forecast: "
        f"{len(daily) - FIRST_FORECAST}, from {dates[FIRST_FORECAST]:%-d %B}.\n"
    )
    runs: list[tuple[str, Callable[[], Forecasts], bool]] = [
        (
            "trend x weekday, 14 days (the page's), 1 day ahead",
            lambda: backtest(daily, weekday, ahead=1),
            True,
        ),
        (
            "trend x weekday, 14 days (the page's), 7 days ahead",
            lambda: backtest(daily, weekday, ahead=7),
            True,
        ),
        (
            "trend x weekday, 21 days, 1 day ahead",
            lambda: backtest(daily, weekday, ahead=1, trend_days=21),
            True,
        ),
        (
            "trend x weekday, 28 days, 1 day ahead",
            lambda: backtest(daily, weekday, ahead=1, trend_days=28),
            True,
        ),
        ("naive: the day before", lambda: naive(daily, 1), False),
        ("naive: the same weekday a week before", lambda: naive(daily, 7), False),
    ]
    results = {}
    rows = []
    for label, run, has_interval in runs:
        f = run()
        results[label] = f
        rows.append(
            [
                label,
                f"{mape(daily, f):.1f}%",
                f"{coverage(daily, f):.1f}%" if has_interval else "-",
            ]
        )
    print("Forecast error, each day from the days before it only:\n")
    print(table(["forecast", "MAPE", "days inside the 80% interval"], rows))
    print()
    rota_forecasts = {
        "1 day ahead": results["trend x weekday, 14 days (the page's), 1 day ahead"],
        "7 days ahead": results["trend x weekday, 14 days (the page's), 7 days ahead"],
    }
    print(
        "Rotas replayed against the work that came (queue simulation by the hour, "
        f"occupancy {OCCUPANCY:.0%}, FIFO, unreached after {WITHIN_HOURS} h: "
        "to the local team):\n"
    )
    print(
        table(
            [
                "tier",
                "rota",
                "staff-hours",
                "utilisation",
                "reached within 24 h",
                "largest backlog",
            ],
            rota_rows(daily, rota_forecasts),
        )
    )
    print(f"\n{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
