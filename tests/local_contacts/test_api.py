"""POST /api/v1/cases/<id>/contacts/ for an integration working for a local team: the
same rule as the team's page, through the same operation (work.casework.contact_add):
the contacts of a case with its team, while its escalation is open."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from tests.local_teams.builders import LEEDS
from work.escalation import escalation_claim, escalation_close

pytestmark = pytest.mark.django_db

TOM = {
    "person": {
        "first_name": "Tom",
        "last_name": "Baker",
        "phone": "0114 496 0555",
        "postcode": "S1 2HH",
    },
    "exposure_date": "2021-01-11",
    "exposure": "face_to_face",
}


def integration(team_code: str | None) -> tuple:
    """A casework integration bound to the team of the area `team_code` (None: a
    national one), and its HTTP client."""
    client, token = api_client_create(
        name=f"Dashboard {team_code}",
        scopes=[Scope.CASEWORK],
        local_team=f.area(team_code).local_team if team_code else None,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client, http


def add_tom(http: APIClient, escalation: Escalation):
    return http.post(
        f"/api/v1/cases/{escalation.case_id}/contacts/", TOM, format="json"
    )


def test_the_teams_integration_adds_a_contact_to_a_case_with_the_team(escalation):
    client, http = integration("E08000019")

    response = add_tom(http, escalation)

    assert response.status_code == 201, response.content
    contact = Contact.objects.get(case=escalation.case_id)
    assert response.json()["id"] == contact.pk
    assert contact.identified_by == client.user


def test_a_team_member_signed_in_adds_one_through_the_api(escalation, sheffield_member):
    http = APIClient()
    http.force_login(sheffield_member)

    response = add_tom(http, escalation)

    assert response.status_code == 201, response.content
    assert Contact.objects.get().identified_by == sheffield_member


def test_a_closed_escalation_is_a_conflict(escalation, sheffield_member):
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )
    _, http = integration("E08000019")

    response = add_tom(http, escalation)

    assert response.status_code == 409
    assert "This case is closed" in response.content.decode()
    assert not Contact.objects.exists()


def test_another_teams_integration_does_not_see_the_case(escalation):
    _, http = integration(LEEDS)

    response = add_tom(http, escalation)

    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_another_teams_member_signed_in_is_refused(escalation, leeds_member):
    http = APIClient()
    http.force_login(leeds_member)

    response = add_tom(http, escalation)

    assert response.status_code == 404
    assert not Contact.objects.exists()


def test_a_national_integration_adds_one_as_it_may_close_the_escalation(escalation):
    _, http = integration(None)

    response = add_tom(http, escalation)

    assert response.status_code == 201, response.content
