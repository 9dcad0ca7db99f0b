"""The weekly figures, honestly counted: by route and by area.

A week is local (Europe/London) time, Thursday to Wednesday (England's published
weeks, the default) or ISO Monday to Sunday, from local midnight to local midnight
seven days on (so a week across a clock change is 167 or 169 hours).

The cohorts are the cases transferred in the week (`Case.created_at` in it) and the
contacts identified in it (`Contact.created_at` in it), in a scope: England (every
item, of an area or none), one local team (the item's area's team; the fallback team
also has the items of no area, so the teams' cases add up to England's) or one area
(the item's area); a case whose positive result was withdrawn (sent in error), and a
contact only it named, are in no cohort (work/withdraw.py). Contacts are people
counted within the scope (below): a person
named in two teams' areas in a week is counted by each of those teams and once in
England's, so the teams' contacts can add up to more than England's. For each:

- reached: `reached_at` set, at any time up to now;
- within 24 hours: `reached_at <= created_at + 24 h`, exact to the second (23:59 after
  transfer is in, 24:01 out; time, not calendar days, across a clock change);
- the route: `reached_route` "online" or "local" as stamped; "national" split into
  tier 2 and tier 3 by the tier of the caller of the item's reaching call (its first
  call with outcome reached, stamped on the item as `reached_tier` when that call was
  recorded), or, with no such call, tier 2 for a case and tier 3 for a contact. An item escalated to its local team and then reached by it has one
  `reached_at` and route "local": it counts once, as local.
- not reached, for want of details (cases): what was true when the case ended, as
  its hand-over to its local team recorded it (an escalation for a "Wrong or missing
  number", the sweep's reason for someone with no number to ring), so a number
  given, or a merge with a record holding one, after a week closed leaves its
  figure as published; a case still with the national service has not ended, and
  counts by what its person's record holds now (no phone, other phone or email).

A case "was a known contact" when, before it arrived, its person had been named as
a contact exposed within the chain's days before the case's symptom onset (or
specimen date), by a case whose result stands (a naming by one withdrawn, sent in
error, links nobody): the link of a chain of transmission (contacts/chains.py),
counted in the cases' own query by an EXISTS.

Contacts count people, not rows. Within the week (and the scope) the rows of one
person are one: a person is who the service's matching says (people/matching.py),
the contact's person row, into which a merge moves the rows of a record found to be
the same person (work/merge.py; two rows never share an NHS number). Two people who
share a phone (a family on one landline, twins) are two, as matching keeps them;
one person named by two cases is one. A person is reached when any of their rows
is, at the first reach, by that row's route; within 24 hours counts from their
first identification in the week. `merged` is the rows taken out: rows minus people.

Every figure comes from the database by aggregation: one query per block (cases,
contacts, times; two for staff, its shifts and its calls, for England only), whatever
the volume. The
percentiles are PostgreSQL's percentile_cont; on SQLite (the embedded default only)
the times block reads its three columns and interpolates the same way in Python.

A settled week (over for SETTLES_AFTER, 72 hours: its items' reaches within 24, 48
and 72 hours are in) is cached for a day at most (Django's cache; the key holds the
week's kind and key, the scope and CACHE_VERSION), as the figures page promises
("worked out again at least once a day"): its cohort is fixed, but its items are
counted as reached however late, so what still changes (a later reach, a correction)
is seen within the day, or at once when forget_cached_figures() is called (a merge,
an erasure, an area moved to another team), even when the cache did not answer then:
the forgetting is then marked in the database (figures.models.FiguresForgotten),
whose token is part of every key, so what was cached before it is never read once
the cache is back. The beat's refresh works the weeks it
keeps warm out again before they are a day old, replacing the cached copy, so their
readers are still answered from the cache (figures/weekly_refresh.py). The week still
open, and a week over for less than SETTLES_AFTER, are cached for
settings.FIGURES_OPEN_WEEK_SECONDS (a few minutes; 0: never), under a key of their
own, so their moving figures are never read as the settled week's.

The staff rows (England only) are per national tier and staff team, filed by the
tier and team each shift was booked for (Shift.tier, Shift.team), so a later move to
another team leaves past weeks as they were; a person's calls go with their shifts
of the week. "People reached" counts the cases and contacts a person reached, each
once however many of their calls to it say "reached" (see _staff).

The contacts block reads the week's contacts from a covering index (contacts/models.py:
created_at, or area and created_at, with every column it reads): an index-only scan.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, router, transaction
from django.db.models import (
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import (
    Coalesce,
    Greatest,
    Least,
    RowNumber,
)
from django.utils import timezone

from areas.models import Area, LocalTeam
from calls.models import CallAttempt, Outcome
from cases.models import Case
from cases.workitem import Route, Status
from clock import MONDAY, week_bounds, week_start
from clock import THURSDAY as THURSDAY_WEEKDAY
from contacts.chains import contacts_becoming
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person
from staffing.access import active_profile_of, is_national_supervisor
from staffing.models import Shift, Tier

from .models import FiguresForgotten
from .percentile import Hours, PercentileCont, percentile_cont
from .replica import read_on_replica
from .utilisation import busy_seconds

logger = logging.getLogger(__name__)

THURSDAY, ISO = "thu", "iso"
KINDS = (THURSDAY, ISO)
_FIRST_WEEKDAY = {THURSDAY: THURSDAY_WEEKDAY, ISO: MONDAY}
MIN_YEAR, MAX_YEAR = 1900, 9000
RANGE_MESSAGE = f"Enter a week between {MIN_YEAR} and {MAX_YEAR}"
EXAMPLE_DAY, EXAMPLE_WEEK = "2021-01-07", "2021-W01"

ENGLAND, TEAM, AREA = "england", "team", "area"
SCOPE_KINDS = (ENGLAND, TEAM, AREA)

ROUTES = ("online", "tier2", "tier3", "local")
SPREAD_KEYS = ("under_24h", "24_48h", "48_72h", "over_72h")
WITHIN = timedelta(hours=24)

# Bump when the shape or a definition changes: older cached figures are not read.
CACHE_VERSION = 7
# A settled week: a day at most, by the cache's expiry and by the age of the figures
# (their computed_at, on the app's clock). The page says a week that is over is
# "worked out again at least once a day": it counts reaches however late. The open
# week: see _open_week_seconds.
CACHE_SECONDS = 24 * 60 * 60
# A week's figures settle this long after it ends: its last items can be reached
# within 24, 48 or 72 hours of arriving only after it. Until then it is cached, and
# the beat recomputes it, as the open week is.
SETTLES_AFTER = timedelta(hours=72)


# --- weeks ------------------------------------------------------------------------


def _day_label(day: date, *, year: bool) -> str:
    text = f"{day:%A} {day.day} {day:%B}"
    return f"{text} {day.year}" if year else text


@dataclass(frozen=True)
class Period:
    """One reporting week in local (Europe/London) time: Thursday to Wednesday (England's
    published weeks, the default) or ISO Monday to Sunday."""

    starts_on: date  # a Thursday (kind "thu") or a Monday (kind "iso")
    kind: str = THURSDAY

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError("The weeks are 'thu' (Thursday to Wednesday) or 'iso'.")
        if self.starts_on.weekday() != _FIRST_WEEKDAY[self.kind]:
            first = "Thursday" if self.kind == THURSDAY else "Monday"
            raise ValueError(f"A '{self.kind}' week starts on a {first}.")

    @property
    def ends_on(self) -> date:
        """The last day of the week (inclusive)."""
        return self.starts_on + timedelta(days=6)

    def bounds(self) -> tuple[datetime, datetime]:
        """Local midnight of the first day to local midnight seven days on (a week
        across a clock change is 167 or 169 hours)."""
        return week_bounds(self.starts_on)

    @property
    def hours(self) -> float:
        """The week's length in real hours: 168, or 167 / 169 across a clock change.
        (Subtracting two datetimes of the same zone in Python gives the wall-clock
        difference, so this goes through UTC.)"""
        start, end = self.bounds()
        return (end.astimezone(UTC) - start.astimezone(UTC)).total_seconds() / 3600

    @classmethod
    def containing(cls, day: date, kind: str = THURSDAY) -> Period:
        if kind not in KINDS:
            raise ValueError("The weeks are 'thu' (Thursday to Wednesday) or 'iso'.")
        return cls(week_start(day, first_weekday=_FIRST_WEEKDAY[kind]), kind)

    @classmethod
    def last_complete(cls, kind: str = THURSDAY, today: date | None = None) -> Period:
        """The last week wholly over by today (local)."""
        return cls.containing(today or timezone.localdate(), kind).previous()

    @classmethod
    def parse(cls, value: str, kind: str = THURSDAY) -> Period:
        """A date in the week ("2021-01-07", any day: the week holding it) or, for ISO
        weeks, also "2021-W01"; a whole week from 1900 to 9000 (out_of_range).
        ValueError otherwise, with the reason in words, saying what to enter: the
        figures page and the API give these same words."""
        if kind not in KINDS:
            raise ValueError("The weeks are 'thu' (Thursday to Wednesday) or 'iso'.")
        text = (value or "").strip()
        enter = f"Enter a date in the week, for example {EXAMPLE_DAY}"
        if kind == ISO:
            enter += f", or an ISO week, for example {EXAMPLE_WEEK}"
        iso_week = re.fullmatch(r"(\d{4})-?[Ww](\d{1,2})", text)
        if iso_week and kind == ISO:
            year, week = int(iso_week[1]), int(iso_week[2])
            _check_year(year)
            try:
                period = cls(date.fromisocalendar(year, week, 1), ISO)
            except ValueError:
                raise ValueError(f"{text} is not a week of {year}. {enter}") from None
        elif iso_week:
            raise ValueError(
                f"{text} is an ISO week. Enter a date in the week, for example "
                f"{EXAMPLE_DAY}, or choose Monday to Sunday weeks (weeks=iso)"
            )
        else:
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                raise ValueError(enter)
            try:
                day = date.fromisoformat(text)
            except ValueError:
                raise ValueError(f"{text} is not a date. {enter}") from None
            _check_year(day.year)
            period = cls.containing(day, kind)
        if problem := period.out_of_range(text):
            raise ValueError(problem)
        return period

    def out_of_range(self, asked: str = "") -> str:
        """What is wrong with this week's dates ("" when nothing): the weeks run
        from 1900 to 9000, whole (the week holding 1 January 1900 starts in 1899),
        so the first has no previous week, nor the last a next one. `asked`: the
        date or week typed, to name it."""
        if self.starts_on.year >= MIN_YEAR and self.ends_on.year <= MAX_YEAR:
            return ""
        week = f"the week of {asked}" if asked else "the week"
        if self.starts_on.year < MIN_YEAR:
            edge = f"starts on {_day_label(self.starts_on, year=True)}"
        else:
            edge = f"ends on {_day_label(self.ends_on, year=True)}"
        return f"{RANGE_MESSAGE}: {week} {edge}"

    def previous(self, n: int = 1) -> Period:
        return Period(self.starts_on - timedelta(days=7 * n), self.kind)

    @property
    def key(self) -> str:
        """ "2021-01-07" (the Thursday) for Thursday weeks, "2021-W01" for ISO weeks."""
        if self.kind == ISO:
            year, week, _ = self.starts_on.isocalendar()
            return f"{year}-W{week:02d}"
        return self.starts_on.isoformat()

    @property
    def label(self) -> str:
        """ "Thursday 7 January to Wednesday 13 January 2021"."""
        start, end = self.starts_on, self.ends_on
        return (
            f"{_day_label(start, year=start.year != end.year)} to "
            f"{_day_label(end, year=True)}"
        )

    def is_closed(self, now: datetime | None = None) -> bool:
        """The week is over: its cohort is fixed, but its figures may still grow as
        items of its cohort are reached later, so once settled they are cached for a
        day at most (cached_for)."""
        return (now or timezone.now()) >= self.bounds()[1]

    def __str__(self) -> str:
        return self.key


def week_not_started(period: Period, today: date) -> str:
    """What is wrong with asking for a week that has not started yet ("" when it
    has): the figures page and the API refuse it with these words."""
    if period.starts_on > today:
        return (
            f"Enter a date up to today, {today.day} {today:%B %Y}: that week has not "
            "started"
        )
    return ""


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValueError(RANGE_MESSAGE)


# --- scopes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    kind: str  # "england" | "team" | "area"
    id: int | None = None  # LocalTeam pk or Area pk
    label: str = "England"
    code: str = ""  # the LocalTeam's or the Area's code
    team_id: int | None = None  # the local team: its own pk, or the area's team
    # The fallback team (LocalTeam.is_fallback): it also has the items of no area.
    fallback: bool = False

    @classmethod
    def england(cls) -> Scope:
        return cls(ENGLAND)

    @classmethod
    def team(cls, team: LocalTeam) -> Scope:
        return cls(TEAM, team.pk, team.name, team.code, team.pk, team.is_fallback)

    @classmethod
    def area(cls, area: Area) -> Scope:
        return cls(AREA, area.pk, area.name, area.code, area.local_team_id)

    def items_q(self, prefix: str = "") -> Q:
        """The items in the scope: by their area (its local team for a team). The
        fallback team's are also the items of no area (a postcode outside England or
        not in the directory: escalated, they go to it), so each item is one team's
        and the teams' cases add up to England's. Contacts are people counted within
        the scope: a person named in two teams' areas is counted by each of those
        teams and once in England's. England's are every item, of an area or not:
        the national service traced them all."""
        if self.kind == TEAM and self.fallback:
            # Its own areas (none, as loaded) listed: each part reads its index, not
            # England's week joined to the areas.
            own = list(
                Area.objects.filter(local_team_id=self.id)
                .order_by()
                .values_list("pk", flat=True)
            )
            return Q(**{f"{prefix}area__isnull": True}) | Q(
                **{f"{prefix}area_id__in": own}
            )
        if self.kind == TEAM:
            return Q(**{f"{prefix}area__local_team_id": self.id})
        if self.kind == AREA:
            return Q(**{f"{prefix}area_id": self.id})
        return Q()


def scopes_for(user) -> list[Scope]:
    """What a user may see. National supervisors and administrators: England and
    every local team (and any area: see `may_see`); a local team's member or
    supervisor (tier 1): their own team and its areas. Empty: no figures."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if is_national_supervisor(user):
        teams = LocalTeam.objects.order_by("name")
        return [Scope.england(), *(Scope.team(t) for t in teams)]
    profile = active_profile_of(user)
    if profile is None or profile.tier != Tier.LOCAL or profile.local_team is None:
        return []
    team = profile.local_team
    areas = Area.objects.filter(local_team=team).order_by("name")
    return [Scope.team(team), *(Scope.area(a) for a in areas)]


