"""The current (open) week's figures are cached for a few minutes, apart from the
closed week's; a settled closed week is cached for a day."""

from __future__ import annotations

import datetime as dt

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from figures.weekly import (
    CACHE_SECONDS,
    Period,
    Scope,
    cache_key,
    forget_cached_figures,
    weekly_figures,
)
from figures.weekly import cache_generation as generation
from tests import factories as f
from tests.conftest import NOW

pytestmark = pytest.mark.django_db

# Now is Tuesday 12 January 2021: the Thursday week of 7 January is open.
WEEK = Period(dt.date(2021, 1, 7))
ENGLAND = Scope.england()
# The England queries (cases, contacts, times, the staff's shifts and calls); on
# PostgreSQL with the memory setting's savepoint, set_config and release around them.
BLOCKS = 5 + 3 if connection.vendor == "postgresql" else 7
# A cached week's one query: the database's marker of the forgettings the cache
# missed (figures.weekly.forgotten_in_database), read before the cache.
MARKER = 1


def case_transferred(at: dt.datetime) -> None:
    f.CaseFactory(created_at=at)


@pytest.fixture(autouse=True)
def five_minutes(settings):
    settings.FIGURES_OPEN_WEEK_SECONDS = 300


def test_open_week_is_answered_from_the_cache_within_its_minutes(
    clock, django_assert_num_queries
):
    case_transferred(NOW - dt.timedelta(hours=1))
    assert weekly_figures(period=WEEK, scope=ENGLAND).cases.transferred == 1
    case_transferred(NOW)
    clock.shift(dt.timedelta(seconds=299))

    with django_assert_num_queries(MARKER):
        figures = weekly_figures(period=WEEK, scope=ENGLAND)

    assert figures.cases.transferred == 1


def test_open_week_is_counted_afresh_once_its_minutes_are_up(
    clock, django_assert_num_queries
):
    case_transferred(NOW - dt.timedelta(hours=1))
    assert weekly_figures(period=WEEK, scope=ENGLAND).cases.transferred == 1
    case_transferred(NOW)
    clock.shift(dt.timedelta(seconds=301))

    with django_assert_num_queries(MARKER + BLOCKS):
        figures = weekly_figures(period=WEEK, scope=ENGLAND)

    assert figures.cases.transferred == 2
    # ...and the fresh figures are what the next few minutes are answered with.
    with django_assert_num_queries(MARKER):
        assert weekly_figures(period=WEEK, scope=ENGLAND) == figures


def seconds_to_live(key: str) -> int:
    """How long Redis keeps the cache's entry."""
    location = settings.CACHES["default"]["LOCATION"]
    return redis.Redis.from_url(location).ttl(cache.make_key(key))


@pytest.fixture
def redis_cache(redis_url):
    """The cache is Redis (REDIS_URL set, as in CI), whose entries expire."""
    if not settings.CACHES["default"]["BACKEND"].endswith("RedisCache"):
        pytest.skip("the cache is Redis only when REDIS_URL is set")


def test_the_cache_entry_of_the_open_week_expires_with_its_minutes(clock, redis_cache):
    weekly_figures(period=WEEK, scope=ENGLAND)

    key = cache_key(WEEK, ENGLAND, generation(), open_week=True)
    assert 240 < seconds_to_live(key) <= 300


def test_a_closed_week_is_cached_for_a_day(clock, redis_cache):
    closed = WEEK.previous()
    weekly_figures(period=closed, scope=ENGLAND)

    key = cache_key(closed, ENGLAND, generation())
    assert CACHE_SECONDS == 24 * 3600
    assert CACHE_SECONDS - 60 < seconds_to_live(key) <= CACHE_SECONDS


def test_the_open_weeks_figures_are_not_taken_for_the_closed_weeks(
    clock, django_assert_num_queries
):
    case_transferred(NOW - dt.timedelta(hours=1))
    weekly_figures(period=WEEK, scope=ENGLAND)  # open: cached for five minutes
    case_transferred(NOW)
    # A minute after the week settled (72 hours after its last midnight): read afresh.
    clock.move_to(dt.datetime(2021, 1, 17, 0, 1, tzinfo=NOW.tzinfo))

    with django_assert_num_queries(MARKER + BLOCKS):
        figures = weekly_figures(period=WEEK, scope=ENGLAND)

    assert figures.cases.transferred == 2


def test_no_minutes_means_the_open_week_is_counted_on_every_call(
    clock, settings, django_assert_num_queries
):
    settings.FIGURES_OPEN_WEEK_SECONDS = 0
    weekly_figures(period=WEEK, scope=ENGLAND)
    case_transferred(NOW)

    with django_assert_num_queries(BLOCKS):
        figures = weekly_figures(period=WEEK, scope=ENGLAND)

    assert figures.cases.transferred == 1


def test_forgetting_the_cached_figures_forgets_the_open_week_too(
    clock, django_assert_num_queries
):
    weekly_figures(period=WEEK, scope=ENGLAND)
    case_transferred(NOW)
    forget_cached_figures()

    with django_assert_num_queries(MARKER + BLOCKS):
        figures = weekly_figures(period=WEEK, scope=ENGLAND)

    assert figures.cases.transferred == 1


def test_a_week_just_over_counts_its_last_day_reached_after_it(
    clock, django_assert_num_queries
):
    """The last week is the one read most. Cached for a week as soon as it was over,
    it kept the figures of its first minutes all week, when its last evening's
    cases could not yet have been reached: they never counted, within 24 hours or
    at all. Until 72 hours after its end it is cached for its minutes only."""
    last_evening = dt.datetime(2021, 1, 13, 22, 0, tzinfo=NOW.tzinfo)
    case = f.CaseFactory(created_at=last_evening)
    clock.move_to(dt.datetime(2021, 1, 14, 0, 2, tzinfo=NOW.tzinfo))
    assert weekly_figures(period=WEEK, scope=ENGLAND).cases.reached == 0

    type(case).objects.filter(pk=case.pk).update(
        status="reached",
        reached_at=last_evening + dt.timedelta(hours=10),
        reached_route="tier2",
    )
    clock.shift(dt.timedelta(hours=10))
    figures = weekly_figures(period=WEEK, scope=ENGLAND)
    assert (figures.cases.reached, figures.cases.within_24h) == (1, 1)

    # Settled 72 hours after its end: cached for a day at a time from then on.
    clock.move_to(dt.datetime(2021, 1, 17, 0, 1, tzinfo=NOW.tzinfo))
    weekly_figures(period=WEEK, scope=ENGLAND)
    clock.shift(dt.timedelta(hours=23))
    with django_assert_num_queries(MARKER):
        weekly_figures(period=WEEK, scope=ENGLAND)
