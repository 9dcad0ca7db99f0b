"""A withdrawn case (its positive result sent in error) was never a case: it makes
no cluster. Before, three cases at one school made one though one was withdrawn."""

from __future__ import annotations

import pytest

from cases.models import SettingKind
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests.local_teams.test_one_place_whatever_its_kind import (  # noqa: F401
    named,
    sheffield_case,
    thresholds,
)
from work.withdraw import case_withdraw

pytestmark = pytest.mark.django_db


def test_a_withdrawn_case_does_not_make_a_cluster(clock, supervisor):
    cases = [sheffield_case() for _ in range(3)]
    for case in cases:
        named(case, SettingKind.SCHOOL)
    case_withdraw(case=cases[2], reason="Void test: sample leaked", by=supervisor)

    report = clusters_detect()

    assert report.created == 0
    assert not Cluster.objects.exists()
