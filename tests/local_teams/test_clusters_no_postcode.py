"""Clusters at places named without a postcode (or with one outside England's areas).

Such a setting has no area of its own, and is shared only by the cases of one area
(tests/local_teams/test_places_without_postcode.py): its cluster goes to the area
most of its cases live in, and so to that area's local team. Its cases live in
another area only when they have moved since naming it (set here on the case); the
cluster page says how many.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ExposureSetting, SettingKind
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f
from work.casework import VisitDetails, case_visit_add

from .builders import LEEDS, SHEFFIELD, CaseFactory, person_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 4
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def moved_to(code: str | None, cases: list) -> None:
    """The cases now live in another area (or in none), after naming the school."""
    for case in cases:
        case.area = f.area(code) if code else None
        case.save(update_fields=["area"])


def visit_school(name: str, postcode: str = "", *codes: str) -> list:
    """One new case per area code, each naming the school on the case page as
    visited yesterday (the postcode "if they know it")."""
    cases = []
    for code in codes:
        case = CaseFactory(person=person_in(code))
        case_visit_add(
            case=case,
            details=VisitDetails(
                name=name,
                kind=SettingKind.SCHOOL,
                visited_on=yesterday(),
                postcode=postcode,
            ),
            by=None,
        )
        cases.append(case)
    return cases


def clusters_page(client, user) -> str:
    client.force_login(user)
    return client.get(reverse("escalations:clusters")).content.decode()


def test_a_school_named_without_a_postcode_makes_a_cluster_for_sheffield(
    clock, client, sheffield_member, leeds_member
):
    cases = visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    assert ExposureSetting.objects.get(name="Nopostcode Primary").area is None

    report = clusters_detect()

    assert report.created == 1
    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert set(cluster.cases.all()) == set(cases)
    assert "Nopostcode Primary" in clusters_page(client, sheffield_member)
    assert "Nopostcode Primary" not in clusters_page(client, leeds_member)


def test_a_school_with_a_postcode_still_makes_its_cluster_in_its_area(
    clock, client, sheffield_member, leeds_member
):
    visit_school("Postcode Primary", "S1 2HE", *[SHEFFIELD] * 4)

    assert clusters_detect().created == 1

    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert cluster.setting.area == f.area(SHEFFIELD)
    assert "Postcode Primary" in clusters_page(client, sheffield_member)
    assert "Postcode Primary" not in clusters_page(client, leeds_member)


def test_running_detection_twice_makes_one_cluster_without_a_postcode(clock):
    visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    clusters_detect()

    report = clusters_detect()

    assert report.created == 0
    assert report.cases_added == 0
    assert Cluster.objects.count() == 1
    assert Cluster.objects.get().cases.count() == 4


def test_a_later_case_joins_the_cluster_without_a_postcode(clock):
    visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    clusters_detect()
    (newcomer,) = visit_school("Nopostcode Primary", "", SHEFFIELD)

    report = clusters_detect()

    assert report.created == 0
    assert report.cases_added == 1
    cluster = Cluster.objects.get()
    assert newcomer in cluster.cases.all()
    assert cluster.area == f.area(SHEFFIELD)


def test_cases_of_several_areas_go_to_the_area_most_of_them_live_in(
    clock, client, sheffield_member, leeds_member
):
    cases = visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    moved_to(LEEDS, cases[:1])

    clusters_detect()

    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert cluster.cases.count() == 4
    # Leeds's team lists it too, for the case who lives in Leeds now; Sheffield's
    # reviews it (tests/local_teams/test_cluster_two_teams.py).
    assert "Nopostcode Primary" in clusters_page(client, leeds_member)
    client.force_login(sheffield_member)
    page = client.get(reverse("escalations:cluster", args=[cluster.pk]))
    body = page.content.decode()
    assert "1 more case in this cluster lives in another team's area" in body


def test_an_even_split_goes_to_the_area_of_the_first_visit(clock):
    cases = visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    moved_to(LEEDS, cases[:2])
    first = cases[0]
    first.visits.update(visited_on=yesterday() - dt.timedelta(days=2))

    clusters_detect()

    assert Cluster.objects.get().area == f.area(LEEDS)


def test_cases_with_no_area_do_not_place_the_cluster(clock):
    """Cases whose postcode matched no area (the fallback team's) are counted as
    cases of the cluster but say nothing about where it is."""
    cases = visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    moved_to(None, cases[2:])
    # The first Sheffield visit is not the earliest: the count decides, not the tie.
    cases[2].visits.update(visited_on=yesterday() - dt.timedelta(days=2))

    clusters_detect()

    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert cluster.cases.count() == 4


def test_no_case_with_an_area_makes_no_cluster_yet(clock):
    cases = visit_school("Nopostcode Primary", "", *[SHEFFIELD] * 4)
    for case in cases:
        case.area = None
        case.save(update_fields=["area"])

    assert clusters_detect().created == 0
    assert not Cluster.objects.exists()
