"""Text that is not valid Unicode (a lone UTF-16 surrogate, "\\ud800") is refused
with a 400 naming where it is, and nothing is saved. (In an intake batch only the
item holding it is refused, with the rest saved: tests/api/test_input_formats.py.)

Python's JSON reader takes such an escape, but the reply cannot be written as UTF-8
nor the text stored by PostgreSQL: it was a 500, after a batch's good items were
saved, so the lab never learnt their case ids. The bodies are sent as bytes, escaped
as a client's JSON library escapes them (json.dumps), since the test client's own
renderer could not write them either.
"""

from __future__ import annotations

import json

import pytest

from calls.models import CallAttempt
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from tests import factories as f
from work.escalation import item_escalate

from .conftest import result_payload

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/test-results/"
NOT_UNICODE = "not valid Unicode"


def post_json(http, url: str, body) -> object:
    """POST `body` as a client sends it: lone surrogates escaped, ASCII bytes."""
    return http.post(url, json.dumps(body), content_type="application/json")


def escalated_contact() -> Escalation:
    person = f.PersonFactory(area=f.area())
    contact = f.ContactFactory(person=person, area=person.area)
    return item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)


# --- the intake -----------------------------------------------------------------------


def test_one_result_with_a_lone_surrogate_in_a_choice_is_a_400_naming_the_field(api):
    response = post_json(api, INTAKE, result_payload(complex_setting="\ud800"))

    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == {"complex_setting"}
    assert NOT_UNICODE in response.json()["complex_setting"][0]
    assert not Case.objects.exists()


def test_a_lone_surrogate_in_a_nested_field_names_the_path(api):
    payload = result_payload()
    payload["person"]["first_name"] = "Ash\udbffa"

    response = post_json(api, INTAKE, payload)

    assert response.status_code == 400, response.content[:300]
    assert set(response.json()) == {"person"}
    assert NOT_UNICODE in response.json()["person"]["first_name"][0]
    assert not Case.objects.exists()


def test_a_lone_surrogate_in_a_key_is_a_400(api):
    payload = result_payload()
    payload["person"]["\ud800"] = "x"

    response = post_json(api, INTAKE, payload)

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()["person"]["non_field_errors"][0]
    assert not Case.objects.exists()


def test_a_whole_character_escaped_as_a_surrogate_pair_is_taken(api):
    """An emoji escaped as its pair ("\\ud83d\\ude00", what json.dumps writes) is a
    character: it is not refused."""
    payload = result_payload("LAB-\U0001f600")

    response = post_json(api, INTAKE, payload)

    assert response.status_code == 201, response.content[:300]
    assert Case.objects.get().lab_reference == "LAB-\U0001f600"


# --- every write with a choice --------------------------------------------------------


def test_a_call_outcome_with_a_lone_surrogate_is_a_400_logging_nothing(api):
    case = f.CaseFactory()

    response = post_json(api, f"/api/v1/cases/{case.pk}/calls/", {"outcome": "\ud800"})

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()["outcome"][0]
    assert not CallAttempt.objects.exists()


def test_a_contact_exposure_with_a_lone_surrogate_is_a_400_adding_nothing(api):
    case = f.CaseFactory()
    body = {
        "person": {"first_name": "Sam", "last_name": "Okafor", "phone": "07911 123457"},
        "exposure_date": "2020-01-01",
        "exposure": "house\udc00hold",
    }

    response = post_json(api, f"/api/v1/cases/{case.pk}/contacts/", body)

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()["exposure"][0]
    assert not Contact.objects.exists()


def test_an_escalation_action_kind_with_a_lone_surrogate_is_a_400(sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")

    response = post_json(
        sheffield_api,
        f"/api/v1/escalations/{escalation.pk}/actions/",
        {"kind": "\ud800", "note": "Nobody home"},
    )

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()["kind"][0]
    assert not EscalationAction.objects.exists()


def test_an_escalation_close_outcome_with_a_lone_surrogate_is_a_400(sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")

    response = post_json(
        sheffield_api,
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": "\ud800"},
    )

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()["outcome"][0]
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP


# --- GOV.UK Notify's receipts -----------------------------------------------------------

TOKEN = "a-long-random-callback-token"
RECEIPTS = "/api/v1/notify/receipts/"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "\ud800", "status": "delivered"}, "id"),
        ({"id": "abc", "status": "deliv\udfffered"}, "status"),
        ({"id": "abc", "status": "delivered", "reference": "\ud800"}, "reference"),
        (
            {"id": "abc", "status": "delivered", "completed_at": "\ud800"},
            "completed_at",
        ),
    ],
    ids=["id", "status", "reference", "completed_at"],
)
def test_a_receipt_with_a_lone_surrogate_is_a_400_saying_which_field(
    client, settings, body, field
):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN

    response = client.post(
        RECEIPTS,
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()[field][0]
