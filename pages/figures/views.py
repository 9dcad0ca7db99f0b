"""The weekly figures: the page, with its trend charts, and its CSV.

Who sees what is `figures.weekly.scopes_for`: national supervisors and administrators
England and every local team (and any area, asked for by its code); a local team's
staff their own team and its areas. Nobody else gets in (403, with the reason); a
team or area the viewer may not see is a 404, its existence not confirmed.

The query string says what to show: `week` (a date in the week; for ISO weeks also
"2021-W01"), `weeks` ("thu", the default: Thursday to Wednesday as published; or
"iso") and `scope` ("england", "team-<code>", "area-<code>"; the first the viewer may
see by default). A value that cannot be read shows the page with the error summary
saying what to enter (400), never an error page: the week's reason in the API's words
(figures.weekly.Period.parse). The weeks run from 1900 to 9000: the first has no
Previous link, and its trend (and CSV) starts with it.

The CSV has a row per week of the trend; its last column, `figures_until`, is where
the week's figures run to (local time, ISO 8601 with its offset): the moment they
were counted, or the week's end (local midnight after its last day) when counted
after it. Before the end, the week was not over ("so far" on the page): its cases
and contacts are those come in by then.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from areas.models import Area, LocalTeam
from audit.models import AuditEvent
from audit.services import audit_record
from figures.replica import replica_reads
from figures.utilisation import WRAP_UP
from figures.weekly import (
    AREA,
    ENGLAND,
    ROUTES,
    SPREAD_KEYS,
    TEAM,
    THURSDAY,
    CaseFigures,
    ContactFigures,
    Period,
    Scope,
    WeekFigures,
    may_see,
    scopes_for,
    weekly_trend,
)
from pages.csv_cells import BOM, csv_cell

from . import charts, present
from .forms import FiguresForm

NOT_ALLOWED = "Only supervisors and local teams see the figures."
NOT_FOUND = "There are no figures for that team or area."
TREND_WEEKS = 8


def scope_key(scope: Scope) -> str:
    """How the query string names a scope: "england", "team-<code>", "area-<code>"."""
    return ENGLAND if scope.kind == ENGLAND else f"{scope.kind}-{scope.code}"


@dataclass(frozen=True)
class Viewer:
    """What the signed-in person may see: the scopes listed for them, and the local
    team they are bound to (None for a national viewer, who may see every scope)."""

    scopes: list[Scope]
    local_team_id: int | None

    @classmethod
    def of(cls, request: HttpRequest) -> Viewer:
        scopes = scopes_for(request.user)
        if not scopes:
            raise PermissionDenied(NOT_ALLOWED)
        national = scopes[0].kind == ENGLAND
        return cls(scopes, None if national else scopes[0].team_id)

    def scope(self, key: str) -> Scope:
        """The scope named in the query string (the first listed when none); a
        scope the viewer may not see, or that does not exist, is a 404. A code is
        read in any case, as the API reads it (codes are held in upper case:
        "team-e08000035" is E08000035's team)."""
        if not key:
            return self.scopes[0]
        kind, _, code = key.partition("-")
        kind, code = kind.lower(), code.strip().upper()
        key = kind if kind == ENGLAND else f"{kind}-{code}"
        for scope in self.scopes:
            if scope_key(scope) == key:
                return scope
        found: Scope | None = None
        if kind == ENGLAND:
            found = Scope.england() if self.local_team_id is None else None
        elif kind == TEAM:
            team = LocalTeam.objects.filter(code=code).first()
            found = Scope.team(team) if team else None
        elif kind == AREA:
            area = Area.objects.filter(code=code).first()
            found = Scope.area(area) if area else None
        if found is None or (
            found.kind != ENGLAND
            and not may_see(found, local_team_id=self.local_team_id)
        ):
            raise Http404(NOT_FOUND)
        return found

    def choices(self, current: Scope | None) -> list:
        """The scope select's options: England, then the teams, then the areas
        (the one shown is among them even when not listed: an area asked by code)."""
        scopes = list(self.scopes)
        if current is not None and current not in scopes:
            scopes.append(current)
        options: list[Any] = [
            (scope_key(s), s.label) for s in scopes if s.kind == ENGLAND
        ]
        for kind, heading in ((TEAM, "Local teams"), (AREA, "Areas")):
            group = [(scope_key(s), s.label) for s in scopes if s.kind == kind]
            if group:
                options.append((heading, group))
        return options


@dataclass
class Asked:
    form: FiguresForm
    scope: Scope | None
    period: Period | None

    @property
    def target(self) -> tuple[Period, Scope] | None:
        """The week and scope to show; None while the form has errors."""
        if self.period is None or self.scope is None:
            return None
        return self.period, self.scope


def _ask(request: HttpRequest, viewer: Viewer) -> Asked:
    """The week, kind of week and scope asked for, with the defaults filled in."""
    data = request.GET.copy()
    for name in ("week", "weeks", "scope"):
        if not data.get(name, "").strip():
            data.pop(name, None)
    data.setdefault("weeks", THURSDAY)
    week_given = "week" in data
    form = FiguresForm(data)
    valid = form.is_valid()
    scope = None
    if "scope" not in form.errors:
        scope = viewer.scope(form.cleaned_data.get("scope", ""))
        data["scope"] = scope_key(scope)  # the form's data: the select shows it
    form.fields["scope"].widget.choices = viewer.choices(scope)
    period = form.cleaned_data.get("period") if valid else None
    if period is not None and not week_given:
        data["week"] = period.starts_on.isoformat()
    return Asked(form=form, scope=scope, period=period)


def _query(period: Period, scope: Scope) -> str:
    return urlencode(
        {
            "week": period.starts_on.isoformat(),
            "weeks": period.kind,
            "scope": scope_key(scope),
        }
    )


@dataclass(frozen=True)
class ChartTable:
    """A chart and the table of its numbers shown beside it: per week, each
    series with its value as shown, and the total of a stacked chart."""

    chart: charts.Chart
    rows: list[tuple[charts.Week, list[Any], Any]]


def _chart_table(chart: charts.Chart) -> ChartTable:
    return ChartTable(
        chart=chart,
        rows=[
            (
                week,
                [
                    (series, present.chart_cell(v, chart.unit))
                    for series, v in zip(chart.series, values, strict=True)
                ],
                None if total is None else present.num(total),
            )
            for week, values, total in chart.rows
        ],
    )


def _neighbour(period: Period) -> Period | None:
    """A week next to the one shown, when it may be shown: None past 1900 to 9000."""
    return None if period.out_of_range() else period


def _trend_weeks(period: Period) -> int:
    """The trend's weeks: eight to the one asked for, fewer from the first week
    (none before 1900)."""
    return next(
        (n for n in range(1, TREND_WEEKS) if period.previous(n).out_of_range()),
        TREND_WEEKS,
    )


def _trend(period: Period, scope: Scope) -> list[WeekFigures]:
    """The eight weeks to the one asked for (from the first, when nearer), read from
    the replica when there is one: figures a few seconds behind the primary are as
    good as the minutes-old ones the cache already serves (figures/replica.py)."""
    with replica_reads():
        return weekly_trend(
            scope=scope, weeks=_trend_weeks(period), kind=period.kind, until=period
        )


def _page(request: HttpRequest, asked: Asked) -> HttpResponse:
    """The page; with the error summary alone (400) when the form has errors."""
    context: dict[str, Any] = {"form": asked.form, "scope": asked.scope}
    if asked.target is None:
        return TemplateResponse(request, "figures/weekly.html", context, status=400)
    period, scope = asked.target
    trend = _trend(period, scope)
    figures = trend[-1]
    previous = _neighbour(period.previous())
    following = _neighbour(Period(period.starts_on + timedelta(days=7), period.kind))
    if following is not None and following.starts_on > timezone.localdate():
        following = None
    context.update(
        period=period,
        figures=figures,
        so_far=not period.is_closed(),
        scope_key=scope_key(scope),
        previous=previous,
        previous_url=f"?{_query(previous, scope)}" if previous else "",
        following=following,
        following_url=f"?{_query(following, scope)}" if following else "",
        csv_url=f"{reverse('figures:weekly_csv')}?{_query(period, scope)}",
        case_rows=present.case_rows(figures.cases),
        case_spread=present.spread_rows(figures.cases.spread, figures.cases.reached),
        case_routes=present.route_rows(figures.cases),
        contact_rows=present.contact_rows(figures.contacts),
        contact_spread=present.spread_rows(
            figures.contacts.spread, figures.contacts.reached
        ),
        contact_routes=present.route_rows(figures.contacts),
        times=present.time_rows(figures.times),
        staff=present.staff_rows(figures.staff),
        england=scope.kind == ENGLAND,
        wrap_up_minutes=int(WRAP_UP.total_seconds() // 60),
        trend_first=trend[0].period,
        charts=[
            _chart_table(charts.cases_within_24h_chart(trend, scope_label=scope.label)),
            _chart_table(charts.contacts_reached_chart(trend, scope_label=scope.label)),
        ],
    )
    return TemplateResponse(request, "figures/weekly.html", context)


@login_required
@require_GET
def weekly(request: HttpRequest) -> HttpResponse:
    return _page(request, _ask(request, Viewer.of(request)))


# --- the CSV ---------------------------------------------------------------------------


def _fixed(value: float | None, places: int) -> str:
    return "" if value is None else f"{value:.{places}f}"


def figures_until(w: WeekFigures) -> str:
    """Where the week's figures run to, local time in ISO 8601: when they were
    counted, or the week's end (local midnight after its last day) when counted
    after it. Before the end, they are "so far": the cases and contacts come in by
    then."""
    end = w.period.bounds()[1]
    return timezone.localtime(min(w.computed_at, end)).isoformat(timespec="seconds")


def csv_fields(w: WeekFigures) -> list[tuple[str, object]]:
    """One week's figures as (column, value): every figure of the page (but the
    England staff table, a table of its own), in the page's order; then where they
    run to (figures_until), last so that the columns before it keep their places."""
    fields: list[tuple[str, object]] = [
        ("weeks", w.period.kind),
        ("week", w.period.key),
        ("starts_on", w.period.starts_on.isoformat()),
        ("ends_on", w.period.ends_on.isoformat()),
        ("scope", w.scope.label),
    ]
    blocks: tuple[tuple[str, CaseFigures | ContactFigures], ...] = (
        ("cases", w.cases),
        ("contacts", w.contacts),
    )
    for block, figures in blocks:
        if isinstance(figures, CaseFigures):
            fields.append(("cases_transferred", figures.transferred))
        else:
            fields += [
                ("contacts_identified", figures.identified),
                ("contacts_merged", figures.merged),
            ]
        fields += [
            (f"{block}_reached", figures.reached),
            (f"{block}_reached_pct", _fixed(figures.reached_pct, 1)),
            (f"{block}_within_24h", figures.within_24h),
            (f"{block}_within_24h_pct", _fixed(figures.within_24h_pct, 1)),
        ]
        for band in SPREAD_KEYS:
            count = figures.spread.get(band, 0)
            fields += [
                (f"{block}_reached_{band}", count),
                (
                    f"{block}_reached_{band}_pct",
                    _fixed(charts.pct(count, figures.reached), 1),
                ),
            ]
        if isinstance(figures, CaseFigures):
            fields += [
                ("cases_not_reached_no_details", figures.not_reached_no_details),
                ("cases_not_reached_other", figures.not_reached_other),
                ("cases_known_contacts", figures.known_contacts),
                ("cases_known_contacts_pct", _fixed(figures.known_contacts_pct, 1)),
            ]
        else:
            fields.append(("contacts_per_case", _fixed(figures.per_case, 2)))
        for route in ROUTES:
            r = figures.by_route[route]
            fields += [
                (f"{block}_reached_{route}", r.reached),
                (f"{block}_within_24h_{route}", r.within_24h),
                (
                    f"{block}_within_24h_{route}_pct",
                    _fixed(charts.pct(r.within_24h, r.reached), 1),
                ),
            ]
    times = (
        ("specimen_to_result", w.times.specimen_to_result),
        ("result_to_case_reached", w.times.result_to_case_reached),
        ("case_reached_to_contacts_reached", w.times.case_reached_to_contacts_reached),
    )
    for name, spread in times:
        fields += [
            (f"{name}_median_hours", _fixed(spread.median, 2)),
            (f"{name}_p90_hours", _fixed(spread.p90, 2)),
            (f"{name}_n", spread.n),
        ]
    fields.append(("figures_until", figures_until(w)))
    return fields


def _audited_object(request: HttpRequest, scope: Scope) -> Model:
    """What the export is of, for the audit trail: the team or area (by its key
    alone, no query), or the viewer themselves for England."""
    if scope.kind == TEAM:
        return LocalTeam(pk=scope.id)
    if scope.kind == AREA:
        return Area(pk=scope.id)
    return cast(Model, request.user)  # signed in: login_required


@login_required
@require_GET
def weekly_csv(request: HttpRequest) -> HttpResponse:
    """A row per week of the trend (the eight weeks to the one asked for), a column
    per figure of the page; audited as an export."""
    asked = _ask(request, Viewer.of(request))
    if asked.target is None:
        return _page(request, asked)
    period, scope = asked.target
    trend = _trend(period, scope)
    key = scope_key(scope)
    audit_record(
        user=request.user,
        action=AuditEvent.Action.EXPORT,
        obj=_audited_object(request, scope),
        detail={
            "what": "weekly figures",
            "scope": key,
            "weeks": period.kind,
            "week": period.key,
            "rows": len(trend),
        },
    )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = re.sub(r"[^A-Za-z0-9_-]", "-", f"figures-{key}-{period.key}")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write(BOM)
    writer = csv.writer(response)
    rows = [csv_fields(week) for week in trend]
    writer.writerow([name for name, _ in rows[0]])
    for row in rows:
        writer.writerow([csv_cell(value) for _, value in row])
    return response
