"""Two cluster sweeps at once record an outbreak once: the sweep locks the settings
it records clusters of, and reads their recorded clusters only once it holds them.

Without the lock, a sweep that began while another was recording a new cluster
read the clusters as they were before it: it saw one more late case, there the day
before, and recorded a second cluster one day earlier, overlapping the first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f
from tests.core.conftest import committed_db  # noqa: F401

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
