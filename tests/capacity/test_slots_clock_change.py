"""The open slots published for a gap are the gap's own hours, on the nights the clocks
change too: the confirm page's hours are the hours published.

Before, a slot starting in the hour the clocks go back (the second 01:00, GMT, on
31 October 2027) was published from the first 01:00 (BST): the confirm page said
01:00 to 05:00, four hours, and the slot published was five."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from figures import capacity as cap
from figures import capacity_publish, capacity_selectors
from figures import capacity_slots as slots_of
from staffing.models import Shift, Tier

from .builders import LONDON

pytestmark = pytest.mark.django_db

SPRING = dt.date(2027, 3, 28)  # a Sunday: 01:00 GMT is 02:00 BST
AUTUMN = dt.date(2027, 10, 31)  # a Sunday: 02:00 BST is 01:00 GMT
ORDINARY = dt.date(2027, 6, 13)  # a Sunday in summer time, no clock change
TOLERANCE = 0.15


def noon_the_day_before(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), LONDON)


def utc(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def in_utc(*moments: dt.datetime) -> tuple[dt.datetime, ...]:
    """Moments in UTC: a time in the hour the clocks go back never equals one of
    another zone (PEP 495), whatever moment it names."""
    return tuple(m.astimezone(dt.UTC) for m in moments)


def short_from(start: dt.datetime, hours: int) -> cap.TierGap:
    """Tier 2 short by three people for `hours` hours from `start`, none booked."""
    needed = (3.0,) * hours
    zeros = (0.0,) * hours
    forecast = cap.TierForecast(
        tier=Tier.CLINICAL,
        kind="case",
        items=zeros,
        items_low=zeros,
        items_high=zeros,
        calls=zeros,
        staff_hours=zeros,
        needed=needed,
        needed_low=needed,
        needed_high=needed,
        escalations=zeros,
        minutes_per_call=20,
        attempts_per_item=1.5,
    )
    return cap.tier_gap(
        forecast,
        hours=cap.hour_starts(start, hours),
        booked=list(zeros),
        open_slots=None,
        tolerance=TOLERANCE,
    )


@pytest.fixture
def england_short_from(monkeypatch):
    """England's capacity as the capacity page reads it, its tier 2 gap the one
    given (the forecast from a history is tested elsewhere)."""

    def short(start: dt.datetime, hours: int) -> None:
        gap = short_from(start, hours)
        monkeypatch.setattr(
            capacity_selectors,
            "capacity",
            lambda *, now, local_team=None: SimpleNamespace(
                tiers={Tier.CLINICAL: gap}, tolerance=TOLERANCE
            ),
        )

    return short


def confirm_and_publish(lead, day: dt.date) -> tuple[list, list[Shift]]:
    """What the confirm page shows for the day's gap, then the slots its confirm
    publishes."""
    now = timezone.now()
    days = {"first_day": day, "last_day": day}
    shown = capacity_publish.gap_slots_now(Tier.CLINICAL, **days, now=now)
    published = capacity_publish.gap_slots_publish(
        team=lead.team,
        tier=Tier.CLINICAL,
        **days,
        digest=slots_of.slots_digest(shown),
        by=lead.user,
        now=now,
    )
    assert published is not None
    return shown, list(Shift.objects.filter(team=lead.team).order_by("pk"))


@pytest.mark.now(noon_the_day_before(AUTUMN))
def test_a_gap_in_the_hour_the_clocks_go_back_publishes_the_hours_shown(
    clock, lead, england_short_from
):
    # 01:00 to 05:00 GMT: from the second 01:00 on the clock, four hours.
    england_short_from(utc(AUTUMN, 1), 4)

    shown, published = confirm_and_publish(lead, AUTUMN)

    (slot,) = shown
    assert in_utc(slot.starts, slot.ends) == (utc(AUTUMN, 1), utc(AUTUMN, 5))
    assert slot.hours == 4
    assert [(s.starts_at, s.ends_at) for s in published] == [
        (utc(AUTUMN, 1), utc(AUTUMN, 5))
    ] * 3
    assert [s.hours for s in published] == [4, 4, 4]


@pytest.mark.now(noon_the_day_before(AUTUMN))
def test_a_gap_ending_in_the_hour_the_clocks_go_back_publishes_the_hours_shown(
    clock, lead, england_short_from
):
    # Midnight (BST, 23:00 UTC the day before) to 01:00 GMT, the second 01:00 on
    # the clock: two hours, the clock's face says one.
    england_short_from(utc(AUTUMN, 0) - dt.timedelta(hours=1), 2)

    shown, published = confirm_and_publish(lead, AUTUMN)

    assert [(*in_utc(s.starts, s.ends), s.hours) for s in shown] == [
        (utc(AUTUMN, 0) - dt.timedelta(hours=1), utc(AUTUMN, 1), 2)
    ]
    assert {(s.starts_at, s.ends_at, s.hours) for s in published} == {
        (utc(AUTUMN, 0) - dt.timedelta(hours=1), utc(AUTUMN, 1), 2)
    }


@pytest.mark.now(noon_the_day_before(SPRING))
def test_a_gap_across_the_hour_the_clocks_go_forward_publishes_the_hours_shown(
    clock, lead, england_short_from
):
    # 00:00 GMT to 04:00 BST (03:00 UTC): three hours, the clock's face says four.
    england_short_from(utc(SPRING, 0), 3)

    shown, published = confirm_and_publish(lead, SPRING)

    (slot,) = shown
    assert in_utc(slot.starts, slot.ends) == (utc(SPRING, 0), utc(SPRING, 3))
    assert slot.hours == 3
    assert {(s.starts_at, s.ends_at, s.hours) for s in published} == {
        (utc(SPRING, 0), utc(SPRING, 3), 3)
    }
    assert len(published) == 3


@pytest.mark.now(noon_the_day_before(ORDINARY))
def test_a_gap_on_an_ordinary_night_publishes_the_hours_shown(
    clock, lead, england_short_from
):
    # 01:00 to 05:00 BST is 00:00 to 04:00 UTC.
    england_short_from(utc(ORDINARY, 0), 4)

    shown, published = confirm_and_publish(lead, ORDINARY)

    (slot,) = shown
    assert (slot.starts.hour, slot.ends.hour, slot.hours) == (1, 5, 4)
    assert {(s.starts_at, s.ends_at, s.hours) for s in published} == {
        (utc(ORDINARY, 0), utc(ORDINARY, 4), 4)
    }
    assert len(published) == 3
