"""Escalations over the API: the local team's list and working one through."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from audit.models import AuditEvent
from cases.workitem import Route, Status
from escalations.models import Escalation
from tests import factories as f
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db


def escalated_contact(area_code: str = "E08000019") -> Escalation:
    person = f.PersonFactory(area=f.area(area_code))
    contact = f.ContactFactory(person=person, area=person.area)
    return item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)


def test_local_team_client_lists_only_its_escalations(sheffield_api):
    mine = escalated_contact()
    escalated_contact("E08000016")
    body = sheffield_api.get("/api/v1/escalations/").json()
    assert [e["id"] for e in body["results"]] == [mine.pk]


def test_local_team_client_gets_404_for_another_teams_escalation(sheffield_api):
    other = escalated_contact("E08000016")
    response = sheffield_api.post(f"/api/v1/escalations/{other.pk}/claim/")
    assert response.status_code == 404


def test_claim_picks_the_escalation_up(sheffield_api):
    escalation = escalated_contact()
    response = sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    assert response.status_code == 200
    assert response.json()["status"] == Escalation.Status.PICKED_UP
    escalation.refresh_from_db()
    assert escalation.picked_up_at is not None


def test_a_claim_by_another_is_409(sheffield_api, make_client):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    other = make_client(
        "Sheffield rota", scopes=[Scope.CASEWORK], local_team=f.area().local_team
    )[1]
    response = other.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    assert response.status_code == 409
    assert "already picked up" in response.json()["detail"]


def test_a_claim_sent_again_by_its_holder_is_the_same_claim(sheffield_api):
    """A retry after a timeout: the integration already holds it, so it is told so
    (200, as the first time), not that it was "already picked up by" itself."""
    escalation = escalated_contact()
    first = sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    events = AuditEvent.objects.count()

    again = sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")

    assert again.status_code == 200
    assert again.json()["status"] == Escalation.Status.PICKED_UP
    assert again.json()["picked_up_at"] == first.json()["picked_up_at"]
    assert AuditEvent.objects.count() == events


def test_record_a_doorstep_visit(sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    response = sheffield_api.post(
        f"/api/v1/escalations/{escalation.pk}/actions/",
        {"kind": "doorstep", "note": "Nobody home"},
        format="json",
    )
    assert response.status_code == 201
    assert escalation.actions.get().note == "Nobody home"


def test_close_as_reached_counts_the_contact_reached_by_the_local_route(sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    response = sheffield_api.post(
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": "reached"},
        format="json",
    )
    assert response.status_code == 200
    contact = escalation.contact
    contact.refresh_from_db()
    assert contact.status == Status.CLOSED
    assert contact.reached_route == Route.LOCAL


def test_closing_again_otherwise_is_409(sheffield_api):
    # The same close sent again is answered as the first (tests/parity).
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    url = f"/api/v1/escalations/{escalation.pk}/close/"
    sheffield_api.post(url, {"outcome": "not_found"}, format="json")
    response = sheffield_api.post(url, {"outcome": "reached"}, format="json")
    assert response.status_code == 409


def test_close_with_returned_outcome_is_400(sheffield_api):
    escalation = escalated_contact()
    response = sheffield_api.post(
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": "returned"},
        format="json",
    )
    assert response.status_code == 400


def test_return_sends_the_contact_back_with_a_new_number(sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    response = sheffield_api.post(
        f"/api/v1/escalations/{escalation.pk}/return/",
        {"note": "Found a new number", "new_phone": "07911 123458"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == Escalation.Outcome.RETURNED
    contact = escalation.contact
    contact.refresh_from_db()
    assert contact.status == Status.NEW
    assert str(contact.person.phone) == "+447911123458"


def test_local_team_member_session_sees_the_teams_escalations(local_team_member):
    mine = escalated_contact()
    escalated_contact("E08000016")
    http = APIClient()
    http.force_login(local_team_member)
    body = http.get("/api/v1/escalations/").json()
    assert [e["id"] for e in body["results"]] == [mine.pk]


def test_call_handler_session_sees_no_escalations(call_handler):
    escalated_contact()
    http = APIClient()
    http.force_login(call_handler)
    assert http.get("/api/v1/escalations/").json()["results"] == []


def test_working_an_escalation_nobody_picked_up_is_409_as_on_the_page(sheffield_api):
    escalation = escalated_contact()
    for url, body in (
        ("actions", {"kind": "doorstep", "note": "Nobody home"}),
        ("close", {"outcome": "reached"}),
        ("return", {"note": "Found a new number"}),
    ):
        response = sheffield_api.post(
            f"/api/v1/escalations/{escalation.pk}/{url}/", body, format="json"
        )
        assert response.status_code == 409
        assert response.json()["detail"] == "Pick this escalation up before working it."
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert not escalation.actions.exists()


def test_national_supervisor_session_sees_no_escalations(supervisor):
    """docs/access.md: what a local team does with an item is the team's."""
    escalated_contact()
    http = APIClient()
    http.force_login(supervisor)
    assert http.get("/api/v1/escalations/").json()["results"] == []
