"""Cluster detection on hand-made settings at its thresholds, and the team's view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from escalations.tasks import detect_clusters_task
from tests import factories as f

from .builders import LEEDS, NOW, SHEFFIELD, CaseFactory, ContactFactory, person_in

pytestmark = pytest.mark.django_db

TODAY = NOW.date()


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def days_ago(n: int) -> dt.date:
    """Counted back from the (moving) test clock's today."""
    return timezone.localdate() - dt.timedelta(days=n)


def setting_in(code: str = SHEFFIELD, name: str = "The Leadmill"):
    return f.ExposureSettingFactory(area=f.area(code), name=name)


def visits(setting, *days: int, code: str = SHEFFIELD) -> list:
    """One new case per day given (days ago), each visiting the setting."""
    cases = []
    for n in days:
        case = CaseFactory(person=person_in(code))
        f.SettingVisitFactory(case=case, setting=setting, visited_on=days_ago(n))
        cases.append(case)
    return cases


def test_exactly_the_minimum_of_cases_makes_a_cluster(clock):
    setting = setting_in()
    cases = visits(setting, 10, 5, 3)

    report = clusters_detect()

    assert report.created == 1
    cluster = Cluster.objects.get()
    assert cluster.setting == setting
    assert cluster.area == setting.area
    assert cluster.first_visit_on == days_ago(10)
    assert cluster.last_visit_on == days_ago(3)
    assert set(cluster.cases.all()) == set(cases)
    assert cluster.detected_at == NOW


def test_one_case_below_the_minimum_makes_none(clock):
    visits(setting_in(), 10, 5)

    assert clusters_detect().created == 0
    assert not Cluster.objects.exists()


def test_one_case_visiting_three_times_is_one_case(clock):
    setting = setting_in()
    case = CaseFactory(person=person_in(SHEFFIELD))
    for n in (9, 8, 7):
        f.SettingVisitFactory(case=case, setting=setting, visited_on=days_ago(n))
    visits(setting, 6)

    clusters_detect()

    assert not Cluster.objects.exists()


def test_cases_on_the_first_and_last_day_of_the_window_make_a_cluster(clock):
    visits(setting_in(), 13, 7, 0)  # 14 days, counting both ends

    clusters_detect()

    assert Cluster.objects.get().first_visit_on == days_ago(13)


def test_cases_a_day_outside_the_window_make_none(clock):
    visits(setting_in(), 14, 7, 0)  # 15 days from first to last

    clusters_detect()

    assert not Cluster.objects.exists()


def test_the_window_slides_to_the_first_visit_that_starts_a_cluster(clock):
    setting = setting_in()
    early = visits(setting, 24)  # 14 days before the cluster: out of its reach
    later = visits(setting, 10, 6, 5)

    clusters_detect()

    cluster = Cluster.objects.get()
    assert cluster.first_visit_on == days_ago(10)
    assert set(cluster.cases.all()) == set(later)
    assert early[0] not in cluster.cases.all()


def test_settings_in_different_areas_do_not_add_up(clock):
    visits(setting_in(SHEFFIELD, "Gym"), 5, 4)
    visits(setting_in(LEEDS, "Gym"), 3, code=LEEDS)

    clusters_detect()

    assert not Cluster.objects.exists()


def test_a_cluster_belongs_to_its_settings_area(clock, client, leeds_member):
    setting = setting_in(LEEDS, "Leeds Market")
    visits(setting, 5, 4, 3, code=LEEDS)

    clusters_detect()

    cluster = Cluster.objects.get()
    assert cluster.area == f.area(LEEDS)
    client.force_login(leeds_member)
    assert (
        "Leeds Market" in client.get(reverse("escalations:clusters")).content.decode()
    )


def test_running_twice_makes_one_cluster(clock):
    visits(setting_in(), 10, 5, 3)
    clusters_detect()

    report = clusters_detect()

    assert report.created == 0
    assert report.cases_added == 0
    assert Cluster.objects.count() == 1
    assert Cluster.objects.get().cases.count() == 3


def test_a_new_case_in_the_window_joins_the_cluster(clock):
    setting = setting_in()
    visits(setting, 10, 5, 3)
    clusters_detect()
    clock.shift(dt.timedelta(days=2))
    (newcomer,) = visits(setting, 0)  # today, now two days later

    report = clusters_detect()

    assert report.created == 0
    assert report.cases_added == 1
    cluster = Cluster.objects.get()
    assert newcomer in cluster.cases.all()
    assert cluster.last_visit_on == TODAY + dt.timedelta(days=2)


def test_a_new_case_after_the_window_does_not_join(clock):
    setting = setting_in()
    visits(setting, 20, 18, 17)
    clusters_detect()
    (late,) = visits(setting, 1)

    clusters_detect()

    cluster = Cluster.objects.get()
    assert late not in cluster.cases.all()
    assert cluster.cases.count() == 3


