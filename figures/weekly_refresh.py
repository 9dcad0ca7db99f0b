"""The weekly figures computed ahead of their readers (figures.tasks, on beat), and
every local team's week at once.

A week of every local team is computed by grouped queries, one per block (cases,
contacts, and one per column of times), whatever the number of teams: the same
figures compute_weekly_figures gives for each team's scope (the same definitions;
tests/figures/test_refresh.py holds one against the other), without building and
planning each block's queries once per team (England's ~180 teams made some 900
queries a run, most of the time spent composing them in Python).

The items of no area are the fallback team's (figures.weekly.Scope.items_q): grouped
under it when it is one of the teams computed.

The contacts block counts people within each team: its rows per person are
partitioned by team and person, and the aggregation over those people, which
Django does not write over a window's filter, is written here in SQL over the
compiled people query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.models import LocalTeam
from cases.models import Case
from cases.workitem import Route
from contacts.models import Contact
from staffing.models import Tier

from .weekly import (
    CACHE_SECONDS,
    COUNTED_OUT,
    THURSDAY,
    Period,
    Scope,
    WeekFigures,
    cache_generation,
    cache_key,
    cached_for,
    case_aggregates,
    case_figures_from,
    compute_weekly_figures,
    computed_once,
    contact_figures_from,
    figures_reads,
    people_of,
    time_aggregates,
    time_columns,
    times_from,
)

# A closed week's cached figures this old are worked out again by the next run: well
# within the day they are kept for (figures.weekly.CACHE_SECONDS), so the page's "worked
# out again at least once a day" holds and a reader still finds them cached.
RECOMPUTE_AFTER = timedelta(seconds=CACHE_SECONDS // 2)

# What the contacts block reads of each team's people (figures.weekly.people_of).
PEOPLE_COLUMNS = (
    "team",
    "person_rows",
    "first_created",
    "reached_at",
    "reached_route",
    "reach_tier",
)


def _team(fallback_id: int | None) -> F | Coalesce:
    """An item's local team: its area's, or for an item of no area the fallback
    team (figures.weekly.Scope.items_q), when it is one of the teams computed."""
    if fallback_id is None:
        return F("area__local_team_id")
    return Coalesce(F("area__local_team_id"), Value(fallback_id))


def _grouped(qs, team_of: F | Coalesce, **aggregates: Any) -> dict[int, dict[str, Any]]:
    """Each local team's row of aggregates (teams with no rows are missing)."""
    rows = qs.order_by().values(team=team_of).annotate(**aggregates).order_by()
    return {row["team"]: row for row in rows if row["team"] is not None}


def _cases_by_team(cases, team_of: F | Coalesce) -> dict[int, dict[str, Any]]:
    return _grouped(
        cases.annotate(reach_tier=F("reached_tier")), team_of, **case_aggregates()
    )


def _reach_sql(since: str, named_tier: int) -> list[tuple[str, str, list[Any]]]:
    """_reach_counts (figures.weekly) in SQL, over the people's columns: the same
    names, the same conditions. (name, condition, its parameters) each."""
    reached = "reached_at IS NOT NULL"

    def after(hours: int) -> str:
        return f"{since} + interval '{hours} hours'"

    within = f"{reached} AND reached_at <= {after(24)}"
    counts: list[tuple[str, str, list[Any]]] = [
        ("reached", reached, []),
        ("within_24h", within, []),
        ("spread_under_24h", within, []),
        (
            "spread_24_48h",
            f"reached_at > {after(24)} AND reached_at <= {after(48)}",
            [],
        ),
        (
            "spread_48_72h",
            f"reached_at > {after(48)} AND reached_at <= {after(72)}",
            [],
        ),
        ("spread_over_72h", f"reached_at > {after(72)}", []),
    ]
    routes: dict[str, tuple[str, list[Any]]] = {
        "online": ("reached_route = %s", [Route.ONLINE]),
        "local": ("reached_route = %s", [Route.LOCAL]),
        "national": ("reached_route = %s", [Route.NATIONAL]),
        "named_tier": (
            "reached_route = %s AND reach_tier = %s",
            [Route.NATIONAL, named_tier],
        ),
    }
    for name, (condition, values) in routes.items():
        counts.append((f"route_{name}", f"{reached} AND {condition}", values))
        counts.append((f"route_{name}_24", f"{within} AND {condition}", values))
    return counts


