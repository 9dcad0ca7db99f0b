"""The forecast's arithmetic on hand-built histories whose right answer is known: no
database, no Django."""

from __future__ import annotations

import math
import random

import pytest

from figures import forecast as fc

MONDAY = 0
PATTERN = (1.2, 1.1, 1.0, 1.0, 1.0, 0.8, 0.6)  # Monday first


def test_a_flat_week_forecasts_the_same_every_day():
    f = fc.forecast_daily([40] * 7, first_weekday=MONDAY)
    assert f.mean == pytest.approx([40] * 14)
    assert f.growth == pytest.approx(1.0)


def test_a_steady_rise_continues_at_its_slope():
    history = [100 * 1.05**t for t in range(21)]
    f = fc.forecast_daily(history, first_weekday=MONDAY)
    assert f.growth == pytest.approx(1.05)
    assert f.mean == pytest.approx([100 * 1.05 ** (21 + k) for k in range(14)])
    assert f.doubling_days == pytest.approx(math.log(2) / math.log(1.05))


def test_a_steady_fall_continues_at_its_slope():
    history = [500 * 0.95**t for t in range(14)]
    f = fc.forecast_daily(history, first_weekday=MONDAY, horizon=3)
    assert f.mean == pytest.approx([500 * 0.95 ** (14 + k) for k in range(3)])


def test_a_weekday_pattern_repeats():
    # Three weeks from a Wednesday: the forecast starts on a Wednesday too.
    history = [300 * PATTERN[(2 + t) % 7] for t in range(21)]
    f = fc.forecast_daily(history, first_weekday=2)
    assert f.mean == pytest.approx([300 * PATTERN[(2 + k) % 7] for k in range(14)])
    average = sum(PATTERN) / 7
    assert f.weekday_factors == pytest.approx([p / average for p in PATTERN])


def test_a_rise_with_a_weekday_pattern_keeps_both():
    history = [200 * 1.03**t * PATTERN[t % 7] for t in range(28)]
    f = fc.forecast_daily(history, first_weekday=MONDAY, horizon=7)
    expected = [200 * 1.03 ** (28 + k) * PATTERN[k % 7] for k in range(7)]
    assert f.mean == pytest.approx(expected, rel=0.01)


def test_a_bank_holiday_does_not_move_the_weekday_pattern():
    history = [300 * PATTERN[t % 7] for t in range(35)]
    history[25] = 30  # a Friday with the labs shut
    f = fc.forecast_daily(history, first_weekday=MONDAY, horizon=7)
    average = sum(PATTERN) / 7
    assert f.weekday_factors == pytest.approx([p / average for p in PATTERN])


def test_no_work_forecasts_no_work():
    f = fc.forecast_daily([0] * 21, first_weekday=MONDAY, horizon=5)
    assert f.mean == f.low == f.high == (0.0,) * 5


def test_the_days_before_the_first_work_are_left_out():
    # Two weeks of nothing, then a flat fortnight: the forecast is flat, not a rise.
    history = [0] * 14 + [50] * 14
    f = fc.forecast_daily(history, first_weekday=MONDAY, horizon=7)
    assert f.mean == pytest.approx([50] * 7)


def test_a_handful_of_items_makes_no_trend():
    history = [0, 0, 0, 0, 0, 1, 0, 2, 0, 3]
    f = fc.forecast_daily(history, first_weekday=MONDAY, horizon=3)
    assert f.growth == 1.0
    assert f.mean[0] == f.mean[2] < 3


def test_the_trend_is_held_to_doubling_in_a_week():
    history = [10 * 1.5**t for t in range(14)]
    f = fc.forecast_daily(history, first_weekday=MONDAY, horizon=7)
    assert f.growth == pytest.approx(fc.MAX_DAILY_GROWTH)
    assert f.mean[6] / f.mean[0] == pytest.approx(fc.MAX_DAILY_GROWTH**6)


def test_a_history_the_model_fits_exactly_has_no_spread():
    f = fc.forecast_daily([100 * 1.02**t for t in range(28)], first_weekday=MONDAY)
    assert f.error_sd == pytest.approx(0.0, abs=1e-9)
    assert f.low == pytest.approx(f.mean)


