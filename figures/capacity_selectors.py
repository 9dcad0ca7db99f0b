"""Reads for capacity planning: the history the forecast is made from, the shifts
booked against it, and the room the team's weekly caps leave.

Every read is an aggregate made by the database (GROUP BY hour, by tier and outcome,
by shift window), never a row per case, contact, call or shift: three queries for
the forecast and one for the rota, whatever the volume. The forecast (the history
and the arithmetic on it) is cached for TRACING_CAPACITY_CACHE_SECONDS under the
hour it starts at, and the beat makes England's afresh every five minutes
(figures.tasks), so at a peak's volume no page view waits for its scans; the shifts
are read afresh every time, so a slot booked or published shows at once.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncHour
from django.utils import timezone

from areas.models import LocalTeam
from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import UNREACHED
from clock import local_midnight, monday_of
from contacts.models import Contact
from staffing.models import Shift, StaffProfile, Tier
from staffing.selectors.members import (
    missing_training,
    registration_current,
    team_members,
)
from staffing.selectors.rota import hours_booked

from . import capacity as cap
from . import capacity_slots as slots_of
from . import forecast as fc
from .utilisation import WRAP_UP

logger = logging.getLogger(__name__)

CACHE_VERSION = 4


# --- the history ------------------------------------------------------------------


def _arrivals(
    model: type[Case] | type[Contact],
    *,
    since: datetime,
    until: datetime,
    local_team_id: int | None,
) -> list[tuple[datetime, int, int]]:
    """(UTC hour, items arrived, of them escalated since) for each hour with any."""
    items = model.objects.filter(created_at__gte=since, created_at__lt=until)
    if local_team_id is not None:
        items = items.filter(area__local_team_id=local_team_id)
    return list(
        items.annotate(hour=TruncHour("created_at", tzinfo=UTC))
        .order_by()
        .values("hour")
        .annotate(
            n=Count("pk"), escalated=Count("pk", filter=Q(escalated_at__isnull=False))
        )
        .values_list("hour", "n", "escalated")
    )


def _escalated_share(
    rows: Sequence[tuple[datetime, int, int]], *, before: datetime, kind: str
) -> tuple[float, bool]:
    """The share escalated of the items whose call window had closed by `before`."""
    arrived = sum(n for hour, n, _ in rows if hour < before)
    escalated = sum(e for hour, _, e in rows if hour < before)
    if arrived >= cap.MIN_MEASURED:
        return escalated / arrived, True
    return fc.DEFAULT_ESCALATED_SHARE[kind], False


def _waiting(
    model: type[Case] | type[Contact], *, local_team_id: int | None
) -> tuple[tuple[datetime | None, int, int], ...]:
    """The work waiting now, not yet reached (in the pool, or held): (UTC hour its
    next call is due, calls made in its round, items) for each such group. These
    are calls the forecast must count whatever arrives next."""
    items = model.objects.filter(status__in=UNREACHED)
    if local_team_id is not None:
        items = items.filter(area__local_team_id=local_team_id)
    return tuple(
        items.annotate(hour=TruncHour("next_attempt_at", tzinfo=UTC))
        .order_by()
        .values("hour", "attempts")
        .annotate(n=Count("pk"))
        .values_list("hour", "attempts", "n")
    )


def _waiting_cases(
    *, local_team_id: int | None
) -> tuple[tuple[datetime | None, int, date, int, int], ...]:
    """The cases waiting now, not yet reached, as _waiting reads them and also by the
    local day each arrived and the contacts it has named so far (a case may name
    them through the API or its page before its call): (UTC hour its next call is
    due, calls made in its round, day arrived, contacts named, cases) for each such
    group. One query: the contacts are counted per case inside it."""
    named = (
        Contact.objects.filter(case=OuterRef("pk"))
        .order_by()
        .values("case")
        .annotate(n=Count("pk"))
        .values("n")
    )
    items = Case.objects.filter(status__in=UNREACHED)
    if local_team_id is not None:
        items = items.filter(area__local_team_id=local_team_id)
    return tuple(
        items.annotate(
            hour=TruncHour("next_attempt_at", tzinfo=UTC),
            arrived_on=TruncDate("created_at"),
            named=Coalesce(Subquery(named), 0),
        )
        .order_by()
        .values("hour", "attempts", "arrived_on", "named")
        .annotate(n=Count("pk"))
        .values_list("hour", "attempts", "arrived_on", "named", "n")
    )


def _by_next_call(
    waiting_cases: Sequence[tuple[datetime | None, int, date, int, int]],
) -> tuple[tuple[datetime | None, int, int], ...]:
    """The waiting cases as _waiting gives them: by next call and calls made."""
    groups: dict[tuple[datetime | None, int], int] = defaultdict(int)
    for hour, made, _, _, n in waiting_cases:
        groups[(hour, made)] += n
    return tuple((hour, made, n) for (hour, made), n in groups.items())


def _calling_over(
    model: type[Case] | type[Contact], *, since: datetime, until: datetime
) -> tuple[int, int]:
    """(items, the calls made to them) of the items whose calling ended between
    `since` and `until`: first reached, else escalated, else closed. Calls per item
    are measured over these, never the calls made over the items arrived: a week
    whose staff fell behind would otherwise say its waiting items needed no calls."""
    window = {"gte": since, "lt": until}

    def ended(field: str) -> Q:
        return Q(**{f"{field}__{k}": v for k, v in window.items()})

    # Calling ends within the call window (hours, a day or two) of arriving: the
    # items that arrived in the week before as well are nearly all there are, and the
    # bound reads them through the index on arrival, not every case ever.
    arrived_since = since - (until - since)
    over = (
        model.objects.filter(created_at__gte=arrived_since)
        .filter(
            ended("reached_at")
            | Q(reached_at__isnull=True) & ended("escalated_at")
            | Q(reached_at__isnull=True, escalated_at__isnull=True) & ended("closed_at")
        )
        .aggregate(items=Count("pk", distinct=True), calls=Count("calls"))
    )
    return over["items"], over["calls"]


def _within(
    rows: Sequence[tuple[datetime, int, int]], since: datetime
) -> list[tuple[datetime, int, int]]:
    return [row for row in rows if row[0] >= since]


def history_measure(*, now: datetime, local_team_id: int | None = None) -> cap.History:
    """Arrivals by the hour (England's, or one local team's areas'): cases over the
    last eight weeks (the weekday pattern's), contacts over the last two; and over
    the last week the calls, by tier and outcome. From them contacts per case, calls
    per item (over the items whose calling ended that week), the share escalated
    and the minutes per call; and the work waiting now, cases and contacts (the
    cases also by the day they arrived and the contacts they have named). Seven
    queries.

    Calls are England's whoever the items are for: how long a call takes and how many
    an item needs do not depend on its area, and England has the most of them. The
    waiting work is the local team's areas' for a local team.
    """
    until = cap.current_hour(now)
    today = timezone.localtime(until).date()

    def days_back(days: int) -> datetime:
        return local_midnight(today - timedelta(days=days))

    since = days_back(cap.HISTORY_DAYS)
    contacts_since = days_back(cap.CONTACT_HISTORY_DAYS)
    calls_since = days_back(cap.CALL_HISTORY_DAYS)
    cases = _arrivals(Case, since=since, until=until, local_team_id=local_team_id)
    contacts = _arrivals(
        Contact, since=contacts_since, until=until, local_team_id=local_team_id
    )
    calls = list(
        CallAttempt.objects.filter(started_at__gte=calls_since, started_at__lt=until)
        .order_by()
        .values("caller__staff__tier", "outcome")
        .annotate(n=Count("pk"), talk=Sum("duration_seconds"))
        .values_list("caller__staff__tier", "outcome", "n", "talk")
    )

    def arrived(rows: Sequence[tuple[datetime, int, int]], since: datetime) -> int:
        return sum(n for _, n, _ in _within(rows, since))

    attempts, attempts_measured = {}, {}
    for kind, model in (("case", Case), ("contact", Contact)):
        items_over, calls_to = _calling_over(model, since=calls_since, until=until)
        attempts[kind], attempts_measured[kind] = cap.measured_rate(
            calls_to, items_over, fc.DEFAULT_ATTEMPTS_PER_ITEM[kind]
        )
    per_case, per_case_measured = cap.measured_rate(
        arrived(contacts, contacts_since),
        arrived(cases, contacts_since),
        fc.DEFAULT_CONTACTS_PER_CASE,
    )
    shares, shares_measured = {}, {}
    rules = settings.TRACING_CALL_RULES
    for kind, rows in (("case", _within(cases, contacts_since)), ("contact", contacts)):
        closed = until - timedelta(hours=rules[kind]["window_hours"])
        shares[kind], shares_measured[kind] = _escalated_share(
            rows, before=closed, kind=kind
        )
    by_tier: dict[int, list[tuple[str, int, float]]] = defaultdict(list)
    for tier, outcome, n, talk in calls:
        if tier in cap.TIERS:
            by_tier[tier].append((outcome, n, float(talk or 0)))
    wrap_up = WRAP_UP.total_seconds() / 60
    waiting_cases = _waiting_cases(local_team_id=local_team_id)
    return cap.History(
        since=since,
        until=until,
        cases_by_hour={hour: float(n) for hour, n, _ in cases},
        contacts_by_hour={hour: float(n) for hour, n, _ in contacts},
        contacts_per_case=per_case,
        contacts_per_case_measured=per_case_measured,
        attempts_per_item=attempts,
        attempts_measured=attempts_measured,
        escalated_share=shares,
        escalated_measured=shares_measured,
        handling={
            tier: cap.handling_for(tier, by_tier[tier], wrap_up_minutes=wrap_up)
            for tier in cap.TIERS
        },
        waiting={
            "case": _by_next_call(waiting_cases),
            "contact": _waiting(Contact, local_team_id=local_team_id),
        },
        read_at=now,
        waiting_cases=waiting_cases,
    )


# --- the forecast, cached -----------------------------------------------------------


def _namespace() -> str:
    """This version's keys, of this database (test runs sharing a Redis apart)."""
    database = connections["default"].settings_dict["NAME"]
    return f"figures:capacity:v{CACHE_VERSION}:{database}"


def _generation() -> str:
    return str(cache.get(f"{_namespace()}:generation") or "0")


def forget_cached_forecasts() -> None:
    """Every forecast is made afresh from now on (tests whose data differ)."""
    cache.set(f"{_namespace()}:generation", uuid.uuid4().hex, None)


def _keys(local_team_id: int | None, start: datetime) -> tuple[str, str]:
    """The cache keys of the forecast from the hour `start`, and of the latest made."""
    team = "-" if local_team_id is None else local_team_id
    prefix = f"{_namespace()}:{_generation()}:{team}"
    return f"{prefix}:{start.isoformat()}", f"{prefix}:latest"


def work_forecast(
    *, now: datetime, local_team_id: int | None = None, refresh: bool = False
) -> cap.WorkForecast:
    """The next 14 days' work from the current hour, for England or one local team;
    cached for TRACING_CAPACITY_CACHE_SECONDS within the hour (a cache that does not
    answer is passed by). `refresh` makes it afresh and caches that (the beat's task
    does, so no page waits for England's)."""
    start = cap.current_hour(now)
    seconds = max(0, int(settings.TRACING_CAPACITY_CACHE_SECONDS))
    keys = None
    if seconds:
        try:
            keys = _keys(local_team_id, start)
            cached = cache.get(keys[0])
        except Exception:  # the cache is a help, not a dependency
            logger.warning("capacity cache unavailable", exc_info=True)
            cached = None
        if isinstance(cached, cap.WorkForecast) and not refresh:
            return cached
    forecast = cap.forecast_work(
        history_measure(now=now, local_team_id=local_team_id), start=start
    )
    if keys is not None:
        try:
            cache.set_many(dict.fromkeys(keys, forecast), seconds)
        except Exception:
            logger.warning("capacity cache unavailable", exc_info=True)
    return forecast


def cached_forecast(
    *, now: datetime, local_team_id: int | None = None
) -> cap.WorkForecast | None:
    """The forecast from the current hour if made already, else the one from the hour
    before (in the minutes after the hour turns, before the beat makes the next);
    None when neither is cached. Never makes one: for a page that must not wait for
    the scans behind it."""
    start = cap.current_hour(now)
    if settings.TRACING_CAPACITY_CACHE_SECONDS <= 0:
        return None
    try:
        keys = _keys(local_team_id, start)
        found = cache.get_many(keys)
    except Exception:
        logger.warning("capacity cache unavailable", exc_info=True)
        return None
    for key in keys:
        forecast = found.get(key)
        if isinstance(forecast, cap.WorkForecast) and (
            forecast.start >= start - cap.HOUR
        ):
            return forecast
    return None


# --- the rota against it ------------------------------------------------------------


def may_take_work(now: datetime) -> QuerySet[StaffProfile]:
    """The staff who may take their tier's work, shifts aside: by the conditions
    assignment keeps (staffing.selectors.members.eligible_staff): an active account,
    the required training done, and for tier 2 a registration current now."""
    return (
        StaffProfile.objects.filter(user__is_active=True)
        .exclude(Exists(missing_training()))
        .filter(~Q(tier=Tier.CLINICAL) | registration_current(now))
    )


def covered_until(
    ends_at: datetime, registration_expires_on: date | None, *, tier: int
) -> datetime:
    """When a tier 2 shift stops being cover: at its end, or at the end of the day
    its person's registration expires, whichever is first (from then on they may
    take no tier 2 work)."""
    if tier != Tier.CLINICAL or registration_expires_on is None:
        return ends_at
    return min(ends_at, local_midnight(registration_expires_on + timedelta(days=1)))


def rota_by_hour(
    hours: Sequence[datetime], *, now: datetime
) -> dict[int, tuple[list[float], list[float]]]:
    """Per tier, the staff booked in each hour and the open slots not yet started
    (which no one can book once started). A booked shift is cover only while its
    person may take that tier's work (may_take_work: assignment gives a lapsed
    registration, training due or a deactivated account no work), and a tier 2
    shift only up to the day the registration expires. One query: shifts grouped
    by tier, status, window and registration expiry."""
    if not hours:
        return {tier: ([], []) for tier in cap.TIERS}
    start, end = hours[0], hours[-1] + cap.HOUR
    rows = (
        Shift.objects.filter(tier__in=cap.TIERS, starts_at__lt=end, ends_at__gt=start)
        .filter(
            Q(
                status=Shift.Status.BOOKED,
                staff__tier=F("tier"),
                staff__in=may_take_work(now),
            )
            | Q(status=Shift.Status.OPEN, starts_at__gt=now)
        )
        .order_by()
        .values(
            "tier", "status", "starts_at", "ends_at", "staff__registration_expires_on"
        )
        .annotate(n=Count("pk"))
        .values_list(
            "tier",
            "status",
            "starts_at",
            "ends_at",
            "staff__registration_expires_on",
            "n",
        )
    )
    windows: dict[tuple[int, str], list[tuple[datetime, datetime, int]]] = defaultdict(
        list
    )
    for tier, status, s, e, expires_on, n in rows:
        if status == Shift.Status.BOOKED:
            e = covered_until(e, expires_on, tier=tier)
        if e > s:
            windows[(tier, status)].append((s, e, n))
    return {
        tier: (
            cap.staff_by_hour(windows[(tier, Shift.Status.BOOKED)], hours),
            cap.staff_by_hour(windows[(tier, Shift.Status.OPEN)], hours),
        )
        for tier in cap.TIERS
    }


@dataclass(frozen=True)
class Capacity:
    """The forecast and, per tier, each hour's gap against the rota."""

    forecast: cap.WorkForecast
    tiers: dict[int, cap.TierGap]
    local_team: LocalTeam | None
    tolerance: float
    now: datetime

    @property
    def gap_known(self) -> bool:
        return self.local_team is None

    def summaries(self, hours: int) -> list[cap.GapSummary]:
        """Each tier's gap over the next `hours` hours from the current one."""
        since = cap.current_hour(self.now)
        return [
            cap.gap_summary(self.tiers[t], hours=hours, since=since) for t in cap.TIERS
        ]


def capacity(*, now: datetime, local_team: LocalTeam | None = None) -> Capacity:
    """The next 14 days' need by the hour against the booked shifts, per tier. For a
    local team, the need of its areas' work only: the tier 2 and 3 rota is England's,
    so no gap is drawn against it."""
    forecast = work_forecast(
        now=now, local_team_id=local_team.pk if local_team else None
    )
    return _against_rota(forecast, now=now, local_team=local_team)


def capacity_if_cached(*, now: datetime) -> Capacity | None:
    """England's capacity against the rota when its forecast is cached (see
    cached_forecast), else None: the forecast is never made here."""
    forecast = cached_forecast(now=now)
    if forecast is None:
        return None
    return _against_rota(forecast, now=now, local_team=None)


def _against_rota(
    forecast: cap.WorkForecast, *, now: datetime, local_team: LocalTeam | None
) -> Capacity:
    tolerance = settings.TRACING_CAPACITY_TOLERANCE
    rota = rota_by_hour(forecast.hours, now=now) if local_team is None else {}
    tiers = {}
    for tier in cap.TIERS:
        booked, open_slots = rota.get(tier, (None, None))
        tiers[tier] = cap.tier_gap(
            forecast.tiers[tier],
            hours=forecast.hours,
            booked=booked,
            open_slots=open_slots,
            tolerance=tolerance,
        )
    return Capacity(
        forecast=forecast,
        tiers=tiers,
        local_team=local_team,
        tolerance=tolerance,
        now=now,
    )


def cap_checks(
    supervisor: StaffProfile,
    slots: Sequence[slots_of.GapSlot],
    *,
    now: datetime | None = None,
) -> list[slots_of.CapCheck]:
    """For each week the slots fall in: their hours, and those of the team's open
    slots already published that week and still to start (the gap counts them as
    filled, and whoever books them draws on the same caps), against what the
    supervisor's team may still book within their weekly caps (and within the
    ceiling, the caps raised). The room is the caps of the team's staff who may fill
    the slots: not its supervisors, nor anyone who may take no work by the week's
    last slot (may_take_work: a registration lapsing before it leaves no room, as
    booked cover stops counting the day it lapses). Two queries a week (at most
    three weeks), and one for the open slots."""
    weeks = slots_of.slot_hours_by_week(slots)
    if not weeks:
        return []
    now = now or timezone.now()
    last_slot = {
        monday: max(s.starts for s in slots if monday_of(s.starts.date()) == monday)
        for monday in weeks
    }
    team = team_members(supervisor).filter(tier=supervisor.tier, is_supervisor=False)
    already_open = slots_of.open_slots_by_week(
        Shift.objects.filter(
            Q(team_id=supervisor.team_id)
            if supervisor.team_id is not None
            else Q(team__isnull=True),
            tier=supervisor.tier,
            status=Shift.Status.OPEN,
            # No one can book a slot once started (as the gap counts them).
            starts_at__gt=now,
            starts_at__gte=local_midnight(min(weeks)),
            starts_at__lt=local_midnight(max(weeks) + timedelta(days=7)),
        )
        .order_by()
        .values_list("starts_at", "ends_at")
    )
    checks = []
    for monday, hours in sorted(weeks.items()):
        open_count, open_hours = already_open.get(monday, (0, 0.0))
        week_starts = local_midnight(monday)
        members = list(team.filter(pk__in=may_take_work(max(last_slot[monday], now))))
        booked = hours_booked(members, moment=week_starts)
        within_caps, within_ceiling = slots_of.cap_room(
            [(m.weekly_hours_cap, booked.get(m.pk, 0.0)) for m in members],
            ceiling=settings.TRACING_WEEKLY_HOURS_CEILING,
        )
        checks.append(
            slots_of.CapCheck(
                monday=monday,
                slot_hours=hours,
                cap_room=within_caps,
                ceiling_room=within_ceiling,
                open_count=open_count,
                open_hours=open_hours,
            )
        )
    return checks


def local_teams() -> list[LocalTeam]:
    return list(LocalTeam.objects.order_by("name"))


def horizon_days(now: datetime) -> tuple[date, date]:
    """The first and last local days of the next 14 days' slots: today to 13 days on."""
    today = timezone.localdate(now)
    return today, today + timedelta(days=fc.HORIZON_DAYS - 1)
