"""POST /api/v1/cases/<id>/contacts/ as /api/schema/ publishes it: the person a
contact is (phone and postcode required, a UK number, a postcode the directory
knows), and the 409 a client branches on by its `code`, not by its English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f

pytestmark = pytest.mark.django_db

NAMES = {"first_name": "Min", "last_name": "Imal"}
FULL_PERSON = {**NAMES, "phone": "07911 123499", "postcode": "S1 2HE"}


def schema_of(api) -> dict:
    return api.get("/api/schema/", {"format": "json"}).json()


def component(schema: dict, ref_holder: dict) -> dict:
    ref = ref_holder.get("$ref") or ref_holder["allOf"][0]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def contact_person_schema(schema: dict) -> dict:
    body = schema["paths"]["/api/v1/cases/{id}/contacts/"]["post"]["requestBody"]
    contact_in = component(schema, body["content"]["application/json"]["schema"])
    return component(schema, contact_in["properties"]["person"])


def contact_body(person: dict) -> dict:
    return {
        "person": person,
        "exposure_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "exposure": "household",
    }


def add_contact(api, case, person: dict):
    return api.post(
        f"/api/v1/cases/{case.pk}/contacts/", contact_body(person), format="json"
    )


def test_the_schema_says_a_contact_needs_a_phone_and_a_postcode(api):
    person = contact_person_schema(schema_of(api))

    assert {"first_name", "last_name", "phone", "postcode"} <= set(person["required"])
    assert "international" not in person["properties"]["phone"]["description"]
    assert "UK" in person["properties"]["phone"]["description"]
    assert "directory" in person["properties"]["postcode"]["description"]


def test_each_field_the_schema_requires_of_a_contact_is_refused_when_missing(api):
    required = contact_person_schema(schema_of(api))["required"]
    case = f.CaseFactory()

    for field in required:
        person = {k: v for k, v in FULL_PERSON.items() if k != field}
        response = add_contact(api, case, person)

        assert response.status_code == 400, (field, response.content)
        assert field in response.json()["person"], field
    assert not Contact.objects.exists()


def test_a_contact_with_only_the_fields_the_schema_requires_is_taken(api):
    required = contact_person_schema(schema_of(api))["required"]

    response = add_contact(
        api, f.CaseFactory(), {k: v for k, v in FULL_PERSON.items() if k in required}
    )

    assert response.status_code == 201, response.content


def test_a_contact_given_only_names_is_refused_naming_phone_and_postcode(api):
    response = add_contact(api, f.CaseFactory(), NAMES)

    assert response.status_code == 400, response.content
    errors = response.json()["person"]
    assert errors["phone"] == ["Give a phone number: call handlers phone contacts."]
    assert errors["postcode"] == ["Give their postcode: it routes them to their area."]


def test_a_contact_with_a_number_abroad_is_refused_as_the_schema_says(api):
    response = add_contact(
        api, f.CaseFactory(), {**FULL_PERSON, "phone": "+33 6 12 34 56 78"}
    )

    assert response.status_code == 400, response.content
    assert "phone" in response.json()["person"]
    assert not Contact.objects.exists()


def test_a_lab_result_may_still_give_a_number_abroad(api):
    person = component(
        schema_of(api),
        component(
            schema_of(api),
            {"$ref": "#/components/schemas/LabResultInRequest"},
        )["properties"]["person"],
    )

    assert "international" in person["properties"]["phone"]["description"]
    assert "phone" not in person["required"]


def test_a_contact_added_twice_is_a_409_with_the_code_duplicate_contact(api):
    case = f.CaseFactory()
    add_contact(api, case, FULL_PERSON)

    response = add_contact(api, case, FULL_PERSON)

    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "duplicate_contact"
    assert "already a contact" in body["detail"]


def test_a_call_to_a_completed_case_is_a_409_with_the_code_illegal_transition(
    api, caseworker
):
    case = f.CaseFactory(status=Status.COMPLETED, assignee=caseworker)

    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {"outcome": "no_answer", "caller": caseworker.pk},
        format="json",
    )

    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"detail", "code"}
    assert body["code"] in {"illegal_transition", "refused"}


def test_the_schema_documents_the_code_of_a_409(api):
    schema = schema_of(api)
    conflict = schema["paths"]["/api/v1/cases/{id}/contacts/"]["post"]["responses"][
        "409"
    ]["content"]["application/json"]["schema"]
    if "$ref" in conflict:
        conflict = component(schema, conflict)

    assert {"detail", "code"} <= set(conflict["required"])
    assert {"duplicate_contact", "illegal_transition"} <= set(
        conflict["properties"]["code"]["enum"]
    )
