"""The capacity forecast plans calls only in the calling hours (work/rules.py,
settings.TRACING_CALLING_HOURS): a case arriving or a call falling due at night is
called at the next opening, so the planner shows no calls, and no staff, at night, and
the morning's first hour carries the night's calls (found by review)."""

from __future__ import annotations

import datetime as dt

import pytest

from figures import capacity_selectors as reads
from staffing.models import Tier
from tests.capacity.builders import LONDON, cases_arriving
from tests.conftest import NOW

NIGHT = dt.datetime(2021, 1, 12, 21, 0, tzinfo=LONDON)
# Cases arrive from 08:00 until 23:00: those from 20:00 on come after the phones close.
LATE_HOURS = range(8, 23)


def is_night(hour: dt.datetime) -> bool:
    return not 8 <= hour.astimezone(LONDON).hour < 20


@pytest.mark.django_db
@pytest.mark.now(NIGHT)
def test_forecast_puts_no_case_calls_at_night(clock):
    cases_arriving([150] * 14, last_day=dt.date(2021, 1, 11), hours=LATE_HOURS)

    hours = reads.capacity(now=NIGHT).tiers[Tier.CLINICAL].hours

    night = [h for h in hours if is_night(h.hour)]
    assert night
    assert [(h.hour, h.calls) for h in night if h.calls] == []
    assert [(h.hour, h.needed) for h in night if h.needed] == []


def calls_by_hour(settings, calling_hours: dict[str, str]) -> dict[dt.datetime, float]:
    settings.TRACING_CALLING_HOURS = calling_hours
    settings.TRACING_CAPACITY_CACHE_SECONDS = 0  # each made afresh
    hours = reads.capacity(now=NOW).tiers[Tier.CLINICAL].hours
    return {h.hour: h.calls for h in hours}


@pytest.mark.django_db
def test_the_nights_calls_are_made_at_eight_and_none_is_lost(clock, settings):
    cases_arriving([150] * 14, last_day=dt.date(2021, 1, 11), hours=LATE_HOURS)
    cases_arriving([20], last_day=NOW.date(), hours=[8, 9])

    any_hour = calls_by_hour(settings, {"opens": "00:00", "closes": "00:00"})
    daytime = calls_by_hour(settings, {"opens": "08:00", "closes": "20:00"})

    # Calling at any hour, the forecast has calls at night (the cases arriving then).
    assert any(calls for hour, calls in any_hour.items() if is_night(hour))
    # In calling hours, none; the fortnight's calls are all still made...
    assert all(not calls for hour, calls in daytime.items() if is_night(hour))
    assert sum(daytime.values()) == pytest.approx(sum(any_hour.values()))
    # ...the night's at eight the next morning, on top of eight o'clock's own.
    tomorrow_eight = dt.datetime(2021, 1, 13, 8, 0, tzinfo=LONDON)
    night_before = [
        hour
        for hour in any_hour
        if tomorrow_eight - dt.timedelta(hours=12) <= hour < tomorrow_eight
    ]
    assert daytime[tomorrow_eight] == pytest.approx(
        any_hour[tomorrow_eight] + sum(any_hour[hour] for hour in night_before)
    )
    # The day's other hours are as they were.
    assert daytime[tomorrow_eight + dt.timedelta(hours=1)] == pytest.approx(
        any_hour[tomorrow_eight + dt.timedelta(hours=1)]
    )
