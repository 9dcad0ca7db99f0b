"""Working an escalation: the local team's pages and the API do the same, refuse the
same, and national supervisors see none through either."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalations.models import Escalation
from tests import factories as f

from .conftest import (
    ASSIGN_RUN,
    LEEDS,
    api_session,
    escalated_contact,
    local_member,
    web_session,
)

pytestmark = pytest.mark.django_db

UNCLAIMED = "Pick this escalation up before working it."

# Each way of working an escalation: the page's address and form, the API's path and
# body (the same values).
OPS = {
    "action": ("action", "actions", {"kind": "doorstep", "note": "Nobody home"}),
    "close": ("close", "close", {"outcome": "reached", "note": "Advised on the step"}),
    "return": (
        "return",
        "return",
        {"note": "Found a new number", "new_phone": "07400 654321"},
    ),
}
# What each operation writes besides the audit rows, once the escalation is picked up.
OP_ROWS = {
    "action": {"escalations.escalation", "escalations.escalationaction"},
    # Closed reached: the contact is sent their isolation advice (07c0673).
    "close": {"escalations.escalation", "contacts.contact", "people.message"},
    "return": {"escalations.escalation", "contacts.contact", "people.person"},
}


def page_url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def api_url(path: str, escalation: Escalation) -> str:
    return f"/api/v1/escalations/{escalation.pk}/{path}/"


def page_work(client, escalation, op: str):
    name, _, data = OPS[op]
    return client.post(page_url(name, escalation), data)


def api_work(http, escalation, op: str):
    _, path, data = OPS[op]
    return http.post(api_url(path, escalation), data, format="json")


def page_claim_then(client, escalation, op: str | None):
    def door():
        claimed = client.post(page_url("claim", escalation))
        assert claimed.status_code == 302
        return page_work(client, escalation, op) if op else claimed

    return door


def api_claim_then(http, escalation, op: str | None):
    def door():
        claimed = http.post(api_url("claim", escalation))
        assert claimed.status_code == 200, claimed.content
        return api_work(http, escalation, op) if op else claimed

    return door


# --- nobody picked it up ----------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
def test_an_integration_cannot_work_an_escalation_nobody_picked_up(
    doors, sheffield_integration, op
):
    escalation = escalated_contact()
    _, http = sheffield_integration
    before = doors.baseline()

    api = doors.run(lambda: api_work(http, escalation, op))

    assert api.response.status_code == 409
    assert api.response.json()["detail"] == UNCLAIMED
    assert api.changes(before) == {}
    assert api.queued == []


@pytest.mark.parametrize("op", OPS)
def test_the_page_refuses_to_work_an_escalation_nobody_picked_up_with_the_apis_message(
    doors, client, sheffield_member, sheffield_integration, op
):
    escalation = escalated_contact()
    web_session(client, sheffield_member)
    _, http = sheffield_integration
    before = doors.baseline()

    page = doors.run(lambda: page_work(client, escalation, op))
    api = doors.run(lambda: api_work(http, escalation, op))

    assert page.response.status_code == 302
    assert page.response.url == page_url("detail", escalation)
    assert page.flashes == [UNCLAIMED] == [api.response.json()["detail"]]
    assert page.changes(before) == {}
    assert page.queued == []


# --- once picked up -----------------------------------------------------------------------


def test_picking_an_escalation_up_writes_the_same_rows_through_the_page_and_an_integration(
    doors, client, sheffield_member, sheffield_integration
):
    escalation = escalated_contact()
    web_session(client, sheffield_member)
    integration, http = sheffield_integration

    page = doors.run(
        page_claim_then(client, escalation, None), actors={sheffield_member: "ACTOR"}
    )
    api = doors.run(
        api_claim_then(http, escalation, None), actors={integration.user: "ACTOR"}
    )

    (picked,) = [
        e for e in page.rows["escalations.escalation"] if e["id"] == escalation.pk
    ]
    assert (picked["status"], picked["picked_up_by_id"]) == ("picked_up", "ACTOR")
    assert page.diff(api) == {}
    assert page.queued == api.queued == []


@pytest.mark.parametrize("op", OPS)
def test_once_picked_up_an_escalation_is_worked_alike_through_the_page_and_an_integration(
    doors, client, sheffield_member, sheffield_integration, op
):
    escalation = escalated_contact()
    web_session(client, sheffield_member)
    integration, http = sheffield_integration
    before = doors.baseline()

    page = doors.run(
        page_claim_then(client, escalation, op), actors={sheffield_member: "ACTOR"}
    )
    api = doors.run(
        api_claim_then(http, escalation, op), actors={integration.user: "ACTOR"}
    )

    assert page.response.status_code == 302
    assert api.response.status_code in (200, 201), api.response.content
    assert set(page.changes(before)) == {"audit.auditevent", *OP_ROWS[op]}
    assert [e["action"] for e in page.new("audit.auditevent")] == ["update", "update"]
    assert page.diff(api) == {}
    assert page.queued == api.queued


def test_sending_an_escalation_back_asks_for_an_assignment_run_through_either_door(
    doors, client, sheffield_member, sheffield_integration
):
    escalation = escalated_contact()
    web_session(client, sheffield_member)
    _, http = sheffield_integration

    page = doors.run(page_claim_then(client, escalation, "return"))
    api = doors.run(api_claim_then(http, escalation, "return"))

    assert page.queued == api.queued == [ASSIGN_RUN]


@pytest.mark.parametrize("op", OPS)
def test_a_local_team_member_working_through_the_api_writes_exactly_what_the_page_writes(
    doors, client, sheffield_member, op
):
    escalation = escalated_contact()
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)

    page = doors.run(page_claim_then(client, escalation, op))
    api = doors.run(api_claim_then(http, escalation, op))

    assert {e["user_id"] for e in page.new("audit.auditevent")} == {sheffield_member.pk}
    assert page.diff(api) == {}
    assert page.queued == api.queued


# --- who is refused -------------------------------------------------------------------------


REFUSED = ["leeds_member", "call_handler", "supervisor", "outsider"]


@pytest.mark.parametrize("who", REFUSED)
def test_the_same_people_are_refused_picking_up_an_escalation_on_the_page_and_the_api(
    request, doors, client, who
):
    escalation = escalated_contact()
    user = (
        local_member(LEEDS, "leeds_member")
        if who == "leeds_member"
        else request.getfixturevalue(who)
    )
    web_session(client, user)
    http = api_session(user)
    before = doors.baseline()

    page = doors.run(lambda: client.post(page_url("claim", escalation)))
    api = doors.run(lambda: http.post(api_url("claim", escalation)))

    assert page.response.status_code in (403, 404)
    assert api.response.status_code in (403, 404)
    assert page.changes(before) == api.changes(before) == {}


def test_another_teams_integration_is_refused_an_escalation_as_that_teams_members_are(
    doors, client, make_client, leeds_member
):
    escalation = escalated_contact()
    _, leeds_http = make_client(
        "Leeds dashboard", scopes=["casework"], local_team=f.area(LEEDS).local_team
    )
    web_session(client, leeds_member)
    before = doors.baseline()

    page = doors.run(lambda: client.post(page_url("claim", escalation)))
    api = doors.run(lambda: leeds_http.post(api_url("claim", escalation)))

    assert page.response.status_code == api.response.status_code == 404
    assert page.changes(before) == api.changes(before) == {}


# --- national supervisors see none ------------------------------------------------------------


@pytest.mark.parametrize("name", ["queue", "complex", "export", "clusters"])
def test_a_national_supervisor_gets_403_on_the_local_team_pages(
    client, supervisor, sheffield_member, name
):
    escalated_contact()
    url = reverse(f"escalations:{name}")
    assert web_session(client, sheffield_member).get(url).status_code == 200
    client.logout()

    assert web_session(client, supervisor).get(url).status_code == 403


def test_a_national_supervisor_gets_403_on_an_escalations_page(
    client, supervisor, sheffield_member
):
    escalation = escalated_contact()
    url = page_url("detail", escalation)
    assert web_session(client, sheffield_member).get(url).status_code == 200
    client.logout()

    assert web_session(client, supervisor).get(url).status_code == 403


def test_a_national_supervisor_lists_no_escalations_through_the_api(
    supervisor, sheffield_member
):
    escalation = escalated_contact()
    seen_by_team = api_session(sheffield_member).get("/api/v1/escalations/").json()
    assert [e["id"] for e in seen_by_team["results"]] == [escalation.pk]

    response = api_session(supervisor).get("/api/v1/escalations/")

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_national_supervisor_gets_404_for_an_escalation_through_the_api(
    doors, supervisor
):
    escalation = escalated_contact()
    http = api_session(supervisor)
    before = doors.baseline()

    read = doors.run(lambda: http.get(f"/api/v1/escalations/{escalation.pk}/"))
    claim = doors.run(lambda: http.post(api_url("claim", escalation)))

    assert read.response.status_code == claim.response.status_code == 404
    assert claim.changes(before) == {}
