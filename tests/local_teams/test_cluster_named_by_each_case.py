"""A cluster's page lists, under each case, everyone that case named: its own contacts
and the people another case had named first (one person is one contact to call: the
later naming joins the first as an Exposure row), as the case page does."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contacts_add_many

from .builders import LEEDS, SHEFFIELD, CaseFactory, person_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def named(first: str, last: str, phone: str, *, days: int = 1, postcode="S1 1AA"):
    return ContactDetails(
        person=PersonDetails(
            first_name=first, last_name=last, phone=phone, postcode=postcode
        ),
        exposure_date=days_ago(days),
        exposure=Contact.Exposure.FACE_TO_FACE,
    )


def jane(days: int = 1) -> ContactDetails:
    return named("Jane", "Carer", "07911 060001", days=days)


def residents() -> list[ContactDetails]:
    return [named(f"Resident{i}", "Willow", f"07911 06001{i}") for i in range(3)]


def care_home_cases(n: int) -> list:
    """n cases in Sheffield, each visiting Willow Care Home."""
    home = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="Willow Care Home")
    cases = []
    for days in range(n):
        case = CaseFactory(person=person_in(SHEFFIELD))
        f.SettingVisitFactory(case=case, setting=home, visited_on=days_ago(days + 2))
        cases.append(case)
    return cases


def card_of(body: str, case) -> str:
    """The case's card on the cluster page."""
    (card,) = (
        c for c in body.split('<div class="nhsuk-card">') if case.lab_reference in c
    )
    return card


def shown_people(card: str) -> set[str]:
    return set(re.findall(r"Jane Carer|Resident\d Willow", card))


def cluster_page(client) -> str:
    clusters_detect()
    cluster = Cluster.objects.get()
    response = client.get(reverse("escalations:cluster", args=[cluster.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_each_case_lists_everyone_it_named_even_if_another_case_named_them_first(
    clock, sheffield_client
):
    partner = CaseFactory(person=person_in(SHEFFIELD))  # never at the home
    contacts_add_many(case=partner, rows=[jane(days=4)])
    cases = care_home_cases(3)
    for days, case in enumerate(cases, start=1):
        contacts_add_many(case=case, rows=[jane(days=days), *residents()])

    body = cluster_page(sheffield_client)

    everyone = {
        "Jane Carer",
        "Resident0 Willow",
        "Resident1 Willow",
        "Resident2 Willow",
    }
    for days, case in enumerate(cases, start=1):
        assert Contact.objects.named_by(case.pk).count() == 4
        card = card_of(body, case)
        assert shown_people(card) == everyone, case.lab_reference
        assert "No contacts recorded in your areas" not in card
        # Jane's exposure as this case named it, not as her partner did.
        jane_row = card[card.index("Jane Carer") :].split("</tr>")[0]
        assert f"Face to face, {days_ago(days):%-d %b}" in jane_row


def test_people_named_outside_the_teams_areas_stay_off_the_page(
    clock, sheffield_client
):
    cases = care_home_cases(3)
    outsider = named("Lee", "Outside", "07911 060099", postcode="LS1 1UR")
    contacts_add_many(case=cases[0], rows=[outsider])
    contacts_add_many(case=cases[1], rows=[outsider])  # joins cases[0]'s contact

    body = cluster_page(sheffield_client)

    assert f.area(LEEDS).local_team_id != f.area(SHEFFIELD).local_team_id
    assert "Lee Outside" not in body
    assert "No contacts recorded in your areas" in card_of(body, cases[1])


# Session, user, the second factor's device, staff profile; the cluster, its cases,
# their visits to the setting, everyone they named (one query), the count of its
# cases; the audit rows (2); the session's expiry (3).
CLUSTER_PAGE_QUERIES = 14


@pytest.mark.parametrize("cases", [3, 10])
def test_the_cluster_page_queries_do_not_grow_with_its_cases(
    clock, sheffield_client, cases
):
    partner = CaseFactory(person=person_in(SHEFFIELD))
    contacts_add_many(case=partner, rows=[jane()])
    for case in care_home_cases(cases):
        contacts_add_many(case=case, rows=[jane(), *residents()])
    clusters_detect()
    cluster = Cluster.objects.get()

    with CaptureQueriesContext(connection) as queries:
        response = sheffield_client.get(
            reverse("escalations:cluster", args=[cluster.pk])
        )

    assert response.content.decode().count("Jane Carer") == cases
    assert len(queries.captured_queries) == CLUSTER_PAGE_QUERIES, [
        q["sql"] for q in queries.captured_queries
    ]