# No reaching call by tier 2: tier 3.
CONTACT_REACH = _reach_sql("first_created", named_tier=Tier.CLINICAL)


def _contacts_by_team(
    contacts, team_of: F | Coalesce, *, using: str
) -> dict[int, dict[str, Any]]:
    """Each team's contacts as people: one statement, the people (figures.weekly.
    people_of, partitioned by team) aggregated by team."""
    people = people_of(contacts.annotate(team=team_of), within=(F("team"),)).values(
        *PEOPLE_COLUMNS
    )
    inner, inner_params = people.query.get_compiler(using=using).as_sql()
    sql = (
        "SELECT team, count(*) AS identified, "
        "COALESCE(sum(person_rows), 0) AS rows, "
        + ", ".join(
            f"count(*) FILTER (WHERE {condition}) AS {name}"
            for name, condition, _ in CONTACT_REACH
        )
        + f" FROM ({inner}) AS people WHERE team IS NOT NULL GROUP BY team"
    )
    params = [value for _, _, values in CONTACT_REACH for value in values]
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*params, *inner_params])
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return {row["team"]: row for row in rows}


def _times_by_team(cases, contacts, team_of: F | Coalesce) -> dict[int, dict[str, Any]]:
    """Each team's times: one grouped query per column (a median, a 90th percentile
    and a count each)."""
    by_team: dict[int, dict[str, Any]] = {}
    for name, (rows, duration) in time_columns(cases, contacts).items():
        grouped = _grouped(rows, team_of, **time_aggregates(name, duration))
        for team, row in grouped.items():
            by_team.setdefault(team, {}).update(row)
    return by_team


def compute_team_figures(
    *, period: Period, teams: list[LocalTeam], now: datetime | None = None
) -> dict[int, WeekFigures]:
    """Each of these local teams' figures of the week, by team pk: what
    compute_weekly_figures gives for Scope.team(team), from one grouped query per
    block for all of them. From the database, never from the cache."""
    now = now or timezone.now()
    if not teams:
        return {}
    with figures_reads() as using:
        if connections[using].vendor != "postgresql":
            # SQLite, the embedded default (no percentile_cont): team by team.
            return {
                team.pk: compute_weekly_figures(
                    period=period, scope=Scope.team(team), now=now
                )
                for team in teams
            }
        start, end = period.bounds()
        fallback_id = next((team.pk for team in teams if team.is_fallback), None)
        in_teams = Q(area__local_team_id__in=[team.pk for team in teams])
        if fallback_id is not None:
            in_teams |= Q(area__isnull=True)
        in_week = Q(created_at__gte=start, created_at__lt=end) & in_teams
        cases = Case.objects.filter(in_week).exclude(COUNTED_OUT)
        contacts = Contact.objects.filter(in_week).exclude(COUNTED_OUT)
        team_of = _team(fallback_id)
        case_rows = _cases_by_team(cases, team_of)
        contact_rows = _contacts_by_team(contacts, team_of, using=using)
        time_rows = _times_by_team(cases, contacts, team_of)
    zero_cases = dict.fromkeys(case_aggregates(), 0)
    zero_contacts = dict.fromkeys(
        ["identified", "rows", *(name for name, _, _ in CONTACT_REACH)], 0
    )
    figures = {}
    for team in teams:
        case_figures = case_figures_from(case_rows.get(team.pk, zero_cases))
        figures[team.pk] = WeekFigures(
            period=period,
            scope=Scope.team(team),
            cases=case_figures,
            contacts=contact_figures_from(
                contact_rows.get(team.pk, zero_contacts), case_figures.transferred
            ),
            times=times_from(time_rows.get(team.pk, {})),
            staff=[],
            computed_at=now,
        )
    return figures