def test_detection_queries_do_not_grow_with_settings(clock, django_assert_num_queries):
    visits(setting_in(name="One"), 10, 5, 3)
    with django_assert_num_queries(10) as one:
        clusters_detect()
    Cluster.objects.all().delete()
    for name in ("Two", "Three", "Four"):
        visits(setting_in(name=name), 9, 4, 2)
    visits(setting_in(name="Quiet"), 4)

    with django_assert_num_queries(len(one.captured_queries)):
        clusters_detect()

    assert Cluster.objects.count() == 4


def test_the_periodic_task_records_clusters(clock):
    visits(setting_in(), 10, 5, 3)

    assert detect_clusters_task() == {"created": 1, "cases_added": 3}
    assert Cluster.objects.count() == 1


def test_the_beat_runs_cluster_detection():
    tasks = [e["task"] for e in django_settings.CELERY_BEAT_SCHEDULE.values()]

    assert "escalations.tasks.detect_clusters_task" in tasks


def test_team_sees_the_cluster_with_its_cases_and_their_contacts(
    clock, sheffield_client
):
    setting = setting_in(name="Crucible Theatre")
    cases = visits(setting, 6, 5, 4)
    ContactFactory(case=cases[0], person=person_in(SHEFFIELD, last_name="Partner"))
    clusters_detect()
    cluster = Cluster.objects.get()

    listing = sheffield_client.get(reverse("escalations:clusters"))
    page = sheffield_client.get(reverse("escalations:cluster", args=[cluster.pk]))

    assert "Crucible Theatre" in listing.content.decode()
    body = page.content.decode()
    for case in cases:
        assert case.person.full_name in body
    assert "Partner" in body


def test_marking_a_cluster_reviewed(clock, sheffield_client):
    visits(setting_in(), 6, 5, 4)
    clusters_detect()
    cluster = Cluster.objects.get()

    sheffield_client.post(reverse("escalations:cluster_reviewed", args=[cluster.pk]))

    cluster.refresh_from_db()
    assert cluster.reviewed_at == NOW


def test_a_reviewed_cluster_with_new_cases_is_to_be_reviewed_again(
    clock, sheffield_client
):
    """Three more cases at the venue after the team looked: the cluster shows as not
    reviewed again, not sorted away among the ones already dealt with."""
    setting = setting_in()
    visits(setting, 6, 5, 4)
    clusters_detect()
    cluster = Cluster.objects.get()
    sheffield_client.post(reverse("escalations:cluster_reviewed", args=[cluster.pk]))
    visits(setting, 3)

    clusters_detect()

    cluster.refresh_from_db()
    assert cluster.cases.count() == 4
    assert cluster.reviewed_at is None


def test_each_person_on_a_cluster_page_has_the_read_in_their_trail(
    clock, sheffield_client
):
    """The page lists the cases' people and their contacts with phone numbers: each
    of them has the read in "Who has seen this person"."""
    setting = setting_in(name="Crucible Theatre")
    cases = visits(setting, 6, 5, 4)
    partner = person_in(SHEFFIELD, last_name="Partner")
    ContactFactory(case=cases[0], person=partner)
    clusters_detect()
    cluster = Cluster.objects.get()

    sheffield_client.get(reverse("escalations:cluster", args=[cluster.pk]))

    seen = set(
        AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).values_list(
            "person_id", flat=True
        )
    )
    assert {case.person_id for case in cases} | {partner.pk} <= seen


# Session, user, staff profile, the second factor's device, the page count, the page;
# the session's expiry (3).
CLUSTER_LIST_QUERIES = 9


@pytest.mark.parametrize("clusters", [1, 4])
def test_cluster_list_query_count_is_pinned_whatever_its_length(
    clock, sheffield_client, django_assert_num_queries, clusters
):
    for n in range(clusters):
        f.ClusterFactory(setting=setting_in(name=f"Setting {n}"))

    with django_assert_num_queries(CLUSTER_LIST_QUERIES):
        response = sheffield_client.get(reverse("escalations:clusters"))

    assert len(response.context["page"]) == clusters


def test_a_long_cluster_list_is_paged(clock, sheffield_client, monkeypatch):
    monkeypatch.setattr("pages.local.views.PAGE_SIZE", 2)
    for n in range(3):
        f.ClusterFactory(setting=setting_in(name=f"Setting {n}"))

    body = sheffield_client.get(reverse("escalations:clusters")).content.decode()

    assert 'class="nhsuk-pagination nhsuk-pagination--numbered"' in body
    assert 'href="?page=2" class="nhsuk-pagination__next"' in body
