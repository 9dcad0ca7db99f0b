"""The trend charts (pages/figures/charts.py): SVG drawn on the server, checked as XML
on hand-made weeks, with no database."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from figures.weekly import (
    ROUTES,
    CaseFigures,
    ContactFigures,
    Period,
    RouteFigures,
    Scope,
    Spread,
    Times,
    WeekFigures,
)
from pages.figures import charts

SVG = "{http://www.w3.org/2000/svg}"
FIRST = Period(dt.date(2020, 11, 19))  # a Thursday; eight weeks to 13 January 2021
NO_TIME = Spread(None, None, 0)


def week(
    n: int,
    cases: dict[str, tuple[int, int]] | None = None,
    contacts: dict[str, tuple[int, int]] | None = None,
    scope: Scope | None = None,
) -> WeekFigures:
    """Week n after FIRST, with {route: (reached, within 24 h)} for cases and
    contacts (the other figures do not enter the charts)."""

    def routes(given: dict[str, tuple[int, int]] | None) -> dict[str, RouteFigures]:
        return {r: RouteFigures(*(given or {}).get(r, (0, 0))) for r in ROUTES}

    spread = dict.fromkeys(("under_24h", "24_48h", "48_72h", "over_72h"), 0)
    return WeekFigures(
        period=Period(FIRST.starts_on + dt.timedelta(days=7 * n)),
        scope=scope or Scope.england(),
        cases=CaseFigures(0, 0, None, 0, None, spread, 0, 0, routes(cases)),
        contacts=ContactFigures(0, 0, 0, None, 0, None, spread, routes(contacts), None),
        times=Times(NO_TIME, NO_TIME, NO_TIME),
        staff=[],
        computed_at=timezone.now(),
    )


def trend() -> list[WeekFigures]:
    """Eight weeks: cases reached by each route, growing; the first week nobody
    reached locally (no point there); contacts by route."""
    return [
        week(
            n,
            cases={
                "online": (10, 9),
                "tier2": (4 + n, 2),
                "tier3": (8, n),
                "local": (n, n // 2),
            },
            contacts={
                "online": (n, 0),
                "tier2": (2, 0),
                "tier3": (10 * n, 0),
                "local": (1, 0),
            },
        )
        for n in range(8)
    ]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # well-formed XML, or this raises
    assert root.tag == f"{SVG}svg"
    return root


def groups(root: ET.Element, cls: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == cls]


def test_the_cases_chart_has_a_point_a_week_on_each_route_and_its_table():
    chart = charts.cases_within_24h_chart(trend(), scope_label="England")
    root = parse(chart.svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 360 ")
    assert root.get("aria-labelledby") == "chart-cases-title"
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == "Cases reached within 24 hours, by route: England"
    desc = root.find(f"{SVG}desc")
    assert desc is not None
    assert "8 weeks from 19 November 2020 to 13 January 2021" in desc.text
    points = groups(root, "app-chart__point")
    per_route = {r: [p for p in points if p.get("data-series") == r] for r in ROUTES}
    # Every route has a point a week, but local in the first week (reached nobody).
    assert {r: len(p) for r, p in per_route.items()} == {
        "online": 8,
        "tier2": 8,
        "tier3": 8,
        "local": 7,
    }
    # The table beside it holds the same numbers, week by week.
    rows = chart.rows
    assert len(rows) == 8
    for w, values, total in rows:
        assert total is None
        for route, value in zip(ROUTES, values, strict=True):
            shown = {p.get("data-week"): p.get("data-value") for p in per_route[route]}
            if value is None:
                assert w.key not in shown
            else:
                assert shown[w.key] == f"{value:.1f}"
    # By hand: week 3, tier 2 reached 7, 2 within 24 h: 28.6%; tier 3 3 of 8: 37.5%.
    _, values, _ = rows[3]
    assert values == [90.0, 28.6, 37.5, 33.3]
    assert rows[0][1][3] is None
    assert rows[0][0].starts == "19 Nov 2020"


def test_a_gap_in_a_line_starts_it_again():
    chart = charts.cases_within_24h_chart(trend(), scope_label="England")
    root = parse(chart.svg)
    [local] = [
        g for g in groups(root, "app-chart__series") if g.get("data-series") == "local"
    ]
    path = local.find(f"{SVG}path")
    assert path is not None
    d = path.get("d", "")
    # One move to the first point (week 1), then a line to each of the six others.
    assert d.startswith("M")
    assert (d.count("M"), d.count("L")) == (1, 6)


def test_the_contacts_chart_has_a_bar_a_week_adding_up_to_its_total():
    chart = charts.contacts_reached_chart(trend(), scope_label="England")
    root = parse(chart.svg)
    assert root.find(f"{SVG}title").text == "Contacts reached, by route: England"
    bars = groups(root, "app-chart__bar")
    assert len(bars) == 8
    for bar, (w, values, total) in zip(bars, chart.rows, strict=True):
        assert bar.get("data-week") == w.key
        assert bar.get("data-total") == str(total)
        segments = {
            r.get("data-series"): float(r.get("data-value"))
            for r in bar.iter(f"{SVG}rect")
            if r.get("class") == "app-chart__segment"
        }
        # A route with none that week draws no segment.
        assert segments == {
            route: v for route, v in zip(ROUTES, values, strict=True) if v
        }
        assert sum(segments.values()) == total
    # By hand: week 7, online 7, tier 2 2, tier 3 70, local 1: 80.
    assert chart.rows[7][2] == 80
    assert chart.totals == (3, 14, 25, 36, 47, 58, 69, 80)


def test_the_bars_are_as_tall_as_their_numbers():
    chart = charts.contacts_reached_chart(trend(), scope_label="England")
    root = parse(chart.svg)
    bars = groups(root, "app-chart__bar")
    # The axis tops at 80 (the tallest bar, 80, over four steps: 20 each);
    # heights in proportion: a segment of 70 is 70/80 of the plot's 176 units.
    tier3 = [r for r in bars[7].iter(f"{SVG}rect") if r.get("data-series") == "tier3"]
    assert float(tier3[0].get("height")) == pytest.approx(176 * 70 / 80, abs=0.1)


def test_every_text_is_escaped():
    label = 'Team <b>"A" & B\'s</b> <script>alert(1)</script>'
    chart = charts.contacts_reached_chart(
        [week(0, scope=Scope("team", 1, label))], scope_label=label
    )
    root = parse(chart.svg)
    assert root.find(f"{SVG}title").text == f"Contacts reached, by route: {label}"
    assert "<script" not in chart.svg
    assert root.find(f".//{SVG}script") is None


def test_no_style_attribute_and_no_script():
    for make in (charts.cases_within_24h_chart, charts.contacts_reached_chart):
        chart = make(trend(), scope_label="England")
        root = parse(chart.svg)
        for element in root.iter():
            assert "style" not in element.attrib
            assert not any(a.startswith("on") for a in element.attrib)
            assert element.tag != f"{SVG}script"
        assert "http" not in chart.svg.replace("http://www.w3.org/2000/svg", "")


def test_colours_come_from_the_nhs_palette():
    palette = {
        charts.NHS_BLUE,
        charts.NHS_GREEN,
        charts.NHS_PURPLE,
        charts.NHS_DARK_PINK,
        charts.TEXT,
        charts.SECONDARY_TEXT,
        charts.GRID,
        charts.WHITE,
    }
    for make in (charts.cases_within_24h_chart, charts.contacts_reached_chart):
        root = parse(make(trend(), scope_label="England").svg)
        used = {
            element.get(attr)
            for element in root.iter()
            for attr in ("fill", "stroke")
            if element.get(attr) not in (None, "none")
        }
        assert used <= palette


def test_an_empty_trend_still_draws():
    empty = [week(n) for n in range(8)]
    cases = charts.cases_within_24h_chart(empty, scope_label="England")
    root = parse(cases.svg)
    assert groups(root, "app-chart__point") == []
    assert all(v is None for _, values, _ in cases.rows for v in values)
    contacts = charts.contacts_reached_chart(empty, scope_label="England")
    root = parse(contacts.svg)
    assert len(groups(root, "app-chart__bar")) == 8
    assert contacts.totals == (0,) * 8


@pytest.mark.parametrize(
    ("top", "axis"),
    [
        (0, (4, 1)),
        (3, (3, 1)),
        (7, (8, 2)),
        (10, (10, 5)),
        (80, (80, 20)),
        (81, (100, 50)),
        (1234, (1500, 500)),
    ],
)
def test_a_count_axis_has_round_steps(top, axis):
    assert charts.nice_axis(top) == axis
