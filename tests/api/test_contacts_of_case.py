"""GET /api/v1/contacts/?case= lists the contacts of a case as the case page does: its
own, and the people it named who were already another case's contact (a later naming,
an Exposure row), each once, and only those the client may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact, Exposure
from tests import factories as f

pytestmark = pytest.mark.django_db

LEEDS = "E08000035"


def tom_baker(days_ago: int) -> dict:
    return {
        "person": {
            "first_name": "Tom",
            "last_name": "Baker",
            "phone": "0114 496 0555",
            "postcode": "S1 2HE",
        },
        "exposure_date": (
            timezone.localdate() - dt.timedelta(days=days_ago)
        ).isoformat(),
        "exposure": "face_to_face",
    }


def named_again(contact: Contact, *, by) -> Exposure:
    """A later naming of the contact by another case, as work.casework.contact_add
    records it."""
    return Exposure.objects.create(
        contact=contact,
        case=by,
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure=Contact.Exposure.FACE_TO_FACE,
        created_at=timezone.now(),
    )


def listed(http, case) -> list[int]:
    response = http.get(f"/api/v1/contacts/?case={case.pk}")
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["results"]]


def test_a_person_named_again_by_a_case_is_among_its_contacts(api):
    first_case, second_case = f.CaseFactory(), f.CaseFactory()
    api.post(f"/api/v1/cases/{first_case.pk}/contacts/", tom_baker(3), format="json")
    joined = api.post(
        f"/api/v1/cases/{second_case.pk}/contacts/", tom_baker(1), format="json"
    )
    assert joined.status_code == 200
    tom = Contact.objects.get(person__last_name="Baker")

    # Before: [] for the second case, which named Tom Baker after the first did.
    assert listed(api, second_case) == [tom.pk]
    assert listed(api, first_case) == [tom.pk]


def test_the_contacts_of_a_case_are_those_its_page_lists(api, client, caseworker):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    own = [f.ContactFactory(case=case) for _ in range(2)]
    joined = f.ContactFactory()
    named_again(joined, by=case)
    f.ContactFactory()  # another case's, never named by this one
    client.force_login(caseworker)

    page = client.get(reverse("cases:detail", args=[case.pk]))

    assert page.status_code == 200
    on_page = [c.pk for c in page.context["contacts"]] + [
        n.exposure.contact_id for n in page.context["named_elsewhere"]
    ]
    assert sorted(on_page) == sorted([*(c.pk for c in own), joined.pk])
    assert sorted(listed(api, case)) == sorted(on_page)


def test_a_contact_named_by_several_cases_is_listed_once(api):
    first_case = f.CaseFactory()
    tom = f.ContactFactory(case=first_case)
    later = [f.CaseFactory() for _ in range(3)]
    for case in later:
        named_again(tom, by=case)

    with CaptureQueriesContext(connection) as queries:
        assert listed(api, first_case) == [tom.pk]
    assert not [q for q in queries if "DISTINCT" in q["sql"].upper()]
    for case in later:
        assert listed(api, case) == [tom.pk]


def test_a_team_bound_client_is_given_only_its_own_contacts_of_a_case(
    api, sheffield_api
):
    case = f.CaseFactory()  # in Sheffield
    own = f.ContactFactory(case=case)
    leeds = f.PersonFactory(area=f.area(LEEDS), postcode="LS1 1UR")
    in_leeds = f.ContactFactory(person=leeds)
    named_again(in_leeds, by=case)

    assert sorted(listed(api, case)) == sorted([own.pk, in_leeds.pk])
    assert listed(sheffield_api, case) == [own.pk]