def may_see(scope: Scope, *, local_team_id: int | None) -> bool:
    """Whether a viewer bound to a local team (a tier 1 member, a bound API client)
    may see this scope: their team and its areas only. None: a national viewer, who
    may see every scope."""
    if local_team_id is None:
        return True
    if scope.kind == TEAM:
        return scope.id == local_team_id
    if scope.kind == AREA:
        return scope.team_id == local_team_id
    return False


# --- the figures ------------------------------------------------------------------


@dataclass(frozen=True)
class RouteFigures:
    reached: int
    within_24h: int


@dataclass(frozen=True)
class CaseFigures:
    transferred: int
    reached: int
    reached_pct: float | None  # None when transferred == 0; one decimal place
    within_24h: int
    within_24h_pct: float | None  # of transferred
    spread: dict[str, int]  # SPREAD_KEYS: reached, by hours from transfer to reach
    # Not reached for want of details: handed to the local team for a wrong or
    # missing number, or, still with the national service, no phone (nor other
    # phone) and no email on their record (see case_aggregates).
    not_reached_no_details: int
    not_reached_other: int
    by_route: dict[str, RouteFigures]  # keys ROUTES
    # Cases who were known contacts: the same person named as a contact, exposed
    # within the chain's days before the case's onset (contacts/chains.py), and
    # named before the case arrived.
    known_contacts: int = 0
    known_contacts_pct: float | None = None  # of transferred


