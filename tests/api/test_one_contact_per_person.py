"""POST /api/v1/cases/{id}/contacts/ for a person already a contact of another case:
200 with that contact (this exposure added), 201 for a new contact."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact, Exposure
from tests import factories as f

pytestmark = pytest.mark.django_db


def payload(days_ago: int) -> dict:
    return {
        "person": {
            "first_name": "Sam",
            "last_name": "Okafor",
            "phone": "0114 496 0777",
            "postcode": "S1 2HE",
        },
        "exposure_date": (
            timezone.localdate() - dt.timedelta(days=days_ago)
        ).isoformat(),
        "exposure": "household",
    }


def test_a_new_contact_is_201_and_a_joined_one_200_with_the_existing_contact(api):
    first_case, second_case = f.CaseFactory(), f.CaseFactory()

    created = api.post(
        f"/api/v1/cases/{first_case.pk}/contacts/", payload(3), format="json"
    )
    joined = api.post(
        f"/api/v1/cases/{second_case.pk}/contacts/", payload(1), format="json"
    )

    assert created.status_code == 201
    assert joined.status_code == 200
    contact = Contact.objects.get()
    assert created.json()["id"] == joined.json()["id"] == contact.pk
    assert joined.json()["case"] == first_case.pk
    # Ten full days after the later exposure, yesterday.
    latest_end = timezone.localdate() - dt.timedelta(days=1) + dt.timedelta(days=10)
    assert joined.json()["isolation_ends_on"] == latest_end.isoformat()
    assert Exposure.objects.get().case == second_case


def test_the_same_case_naming_a_joined_person_again_is_409(api):
    first_case, second_case = f.CaseFactory(), f.CaseFactory()
    api.post(f"/api/v1/cases/{first_case.pk}/contacts/", payload(3), format="json")
    url = f"/api/v1/cases/{second_case.pk}/contacts/"
    api.post(url, payload(2), format="json")

    response = api.post(url, payload(1), format="json")

    assert response.status_code == 409
    assert "already a contact" in response.json()["detail"]
    assert Exposure.objects.count() == 1


def test_the_schema_documents_the_200_of_a_joined_contact(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    responses = schema["paths"]["/api/v1/cases/{id}/contacts/"]["post"]["responses"]
    assert {"200", "201", "409"} <= set(responses)
