"""A send back refused over the API names the field the request sent.

Before, POST /api/v1/escalations/{id}/return/ of someone with no phone and no other
phone, sent without a new number, was a 400 on "phone": the service's name for the
person's number, a field the request has not got (it sends the number as
"new_phone"), so a client could not show the reason beside its field. Now the 400 is
on "new_phone", as the page has it; a note refused is still on "note".
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from escalations.models import Escalation
from work.escalation import escalation_claim

from .builders import SHEFFIELD, escalated_contact, person_in

pytestmark = pytest.mark.django_db

CANNOT = (
    "The national callers cannot phone them: give a new number, or close it with "
    "what your team did."
)


@pytest.fixture
def api(sheffield_member) -> APIClient:
    http = APIClient()
    http.force_login(sheffield_member)
    return http


def picked_up(by, **numbers) -> Escalation:
    person = person_in(SHEFFIELD, **{"phone": "", "phone_alt": "", **numbers})
    escalation = escalated_contact(person=person)
    escalation_claim(escalation=escalation, by=by)
    return escalation


def send_back(api: APIClient, escalation: Escalation, **body):
    return api.post(f"/api/v1/escalations/{escalation.pk}/return/", body, format="json")


@pytest.mark.parametrize("new_phone", [None, ""], ids=["left out", "blank"])
def test_no_number_to_send_back_with_is_a_400_on_new_phone(
    clock, api, sheffield_member, new_phone
):
    escalation = picked_up(sheffield_member)
    body = {"note": "Try them again please"}
    if new_phone is not None:
        body["new_phone"] = new_phone

    response = send_back(api, escalation, **body)

    assert response.status_code == 400
    assert response.json() == {"new_phone": [CANNOT]}
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP


def test_a_note_of_only_spaces_is_still_a_400_on_note(clock, api, sheffield_member):
    escalation = picked_up(sheffield_member, phone="+447911123456")

    response = send_back(api, escalation, note="   ")

    assert response.status_code == 400
    assert set(response.json()) == {"note"}


def test_with_a_new_number_it_goes_back(clock, api, sheffield_member):
    escalation = picked_up(sheffield_member)

    response = send_back(
        api, escalation, note="Neighbour gave a mobile", new_phone="07911 123457"
    )

    assert response.status_code == 200
    escalation.refresh_from_db()
    assert escalation.outcome == Escalation.Outcome.RETURNED