@dataclass(frozen=True)
class ContactFigures:
    identified: int  # people, each counted once (see merged)
    merged: int  # contact rows taken out as the same person
    reached: int
    reached_pct: float | None  # of identified
    within_24h: int
    within_24h_pct: float | None
    spread: dict[str, int]
    by_route: dict[str, RouteFigures]
    per_case: float | None  # identified / cases transferred (None when 0)
    rows: int = 0  # contact rows in the week (identified + merged)


@dataclass(frozen=True)
class Spread:  # hours
    median: float | None
    p90: float | None
    n: int


@dataclass(frozen=True)
class Times:
    specimen_to_result: Spread  # cases transferred: result - specimen date, 24 h a day
    result_to_case_reached: Spread  # reached_at - created_at (transfer), cases reached
    case_reached_to_contacts_reached: Spread  # contact rows reached (0 if before)


@dataclass(frozen=True)
class StaffRow:
    tier: int  # 2 or 3 (staffing.models.Tier)
    team: str  # staff team name ("" for staff with no team)
    hours_on_shift: float  # booked shift time already worked within the week
    calls: int
    reached: int  # cases and contacts reached on their calls, each once a person
    calls_per_hour: float | None
    reached_per_hour: float | None
    idle_share: float | None  # 0..1: share of shift time not on a call or its write-up


