"""PATCH /api/v1/cases/{id}/person/ (and contacts') on an item with its local team:
whoever may work its open escalation (a client bound to the team, a national client,
a member of the team signed in, an administrator) corrects the person's details under
the page's rule; anyone else as before (a 409 for who works the item but not the
escalation, 403 or 404 for who may not)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from people.models import PersonChange
from tests import factories as f
from work.escalation import escalation_claim, escalation_close, escalation_return

from .conftest import CARDIFF_POSTCODE, LEEDS, SHEFFIELD, api_url

pytestmark = pytest.mark.django_db


def integration(team_code: str | None) -> APIClient:
    """A casework integration bound to the team of the area `team_code` (None: a
    national one)."""
    _, token = api_client_create(
        name=f"Dashboard {team_code}",
        scopes=[Scope.CASEWORK],
        local_team=f.area(team_code).local_team if team_code else None,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def signed_in(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def item_of(escalation: Escalation):
    return escalation.item


def test_the_teams_integration_corrects_an_escalated_cases_person(escalation, jon):
    response = integration(SHEFFIELD).patch(
        api_url(item_of(escalation)), {"phone": "07911 123457"}, format="json"
    )

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["changed"] == ["phone", "phone_alt"]
    assert "This case stays with its local team" in answer["detail"]
    assert PersonChange.objects.get(person=jon, field="phone").source == "api"
    assert Case.objects.get(pk=escalation.case_id).status == Status.ESCALATED


def test_a_national_integration_corrects_an_escalated_contacts_person(
    contact_escalation, jon
):
    response = integration(None).patch(
        api_url(item_of(contact_escalation)), {"first_name": "Jon"}, format="json"
    )

    assert response.status_code == 200, response.content
    jon.refresh_from_db()
    assert jon.first_name == "Jon"


def test_a_team_member_signed_in_corrects_them(escalation, sheffield_member, jon):
    response = signed_in(sheffield_member).patch(
        api_url(item_of(escalation)), {"email": "jon@example.org"}, format="json"
    )

    assert response.status_code == 200, response.content
    jon.refresh_from_db()
    assert jon.email == "jon@example.org"


def test_another_teams_integration_does_not_find_it(escalation, jon):
    response = integration(LEEDS).patch(
        api_url(item_of(escalation)), {"first_name": "Jon"}, format="json"
    )

    assert response.status_code == 404
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_a_national_supervisor_who_does_not_work_escalations_is_a_409(
    escalation, supervisor, jon
):
    response = signed_in(supervisor).patch(
        api_url(item_of(escalation)), {"first_name": "Jon"}, format="json"
    )

    assert response.status_code == 409
    assert "with its local team" in response.json()["detail"]


def test_a_team_member_after_the_close_is_a_409(escalation, sheffield_member, jon):
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.NOT_FOUND, by=sheffield_member
    )

    response = signed_in(sheffield_member).patch(
        api_url(item_of(escalation)), {"first_name": "Jon"}, format="json"
    )

    assert response.status_code == 409
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_a_team_member_after_a_send_back_is_a_409(escalation, sheffield_member, jon):
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_return(escalation=escalation, note="Moved", by=sheffield_member)

    response = signed_in(sheffield_member).patch(
        api_url(item_of(escalation)), {"first_name": "Jon"}, format="json"
    )

    assert response.status_code == 409
    assert "sent back to the national queue" in response.json()["detail"]


def test_a_postcode_outside_england_is_taken_and_said(escalation, jon):
    response = integration(SHEFFIELD).patch(
        api_url(item_of(escalation)), {"postcode": "cf101ep"}, format="json"
    )

    assert response.status_code == 200, response.content
    answer = response.json()
    assert answer["person"]["postcode"] == CARDIFF_POSTCODE
    assert answer["person"]["area"] is None
    assert answer["detail"].startswith(
        f"Postcode updated. {CARDIFF_POSTCODE} is outside England:"
    )
