"""The capacity page's chart: the staff needed each hour of the next 14 days, with
its interval, against the staff booked, drawn on the server as SVG the way the
figures' charts are (pages/figures/charts.py: plain strings, presentation attributes
only, every text escaped, a title and a description for screen readers, the same
numbers in a table beside it).

Colour is never the only cue: the need is a solid line, the booked staff a dashed
stepped line, the interval a pale band, and the short and over-staffed hours are bars
at the foot and the head of the plot, each named in the legend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from figures.capacity import OVER, SHORT, DayGap, HourGap, TierGap
from pages.figures.charts import (
    FONT,
    GRID,
    NHS_BLUE,
    NHS_GREEN,
    SECONDARY_TEXT,
    SVG_NS,
    TEXT,
    _attrs,
    _el,
    _esc,
    _n,
    nice_axis,
)

NHS_RED = "#d5281b"
NHS_GREY = "#4c6272"
PALE_BLUE = "#c7dff3"  # the interval: a band behind the lines, not text

WIDTH = 360
LEFT, RIGHT, TOP = 40, 8, 14
PLOT_HEIGHT = 170
AXIS_LABELS = 30
LEGEND_ROW = 18
MARK = 5  # the height of a short or over-staffed hour's bar


@dataclass(frozen=True)
class CapacityChart:
    id: str
    heading: str
    title: str
    description: str
    svg: SafeString
    days: list[DayGap]


def _moment(h: HourGap) -> str:
    local = h.local
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def _runs(hours: tuple[HourGap, ...], state: str) -> list[tuple[int, int]]:
    """Runs of consecutive hours in a state, as [first, last) indexes."""
    runs, start = [], None
    for i, h in enumerate(hours):
        if h.state == state and start is None:
            start = i
        elif h.state != state and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(hours)))
    return runs


def _describe(
    gap: TierGap, hours: tuple[HourGap, ...], days: list[DayGap], scope: str
) -> str:
    needed = sum(h.needed for h in hours)
    text = (
        f"A line chart of the staff needed on shift each hour for the next "
        f"{len(days)} days, {gap.label.lower()}, {scope}, with its 80% "
        f"interval as a band: {needed:,.0f} staff-hours in all."
    )
    if not gap.gap_known:
        return text + " The rota is England's, so it is not drawn against it."
    booked = sum(h.booked for h in hours)
    short = [h for h in hours if h.state == SHORT]
    over = sum(1 for h in hours if h.state == OVER)
    text += (
        f" A stepped line shows the staff booked: {booked:,.0f} staff-hours. "
        f"Short in {len(short)} hours, over-staffed in {over}."
    )
    if short:
        worst = max(short, key=lambda h: h.short_by)
        text += (
            f" Most short at {_moment(worst)}: {worst.needed:.1f} needed, "
            f"{worst.booked:.1f} booked."
        )
    return text


def capacity_chart(gap: TierGap, *, scope: str) -> CapacityChart:
    """The chart and its daily table for one tier's next 14 days: the chart draws
    and describes the hours of the days the table lists (TierGap.days_hours), not
    the forecast's 336 hours, which reach into a 15th day no table lists."""
    hours = gap.days_hours()
    days = gap.days()
    chart_id = f"chart-tier{gap.tier}"
    heading = f"{gap.label}: staff needed and booked, by the hour"
    title = f"{heading}, {scope}"
    description = _describe(gap, hours, days, scope)
    legend = [
        ("line", NHS_BLUE, "", "Staff needed"),
        ("band", PALE_BLUE, "", "80% interval"),
    ]
    if gap.gap_known:
        legend += [
            ("line", NHS_GREEN, "5 3", "Staff booked"),
            ("bar", NHS_RED, "", "Short hours (foot)"),
            ("bar", NHS_GREY, "", "Over-staffed (top)"),
        ]
    rows = math.ceil(len(legend) / 2)
    height = TOP + PLOT_HEIGHT + AXIS_LABELS + 6 + LEGEND_ROW * rows
    plot_width = WIDTH - LEFT - RIGHT
    band = plot_width / max(len(hours), 1)
    peak = max(
        [h.needed_high for h in hours] + [h.booked for h in hours] + [1.0], default=1.0
    )
    top, step = nice_axis(peak)
    base = TOP + PLOT_HEIGHT

    def x(i: float) -> float:
        return LEFT + i * band

    def y(value: float) -> float:
        return TOP + PLOT_HEIGHT * (1 - min(value, top) / top)

    parts = [
        f"<svg {_attrs(xmlns=SVG_NS, viewBox=f'0 0 {WIDTH} {height}', width='100%', role='img', focusable='false', aria_labelledby=f'{chart_id}-title', aria_describedby=f'{chart_id}-desc', class_='app-chart__svg', font_family=FONT)}>",
        _el("title", _esc(title), id=f"{chart_id}-title"),
        _el("desc", _esc(description), id=f"{chart_id}-desc"),
    ]
    # The y axis: whole staff, at most four steps.
    axis = []
    for k in range(round(top / step) + 1):
        tick = step * k
        axis.append(
            _el(
                "line",
                x1=LEFT,
                x2=WIDTH - RIGHT,
                y1=_n(y(tick)),
                y2=_n(y(tick)),
                stroke=TEXT if tick == 0 else GRID,
                stroke_width=1,
            )
        )
        axis.append(
            _el(
                "text",
                _esc(f"{tick:,.0f}"),
                x=LEFT - 5,
                y=_n(y(tick) + 4),
                text_anchor="end",
                font_size=12,
                fill=SECONDARY_TEXT,
            )
        )
    # The x axis: a line at each local midnight, each day's date under its middle.
    starts = [0] + [i for i, h in enumerate(hours) if i and h.local.hour == 0]
    for first, following in zip(starts, [*starts[1:], len(hours)], strict=True):
        if first:
            at = _n(x(first))
            axis.append(_el("line", x1=at, x2=at, y1=TOP, y2=base, stroke=GRID))
        if following - first < 8:  # too little of the day shown to name it
            continue
        local = hours[first].local
        middle = _n(x((first + following) / 2))
        axis.append(
            _el(
                "text",
                _el("tspan", _esc(str(local.day)), x=middle, dy=0)
                + _el("tspan", _esc(f"{local:%a}"[:2]), x=middle, dy=12),
                x=middle,
                y=base + 13,
                text_anchor="middle",
                font_size=10,
                fill=SECONDARY_TEXT,
            )
        )
    parts.append(_el("g", "".join(axis), class_="app-chart__axis"))
    # The interval, a band under the lines.
    upper = [f"{_n(x(i + 0.5))},{_n(y(h.needed_high))}" for i, h in enumerate(hours)]
    lower = [
        f"{_n(x(i + 0.5))},{_n(y(h.needed_low))}"
        for i, h in reversed(list(enumerate(hours)))
    ]
    parts.append(
        _el(
            "polygon",
            points=" ".join(upper + lower),
            fill=PALE_BLUE,
            class_="app-chart__interval",
        )
    )
    if gap.gap_known:
        marks = []
        for state, colour, top_y in (
            (SHORT, NHS_RED, base - MARK),
            (OVER, NHS_GREY, TOP),
        ):
            for first, last in _runs(hours, state):
                words = (
                    f"{'Short' if state == SHORT else 'Over-staffed'} from "
                    f"{_moment(hours[first])} for {last - first} "
                    f"hour{'s' if last - first != 1 else ''}"
                )
                marks.append(
                    _el(
                        "rect",
                        _el("title", _esc(words)),
                        x=_n(x(first)),
                        y=_n(top_y),
                        width=_n(max(band * (last - first), 1.0)),
                        height=MARK,
                        fill=colour,
                        class_=f"app-chart__{state}",
                        data_from=hours[first].hour.isoformat(),
                        data_hours=last - first,
                    )
                )
        parts.append(_el("g", "".join(marks), class_="app-chart__gaps"))
        steps = []
        for i, h in enumerate(hours):
            steps.append(f"{'M' if i == 0 else 'L'}{_n(x(i))} {_n(y(h.booked))}")
            steps.append(f"L{_n(x(i + 1))} {_n(y(h.booked))}")
        parts.append(
            _el(
                "path",
                d=" ".join(steps),
                fill="none",
                stroke=NHS_GREEN,
                stroke_width=1.5,
                stroke_dasharray="5 3",
                class_="app-chart__booked",
            )
        )
    needed = " ".join(
        f"{'M' if i == 0 else 'L'}{_n(x(i + 0.5))} {_n(y(h.needed))}"
        for i, h in enumerate(hours)
    )
    parts.append(
        _el(
            "path",
            d=needed,
            fill="none",
            stroke=NHS_BLUE,
            stroke_width=1.5,
            stroke_linejoin="round",
            class_="app-chart__needed",
        )
    )
    # The legend: two entries a row.
    keys = []
    column = (WIDTH - LEFT) / 2
    first_row = base + AXIS_LABELS + 6
    for i, (kind, colour, dash, words) in enumerate(legend):
        kx = LEFT + (i % 2) * column
        ky = first_row + (i // 2) * LEGEND_ROW + 8
        if kind == "line":
            sample = _el(
                "line",
                x1=_n(kx),
                x2=_n(kx + 24),
                y1=_n(ky),
                y2=_n(ky),
                stroke=colour,
                stroke_width=2,
                stroke_dasharray=dash,
            )
        elif kind == "band":
            sample = _el(
                "rect", x=_n(kx), y=_n(ky - 6), width=24, height=12, fill=colour
            )
        else:
            sample = _el(
                "rect", x=_n(kx), y=_n(ky - 2), width=24, height=MARK, fill=colour
            )
        text = _el(
            "text", _esc(words), x=_n(kx + 30), y=_n(ky + 4), font_size=12, fill=TEXT
        )
        keys.append(_el("g", sample + text, class_="app-chart__key"))
    parts.append(_el("g", "".join(keys), class_="app-chart__legend"))
    parts.append("</svg>")
    return CapacityChart(
        id=chart_id,
        heading=heading,
        title=title,
        description=description,
        svg=mark_safe("".join(parts)),  # every text in it went through _esc
        days=days,
    )