@dataclass(frozen=True)
class WeekFigures:
    period: Period
    scope: Scope
    cases: CaseFigures
    contacts: ContactFigures
    times: Times
    staff: list[StaffRow]  # England scope only; [] for a team or area
    computed_at: datetime


def _pct(n: int, of: int) -> float | None:
    return round(100 * n / of, 1) if of else None


def _ratio(n: float, of: float, places: int = 2) -> float | None:
    return round(n / of, places) if of else None


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _reach_tier() -> F:
    """The staffing tier of the caller of the item's reaching call, as stamped on the
    item when that call was recorded (None off the national route, or for an item
    reached by someone with no staff profile)."""
    return F("reached_tier")


def _reach_counts(since: str, named_tier: int) -> dict[str, Any]:
    """Aggregates of reached items: in all, within 24 h of `since`, by spread bucket
    and by route (the national route by the reaching caller's tier: `named_tier`
    counted here, the other tier is the rest of the national route)."""

    def after(hours: int) -> Any:
        return F(since) + timedelta(hours=hours)

    reached = Q(reached_at__isnull=False)
    within = reached & Q(reached_at__lte=after(24))
    buckets = {
        "under_24h": within,
        "24_48h": Q(reached_at__gt=after(24), reached_at__lte=after(48)),
        "48_72h": Q(reached_at__gt=after(48), reached_at__lte=after(72)),
        "over_72h": Q(reached_at__gt=after(72)),
    }
    routes = {
        "online": Q(reached_route=Route.ONLINE),
        "local": Q(reached_route=Route.LOCAL),
        "national": Q(reached_route=Route.NATIONAL),
        "named_tier": Q(reached_route=Route.NATIONAL, reach_tier=named_tier),
    }
    counts: dict[str, Any] = {
        "reached": Count("pk", filter=reached),
        "within_24h": Count("pk", filter=within),
    }
    for name, q in buckets.items():
        counts[f"spread_{name}"] = Count("pk", filter=q)
    for name, q in routes.items():
        counts[f"route_{name}"] = Count("pk", filter=reached & q)
        counts[f"route_{name}_24"] = Count("pk", filter=within & q)
    return counts


def _by_route(row: dict[str, Any], named_tier: int) -> dict[str, RouteFigures]:
    named = f"tier{named_tier}"
    other = "tier3" if named_tier == Tier.CLINICAL else "tier2"
    routes = {
        "online": RouteFigures(row["route_online"], row["route_online_24"]),
        named: RouteFigures(row["route_named_tier"], row["route_named_tier_24"]),
        other: RouteFigures(
            row["route_national"] - row["route_named_tier"],
            row["route_national_24"] - row["route_named_tier_24"],
        ),
        "local": RouteFigures(row["route_local"], row["route_local_24"]),
    }
    return {route: routes[route] for route in ROUTES}


def _spread(row: dict[str, Any]) -> dict[str, int]:
    return {name: row[f"spread_{name}"] for name in SPREAD_KEYS}


def case_aggregates() -> dict[str, Any]:
    """The cases block's aggregates (over cases annotated with `reach_tier`): the
    week's cases, reached, how soon and by which route."""
    unreached = Q(reached_at__isnull=True)
    # An unreached case ended when it was handed to its local team (an escalation
    # not sent back): why is recorded then, and a number or a merge reaching their
    # record afterwards does not change it. One still with the national service
    # has not ended: its record says what is true of it now. An escalation closed
    # by a withdrawal of the result (sent in error) is no hand-over the team
    # worked: left out by name, though its case is in no cohort (COUNTED_OUT).
    handed_over = Escalation.objects.filter(case_id=OuterRef("pk")).exclude(
        outcome__in=[Escalation.Outcome.RETURNED, Escalation.Outcome.WITHDRAWN]
    )
    for_want_of_details = SqlCase(
        When(
            Exists(handed_over),
            then=Exists(handed_over.filter(reason=Escalation.Reason.WRONG_NUMBER)),
        ),
        default=Exists(
            Person.objects.filter(
                pk=OuterRef("person_id"), phone="", phone_alt="", email=""
            )
        ),
        output_field=BooleanField(),
    )
    # Looked up for the unreached only (a CASE, so never evaluated for the rest): a
    # join to people for every case of the week read all 8M people at peak.
    no_details = SqlCase(
        When(unreached, then=for_want_of_details),
        default=Value(False),
        output_field=BooleanField(),
    )
    # Named, with an exposure in the window, before the case arrived.
    known_contact = Exists(contacts_becoming(known=True))
    # Not reached online or locally, and no reaching call by tier 3: tier 2.
    return {
        "transferred": Count("pk"),
        "no_details": Count("pk", filter=no_details),
        "known_contacts": Count("pk", filter=known_contact),
        "unreached": Count("pk", filter=unreached),
        **_reach_counts("created_at", named_tier=Tier.CALL_HANDLER),
    }


