"""The week's figures as the page shows them: numbers in words and rows, formatted once
here so the template only lays them out.

Percentages have one decimal place; a figure that cannot be worked out (a percentage
of nothing, a median of no times) is a dash, read out as "not applicable".
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import format_html
from django.utils.safestring import SafeString

from figures.weekly import ROUTES, CaseFigures, ContactFigures, Spread, StaffRow, Times

from .charts import ROUTE_LABELS, pct

NA = format_html(
    '<span aria-hidden="true">{}</span>'
    '<span class="nhsuk-u-visually-hidden">not applicable</span>',
    "\N{EN DASH}",
)

BANDS = (
    ("under_24h", "Under 24 hours"),
    ("24_48h", "24 to 48 hours"),
    ("48_72h", "48 to 72 hours"),
    ("over_72h", "Over 72 hours"),
)
TIERS = {2: "Tier 2 (clinical)", 3: "Tier 3 (call handlers)"}


def num(n: int) -> str:
    return f"{n:,}"


def percent(value: float | None) -> SafeString | str:
    return NA if value is None else f"{value:.1f}%"


def decimal(value: float | None) -> SafeString | str:
    return NA if value is None else f"{value:,.1f}"


def share(value: float | None) -> SafeString | str:
    """A share from 0 to 1 as a percentage."""
    return NA if value is None else f"{100 * value:.1f}%"


def merged_sentence(merged: int) -> str:
    noun = "contact" if merged == 1 else "contacts"
    return f"{merged:,} {noun} named more than once counted once"


@dataclass(frozen=True)
class Row:
    """One row of a summary list: what, how many, and (in brackets) of what."""

    key: str
    value: SafeString | str
    detail: SafeString | str = ""
    id: str = ""


def _of(value: float | None, whole: str) -> SafeString | str:
    return NA if value is None else format_html("{} of {}", percent(value), whole)


def case_rows(c: CaseFigures) -> list[Row]:
    return [
        Row(
            "Transferred to contact tracing", num(c.transferred), id="cases-transferred"
        ),
        Row(
            "Reached",
            num(c.reached),
            _of(c.reached_pct, "transferred"),
            "cases-reached",
        ),
        Row(
            "Reached within 24 hours",
            num(c.within_24h),
            _of(c.within_24h_pct, "transferred"),
            "cases-within-24h",
        ),
        Row(
            "Not reached: no working phone number",
            num(c.not_reached_no_details),
            id="cases-no-details",
        ),
        Row("Not reached: other", num(c.not_reached_other), id="cases-not-reached"),
        Row(
            "New cases who were known contacts",
            num(c.known_contacts),
            _of(c.known_contacts_pct, "transferred"),
            "cases-known-contacts",
        ),
    ]


def contact_rows(c: ContactFigures) -> list[Row]:
    return [
        Row(
            "Identified",
            num(c.identified),
            merged_sentence(c.merged),
            "contacts-identified",
        ),
        Row(
            "Reached",
            num(c.reached),
            _of(c.reached_pct, "identified"),
            "contacts-reached",
        ),
        Row(
            "Reached within 24 hours",
            num(c.within_24h),
            _of(c.within_24h_pct, "identified"),
            "contacts-within-24h",
        ),
        Row(
            "Contacts per case",
            decimal(c.per_case),
            "identified for each case transferred",
            "contacts-per-case",
        ),
    ]


@dataclass(frozen=True)
class Band:
    label: str
    count: str
    percent: SafeString | str


def spread_rows(spread: dict[str, int], reached: int) -> list[Band]:
    """Those reached, by the hours from arriving to being reached."""
    return [
        Band(label, num(spread.get(key, 0)), percent(pct(spread.get(key, 0), reached)))
        for key, label in BANDS
    ]


@dataclass(frozen=True)
class RouteRow:
    key: str
    label: str
    reached: str
    within_24h: str
    within_24h_percent: SafeString | str


def route_rows(figures: CaseFigures | ContactFigures) -> list[RouteRow]:
    """Each route: how many it reached, how many of those within 24 hours."""
    rows = []
    for route in ROUTES:
        r = figures.by_route[route]
        rows.append(
            RouteRow(
                key=route,
                label=ROUTE_LABELS[route],
                reached=num(r.reached),
                within_24h=num(r.within_24h),
                within_24h_percent=percent(pct(r.within_24h, r.reached)),
            )
        )
    return rows


@dataclass(frozen=True)
class TimeRow:
    label: str
    median: SafeString | str
    p90: SafeString | str
    n: str


def time_rows(t: Times) -> list[TimeRow]:
    def row(label: str, s: Spread) -> TimeRow:
        return TimeRow(label, decimal(s.median), decimal(s.p90), num(s.n))

    return [
        row("Specimen taken to result", t.specimen_to_result),
        row("Result to case reached", t.result_to_case_reached),
        row(
            "Case reached to their contacts reached", t.case_reached_to_contacts_reached
        ),
    ]


@dataclass(frozen=True)
class StaffLine:
    tier: str
    team: str
    hours: str
    calls: str
    reached: str
    calls_per_hour: SafeString | str
    reached_per_hour: SafeString | str
    idle_share: SafeString | str


def staff_rows(rows: list[StaffRow]) -> list[StaffLine]:
    return [
        StaffLine(
            tier=TIERS.get(r.tier, f"Tier {r.tier}"),
            team=r.team,
            hours=f"{r.hours_on_shift:,.1f}",
            calls=num(r.calls),
            reached=num(r.reached),
            calls_per_hour=decimal(r.calls_per_hour),
            reached_per_hour=decimal(r.reached_per_hour),
            idle_share=share(r.idle_share),
        )
        for r in rows
    ]


def chart_cell(value: float | None, unit: str) -> SafeString | str:
    """A value of a chart, as its table shows it."""
    if value is None:
        return NA
    return percent(value) if unit == "%" else num(int(value))
