"""Cluster detection: several cases at one setting within a short window, in one area.

A cluster is at least TRACING_CLUSTER_MIN_CASES different cases visiting the same
setting on days that all fall within TRACING_CLUSTER_WINDOW_DAYS days of the first
visit (the window [first_visit_on, first_visit_on + window - 1]). It belongs to the
setting's area, so the team of that area sees it.

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
and window, which the team of that area sees, its page saying how many cases live in
another team's area. Detection is idempotent: a window already recorded is found
again by (setting, first_visit_on) and only gains the cases that joined it since.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import Case, SettingKind, SettingVisit
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


def _windows(
    visits: list[tuple[int, date]],
    existing: list[Cluster],
    *,
    min_cases: int,
    window: timedelta,
) -> tuple[dict[int, _Window], list[_Window]]:
    """Split one setting's visits (sorted by day) into the recorded clusters they
    join, and new windows holding enough different cases.

    A new window starts at the earliest visit not in a recorded window whose next
    `window` days hold `min_cases` cases; otherwise the start slides to the next visit.
    """
    joined: dict[int, _Window] = {}
    rest: list[tuple[int, date]] = []
    for case_id, day in visits:
        home = next(
            (
                c
                for c in existing
                if c.first_visit_on <= day < c.first_visit_on + window
            ),
            None,
        )
        if home is None:
            rest.append((case_id, day))
            continue
        w = joined.setdefault(home.pk, _Window(home.first_visit_on, set(), day))
        w.cases.add(case_id)
        w.last = max(w.last, day)
    found: list[_Window] = []
    start = 0
    while start < len(rest):
        first = rest[start][1]
        end = start
        cases: set[int] = set()
        while end < len(rest) and rest[end][1] < first + window:
            cases.add(rest[end][0])
            end += 1
        if len(cases) >= min_cases:
            found.append(_Window(first, cases, rest[end - 1][1]))
            start = end
        else:
            start += 1
    return joined, found


def clusters_detect(*, now: datetime | None = None) -> ClusterReport:
    """Find and record clusters among recent setting visits; safe to run again.

    The work is a fixed handful of queries whatever the number of settings: one
    aggregate picks the settings with enough cases lately (or a recorded window still
    open), one fetches just those settings' visits, then clusters and their cases are
    written in bulk.
    """
    now = now or timezone.now()
    min_cases = settings.TRACING_CLUSTER_MIN_CASES
    window = timedelta(days=settings.TRACING_CLUSTER_WINDOW_DAYS)
    today = timezone.localdate(now)
    # Two windows back: a case reported late still lands in the window it belongs to.
    since = today - 2 * window
    # Visits come from cases reported lately: bounding the cases' arrival lets the
    # database start from its index on case arrival instead of reading every visit.
    reported_since = local_midnight(since)
    recent = SettingVisit.objects.filter(
        visited_on__gte=since,
        visited_on__lte=today,
        case__created_at__gte=reported_since,
    ).exclude(setting__postcode="", setting__kind=SettingKind.HOUSEHOLD)
    crowded = (
        recent.values("setting_id")
        .annotate(n=Count("case_id", distinct=True))
        .filter(n__gte=min_cases)
        .values_list("setting_id", flat=True)
    )
    existing_by_setting: dict[int, list[Cluster]] = defaultdict(list)
    for cluster in Cluster.objects.filter(first_visit_on__gt=since - window).only(
        "pk", "setting_id", "first_visit_on", "last_visit_on"
    ):
        existing_by_setting[cluster.setting_id].append(cluster)
    setting_ids = set(crowded) | set(existing_by_setting)
    if not setting_ids:
        return ClusterReport()
    visits: dict[int, list[tuple[int, date]]] = defaultdict(list)
    setting_areas: dict[int, int | None] = {}
    case_areas: dict[int, int | None] = {}
    for setting_id, area_id, case_id, case_area_id, day in (
        recent.filter(setting_id__in=setting_ids)
        .order_by("setting_id", "visited_on", "case_id")
        .values_list(
            "setting_id", "setting__area_id", "case_id", "case__area_id", "visited_on"
        )
    ):
        visits[setting_id].append((case_id, day))
        setting_areas[setting_id] = area_id
        case_areas[case_id] = case_area_id

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


@atomic_operation
def _record(
    now: datetime,
    joined: dict[int, _Window],
    new: dict[tuple[int, date], _Window],
    places: dict[tuple[int, date], int],
    existing_by_setting: dict[int, list[Cluster]],
) -> ClusterReport:
    """Write what the sweep found. Run again whole when the database ends it to break
    a deadlock: so it changes nothing it is handed (its own copy of `joined`, rows
    of its own for the clusters it stretches)."""
    report = ClusterReport()
    joined = dict(joined)
    if new:
        # A concurrent run may have recorded the same window: the constraint keeps
        # one, and the cases are attached to whichever row exists below.
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
    # A later visit stretches the recorded end of the window.
    stretched = []
    for setting_clusters in existing_by_setting.values():
        for cluster in setting_clusters:
            w = joined.get(cluster.pk)
            if w is not None and w.last > cluster.last_visit_on:
                stretched.append(Cluster(pk=cluster.pk, last_visit_on=w.last))
    Cluster.objects.bulk_update(stretched, ["last_visit_on"])
    return report


def cluster_cases(cluster: Cluster, visible: QuerySet[Case]) -> QuerySet[Case]:
    """The cluster's cases this user may see, with their visits to its setting."""
    return (
        visible.filter(clusters=cluster)
        .select_related("person", "area")
        .order_by("created_at", "pk")
    )


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
