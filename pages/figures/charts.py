"""Trend charts drawn on the server as SVG: plain string building, no chart library,
no script, nothing from a CDN.

Each chart is an inline `<svg role="img">` named by its `<title>` and described by its
`<desc>` (what a screen reader announces), sized by its viewBox to the width of its
column so it reads on a 375 px phone. Colours are the NHS.UK palette's, given as
presentation attributes (`fill`, `stroke`): the Content-Security-Policy refuses style
attributes. Colour is never the only cue: each route's line has its own marker and
dash, and the legend names them. Beside each chart the page shows the same numbers in
a table (`Chart.rows`), the way to read them without seeing the chart.

Every text put into the SVG goes through `_esc` (XML escaping, quotes included), so
an area or team name cannot break out of an attribute or an element.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from django.utils.safestring import SafeString, mark_safe

from figures.weekly import ROUTES, WeekFigures

SVG_NS = "http://www.w3.org/2000/svg"

# The NHS.UK palette, each at least 3:1 against white (WCAG 1.4.11, non-text contrast).
NHS_BLUE = "#005eb8"
NHS_GREEN = "#007f3b"
NHS_PURPLE = "#330072"
NHS_DARK_PINK = "#7c2855"
TEXT = "#212b32"
SECONDARY_TEXT = "#4c6272"
GRID = "#d8dde0"
WHITE = "#ffffff"

ROUTE_LABELS = {
    "online": "Online",
    "tier2": "Call centre, tier 2 (clinical)",
    "tier3": "Call centre, tier 3 (call handlers)",
    "local": "Local teams",
}
ROUTE_SHORT = {
    "online": "Online",
    "tier2": "Tier 2",
    "tier3": "Tier 3",
    "local": "Local",
}
ROUTE_COLOURS = {
    "online": NHS_GREEN,
    "tier2": NHS_BLUE,
    "tier3": NHS_PURPLE,
    "local": NHS_DARK_PINK,
}
ROUTE_MARKERS = {
    "online": "circle",
    "tier2": "square",
    "tier3": "triangle",
    "local": "diamond",
}
ROUTE_DASHES = {"online": "", "tier2": "6 3", "tier3": "2 3", "local": "8 3 2 3"}

# The drawing's own units (the viewBox): narrow enough that, at a phone's width, its
# 13-unit text is about 12 px.
WIDTH = 360
LEFT, RIGHT, TOP = 44, 8, 12
PLOT_HEIGHT = 176
AXIS_LABELS = 32  # two lines under the plot: the day, then the month
LEGEND_ROW = 20
FONT = "Frutiger W01, Arial, sans-serif"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    short: str
    colour: str
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class Week:
    """One week on the x axis: its key ("2021-01-07", "2021-W01"), the day and month
    it starts on (the axis label), its first day (the table's row heading) and its
    words (the points' tooltips)."""

    key: str
    day: str
    month: str
    starts: str  # "7 Jan 2021"
    label: str


@dataclass(frozen=True)
class Chart:
    id: str
    title: str  # the SVG's title: the heading and the scope
    description: str  # the SVG's desc: the chart in words, the latest week's numbers
    heading: str  # shown above the chart
    caption: str  # what is counted, shown under the heading
    unit: str  # "%" or ""
    weeks: tuple[Week, ...]
    series: tuple[Series, ...]
    svg: SafeString
    totals: tuple[int, ...] | None = None

    @property
    def rows(self) -> list[tuple[Week, list[float | None], int | None]]:
        """The table beside the chart: per week, each series' value (and the total
        of a stacked chart)."""
        return [
            (
                week,
                [s.values[i] for s in self.series],
                self.totals[i] if self.totals is not None else None,
            )
            for i, week in enumerate(self.weeks)
        ]


def _esc(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate: at most one decimal place, no trailing zero."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _attrs(**attrs: object) -> str:
    """Attributes in order, escaped; a None or empty value is left out; a trailing
    underscore is dropped and other underscores become hyphens (stroke_width)."""
    parts = []
    for name, value in attrs.items():
        if value is None or value == "":
            continue
        parts.append(f'{name.rstrip("_").replace("_", "-")}="{_esc(value)}"')
    return " ".join(parts)


def _el(tag: str, body: str = "", **attrs: object) -> str:
    opening = f"{tag} {_attrs(**attrs)}".rstrip()
    return f"<{opening}>{body}</{tag}>" if body else f"<{opening}/>"


def pct(part: int, whole: int) -> float | None:
    """part of whole as a percentage to one decimal place; None when whole is 0."""
    return round(100 * part / whole, 1) if whole else None


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "not applicable"
    if unit == "%":
        return f"{value:.1f}%"
    return f"{value:,.0f}"


def nice_axis(top: float) -> tuple[float, float]:
    """A rounded top for a count axis, and its step (1, 2 or 5 times a power of ten,
    at least 1: counts are whole), with at most four steps."""
    if top <= 0:
        return 4.0, 1.0
    raw = top / 4
    power = 10.0 ** math.floor(math.log10(raw))
    step = max(1.0, next(m * power for m in (1, 2, 5, 10) if m * power >= raw))
    return step * math.ceil(top / step), step


# --- the pieces every chart shares ------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    weeks: int
    legend_rows: int

    @property
    def plot_width(self) -> float:
        return WIDTH - LEFT - RIGHT

    @property
    def band(self) -> float:
        return self.plot_width / max(self.weeks, 1)

    @property
    def height(self) -> int:
        return TOP + PLOT_HEIGHT + AXIS_LABELS + 8 + LEGEND_ROW * self.legend_rows

    def x(self, i: int) -> float:
        """The middle of week i's band."""
        return LEFT + (i + 0.5) * self.band

    def y(self, value: float, top: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - value / top) if top else TOP + PLOT_HEIGHT


def _open(chart_id: str, title: str, description: str, frame: _Frame) -> str:
    return (
        f"<svg {_attrs(xmlns=SVG_NS, viewBox=f'0 0 {WIDTH} {frame.height}', width='100%', role='img', focusable='false', aria_labelledby=f'{chart_id}-title', aria_describedby=f'{chart_id}-desc', class_='app-chart__svg', font_family=FONT)}>"
        + _el("title", _esc(title), id=f"{chart_id}-title")
        + _el("desc", _esc(description), id=f"{chart_id}-desc")
    )


def _y_axis(ticks: Sequence[float], top: float, frame: _Frame, unit: str) -> str:
    out = []
    for tick in ticks:
        y = _n(frame.y(tick, top))
        out.append(
            _el(
                "line",
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y1=y,
                y2=y,
                stroke=TEXT if tick == 0 else GRID,
                stroke_width=1,
            )
        )
        label = f"{tick:.0f}%" if unit == "%" else f"{tick:,.0f}"
        out.append(
            _el(
                "text",
                _esc(label),
                x=LEFT - 6,
                y=_n(frame.y(tick, top) + 4),
                text_anchor="end",
                font_size=13,
                fill=SECONDARY_TEXT,
            )
        )
    return _el("g", "".join(out), class_="app-chart__axis")


def _x_axis(weeks: Sequence[Week], frame: _Frame) -> str:
    out = []
    base = TOP + PLOT_HEIGHT
    for i, week in enumerate(weeks):
        x = _n(frame.x(i))
        out.append(
            _el(
                "text",
                _el("tspan", _esc(week.day), x=x, dy=0)
                + _el("tspan", _esc(week.month), x=x, dy=14),
                x=x,
                y=base + 15,
                text_anchor="middle",
                font_size=13,
                fill=SECONDARY_TEXT,
            )
        )
    return _el("g", "".join(out), class_="app-chart__axis")


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "square":
        return _el("rect", x=_n(x - 4), y=_n(y - 4), width=8, height=8, fill=colour)
    if kind == "triangle":
        points = f"{_n(x)},{_n(y - 5)} {_n(x + 5)},{_n(y + 4)} {_n(x - 5)},{_n(y + 4)}"
        return _el("polygon", points=points, fill=colour)
    if kind == "diamond":
        points = f"{_n(x)},{_n(y - 5)} {_n(x + 5)},{_n(y)} {_n(x)},{_n(y + 5)} {_n(x - 5)},{_n(y)}"
        return _el("polygon", points=points, fill=colour)
    # The circle (online, drawn first) is the largest: where lines meet, its rim
    # still shows round the marker drawn over it.
    return _el("circle", cx=_n(x), cy=_n(y), r=6, fill=colour)


def _legend(series: Sequence[Series], frame: _Frame, *, lines: bool) -> str:
    """Two entries a row under the axis labels, each a sample and a short name."""
    out = []
    column = (WIDTH - LEFT) / 2
    top = TOP + PLOT_HEIGHT + AXIS_LABELS + 8
    for i, s in enumerate(series):
        x = LEFT + (i % 2) * column
        y = top + (i // 2) * LEGEND_ROW + 10
        if lines:
            sample = _el(
                "line",
                x1=_n(x),
                x2=_n(x + 24),
                y1=_n(y),
                y2=_n(y),
                stroke=s.colour,
                stroke_width=2,
                stroke_dasharray=ROUTE_DASHES.get(s.key, ""),
            ) + _marker(ROUTE_MARKERS.get(s.key, "circle"), x + 12, y, s.colour)
        else:
            sample = _el(
                "rect", x=_n(x + 4), y=_n(y - 7), width=16, height=14, fill=s.colour
            )
        text = _el(
            "text",
            _esc(s.short),
            x=_n(x + 30),
            y=_n(y + 4),
            font_size=13,
            fill=TEXT,
        )
        out.append(_el("g", sample + text, class_="app-chart__key"))
    return _el("g", "".join(out), class_="app-chart__legend")


# --- the two kinds of chart -------------------------------------------------------------


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    weeks: Sequence[Week],
    series: Sequence[Series],
) -> SafeString:
    """Percentages (0 to 100) as a line per series with a marker per week; a week
    with no value (None) leaves a gap in its line."""
    frame = _Frame(weeks=len(weeks), legend_rows=math.ceil(len(series) / 2))
    top = 100.0
    parts = [
        _open(chart_id, title, description, frame),
        _y_axis((0, 25, 50, 75, 100), top, frame, "%"),
        _x_axis(weeks, frame),
    ]
    for s in series:
        path: list[str] = []
        pen_down = False
        points = []
        for i, value in enumerate(s.values):
            if value is None:
                pen_down = False
                continue
            x, y = frame.x(i), frame.y(min(max(value, 0.0), top), top)
            path.append(f"{'L' if pen_down else 'M'}{_n(x)} {_n(y)}")
            pen_down = True
            points.append(
                _el(
                    "g",
                    _el(
                        "title",
                        _esc(
                            f"{s.label}, {weeks[i].label}: {format_value(value, '%')}"
                        ),
                    )
                    + _marker(ROUTE_MARKERS.get(s.key, "circle"), x, y, s.colour),
                    class_="app-chart__point",
                    data_series=s.key,
                    data_week=weeks[i].key,
                    data_value=f"{value:.1f}",
                )
            )
        line = (
            _el(
                "path",
                d=" ".join(path),
                fill="none",
                stroke=s.colour,
                stroke_width=2,
                stroke_dasharray=ROUTE_DASHES.get(s.key, ""),
                stroke_linejoin="round",
            )
            if path
            else ""
        )
        parts.append(
            _el(
                "g",
                line + "".join(points),
                class_="app-chart__series",
                data_series=s.key,
            )
        )
    parts.append(_legend(series, frame, lines=True))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it went through _esc


def _compact(n: int) -> str:
    return f"{n:,}" if n < 10_000 else f"{n / 1000:.0f}k"


def stacked_bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    weeks: Sequence[Week],
    series: Sequence[Series],
) -> SafeString:
    """Counts as one bar a week, stacked by series, with the week's total above."""
    frame = _Frame(weeks=len(weeks), legend_rows=math.ceil(len(series) / 2))
    totals = [int(sum(s.values[i] or 0 for s in series)) for i in range(len(weeks))]
    top, step = nice_axis(max(totals, default=0))
    ticks = [step * k for k in range(round(top / step) + 1)]
    parts = [
        _open(chart_id, title, description, frame),
        _y_axis(ticks, top, frame, ""),
        _x_axis(weeks, frame),
    ]
    bar_width = min(28.0, frame.band * 0.7)
    for i, week in enumerate(weeks):
        x = frame.x(i) - bar_width / 2
        base = 0.0
        segments = []
        for s in series:
            value = s.values[i] or 0
            if value <= 0:
                continue
            y_top, y_bottom = frame.y(base + value, top), frame.y(base, top)
            segments.append(
                _el(
                    "rect",
                    _el("title", _esc(f"{s.label}, {week.label}: {value:,.0f}")),
                    x=_n(x),
                    y=_n(y_top),
                    width=_n(bar_width),
                    height=_n(y_bottom - y_top),
                    fill=s.colour,
                    stroke=WHITE,
                    stroke_width=1,
                    class_="app-chart__segment",
                    data_series=s.key,
                    data_value=f"{value:.0f}",
                )
            )
            base += value
        label = _el(
            "text",
            _esc(_compact(totals[i])),
            x=_n(frame.x(i)),
            y=_n(frame.y(totals[i], top) - 4),
            text_anchor="middle",
            font_size=11,
            fill=TEXT,
        )
        parts.append(
            _el(
                "g",
                "".join(segments) + label,
                class_="app-chart__bar",
                data_week=week.key,
                data_total=totals[i],
            )
        )
    parts.append(_legend(series, frame, lines=False))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every text in it went through _esc


# --- the page's two trends, from weekly_trend(...) -------------------------------------


def _weeks(trend: Sequence[WeekFigures]) -> tuple[Week, ...]:
    return tuple(
        Week(
            key=w.period.key,
            day=str(w.period.starts_on.day),
            month=w.period.starts_on.strftime("%b"),
            starts=f"{w.period.starts_on.day} {w.period.starts_on:%b %Y}",
            label=w.period.label,
        )
        for w in trend
    )


def _date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _span(trend: Sequence[WeekFigures]) -> str:
    if not trend:
        return "no weeks"
    first, last = trend[0].period, trend[-1].period
    return f"{len(trend)} weeks from {_date(first.starts_on)} to {_date(last.ends_on)}"


def _latest(series: Sequence[Series], unit: str) -> str:
    return "; ".join(
        f"{s.label} {format_value(s.values[-1], unit)}" for s in series if s.values
    )


def cases_within_24h_chart(
    trend: Sequence[WeekFigures], *, scope_label: str, chart_id: str = "chart-cases"
) -> Chart:
    """Of the cases each route reached, the share reached within 24 hours of being
    transferred, week by week: a line per route."""
    weeks = _weeks(trend)
    series = tuple(
        Series(
            key=route,
            label=ROUTE_LABELS[route],
            short=ROUTE_SHORT[route],
            colour=ROUTE_COLOURS[route],
            values=tuple(
                pct(
                    w.cases.by_route[route].within_24h,
                    w.cases.by_route[route].reached,
                )
                for w in trend
            ),
        )
        for route in ROUTES
    )
    heading = "Cases reached within 24 hours, by route"
    title = f"{heading}: {scope_label}"
    description = (
        f"A line chart, one line a route, one point a week, {_span(trend)}: of the "
        "cases each route reached, the percentage reached within 24 hours of being "
        "transferred. A route that reached nobody that week has no point. "
        f"Latest week: {_latest(series, '%')}."
    )
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        heading=heading,
        caption="Of the cases each route reached, the percentage reached within 24 "
        "hours of being transferred.",
        unit="%",
        weeks=weeks,
        series=series,
        svg=line_chart(
            chart_id=chart_id,
            title=title,
            description=description,
            weeks=weeks,
            series=series,
        ),
    )


def contacts_reached_chart(
    trend: Sequence[WeekFigures], *, scope_label: str, chart_id: str = "chart-contacts"
) -> Chart:
    """Contacts identified each week and reached, by the route that reached them: a
    bar a week, stacked by route."""
    weeks = _weeks(trend)
    series = tuple(
        Series(
            key=route,
            label=ROUTE_LABELS[route],
            short=ROUTE_SHORT[route],
            colour=ROUTE_COLOURS[route],
            values=tuple(float(w.contacts.by_route[route].reached) for w in trend),
        )
        for route in ROUTES
    )
    totals = tuple(
        sum(w.contacts.by_route[route].reached for route in ROUTES) for w in trend
    )
    heading = "Contacts reached, by route"
    title = f"{heading}: {scope_label}"
    description = (
        f"A bar chart, one bar a week, {_span(trend)}, each bar split by the route "
        "that reached the contacts identified that week. "
        f"Latest week: {_latest(series, '')}"
        + (f"; {totals[-1]:,} in all." if totals else ".")
    )
    return Chart(
        id=chart_id,
        title=title,
        description=description,
        heading=heading,
        caption="The contacts identified each week who have been reached, by the "
        "route that reached them.",
        unit="",
        weeks=weeks,
        series=series,
        svg=stacked_bar_chart(
            chart_id=chart_id,
            title=title,
            description=description,
            weeks=weeks,
            series=series,
        ),
        totals=totals,
    )
