"""A week's figures missing from the cache are computed by one reader at a time: the
others wait for them (at peak a busy week takes some 10 s of three of the database's
cores, and ten supervisors opening it at once must not make that ten times), and if
the reader computing them fails, a waiting one computes them instead of waiting on.

The readers here are threads of one process sharing the test's cache (Redis when
REDIS_URL is set, as in CI); the computation is the real one, done once up front,
handed out slowly by a stand-in that counts its calls."""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache

from figures import weekly, weekly_refresh
from figures.weekly import (
    Period,
    Scope,
    cache_generation,
    cache_key,
    compute_weekly_figures,
    weekly_figures,
)
from figures.weekly_refresh import weekly_figures_refresh
from tests import factories as f
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

CLOSED = Period(dt.date(2020, 12, 31))  # the week before NOW's: closed, cached a week
ENGLAND = Scope.england()
SLOW = 0.4  # seconds one computation takes here


@pytest.fixture
def figures(clock):
    f.CaseFactory(created_at=NOW - dt.timedelta(days=10))
    computed = compute_weekly_figures(period=CLOSED, scope=ENGLAND)
    assert computed.cases.transferred == 1
    return computed


class SlowComputation:
    """compute_weekly_figures as a stand-in: SLOW seconds (or those `slower` gives
    for a period), then the figures (or, for the calls listed in `failing`, an
    error), counting the calls."""

    def __init__(self, figures, failing=(), slower=None):
        self.figures, self.failing = figures, set(failing)
        self.slower = slower or {}
        self.calls = 0
        self._lock = threading.Lock()

    def __call__(self, *, period, **_):
        with self._lock:
            self.calls += 1
            call = self.calls
        time.sleep(self.slower.get(period, SLOW))
        if call in self.failing:
            raise RuntimeError("the database went away")
        return self.figures


def _readers(n: int) -> list:
    """n readers asking for the closed week at once: each one's figures, or the
    error it met."""
    start = threading.Barrier(n)

    def read():
        start.wait()
        try:
            return weekly_figures(period=CLOSED, scope=ENGLAND)
        except RuntimeError as error:
            return error

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(lambda _: read(), range(n)))


def test_readers_at_once_wait_for_one_computation(figures, monkeypatch):
    computation = SlowComputation(figures)
    monkeypatch.setattr(weekly, "compute_weekly_figures", computation)

    answers = _readers(5)

    assert computation.calls == 1
    assert answers == [figures] * 5
    # ...and the next reader has them from the cache.
    assert weekly_figures(period=CLOSED, scope=ENGLAND) == figures
    assert computation.calls == 1


def test_when_the_computing_reader_fails_a_waiting_one_computes(figures, monkeypatch):
    computation = SlowComputation(figures, failing={1})
    monkeypatch.setattr(weekly, "compute_weekly_figures", computation)

    started = time.monotonic()
    answers = _readers(2)
    took = time.monotonic() - started

    assert computation.calls == 2
    assert sorted(map(type, answers), key=str) == sorted(
        [RuntimeError, weekly.WeekFigures], key=str
    )
    assert figures in answers
    # The waiting reader took over when the claim was let go, not after waiting out
    # its whole length.
    assert took < weekly.COMPUTING_SECONDS / 4


def test_a_reader_that_waits_too_long_computes_for_itself(figures, monkeypatch):
    # Another reader claimed the week and never let go (its process was killed).
    key = cache_key(CLOSED, ENGLAND, cache_generation())
    cache.set(f"{key}:computing", "a reader that died", 30)
    monkeypatch.setattr(weekly, "COMPUTING_SECONDS", 0.5)
    computation = SlowComputation(figures)
    monkeypatch.setattr(weekly, "compute_weekly_figures", computation)

    started = time.monotonic()
    answer = weekly_figures(period=CLOSED, scope=ENGLAND)
    took = time.monotonic() - started

    assert answer == figures
    assert computation.calls == 1
    assert 0.5 <= took < 0.5 + SLOW + 2
    # ...and cached them for the next reader.
    assert weekly_figures(period=CLOSED, scope=ENGLAND) == figures
    assert computation.calls == 1


def test_the_beat_waits_for_a_reader_computing_the_same_week(figures, monkeypatch):
    # The reader's closed week takes long enough for the beat to come to it (after
    # the open week) while the reader is still computing it.
    computation = SlowComputation(figures, slower={CLOSED: 4 * SLOW})
    monkeypatch.setattr(weekly, "compute_weekly_figures", computation)
    monkeypatch.setattr(weekly_refresh, "compute_weekly_figures", computation)
    start = threading.Barrier(2)

    def reader():
        start.wait()
        return weekly_figures(period=CLOSED, scope=ENGLAND)

    def beat():
        start.wait()
        time.sleep(SLOW / 4)  # the reader has claimed the closed week
        return weekly_figures_refresh(now=NOW, closed_weeks=1, scopes=[ENGLAND])

    with ThreadPoolExecutor(2) as pool:
        read, report = pool.submit(reader), pool.submit(beat)
        assert read.result() == figures
        # The beat computed the open week, and took the reader's closed week.
        assert (report.result().computed, report.result().kept) == (1, 1)
    assert computation.calls == 2
