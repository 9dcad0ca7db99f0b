"""A cluster whose cases live under two local teams is every such team's: each lists
it, opens it, and sees its own cases' details only, told which team holds the rest.

Before, a Sheffield workplace with two Sheffield and two Leeds cases was shown to
Sheffield's team only, its page reading "2 more cases in this cluster live in another
team's area; that team holds their details" without naming the team; Leeds's team
did not see it at all (404), though two of its people were among the cases.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f

from .builders import LEEDS, SHEFFIELD, CaseFactory, local_member, person_in
from .test_cluster_late_cases import days_ago

pytestmark = pytest.mark.django_db

BRADFORD = "E08000032"


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


@pytest.fixture
def meadowhall(clock):
    """A Sheffield workplace: two cases from Sheffield, two commuting from Leeds."""
    setting = f.ExposureSettingFactory(
        area=f.area(SHEFFIELD), name="Meadowhall Distribution Centre"
    )
    cases = []
    for n, (code, surname) in enumerate(
        [
            (SHEFFIELD, "Steel"),
            (SHEFFIELD, "Hallam"),
            (LEEDS, "Leodis"),
            (LEEDS, "Kirkgate"),
        ]
    ):
        case = CaseFactory(person=person_in(code, last_name=surname))
        f.SettingVisitFactory(case=case, setting=setting, visited_on=days_ago(6 - n))
        cases.append(case)
    clusters_detect()
    return Cluster.objects.get(setting=setting), cases


def page_of(client, user, cluster):
    client.force_login(user)
    return client.get(reverse("escalations:cluster", args=[cluster.pk]))


def test_the_team_of_commuting_cases_lists_the_cluster(meadowhall, client):
    cluster, _ = meadowhall
    client.force_login(local_member(LEEDS, "leeds_member"))

    listing = client.get(reverse("escalations:clusters"))

    assert [c.pk for c in listing.context["page"]] == [cluster.pk]
    assert "Meadowhall Distribution Centre" in listing.content.decode()


def test_the_team_of_commuting_cases_opens_it_with_only_its_own_cases(
    meadowhall, client
):
    cluster, _ = meadowhall

    page = page_of(client, local_member(LEEDS, "leeds_member"), cluster)

    assert page.status_code == 200
    body = page.content.decode()
    assert "Leodis" in body
    assert "Kirkgate" in body
    assert "Steel" not in body
    assert "Hallam" not in body
    assert (
        "2 more cases in this cluster live in another team's area: "
        "Sheffield Public Health holds their details."
    ) in body


def test_the_team_of_the_setting_is_told_which_team_holds_the_rest(meadowhall, client):
    cluster, _ = meadowhall

    page = page_of(client, local_member(SHEFFIELD, "sheffield_member"), cluster)

    body = page.content.decode()
    assert "Steel" in body
    assert "Leodis" not in body
    assert (
        "2 more cases in this cluster live in another team's area: "
        "Leeds Public Health holds their details."
    ) in body


def test_each_other_team_is_named_with_its_count(meadowhall, client):
    cluster, _ = meadowhall
    bradford = CaseFactory(
        person=f.PersonFactory(area=f.area(BRADFORD), postcode="BD1 1AA")
    )
    f.SettingVisitFactory(
        case=bradford, setting=cluster.setting, visited_on=days_ago(2)
    )
    clusters_detect()

    page = page_of(client, local_member(SHEFFIELD, "sheffield_member"), cluster)

    assert (
        "3 more cases in this cluster live in other teams' areas: "
        "Bradford Public Health (1) and Leeds Public Health (2) hold their details."
    ) in page.content.decode()


def test_a_team_with_no_case_in_the_cluster_neither_lists_nor_opens_it(
    meadowhall, client
):
    cluster, _ = meadowhall
    client.force_login(local_member(BRADFORD, "bradford_member"))

    listing = client.get(reverse("escalations:clusters"))
    page = client.get(reverse("escalations:cluster", args=[cluster.pk]))

    assert list(listing.context["page"]) == []
    assert page.status_code == 404


def test_only_the_team_of_the_setting_marks_it_reviewed(meadowhall, client):
    """One review for the cluster, by the team of the setting's area: another team
    marking it would take it off that team's list of new clusters unseen."""
    cluster, _ = meadowhall
    leeds = local_member(LEEDS, "leeds_member")

    page = page_of(client, leeds, cluster)
    refused = client.post(reverse("escalations:cluster_reviewed", args=[cluster.pk]))

    assert "Sheffield Public Health reviews this cluster" in page.content.decode()
    assert refused.status_code == 403
    cluster.refresh_from_db()
    assert cluster.reviewed_at is None
    sheffield = local_member(SHEFFIELD, "sheffield_member")
    client.force_login(sheffield)
    client.post(reverse("escalations:cluster_reviewed", args=[cluster.pk]))
    cluster.refresh_from_db()
    assert cluster.reviewed_at == timezone.now()


# As tests/local_teams/test_clusters.py's CLUSTER_LIST_QUERIES.
CLUSTER_LIST_QUERIES = 9


@pytest.mark.parametrize("clusters", [1, 4])
def test_the_list_query_count_is_the_same_for_the_other_team(
    clock, client, django_assert_num_queries, clusters
):
    for n in range(clusters):
        cluster = f.ClusterFactory(
            setting=f.ExposureSettingFactory(area=f.area(SHEFFIELD), name=f"Site {n}")
        )
        cluster.cases.add(CaseFactory(person=person_in(LEEDS)))
    client.force_login(local_member(LEEDS, "leeds_member"))

    with django_assert_num_queries(CLUSTER_LIST_QUERIES):
        response = client.get(reverse("escalations:clusters"))

    assert len(response.context["page"]) == clusters