def case_figures_from(row: dict[str, Any]) -> CaseFigures:
    """The cases block from its aggregates' row (case_aggregates)."""
    transferred = row["transferred"]
    return CaseFigures(
        transferred=transferred,
        reached=row["reached"],
        reached_pct=_pct(row["reached"], transferred),
        within_24h=row["within_24h"],
        within_24h_pct=_pct(row["within_24h"], transferred),
        spread=_spread(row),
        not_reached_no_details=row["no_details"],
        not_reached_other=row["unreached"] - row["no_details"],
        by_route=_by_route(row, Tier.CALL_HANDLER),
        known_contacts=row["known_contacts"],
        known_contacts_pct=_pct(row["known_contacts"], transferred),
    )


def _case_figures(cases: QuerySet[Case]) -> CaseFigures:
    """One query: the week's cases, reached, how soon and by which route."""
    row = cases.annotate(reach_tier=_reach_tier()).aggregate(**case_aggregates())
    return case_figures_from(row)


def person_key() -> F:
    """Who a contact row is: its person, as matching and merges decided (see the
    module's docstring). Read from the week's covering index, never from people."""
    return F("person_id")


def people_of(
    contacts: QuerySet[Contact], *, within: tuple[F, ...] = ()
) -> QuerySet[Contact]:
    """The contacts as people: one row per person (per person and `within`, when
    given: each local team's people, say) kept, their first reached, else their
    first identified, with `first_created` (their first identification) and
    `person_rows` (their rows)."""
    person = [*within, F("person_key")]
    return (
        contacts.annotate(
            person_key=person_key(),
            reach_tier=_reach_tier(),
            first_created=Window(Min("created_at"), partition_by=person),
            person_rows=Window(Count("pk"), partition_by=person),
            nth=Window(
                RowNumber(),
                partition_by=person,
                order_by=[
                    F("reached_at").asc(nulls_last=True),
                    F("created_at").asc(),
                    F("pk").asc(),
                ],
            ),
        )
        .filter(nth=1)
        .order_by()
    )


def contact_figures_from(row: dict[str, Any], cases_transferred: int) -> ContactFigures:
    """The contacts block from its aggregates' row: `identified` (people), `rows`,
    and _reach_counts("first_created", named_tier=Tier.CLINICAL)."""
    identified = row["identified"]
    return ContactFigures(
        identified=identified,
        merged=row["rows"] - identified,
        reached=row["reached"],
        reached_pct=_pct(row["reached"], identified),
        within_24h=row["within_24h"],
        within_24h_pct=_pct(row["within_24h"], identified),
        spread=_spread(row),
        by_route=_by_route(row, Tier.CLINICAL),
        per_case=_ratio(identified, cases_transferred),
        rows=row["rows"],
    )


def _contact_figures(
    contacts: QuerySet[Contact], cases_transferred: int
) -> ContactFigures:
    """One query: the week's contacts as people (one row per person kept: their first
    reached, else their first identified), reached, how soon and by which route."""
    # No reaching call by tier 2: tier 3.
    row = people_of(contacts).aggregate(
        identified=Count("pk"),
        rows=Coalesce(Sum("person_rows"), 0),
        **_reach_counts("first_created", named_tier=Tier.CLINICAL),
    )
    return contact_figures_from(row, cases_transferred)


