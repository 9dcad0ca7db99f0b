"""Cluster detection: several cases at one setting within a short window, in one area.

A cluster begins as at least TRACING_CLUSTER_MIN_CASES different cases visiting
the same setting on days that all fall within TRACING_CLUSTER_WINDOW_DAYS days of
the first visit (the window [first_visit_on, first_visit_on + window - 1]), and
lasts while cases keep coming within a window of its days (below). It belongs to
the setting's area, so the team of that area sees it.

A place named with a postcode is one setting for every case that names it. One named
without a postcode is shared only by the cases of one area, and a household without
one by no other case (work.casework.case_visit_add): a name alone ("Tesco",
"Grandma's house") never makes one setting of places across the country, so no team
is shown a cluster of unrelated places. A household without a postcode is never a
cluster: it has one case, or was shared before this rule by name alone, holding
unrelated homes (left as they are, not rewritten). A setting with no area of its
own (named without a postcode, or with one outside the service's areas) is placed in
the area most of the window's cases live in (Case.area; on an even split, the area of
the earliest visit among them): the area its cases share, unless one has moved since
or the setting was shared by name alone before the rule. Every case at the setting
counts toward the threshold, as at a setting with an area: one cluster per setting
and window, which the team of that area sees, as does every team a case of it lives
in (work.access.clusters), each seeing only its own cases' details.

A cluster's days never hold a gap of a whole window: visits within one window are
at most window - 1 days apart, and windows next to each other (the day after the
last of one, the first of the next) are one cluster. So a case belongs to a
cluster, on either side, when its visit is no more than window - 1 days (a day at
least) before the cluster's first day or after its last: one window could hold it
and the cluster's nearest visit. A case the day after an outbreak of 20 days joins
it as one the day after an outbreak of 3 days does; a case reported late, a few
days before the first visit, moves first_visit_on back, as one after the last moves
last_visit_on on; the visits within reach of those join too, in the same sweep; and
windows found in one sweep within reach of each other are one cluster. One
outbreak is one cluster whatever the order its cases were reported in: a cluster
is the visits linked so, day to day, holding at least one window of enough cases.
A visit within reach of two recorded clusters (a case linking two outbreaks
already recorded) joins the nearer, the earlier on a tie: recorded clusters are
never merged. Detection is idempotent and exactly once: the sweep locks the
settings it records clusters of (FOR NO KEY UPDATE, which a visit being added
does not wait for), reads their recorded clusters only then, and a cluster
already recorded only gains the cases that joined it since.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import Case, SettingKind, SettingVisit
from cases.workitem import Status
from clock import local_midnight
from rows.retry import atomic_operation

from .models import Cluster

log = logging.getLogger(__name__)


@dataclass
class ClusterReport:
    created: int = 0
    cases_added: int = 0


@dataclass
class _Window:
    first: date
    cases: set[int]
    last: date


def _home(day: date, spans: dict[int, _Window], reach: timedelta) -> int | None:
    """The cluster a visit on `day` joins: one whose days it falls within or is no
    more than `reach` before the first of or after the last of; of several, the
    nearest (then the first listed: the earliest)."""
    home, nearest = None, None
    for key, w in spans.items():
        distance = max(w.first - day, day - w.last, timedelta(0))
        if distance <= reach and (nearest is None or distance < nearest):
            home, nearest = key, distance
    return home


def _gather(
    visits: list[tuple[int, date]], spans: dict[int, _Window], reach: timedelta
) -> list[tuple[int, date]]:
    """Add to the clusters in `spans` the visits within their reach (_home), their
    days moving with each, until no more join; return the visits left."""
    while True:
        left: list[tuple[int, date]] = []
        for case_id, day in visits:
            home = _home(day, spans, reach)
            if home is None:
                left.append((case_id, day))
                continue
            w = spans[home]
            w.cases.add(case_id)
            w.first = min(w.first, day)
            w.last = max(w.last, day)
        # A visit joining moves its cluster's days, bringing visits further on
        # (or, before the first day, further back) within reach: go round again.
        if len(left) == len(visits):
            return left
        visits = left


def _windows(
    visits: list[tuple[int, date]],
    existing: list[Cluster],
    *,
    min_cases: int,
    window: timedelta,
) -> tuple[dict[int, _Window], list[_Window]]:
    """Split one setting's visits (sorted by day) into the recorded clusters they
    join (each _Window with the cluster's days as they become), and new clusters.

    A visit joins a recorded cluster when it is no more than window - 1 days (a
    day at least) from its days, those days moving with each visit that joins
    (_gather). A new cluster starts with a window among the visits left: at the
    earliest visit whose next `window` days hold `min_cases` different cases
    (otherwise the start slides to the next visit). The visits left after the
    windows join them by the same reach, and windows within reach of each other
    (touching, at least) are one cluster. None is within reach of a recorded
    cluster: its visits were each out of that cluster's reach.

    The next sweep finds every visit where this one put it: each is within its
    cluster's days, and those left are out of every cluster's reach and hold no
    window.
    """
    # A day at least: a window the day after another is part of it.
    reach = max(window - timedelta(days=1), timedelta(days=1))
    spans = {c.pk: _Window(c.first_visit_on, set(), c.last_visit_on) for c in existing}
    rest = _gather(visits, spans, reach)
    windows: dict[int, _Window] = {}
    in_windows: set[int] = set()
    start = 0
    while start < len(rest):
        first = rest[start][1]
        end = start
        while end < len(rest) and rest[end][1] < first + window:
            end += 1
        cases = {case_id for case_id, _ in rest[start:end]}
        if len(cases) < min_cases:
            start += 1
            continue
        windows[start] = _Window(first, cases, rest[end - 1][1])
        in_windows.update(range(start, end))
        start = end
    _gather([v for i, v in enumerate(rest) if i not in in_windows], windows, reach)
    found: list[_Window] = []
    for w in sorted(windows.values(), key=lambda w: w.first):
        if found and w.first - found[-1].last <= reach:
            found[-1].cases |= w.cases
            found[-1].last = max(found[-1].last, w.last)
        else:
            found.append(w)
    return {pk: w for pk, w in spans.items() if w.cases}, found


def clusters_detect(*, now: datetime | None = None) -> ClusterReport:
    """Find and record clusters among recent setting visits; safe to run again, and
    at the same time as another run (the settings being recorded are locked).

    The work is a fixed handful of queries whatever the number of settings: one
    picks the settings with enough cases lately or a recorded cluster still within
    reach, then, in one transaction, one fetches just those settings' visits
    (locking the settings), one their recorded clusters, and clusters and their
    cases are written in bulk.
    """
    now = now or timezone.now()
    min_cases = settings.TRACING_CLUSTER_MIN_CASES
    window = timedelta(days=settings.TRACING_CLUSTER_WINDOW_DAYS)
    today = timezone.localdate(now)
    # Two windows back: a case reported late still lands in the window it belongs to.
    since = today - 2 * window
    crowded = (
        _recent_visits(since, today)
        .values("setting_id")
        .annotate(n=Count("case_id", distinct=True))
        .filter(n__gte=min_cases)
        .values_list("setting_id", flat=True)
    )
    # A recorded cluster ending after this is within reach of a visit since `since`
    # (its last day at most a window before the visit, or the day before it).
    reachable = Cluster.objects.filter(last_visit_on__gt=since - window)
    setting_ids = set(
        crowded.union(reachable.values_list("setting_id", flat=True).order_by())
    )
    if not setting_ids:
        return ClusterReport()
    return _detect(
        now,
        setting_ids,
        since=since,
        today=today,
        reachable=reachable,
        min_cases=min_cases,
        window=window,
    )


def _recent_visits(since: date, today: date) -> QuerySet[SettingVisit]:
    # Visits come from cases reported lately: bounding the cases' arrival lets the
    # database start from its index on case arrival instead of reading every visit.
    # A case whose positive result was withdrawn (sent in error) was never a case:
    # its visits make no cluster.
    return (
        SettingVisit.objects.filter(
            visited_on__gte=since,
            visited_on__lte=today,
            case__created_at__gte=local_midnight(since),
        )
        .exclude(setting__postcode="", setting__kind=SettingKind.HOUSEHOLD)
        .exclude(case__status=Status.WITHDRAWN)
    )


@atomic_operation
def _detect(
    now: datetime,
    setting_ids: set[int],
    *,
    since: date,
    today: date,
    reachable: QuerySet[Cluster],
    min_cases: int,
    window: timedelta,
) -> ClusterReport:
    """Read the settings' visits and recorded clusters and write what they make, in
    one transaction holding the settings' rows: a sweep at the same time waits, then
    reads the clusters as this one left them (so it neither records a window again
    nor one beside a cluster this one stretched). Run again whole when the database
    ends it to break a deadlock."""
    visits: dict[int, list[tuple[int, date]]] = defaultdict(list)
    setting_areas: dict[int, int | None] = {}
    case_areas: dict[int, int | None] = {}
    for visit in (
        _recent_visits(since, today)
        .filter(setting_id__in=setting_ids)
        .order_by("setting_id", "visited_on", "case_id")
        # Locked in setting order, so two sweeps never wait for each other in turn.
        # FOR NO KEY UPDATE keeps two sweeps apart but not the FOR KEY SHARE a new
        # visit's foreign key takes on its setting: naming a crowded place neither
        # waits for the sweep nor deadlocks with it (the sweep waiting on that
        # case's row to add it to the cluster). The settings are joined as objects
        # (for FOR ... OF), only their area.
        .select_related("setting", "case")
        .only("setting__area_id", "case__area_id", "visited_on")
        .select_for_update(no_key=True, of=("setting",))
    ):
        visits[visit.setting_id].append((visit.case_id, visit.visited_on))
        setting_areas[visit.setting_id] = visit.setting.area_id
        case_areas[visit.case_id] = visit.case.area_id
    existing_by_setting: dict[int, list[Cluster]] = defaultdict(list)
    for cluster in (
        reachable.filter(setting_id__in=list(visits))
        .order_by("first_visit_on", "pk")
        .only("pk", "setting_id", "first_visit_on", "last_visit_on")
    ):
        existing_by_setting[cluster.setting_id].append(cluster)

    joined: dict[int, _Window] = {}
    new: dict[tuple[int, date], _Window] = {}
    places: dict[tuple[int, date], int] = {}
    for setting_id, setting_visits in visits.items():
        setting_joined, found = _windows(
            setting_visits,
            existing_by_setting.get(setting_id, []),
            min_cases=min_cases,
            window=window,
        )
        joined.update(setting_joined)
        for w in found:
            area = setting_areas[setting_id]
            if area is None:
                area = _majority_area(setting_visits, w, case_areas)
            if area is None:
                # No case of the window lives in a known area: no team to show it
                # to yet. Not recorded, so a later run places it once one does.
                log.info("clusters: setting %s has no area to place it", setting_id)
                continue
            new[(setting_id, w.first)] = w
            places[(setting_id, w.first)] = area
    return _record(now, joined, new, places, existing_by_setting)


def _majority_area(
    visits: list[tuple[int, date]],
    w: _Window,
    case_areas: dict[int, int | None],
) -> int | None:
    """The area most of the window's cases live in; on an even split, the area of
    the earliest visit among those tied. None when no case has an area."""
    counts = Counter(
        area for case_id in w.cases if (area := case_areas[case_id]) is not None
    )
    if not counts:
        return None
    most = max(counts.values())
    return next(
        area
        for case_id, day in visits
        if w.first <= day <= w.last
        and case_id in w.cases
        and (area := case_areas[case_id]) is not None
        and counts[area] == most
    )


def _record(
    now: datetime,
    joined: dict[int, _Window],
    new: dict[tuple[int, date], _Window],
    places: dict[tuple[int, date], int],
    existing_by_setting: dict[int, list[Cluster]],
) -> ClusterReport:
    """Write what the sweep found, in _detect's transaction. It changes nothing it
    is handed (its own copy of `joined`, rows of its own for the clusters it
    stretches)."""
    report = ClusterReport()
    joined = dict(joined)
    if new:
        # The settings are locked, so no other run records these windows; the
        # constraint would keep one all the same, the cases attached to it below.
        Cluster.objects.bulk_create(
            [
                Cluster(
                    setting_id=setting_id,
                    area_id=places[(setting_id, first)],
                    first_visit_on=first,
                    last_visit_on=w.last,
                    detected_at=now,
                )
                for (setting_id, first), w in new.items()
            ],
            ignore_conflicts=True,
        )
        rows = Cluster.objects.filter(
            setting_id__in={s for s, _ in new},
            first_visit_on__in={first for _, first in new},
        ).values_list("pk", "setting_id", "first_visit_on", "detected_at")
        for pk, setting_id, first, detected_at in rows:
            w = new.get((setting_id, first))
            if w is None:
                continue
            joined[pk] = w
            if detected_at == now:
                report.created += 1
        if report.created:
            log.info("clusters: %s new", report.created)
    if not joined:
        return report
    through = Cluster.cases.through
    links = [
        through(cluster_id=pk, case_id=case_id)
        for pk, w in joined.items()
        for case_id in w.cases
    ]
    already = set(
        through.objects.filter(cluster_id__in=joined).values_list(
            "cluster_id", "case_id"
        )
    )
    links = [link for link in links if (link.cluster_id, link.case_id) not in already]
    through.objects.bulk_create(links, ignore_conflicts=True)
    report.cases_added = len(links)
    # New cases in a cluster the team reviewed: to be looked at again (the review
    # stays in the audit trail).
    if links:
        Cluster.objects.filter(
            pk__in={link.cluster_id for link in links}, reviewed_at__isnull=False
        ).update(reviewed_at=None)
    # A later visit stretches the recorded end of the window, an earlier one (a
    # case reported late) its start.
    stretched = []
    for setting_clusters in existing_by_setting.values():
        for cluster in setting_clusters:
            w = joined.get(cluster.pk)
            if w is not None and (
                w.first < cluster.first_visit_on or w.last > cluster.last_visit_on
            ):
                stretched.append(
                    Cluster(
                        pk=cluster.pk,
                        first_visit_on=min(w.first, cluster.first_visit_on),
                        last_visit_on=max(w.last, cluster.last_visit_on),
                    )
                )
    Cluster.objects.bulk_update(stretched, ["first_visit_on", "last_visit_on"])
    return report


def cluster_cases(cluster: Cluster, visible: QuerySet[Case]) -> QuerySet[Case]:
    """The cluster's cases this user may see, with their visits to its setting."""
    return (
        visible.filter(clusters=cluster)
        .exclude(status=Status.WITHDRAWN)  # never a case: no part of the outbreak
        .select_related("person", "area")
        .order_by("created_at", "pk")
    )


def cluster_other_teams(
    cluster: Cluster, shown: Sequence[int]
) -> list[tuple[str | None, int]]:
    """The cluster's cases other than those shown, counted by the local team that
    holds them (the team of the case's area, else the team it was handed to; None
    for a case no team holds yet), in the order of the teams' names."""
    counts = (
        cluster.cases.exclude(pk__in=shown)
        .exclude(status=Status.WITHDRAWN)
        .values(team=Coalesce("area__local_team__name", "local_team__name"))
        .annotate(n=Count("pk"))
        .order_by(F("team").asc(nulls_last=True))
    )
    return [(row["team"], row["n"]) for row in counts]


@atomic_operation
def cluster_mark_reviewed(*, cluster: Cluster, by, now: datetime | None = None) -> bool:
    """Record that the team has looked at the cluster; False if already reviewed."""
    updated = Cluster.objects.filter(pk=cluster.pk, reviewed_at__isnull=True).update(
        reviewed_at=now or timezone.now()
    )
    if updated:
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=cluster,
            detail={"reviewed": True},
        )
    return bool(updated)