def _current(cached: Any, now: datetime) -> bool:
    """Cached figures of a closed week the run may keep: computed less than
    RECOMPUTE_AFTER ago."""
    return (
        isinstance(cached, WeekFigures) and now - cached.computed_at < RECOMPUTE_AFTER
    )


def _newer(cached: Any, *, than: Any) -> bool:
    """Figures computed after those the run found (or any, if it found none): what
    a reader computed while the run waited for them."""
    if not isinstance(cached, WeekFigures):
        return False
    return not isinstance(than, WeekFigures) or cached.computed_at > than.computed_at


@dataclass(frozen=True)
class RefreshReport:
    computed: int  # weeks (of a scope) computed and cached by this run
    # Closed weeks cached less than RECOMPUTE_AFTER ago, left as they were, and weeks
    # a reader computed while the run waited for them (figures.weekly.computed_once).
    kept: int


def weekly_figures_refresh(
    *,
    now: datetime | None = None,
    closed_weeks: int = 8,
    kind: str = THURSDAY,
    scopes: list[Scope] | None = None,
) -> RefreshReport:
    """Compute ahead of the readers what the figures pages and API read most, so a
    reader finds it cached: the open week (recomputed every run) and the last
    `closed_weeks` closed weeks for England, and the open and last closed week of
    each local team (all teams at once: see compute_team_figures). A closed week is
    computed when not cached, and again once its cached figures are RECOMPUTE_AFTER
    old, replacing them (its items still count when reached late, and the page says
    such a week is worked out again at least once a day); readers meanwhile read
    the copy cached. At a month at peak England's busiest week takes seconds
    to compute, which no reader should wait for; the run (figures.tasks, on beat)
    waits instead. An area, or an older week, is computed when first asked for and
    cached as usual. Given `scopes`, each of them for the open and `closed_weeks`
    closed weeks, one by one. A week of England's (or of `scopes`) that a reader is
    computing is not computed again beside it: the run waits for the reader's
    figures (figures.weekly.computed_once)."""
    now = now or timezone.now()
    open_week = Period.containing(timezone.localdate(now), kind)
    generation = cache_generation()
    computed = kept = 0

    def weeks(count: int) -> list[Period]:
        return [open_week, *(open_week.previous(n) for n in range(1, count + 1))]

    plan = [(Scope.england(), closed_weeks)] if scopes is None else []
    plan += [(scope, closed_weeks) for scope in scopes or []]
    for scope, count in plan:
        for period in weeks(count):
            is_open, seconds = cached_for(period, now)
            if not seconds:
                continue
            key = cache_key(period, scope, generation, open_week=is_open)
            seen = cache.get(key)
            if not is_open and _current(seen, now):
                kept += 1
                continue
            _, ran = computed_once(
                key,
                seconds,
                partial(_newer, than=seen),
                partial(compute_weekly_figures, period=period, scope=scope, now=now),
            )
            if ran:
                computed += 1
            else:  # a reader computed them while the run waited
                kept += 1
    if scopes is not None:
        return RefreshReport(computed=computed, kept=kept)

    teams = list(LocalTeam.objects.order_by("name"))
    for period in weeks(1):
        is_open, seconds = cached_for(period, now)
        if not seconds or not teams:
            continue
        keys = {
            team.pk: cache_key(period, Scope.team(team), generation, open_week=is_open)
            for team in teams
        }
        held = {} if is_open else cache.get_many(list(keys.values()))
        missing = [team for team in teams if not _current(held.get(keys[team.pk]), now)]
        kept += len(teams) - len(missing)
        if not missing:
            continue
        by_team = compute_team_figures(period=period, teams=missing, now=now)
        cache.set_many({keys[pk]: figures for pk, figures in by_team.items()}, seconds)
        computed += len(by_team)
    return RefreshReport(computed=computed, kept=kept)
