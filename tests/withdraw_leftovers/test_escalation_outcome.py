"""An escalation closed because the positive result behind it was withdrawn (sent in
error) says so, as an outcome of its own: "Result withdrawn (sent in error)".

Before, the withdrawal closed it with a note and no outcome: the team's CSV had a
blank outcome, the escalation page said "Closed: " and nothing, and the API's
`outcome` was blank, as for one still open. The outcome is the withdrawal's alone:
a member closing an escalation is never offered it, and is refused it (the page's
field error, the API's 400 on `outcome`)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from escalations.models import Escalation
from tests import factories as f
from tests.local_teams.builders import SHEFFIELD, escalated_case, escalated_contact
from work.escalation import escalation_claim
from work.withdraw import case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REASON = "The lab's mix-up: another person's sample"
LABEL = "Result withdrawn (sent in error)"


@pytest.fixture
def withdrawn(supervisor) -> tuple[Escalation, Escalation]:
    """A case of Sheffield's escalated (a complex setting) and a contact only it
    named, escalated as unreached; then the case's result withdrawn."""
    of_case = escalated_case(SHEFFIELD)
    of_contact = escalated_contact(SHEFFIELD, case=of_case.case)
    case_withdraw(case=of_case.case, reason=REASON, by=supervisor)
    of_case.refresh_from_db()
    of_contact.refresh_from_db()
    return of_case, of_contact


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


def test_a_withdrawal_closes_the_escalations_as_withdrawn(withdrawn):
    for escalation in withdrawn:
        assert escalation.status == Escalation.Status.CLOSED
        assert escalation.outcome == Escalation.Outcome.WITHDRAWN
        assert escalation.get_outcome_display() == LABEL
        assert REASON in escalation.outcome_note


def test_the_teams_export_says_the_result_was_withdrawn(withdrawn, sheffield_client):
    response = sheffield_client.get(reverse("escalations:export"))

    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = {r["escalation"]: r for r in csv.DictReader(io.StringIO(body))}
    for escalation in withdrawn:
        assert rows[str(escalation.pk)]["outcome"] == LABEL


def test_the_escalation_page_says_the_result_was_withdrawn(withdrawn, sheffield_client):
    of_case, _ = withdrawn

    response = sheffield_client.get(reverse("escalations:detail", args=[of_case.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f": {LABEL}</dd>" in html
    assert f"{LABEL}.</p>" in html  # the card saying how it ended


def test_the_api_says_the_result_was_withdrawn(withdrawn, http):
    of_case, of_contact = withdrawn

    one = http.get(f"/api/v1/escalations/{of_case.pk}/").json()
    listed = http.get("/api/v1/escalations/", {"status": "closed"}).json()

    assert one["outcome"] == "withdrawn"
    assert {e["id"]: e["outcome"] for e in listed["results"]} == {
        of_case.pk: "withdrawn",
        of_contact.pk: "withdrawn",
    }


@pytest.fixture
def picked_up(sheffield_member) -> Escalation:
    escalation = escalated_contact(SHEFFIELD)
    escalation_claim(escalation=escalation, by=sheffield_member)
    return escalation


def test_the_close_form_does_not_offer_it(picked_up, sheffield_client):
    response = sheffield_client.get(reverse("escalations:detail", args=[picked_up.pk]))

    html = response.content.decode()
    assert 'name="outcome" type="radio" value="not_found"' in html
    assert 'type="radio" value="withdrawn"' not in html
    assert LABEL not in html


def test_a_member_choosing_it_on_the_page_is_told_why_not(picked_up, sheffield_client):
    response = sheffield_client.post(
        reverse("escalations:close", args=[picked_up.pk]),
        {"outcome": "withdrawn", "note": "Sent in error?"},
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="close_outcome-error"' in html
    assert "only when a supervisor withdraws the result" in html
    picked_up.refresh_from_db()
    assert picked_up.status == Escalation.Status.PICKED_UP
    assert picked_up.outcome == ""


def test_the_api_refuses_it_with_the_fields_reason(http):
    escalation = escalated_contact(SHEFFIELD)
    assert http.post(f"/api/v1/escalations/{escalation.pk}/claim/").status_code == 200

    response = http.post(
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": "withdrawn"},
        format="json",
    )

    assert response.status_code == 400
    [said] = response.json()["outcome"]
    assert "only when a supervisor withdraws the result" in said
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP


def test_the_api_schema_offers_it_to_read_not_to_close():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]

    def enum(field: dict) -> list[str]:
        """The values a field's schema admits (its enums, by reference)."""
        refs = [one["$ref"] for one in field.get("allOf", []) + field.get("oneOf", [])]
        return [
            value for ref in refs for value in components[ref.rsplit("/", 1)[1]]["enum"]
        ]

    close = schema["paths"]["/api/v1/escalations/{id}/close/"]["post"]
    request = close["requestBody"]["content"]["application/json"]["schema"]
    close_in = components[request["$ref"].rsplit("/", 1)[1]]
    assert "withdrawn" not in enum(close_in["properties"]["outcome"])
    read = components["Escalation"]["properties"]["outcome"]
    assert "withdrawn" in enum(read)
