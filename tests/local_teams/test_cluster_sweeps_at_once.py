"""Two cluster sweeps at once record an outbreak once: the sweep locks the settings
it records clusters of, and reads their recorded clusters only once it holds them.

Without the lock, a sweep that began while another was recording a new cluster
read the clusters as they were before it: it saw one more late case, there the day
before, and recorded a second cluster one day earlier, overlapping the first.

The lock is FOR NO KEY UPDATE: a plain FOR UPDATE also stopped the FOR KEY SHARE a
new visit's foreign key takes on its setting, so a caseworker naming a crowded
place waited for the whole sweep, and, holding their case's row (which the sweep
waits for to put the case in the cluster), could deadlock with it."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

import escalations.clusters as clusters
import work.casework as casework
from cases.models import SettingVisit
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f
from tests.core.conftest import committed_db  # noqa: F401
from tests.test_setting_names import SCHOOL, case_in, named
from tests.threads import side_by_side

from .builders import SHEFFIELD, CaseFactory, person_in
from .test_area_move_race import _race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def visit(setting, n: int) -> None:
    case = CaseFactory(person=person_in(SHEFFIELD))
    f.SettingVisitFactory(
        case=case,
        setting=setting,
        visited_on=timezone.localdate() - dt.timedelta(days=n),
    )


def test_a_sweep_while_another_records_a_cluster_joins_it():
    works = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="Hunt Works")
    for n in (10, 9, 8):
        visit(works, n)

    def late_case_then_sweep() -> None:
        visit(works, 11)
        clusters_detect()

    _race(clusters_detect, late_case_then_sweep)

    (cluster,) = Cluster.objects.filter(setting=works)
    assert cluster.first_visit_on == timezone.localdate() - dt.timedelta(days=11)
    assert cluster.cases.count() == 4


def _blocked_by_this_sweep(until: threading.Event) -> bool:
    """Wait in the sweep's transaction until another connection waits for one of
    its locks (True), or `until` is set first (False)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (me,) = cursor.fetchone()
        deadline = time.monotonic() + 10
        while not until.is_set() and time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_locks"
                " WHERE NOT granted AND %s = ANY (pg_blocking_pids(pid))",
                [me],
            )
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.02)
    return False


def test_naming_a_crowded_place_does_not_wait_for_the_sweep(monkeypatch):
    for day in (5, 4, 3):
        named(case_in(), SCHOOL, day=day)
    late = case_in()
    locked, saved = threading.Event(), threading.Event()
    waited: list[bool] = []
    record = clusters._record

    def record_while_a_caseworker_names_the_school(*args, **kwargs):
        locked.set()  # the school's row is locked until the sweep commits
        waited.append(_blocked_by_this_sweep(saved))
        return record(*args, **kwargs)

    def caseworker_names_the_school() -> None:
        assert locked.wait(10)
        try:
            named(late, SCHOOL, day=1)
        finally:
            saved.set()

    monkeypatch.setattr(clusters, "_record", record_while_a_caseworker_names_the_school)
    errors = side_by_side(clusters_detect, caseworker_names_the_school)

    assert not errors, errors
    assert waited == [False]
    monkeypatch.undo()
    assert clusters_detect().cases_added == 1
    assert late in Cluster.objects.get().cases.all()


def test_a_case_naming_the_place_again_does_not_deadlock_with_the_sweep(
    monkeypatch, caplog
):
    """A case at the school names it again for another day while the sweep that
    read its first visit holds the school: the caseworker's save holds the case's
    row, which the sweep needs to put the case in the cluster. Neither is ended by
    the database to break a deadlock."""
    cases = [case_in() for _ in range(3)]
    for case, day in zip(cases, (5, 4, 3), strict=True):
        named(case, SCHOOL, day=day)
    swept, saved = threading.Event(), threading.Event()
    record, find = clusters._record, casework._setting_with_postcode

    def record_once_the_caseworker_waits_or_is_done(*args, **kwargs):
        swept.set()
        _blocked_by_this_sweep(saved)
        return record(*args, **kwargs)

    def find_once_the_sweep_holds_the_school(**kwargs):
        assert swept.wait(10)  # the case's row is held (case_visit_add)
        return find(**kwargs)

    def caseworker_names_it_again() -> None:
        try:
            named(cases[2], SCHOOL, day=1)
        finally:
            saved.set()

    monkeypatch.setattr(
        clusters, "_record", record_once_the_caseworker_waits_or_is_done
    )
    monkeypatch.setattr(
        casework, "_setting_with_postcode", find_once_the_sweep_holds_the_school
    )
    caplog.set_level(logging.INFO, logger="rows.retry")

    errors = side_by_side(clusters_detect, caseworker_names_it_again)

    assert not errors, errors
    assert [
        r.getMessage() for r in caplog.records if "conflict" in r.getMessage()
    ] == []
    assert Cluster.objects.get().cases.count() == 3
    assert SettingVisit.objects.filter(case=cases[2]).count() == 2