def _duration(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


TIME_COLUMNS = (
    "specimen_to_result",
    "result_to_case_reached",
    "case_reached_to_contacts_reached",
)


def time_columns(
    cases: QuerySet[Case], contacts: QuerySet[Contact]
) -> dict[str, tuple[QuerySet, ExpressionWrapper]]:
    return {
        "specimen_to_result": (cases, _duration("result_date", "specimen_date")),
        "result_to_case_reached": (
            cases.filter(reached_at__isnull=False),
            _duration("reached_at", "created_at"),
        ),
        "case_reached_to_contacts_reached": (
            contacts.filter(reached_at__isnull=False, case__reached_at__isnull=False),
            _duration("reached_at", "case__reached_at"),
        ),
    }


def _times(cases: QuerySet[Case], contacts: QuerySet[Contact]) -> Times:
    columns = time_columns(cases, contacts)
    if connections[cases.db].vendor == "postgresql":
        return _times_in_database(columns, using=cases.db)
    return _times_in_python(columns)


def _times_in_database(
    columns: dict[str, tuple[QuerySet, ExpressionWrapper]], *, using: str
) -> Times:
    """One query: each column's median, 90th percentile and count, computed by
    PostgreSQL (each an aggregate over its own rows, cross joined into one row)."""
    parts, params = [], []
    for i, (name, (rows, duration)) in enumerate(columns.items()):
        aggregates = time_aggregates(name, duration)
        # Grouped by a constant: one row, even for no rows (Value has no group by).
        one_row = (
            rows.order_by()
            .annotate(_all=Value(1))
            .values("_all")
            .annotate(**aggregates)
            .values(*aggregates)
        )
        sql, part_params = one_row.query.get_compiler(using=using).as_sql()
        parts.append(f"({sql}) AS part_{i}")
        params.extend(part_params)
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT * FROM " + " CROSS JOIN ".join(parts), params)
        names = [column[0] for column in cursor.description]
        row = dict(zip(names, cursor.fetchone() or (), strict=False))
    return times_from(row)


def time_aggregates(name: str, duration: ExpressionWrapper) -> dict[str, Any]:
    """A column of times' aggregates (PostgreSQL): its median, 90th percentile and
    count, in hours (a negative duration counts as none), named as times_from reads
    them."""
    hours = Greatest(Hours(duration), Value(0.0))
    return {
        f"{name}__median": PercentileCont(hours, 0.5),
        f"{name}__p90": PercentileCont(hours, 0.9),
        f"{name}__n": Count(hours),
    }


def times_from(row: dict[str, Any]) -> Times:
    """The times block from its aggregates' row: for each column of time_columns,
    `<name>__median`, `<name>__p90` and `<name>__n` (a column missing: no rows)."""
    return Times(
        **{
            name: Spread(
                median=_hours(row.get(f"{name}__median")),
                p90=_hours(row.get(f"{name}__p90")),
                n=row.get(f"{name}__n") or 0,
            )
            for name in TIME_COLUMNS
        }
    )


def _times_in_python(columns: dict[str, tuple[QuerySet, ExpressionWrapper]]) -> Times:
    """SQLite only (no percentile_cont): each column read, then interpolated as
    PostgreSQL would. Three queries."""
    spreads = {}
    for name, (rows, duration) in columns.items():
        hours = [
            max(0.0, d.total_seconds() / 3600)
            for d in rows.order_by()
            .annotate(_hours=duration)
            .values_list("_hours", flat=True)
            if d is not None
        ]
        spreads[name] = Spread(
            median=_hours(percentile_cont(hours, 0.5)),
            p90=_hours(percentile_cont(hours, 0.9)),
            n=len(hours),
        )
    return Times(**spreads)


def _staff(start: datetime, end: datetime, now: datetime) -> list[StaffRow]:
    """Two grouped queries, per member of staff of the national tiers: the booked
    shift time already worked in the week (up to now), by the tier and team each
    shift was booked for; and the calls made, the people they reached, and the time
    on them. Then per tier and staff team, in Python: the share of shift time not on
    a call is utilisation's (figures/utilisation.py): a call is its talk and WRAP_UP
    to write it up, and each person's time on calls counts up to their own shift
    time, so one who called for hours past their shift does not hide the idle time
    of another.

    A week is filed under the tier and team its shifts were booked for, not those
    the person has now (a move to another team later leaves past weeks as they
    were); a slot open to the whole tier (no team) counts under the team the person
    has. A person's calls go with their shifts of the week (with the tier and team
    of most of their hours, if they worked in two); someone who called with no
    shift in the week is filed under their own tier and team.

    People reached: the cases and contacts a person reached, each once, however
    many of their calls to it say "reached" (a follow-up call to someone already
    reached says so too).

    Grouped joins, not a subquery per member of staff: at a month at peak (9,000
    staff, 1.2M calls in the week) three correlated subqueries a member took 4.3 s,
    the grouped join of the week's calls to their callers 0.6 s."""
    until = max(start, min(end, now))
    national = (Tier.CLINICAL, Tier.CALL_HANDLER)
    worked = ExpressionWrapper(
        Least(F("ends_at"), Value(until, output_field=DateTimeField()))
        - Greatest(F("starts_at"), Value(start, output_field=DateTimeField())),
        output_field=DurationField(),
    )
    shifts = (
        Shift.objects.filter(
            tier__in=national,
            status=Shift.Status.BOOKED,
            starts_at__lt=until,
            ends_at__gt=start,
        )
        .order_by()
        .annotate(team_name=Coalesce("team__name", "staff__team__name"))
        .values("staff_id", "tier", "team_name")
        .annotate(worked=Sum(worked))
        .values_list("staff_id", "tier", "team_name", "worked")
    )
    reached = Q(outcome=Outcome.REACHED)
    calls = (
        CallAttempt.objects.filter(
            caller__staff__isnull=False,
            started_at__gte=start,
            started_at__lt=until,
        )
        .order_by()
        .values("caller__staff__id", "caller__staff__tier", "caller__staff__team__name")
        .annotate(
            n=Count("pk"),
            # Each case and contact once (Count ignores the other's NULLs).
            reached=Count("case_id", filter=reached, distinct=True)
            + Count("contact_id", filter=reached, distinct=True),
            talk=Sum("duration_seconds"),
        )
        .values_list(
            "caller__staff__id",
            "caller__staff__tier",
            "caller__staff__team__name",
            "n",
            "reached",
            "talk",
        )
    )
    # Per person, tier and team: [shift seconds, calls, reached, talk seconds].
    worked_in: dict[tuple[int, int, str | None], list[float]] = {}
    for staff_id, tier, team, worked_for in shifts:
        seconds = worked_for.total_seconds() if worked_for else 0.0
        worked_in[(staff_id, tier, team)] = [seconds, 0, 0, 0]
    # Each person's calls with their shifts' tier and team of the most hours.
    main: dict[int, tuple[int, int, str | None]] = {}
    for key, (seconds, *_) in worked_in.items():
        if key[0] not in main or seconds > worked_in[main[key[0]]][0]:
            main[key[0]] = key
    for staff_id, tier, team, n, reached_by, talk in calls:
        key = main.get(staff_id, (staff_id, tier, team))
        if key[1] not in national:
            continue  # called with no national shift, and not of a national tier now
        worked_in.setdefault(key, [0.0, 0, 0, 0])[1:] = [n, reached_by, talk or 0]
    # Per team: [shift seconds, calls, reached, busy seconds within shifts].
    by_team: dict[tuple[int, str | None], list[float]] = {}
    for (_, tier, team), (on_shift, made, reached_by, on_calls) in worked_in.items():
        totals = by_team.setdefault((tier, team), [0.0, 0, 0, 0.0])
        totals[0] += on_shift
        totals[1] += made
        totals[2] += reached_by
        totals[3] += min(on_shift, busy_seconds(talk_seconds=on_calls, calls=int(made)))
    staff = []
    # By tier, then team name; members of no team last.
    for (tier, name), (on_shift, made, reached_by, busy) in sorted(
        by_team.items(), key=lambda kv: (kv[0][0], kv[0][1] is None, kv[0][1] or "")
    ):
        if not on_shift and not made:
            continue  # nobody of this team worked or called in the week
        hours = on_shift / 3600
        staff.append(
            StaffRow(
                tier=tier,
                team=name or "",
                hours_on_shift=round(hours, 2),
                calls=int(made),
                reached=int(reached_by),
                calls_per_hour=_ratio(int(made), hours),
                reached_per_hour=_ratio(int(reached_by), hours),
                idle_share=round(1 - busy / on_shift, 3) if on_shift else None,
            )
        )
    return staff


@contextmanager
def figures_reads() -> Iterator[str]:
    """A transaction on the database the figures' reads go to (the replica inside
    figures.replica.replica_reads, when there is one), with room to sort in memory:
    the alias of that database."""
    using = router.db_for_read(Case)
    if connections[using].vendor == "sqlite":
        # The embedded default opens every transaction IMMEDIATE (settings), which
        # takes SQLite's write lock: the beat's refresh of every team's figures held
        # each write of the site for seconds. Read as each statement comes instead.
        yield using
        return
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            with connections[using].cursor() as cursor:
                # This transaction only: sorts and hashes in memory, not on disk.
                cursor.execute(
                    "SELECT set_config('work_mem', %s, true)",
                    [settings.FIGURES_WORK_MEM],
                )
        yield using


# A case whose positive result was withdrawn (sent in error), and the contacts only
# it named (work.withdraw), were never cases or contacts: counted nowhere, reached
# or not. Read from the contacts' covering index (status is among its columns).
COUNTED_OUT = Q(status=Status.WITHDRAWN)


def compute_weekly_figures(
    *, period: Period, scope: Scope, now: datetime | None = None
) -> WeekFigures:
    """The figures, from the database, never from the cache: three queries for a
    team or an area (four for the fallback team: its areas first), five for England
    (on SQLite the times block takes three)."""
    now = now or timezone.now()
    with figures_reads():
        return _compute(period=period, scope=scope, now=now)


def _compute(*, period: Period, scope: Scope, now: datetime) -> WeekFigures:
    start, end = period.bounds()
    in_week = Q(created_at__gte=start, created_at__lt=end) & scope.items_q()
    cases_qs = Case.objects.filter(in_week).exclude(COUNTED_OUT)
    contacts_qs = Contact.objects.filter(in_week).exclude(COUNTED_OUT)
    cases = _case_figures(cases_qs)
    return WeekFigures(
        period=period,
        scope=scope,
        cases=cases,
        contacts=_contact_figures(contacts_qs, cases.transferred),
        times=_times(cases_qs, contacts_qs),
        staff=_staff(start, end, now) if scope.kind == ENGLAND else [],
        computed_at=now,
    )


# --- the cache --------------------------------------------------------------------


def forgotten_in_database() -> str:
    """The token of the last forgetting the cache missed ("0": none). One read of
    one row by its primary key (some 0.1 ms on the server, plus a round trip), on
    the database the figures are read from: a replica has the marker as soon as it
    has the change that called for it. A replica that fails the read under it (gone
    since it was checked) is passed by: the primary is read, as cached figures
    need no other read of it."""
    token = read_on_replica(
        FiguresForgotten.objects.filter(pk=FiguresForgotten.ONE_ROW)
        .values_list("token", flat=True)
        .first
    )
    return token or "0"


def cache_generation(forgotten: str | None = None) -> str:
    """The generation in the keys of the cached figures: the cache's own (a new one
    at each forget_cached_figures) and the database's marker of the forgettings the
    cache missed (`forgotten`, read if not given). Raises if the cache does not
    answer."""
    if forgotten is None:
        forgotten = forgotten_in_database()
    return f"{cache.get(_generation_key()) or '0'}.{forgotten}"


def _namespace() -> str:
    """The cache's keys of figures: of this version and this database (two
    databases, or two test runs, sharing one Redis never read each other's)."""
    database = connections["default"].settings_dict["NAME"]
    return f"figures:weekly:v{CACHE_VERSION}:{database}"


def _generation_key() -> str:
    return f"{_namespace()}:generation"


def cache_key(
    period: Period, scope: Scope, generation: str = "0", *, open_week: bool = False
) -> str:
    """The key of a week's figures; a week's whose figures still move (open, or not
    yet settled: cached_for) has its own (":open"), so that once the week is settled
    its moving figures are not taken for the settled ones."""
    scope_id = "-" if scope.id is None else scope.id
    key = (
        f"{_namespace()}:{generation}:"
        f"{period.kind}:{period.key}:{scope.kind}:{scope_id}"
    )
    return f"{key}:open" if open_week else key


def _open_week_seconds() -> int:
    return max(0, int(settings.FIGURES_OPEN_WEEK_SECONDS))


def cached_for(period: Period, now: datetime) -> tuple[bool, int]:
    """Whether the week's figures still move as its items are reached (the week is
    open, or over for less than SETTLES_AFTER), and how long they are cached: a
    settled week for CACHE_SECONDS (a day), the others for FIGURES_OPEN_WEEK_SECONDS
    (0: not cached). Cached as a settled week as soon as it closed, the week read
    most (the last) would keep the figures of its first minutes, when its last
    day's items could not yet have been reached."""
    moving = not period.is_closed(now - SETTLES_AFTER)
    return moving, _open_week_seconds() if moving else CACHE_SECONDS


def forget_cached_figures() -> None:
    """Every cached week is read afresh from now on: after a change to what past weeks
    count (a merge or its undoing, an erasure, an area moved to another team, a
    correction of old data; tests whose data differ for the same week). Call it once
    the change is committed, or a reader in between caches the old figures anew.

    A cache that does not answer (Redis down or hung) is never an error here, as
    the change is saved: the forgetting is marked in the database instead (one row,
    figures.models.FiguresForgotten), and the figures cached before it are not read
    once the cache is back."""
    try:
        cache.set(_generation_key(), uuid.uuid4().hex, None)
    except Exception:
        logger.warning(
            "figures cache unavailable: forgetting the figures in the database",
            exc_info=True,
        )
        # A set that timed out may yet have been made: the marker is a new token
        # either way, so the old keys are left behind all the same.
        FiguresForgotten.objects.update_or_create(
            pk=FiguresForgotten.ONE_ROW,
            defaults={"token": uuid.uuid4().hex, "at": timezone.now()},
        )


def weekly_figures(
    *, period: Period, scope: Scope, now: datetime | None = None
) -> WeekFigures:
    """One query per block (cases, contacts, times, staff), by aggregation in the
    database; cached (Django cache, key by period.kind/key/scope): a settled week for
    a day at most, the open week for settings.FIGURES_OPEN_WEEK_SECONDS (0: computed
    on every call). Figures not in the cache, or older than that, are computed by one
    reader at a time (computed_once). A cache that does not answer is passed by,
    never an error. Cached figures cost one query: the marker of the forgettings the
    cache missed (forgotten_in_database)."""
    now = now or timezone.now()
    open_week, seconds = cached_for(period, now)
    if not seconds:
        return compute_weekly_figures(period=period, scope=scope, now=now)
    return _weekly_figures_cached(
        period=period,
        scope=scope,
        now=now,
        forgotten=forgotten_in_database(),
        open_week=open_week,
        seconds=seconds,
    )


def _weekly_figures_cached(
    *,
    period: Period,
    scope: Scope,
    now: datetime,
    forgotten: str,
    open_week: bool,
    seconds: int,
) -> WeekFigures:
    """weekly_figures of a week that is cached (`seconds`), the database's marker
    (`forgotten`) read already."""

    def fresh(cached: Any) -> bool:
        # An entry also ages by the app's clock (its `now`), not only by the cache's
        # own expiry: a settled week's figures are never more than a day old.
        if not isinstance(cached, WeekFigures):
            return False
        return now - cached.computed_at < timedelta(seconds=seconds)

    try:
        key = cache_key(period, scope, cache_generation(forgotten), open_week=open_week)
        cached = cache.get(key)
    except Exception:  # the cache is a help, not a dependency
        logger.warning("figures cache unavailable", exc_info=True)
        return compute_weekly_figures(period=period, scope=scope, now=now)
    if fresh(cached):
        return cached
    figures, _ = computed_once(
        key,
        seconds,
        fresh,
        lambda: compute_weekly_figures(period=period, scope=scope, now=now),
    )
    return figures


# How long a reader's claim to compute a week lasts, at most (it is let go as soon as
# the figures are in the cache, or the computation fails), and so how long the others
# wait for it: a busy week at peak takes 10-20 s, and a web worker that does nothing
# for 30 s is ended by gunicorn (its default timeout).
COMPUTING_SECONDS = 30


def computed_once(
    key: str,
    seconds: int,
    fresh: Callable[[Any], bool],
    compute: Callable[[], WeekFigures],
) -> tuple[WeekFigures, bool]:
    """The figures under `key`, and whether this caller computed them (not another
    reader): computed by one reader at a time (the beat's refresh is one). The first
    to claim the key (an atomic cache.add) computes and caches them; the others wait
    for figures `fresh` takes to appear. At peak a busy week takes some 10 s of three
    of the database's cores, so ten supervisors opening it at once must not make
    that ten times. A reader whose computing fails lets the claim go, and a waiting
    reader then claims it; one that waits COMPUTING_SECONDS computes them itself."""
    claim = f"{key}:computing"
    token = uuid.uuid4().hex
    deadline = time.monotonic() + COMPUTING_SECONDS
    pause = 0.02

    def computed_and_cached() -> tuple[WeekFigures, bool]:
        figures = compute()
        try:
            cache.set(key, figures, seconds)
        except Exception:
            logger.warning("figures cache unavailable", exc_info=True)
        return figures, True

    while True:
        try:
            claimed = cache.add(claim, token, COMPUTING_SECONDS)
        except Exception:
            logger.warning("figures cache unavailable", exc_info=True)
            return compute(), True
        if claimed:
            try:
                return computed_and_cached()
            finally:
                try:
                    if cache.get(claim) == token:
                        cache.delete(claim)
                except Exception:
                    logger.warning("figures cache unavailable", exc_info=True)
        # Another reader is computing them: wait for their figures.
        while True:
            if time.monotonic() >= deadline:
                return computed_and_cached()  # theirs never came
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
            try:
                cached = cache.get(key)
                claimed_by_another = cache.get(claim) is not None
            except Exception:
                logger.warning("figures cache unavailable", exc_info=True)
                return compute(), True
            if fresh(cached):
                return cached, False
            if not claimed_by_another:
                break  # they let it go without figures: claim it


def weekly_trend(
    *,
    scope: Scope,
    weeks: int = 8,
    kind: str = THURSDAY,
    until: Period | None = None,
) -> list[WeekFigures]:
    """The figures of `weeks` weeks, oldest first, ending with the last complete
    week (or `until`, whose kind then rules). Closed weeks come from the cache,
    with one read of the database's marker (forgotten_in_database) for them all."""
    last = until or Period.last_complete(kind)
    now = timezone.now()
    forgotten: str | None = None
    trend = []
    for n in range(max(weeks, 0) - 1, -1, -1):
        period = last.previous(n)
        open_week, seconds = cached_for(period, now)
        if not seconds:
            trend.append(compute_weekly_figures(period=period, scope=scope, now=now))
            continue
        if forgotten is None:
            forgotten = forgotten_in_database()
        trend.append(
            _weekly_figures_cached(
                period=period,
                scope=scope,
                now=now,
                forgotten=forgotten,
                open_week=open_week,
                seconds=seconds,
            )
        )
    return trend
