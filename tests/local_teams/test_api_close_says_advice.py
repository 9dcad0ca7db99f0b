"""A local team closing "Reached and advised" through the API is told, as the page
tells a member, whether the contact's isolation date went to them in writing and
where, or why not, so their own system knows whether to give it them itself.

Before, the API's close answered the escalation alone: a team's dashboard closing a
contact with no mobile number nor email could not tell that nothing had gone.

The test clock stands at 10:00 on Tuesday 12 January 2021."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from people.models import Message
from tests import factories as f

from .builders import SHEFFIELD, escalated_case, escalated_contact, person_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def http():
    _, token = api_client_create(
        name="Sheffield dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(SHEFFIELD).local_team,
        rate_limit_per_minute=1000,
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def close(http, escalation, outcome="reached") -> dict:
    claim = http.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    assert claim.status_code == 200
    response = http.post(
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": outcome, "note": "Advised at the door"},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def test_the_close_says_the_date_was_texted_and_where(http):
    escalation = escalated_contact()
    phone = str(escalation.contact.person.phone)

    answer = close(http, escalation)

    assert answer["status"] == "closed"
    assert answer["advice"] == {
        "sent": True,
        "channel": "sms",
        "to": phone,
        "not_sent": "",
    }
    assert Message.objects.get().to == phone


def test_the_close_says_nothing_could_go(http):
    person = person_in(SHEFFIELD, phone="", email="")

    answer = close(http, escalated_contact(person=person))

    assert answer["advice"] == {
        "sent": False,
        "channel": "",
        "to": "",
        "not_sent": "nowhere_to_send",
    }
    assert not Message.objects.exists()


def test_the_same_close_sent_again_says_the_same(http):
    escalation = escalated_contact()
    first = close(http, escalation)

    again = http.post(
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": "reached", "note": "Advised at the door"},
        format="json",
    )

    assert again.status_code == 200
    assert again.json()["advice"] == first["advice"]
    assert Message.objects.count() == 1


def test_another_outcome_or_a_case_has_no_advice(http):
    assert close(http, escalated_contact(), outcome="not_found")["advice"] is None
    assert close(http, escalated_case())["advice"] is None