def test_a_noisy_history_has_an_interval_around_the_forecast_widening_ahead():
    rng = random.Random(18)
    history = [rng.gauss(200, 30) for _ in range(42)]
    f = fc.forecast_daily(history, first_weekday=MONDAY)
    assert f.error_sd > 0.05
    assert all(lo < m < hi for lo, m, hi in zip(f.low, f.mean, f.high, strict=True))
    width = [hi / lo for lo, hi in zip(f.low, f.high, strict=True)]
    assert width == sorted(width)
    assert width[-1] > width[0]


def test_the_interval_holds_about_its_share_of_days_on_a_noisy_history():
    rng = random.Random(7)
    days = [rng.gauss(500, 60) for _ in range(200)]
    inside = 0
    for d in range(56, 200):
        f = fc.forecast_daily(days[:d], first_weekday=MONDAY, horizon=1)
        inside += f.low[0] <= days[d] <= f.high[0]
    assert 0.7 < inside / 144 < 0.92


def test_hours_follow_the_default_day_until_a_hundred_arrivals():
    counts = [0] * 24
    counts[9] = 99
    profile, measured = fc.hour_profile(counts)
    assert not measured
    assert profile == fc.DEFAULT_HOUR_PROFILE
    counts[10] = 1
    profile, measured = fc.hour_profile(counts)
    assert measured
    assert profile[9] == pytest.approx(0.99)


def test_a_day_with_an_hour_less_shares_its_work_among_the_hours_it_has():
    profile = [1 / 24] * 24
    hours = [0, 2, 3, *range(4, 24)]  # the spring clock change: no 01:00
    values = fc.spread_over_hours(230, profile, hours)
    assert len(values) == 23
    assert sum(values) == pytest.approx(230)


def test_further_attempts_fall_the_rules_gap_apart():
    assert fc.attempt_lags(1.6, gap_hours=4) == [
        (0, 1.0),
        (4, pytest.approx(0.6)),
    ]
    assert fc.attempt_lags(3.0, gap_hours=2) == [(0, 1.0), (2, 1.0), (4, 1.0)]
    assert fc.attempt_lags(0.0, gap_hours=2) == []


def test_calls_count_the_later_attempts_of_items_that_arrived_before():
    lags = fc.attempt_lags(2.0, gap_hours=2)
    # Two hours of history (10 items two hours ago), then three hours forecast.
    calls = fc.calls_by_hour([10, 0, 5, 5, 5], lags, lead=2)
    assert calls == [10 + 5, 5, 5 + 5]


def test_escalations_come_when_the_window_closes():
    escalations = fc.delayed([10, 20, 30], hours=2, share=0.5, before=[4, 6])
    assert escalations == [2.0, 3.0, 5.0]


def test_a_rota_with_room_reaches_everything_within_the_window():
    result = fc.simulate_queue([4, 4, 4, 0], [3, 3, 3, 3], hours_per_item=0.5)
    assert result.reached_within == pytest.approx(12)
    assert result.reached_within_share == pytest.approx(1.0)
    assert result.busy_hours == pytest.approx(6)
    assert result.utilisation == pytest.approx(0.5)


def test_work_still_waiting_when_the_window_closes_leaves_for_the_local_team():
    arrivals = [10] + [0] * 30
    staff = [1.0] * 31  # two items an hour at half an hour each
    result = fc.simulate_queue(arrivals, staff, hours_per_item=0.5, within_hours=3)
    assert result.reached_within == pytest.approx(6)
    assert result.escalated == pytest.approx(4)
    assert result.reached_within_share == pytest.approx(0.6)


def test_the_same_hours_where_the_work_is_reach_more_than_spread_evenly():
    arrivals = [0] * 12 + [20] * 12
    following = [a * 0.5 for a in arrivals]
    even = [sum(following) / 24] * 24
    kept = fc.simulate_queue(arrivals, following, hours_per_item=0.5)
    spread = fc.simulate_queue(arrivals, even, hours_per_item=0.5)
    assert kept.reached_within_share == pytest.approx(1.0)
    assert spread.reached_within_share < 0.6
    assert spread.utilisation < kept.utilisation
