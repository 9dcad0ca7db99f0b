"""The capacity chart: an SVG drawn on the server, named and described for a screen
reader, its short hours marked, every text escaped, no style attribute."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from figures import capacity as cap
from pages.staff.capacity_chart import capacity_chart
from staffing.models import Tier

from .builders import at

DAY = dt.date(2021, 1, 13)
SVG = "{http://www.w3.org/2000/svg}"


def gap(booked: list[float] | None) -> cap.TierGap:
    needed = tuple([0.0] * 8 + [6.0] * 12 + [0.0] * 28)
    zeros = tuple(0.0 for _ in needed)
    forecast = cap.TierForecast(
        tier=Tier.CLINICAL,
        kind="case",
        items=zeros,
        items_low=zeros,
        items_high=zeros,
        calls=zeros,
        staff_hours=zeros,
        needed=needed,
        needed_low=tuple(n * 0.8 for n in needed),
        needed_high=tuple(n * 1.25 for n in needed),
        escalations=zeros,
        minutes_per_call=20,
        attempts_per_item=1.5,
    )
    return cap.tier_gap(
        forecast,
        hours=cap.hour_starts(at(DAY, 0), len(needed)),
        booked=booked,
        open_slots=None,
        tolerance=0.15,
    )


def test_the_chart_marks_the_short_hours_and_names_the_worst():
    booked = [0.0] * 8 + [6.0] * 8 + [2.0] * 4 + [0.0] * 28
    chart = capacity_chart(gap(booked), scope="England")
    svg = ET.fromstring(str(chart.svg))
    (short,) = [
        r for r in svg.iter(f"{SVG}rect") if r.get("class") == "app-chart__short"
    ]
    assert short.get("data-hours") == "4"
    assert short.get("data-from") == at(DAY, 16).astimezone(dt.UTC).isoformat()
    assert "Short in 4 hours" in chart.description
    assert "Most short at Wed 13 Jan 16:00: 6.0 needed, 2.0 booked" in chart.description
    assert svg.find(f"{SVG}title").text == (
        "Tier 2: cases: staff needed and booked, by the hour, England"
    )
    assert "style=" not in str(chart.svg)
    assert [d.day for d in chart.days] == [DAY, DAY + dt.timedelta(days=1)]


def test_a_local_teams_chart_draws_no_rota_against_the_need():
    chart = capacity_chart(gap(None), scope="Sheffield")
    assert "app-chart__booked" not in chart.svg
    assert "app-chart__short" not in chart.svg
    assert "is not drawn against it" in chart.description


def test_a_teams_name_cannot_break_out_of_the_svg():
    chart = capacity_chart(gap(None), scope='<script>alert("x")</script>')
    assert "<script>" not in chart.svg
    ET.fromstring(str(chart.svg))  # still well-formed
