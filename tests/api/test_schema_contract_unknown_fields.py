"""Nothing sent is ever ignored: a body key the API does not read is a 400 naming
it (nested ones beside their field: person -> dob), as an unknown query parameter
is, and /api/schema/ says so (additionalProperties false). A lab that misspells
symptom_onset, or sends mobile for phone, is told, not given a routine case with
no phone and no postcode."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.api.conftest import result_payload

pytestmark = pytest.mark.django_db

UNKNOWN = ["Unknown field: not one this API reads."]
INTAKE = "/api/v1/test-results/"


def misspelt_result(ref: str = "TYPO-1") -> dict:
    """A lab's result with the names a lab might guess: every one of them unknown."""
    body = result_payload(ref)
    person = body["person"]
    person["dob"] = person.pop("date_of_birth")
    person["mobile"] = person.pop("phone")
    person["post_code"] = person.pop("postcode")
    body["symptom_onset_date"] = body["specimen_date"]
    body["setting"] = "care_home"
    return body


def test_a_result_with_misspelt_fields_is_a_400_naming_each(api):
    response = api.post(INTAKE, misspelt_result(), format="json")

    assert response.status_code == 400, response.content
    errors = response.json()
    assert errors["symptom_onset_date"] == UNKNOWN
    assert errors["setting"] == UNKNOWN
    assert errors["person"] == {"dob": UNKNOWN, "mobile": UNKNOWN, "post_code": UNKNOWN}
    assert not Case.objects.exists()


def test_a_result_echoing_an_id_is_refused_too(api):
    response = api.post(INTAKE, {**result_payload(), "id": 7}, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == {"id": UNKNOWN}
    assert not Case.objects.exists()


def test_a_batch_item_with_an_unknown_field_is_invalid_and_the_rest_saved(api):
    response = api.post(
        INTAKE, [misspelt_result("LAB-2"), result_payload("LAB-1")], format="json"
    )

    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["invalid", "created"]
    assert results[0]["errors"]["person"]["mobile"] == UNKNOWN
    assert results[0]["errors"]["setting"] == UNKNOWN
    assert list(Case.objects.values_list("lab_reference", flat=True)) == ["LAB-1"]


def test_the_result_as_documented_is_still_taken(api):
    response = api.post(INTAKE, result_payload(), format="json")

    assert response.status_code == 201, response.content


def test_a_contact_with_an_unknown_field_is_a_400_naming_it(api):
    case = f.CaseFactory()
    body = {
        "person": {
            "first_name": "Tom",
            "last_name": "Baker",
            "phone": "0114 496 0555",
            "postcode": "S1 2HE",
            "mobile": "07911 123456",
        },
        "exposure_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "exposure": "household",
        "exposure_type": "household",
    }

    response = api.post(f"/api/v1/cases/{case.pk}/contacts/", body, format="json")

    assert response.status_code == 400, response.content
    assert response.json() == {
        "person": {"mobile": UNKNOWN},
        "exposure_type": UNKNOWN,
    }
    assert not Contact.objects.exists()


@pytest.mark.parametrize("item", ["cases", "contacts"])
def test_a_call_with_an_unknown_field_is_a_400_and_nothing_logged(
    api, caseworker, item
):
    factory = f.CaseFactory if item == "cases" else f.ContactFactory
    work = factory(status=Status.ASSIGNED, assignee=caseworker)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = api.post(
        f"/api/v1/{item}/{work.pk}/calls/",
        {
            "outcome": "call_back",
            "callback_at": f"{tomorrow}T10:00",
            "caller": caseworker.pk,
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["callback_at"] == UNKNOWN
    assert not CallAttempt.objects.exists()


def test_a_call_whose_notes_are_misspelt_is_refused_not_logged_without_them(
    api, caseworker
):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)

    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {"outcome": "no_answer", "caller": caseworker.pk, "note": "Left a voicemail."},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json() == {"note": UNKNOWN}
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize(
    "component",
    [
        "LabResultInRequest",
        "PersonInRequest",
        "ContactInRequest",
        "ContactPersonInRequest",
        "CallInRequest",
    ],
)
def test_the_schema_says_a_request_body_takes_no_other_fields(api, component):
    schema = api.get("/api/schema/", {"format": "json"}).json()

    assert schema["components"]["schemas"][component]["additionalProperties"] is False


def test_a_team_sending_back_a_contact_with_a_misspelt_new_phone_is_refused(
    sheffield_api,
):
    # "phone" for "new_phone": taken, the contact went back to the national callers
    # on the old, wrong number, and the team was told it had gone.
    from tests.api.test_escalations import escalated_contact

    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")

    response = sheffield_api.post(
        f"/api/v1/escalations/{escalation.pk}/return/",
        {"note": "Found a new number", "phone": "07911 123458"},
        format="json",
    )

    assert response.status_code == 400, response.content
    assert response.json()["phone"] == ["Unknown field: not one this API reads."]
    escalation.refresh_from_db()
    assert escalation.closed_at is None


def test_an_isolation_change_with_a_misspelt_current_end_is_refused(caseworker):
    # "current_end_on" for "current_ends_on": taken, the "changed since" check was
    # off, and another clinician's change could be overwritten with no 409.
    from rest_framework.test import APIClient

    from contacts.models import IsolationChange

    case = f.CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=timezone.now()
    )
    http = APIClient()
    http.force_login(caseworker)

    response = http.post(
        f"/api/v1/cases/{case.pk}/isolation/",
        {
            "ends_on": (timezone.localdate() + dt.timedelta(days=7)).isoformat(),
            "reason": "Immunosuppressed.",
            "current_end_on": case.isolation_ends_on.isoformat(),
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    assert "current_end_on" in response.json()
    assert not IsolationChange.objects.exists()
