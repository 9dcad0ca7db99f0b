"""Slots published on the night the clocks change count the hours that pass, not the
hours on the clock's face: 00:00 to 08:00 is 7 hours when the clocks go forward and
9 when they go back (before, 8 both times, and the capacity page's "Published N open
slots (X hours)" said so)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from staffing.models import Shift
from staffing.services import SlotPlan, shifts_publish

from .builders import LONDON, at, cases_arriving

pytestmark = pytest.mark.django_db

SPRING = dt.date(2027, 3, 28)  # a Sunday: 01:00 GMT is 02:00 BST
AUTUMN = dt.date(2027, 10, 31)  # a Sunday: 02:00 BST is 01:00 GMT


def noon_the_day_before(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), LONDON)


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        pytest.param(SPRING, 7, marks=pytest.mark.now(noon_the_day_before(SPRING))),
        pytest.param(AUTUMN, 9, marks=pytest.mark.now(noon_the_day_before(AUTUMN))),
    ],
    ids=["clocks forward", "clocks back"],
)
def test_a_slot_from_midnight_to_eight_counts_the_hours_that_pass(
    clock, lead, day, hours
):
    plan = SlotPlan(
        first_day=day,
        last_day=day,
        weekdays=frozenset({day.weekday()}),
        starts=dt.time(0),
        ends=dt.time(8),
        count=2,
    )

    published = shifts_publish(team=lead.team, plan=plan, by=lead.user)

    assert [s.hours for s in published] == [hours, hours]
    # The same slots read back from the database, their times in UTC.
    assert [s.hours for s in Shift.objects.filter(team=lead.team)] == [hours, hours]
    assert (published[0].starts_at, published[0].ends_at) == (at(day, 0), at(day, 8))


def published_message(response) -> str:
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    return message


@pytest.mark.parametrize(
    "day",
    [
        pytest.param(SPRING, marks=pytest.mark.now(noon_the_day_before(SPRING))),
        pytest.param(AUTUMN, marks=pytest.mark.now(noon_the_day_before(AUTUMN))),
    ],
    ids=["clocks forward", "clocks back"],
)
def test_the_published_message_gives_the_hours_the_preview_showed(
    clock, client, lead, day, settings
):
    """Work arriving around the clock and called at any hour, no one booked: the
    whole of the night the clocks change is short (23 or 25 hours), and the hours the
    supervisor is told were published are those the preview offered."""
    settings.TRACING_CALLING_HOURS = {"opens": "00:00", "closes": "00:00"}
    cases_arriving([240] * 14, last_day=day - dt.timedelta(days=2), hours=range(24))
    client.force_login(lead.user)
    days = {"first_day": day.isoformat(), "last_day": day.isoformat()}
    page = client.post(reverse("staffing:capacity_slots"), days)
    offered = page.context["slot_hours"]
    slots = page.context["slots"]
    # The day's first slots start at midnight and are cut across the clock change.
    assert slots[0].starts == at(day, 0)
    assert slots[0].end_time != dt.time(int(slots[0].hours))

    done = client.post(
        reverse("staffing:capacity_slots"),
        {**days, "plan": page.context["digest"], "confirm": "1"},
    )

    assert done.status_code == 302
    said = re.search(
        r"Published (\d+) open slots \(([\d.]+) hours\)", published_message(done)
    )
    assert said is not None
    assert int(said[1]) == page.context["slot_count"]
    assert float(said[2]) == pytest.approx(offered)
    assert float(said[2]) == pytest.approx(
        sum(s.hours for s in Shift.objects.filter(team=lead.team))
    )
