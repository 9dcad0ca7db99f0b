"""The capacity page's tables by day list the 14 days the page is about, today to
13 days on, and each day listed opens its hours. Before, the forecast's 336 hours
from the current hour reached ten hours into a 15th day, listed as a day of its own
(its need a fraction of a day's, reading as a quiet day), and its link was refused:
"Choose a day of the next 14 days."."""
# The chart beside each table ("The table beside holds the same numbers by day")
# draws and describes the same 14 days' hours: it drew the 336 hours too, naming a
# 15th day under its axis and counting that day's short hours in its description
# ("Short in 196 hours" beside tables of 194).

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from tests.conftest import NOW

from .builders import LONDON, cases_arriving

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # Tuesday 12 January 2021, 10:00
LAST_DAY = TODAY + dt.timedelta(days=13)


def test_each_day_in_full_lists_the_fourteen_days_and_each_opens(client, lead, clock):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"))
    links = sorted(set(re.findall(r'href="\?day=(\d{4}-\d\d-\d\d)', page.text)))
    assert links[0] == TODAY.isoformat()
    assert links[-1] == LAST_DAY.isoformat()
    assert len(links) == 14
    beside = re.findall(r'data-day="(\d{4}-\d\d-\d\d)"', page.text)
    assert len(beside) == 2 * 14  # each tier's table beside its chart
    last = client.get(reverse("staffing:capacity"), {"day": links[-1]})
    assert "Choose a day of the next 14 days." not in last.text
    assert last.context["day"] == LAST_DAY
    assert 'data-hour="2021-01-25T23:00:00+00:00"' in last.text


def test_the_morning_past_the_fourteen_days_is_no_day_to_ask_for(client, lead, clock):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"), {"day": "2021-01-26"})
    assert "Choose a day of the next 14 days." in page.text
    assert 'href="?day=2021-01-26' not in page.text


SVG = "{http://www.w3.org/2000/svg}"


def charts(client):
    page = client.get(reverse("staffing:capacity"))
    assert page.status_code == 200
    return [chart for _gap, chart, _hours in page.context["sections"]]


def days_named_under_the_axis(chart) -> list[str]:
    """Each day named under the chart's x axis: its day of the month."""
    svg = ET.fromstring(str(chart.svg))
    axis = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "app-chart__axis")
    return [
        tspan.text
        for text in axis.iter(f"{SVG}text")
        if (tspan := text.find(f"{SVG}tspan")) is not None
    ]


def hours_drawn(chart) -> int:
    """The points of the staff-needed line: one an hour drawn."""
    svg = ET.fromstring(str(chart.svg))
    line = next(
        p for p in svg.iter(f"{SVG}path") if p.get("class") == "app-chart__needed"
    )
    return len(re.findall(r"[ML]", line.get("d")))


def short_hours_said(chart) -> int:
    said = re.search(r"Short in (\d+) hours", chart.description)
    assert said is not None, chart.description
    return int(said.group(1))


def test_the_chart_beside_each_table_draws_and_says_the_same_fourteen_days(
    client, lead, clock, settings
):
    settings.TRACING_CALLING_HOURS = {"opens": "00:00", "closes": "00:00"}
    cases_arriving([240] * 14, last_day=TODAY - dt.timedelta(days=1))
    client.force_login(lead.user)

    for chart in charts(client):
        assert [d.day for d in chart.days][-1] == LAST_DAY
        # Today from 10:00, then 13 whole days: no 26 January under the axis.
        assert days_named_under_the_axis(chart) == [
            str(d.day.day) for d in chart.days
        ], chart.id
        assert hours_drawn(chart) == 14 + 13 * 24
        assert "for the next 14 days" in chart.description
        # The rota is empty: each hour needing staff is short, the 15th day's
        # mornings too, which no table lists.
        assert short_hours_said(chart) == sum(d.short for d in chart.days) > 0


SPRING_MIDNIGHT = dt.datetime(2021, 3, 21, tzinfo=LONDON)  # clocks go on the 28th


@pytest.mark.now(SPRING_MIDNIGHT)
def test_at_midnight_before_the_clocks_go_forward_the_chart_stops_with_the_tables(
    client, lead, clock, settings
):
    """From midnight the 14 days hold 335 hours (28 March has 23): the 336th is the
    first of a 15th day, short like every hour of an empty rota when cases arrive
    at any hour."""
    settings.TRACING_CALLING_HOURS = {"opens": "00:00", "closes": "00:00"}
    cases_arriving(
        [240] * 14,
        last_day=SPRING_MIDNIGHT.date() - dt.timedelta(days=1),
        hours=range(24),
    )
    client.force_login(lead.user)

    for chart in charts(client):
        listed = [d.day for d in chart.days]
        assert listed[-1] == dt.date(2021, 4, 3)
        table_hours = sum(d.short + d.about_right + d.over for d in chart.days)
        assert table_hours == 335
        assert hours_drawn(chart) == 335, chart.id
        assert short_hours_said(chart) == sum(d.short for d in chart.days), (
            chart.description
        )
        worst = re.search(r"Most short at \w+ (\d+ \w+)", chart.description)
        assert worst is not None, chart.description
        assert worst.group(1) in {f"{d.day} {d:%b}" for d in listed}
