"""POST /api/v1/contacts/{id}/calls/ takes `support`, the help to stay at home a
contact reached asked for, through the same service as the call form: the contact is
reached and escalated to their local team for it. Before, `support` was an unknown
field (400), and a telephony integration had no way to pass the help on.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from escalations.models import Escalation

pytestmark = pytest.mark.django_db


def session(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def post_call(http, item, key=None, **body):
    body.setdefault("duration_seconds", 300)
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return http.post(
        f"/api/v1/{item.kind}s/{item.pk}/calls/", body, format="json", **headers
    )


def test_support_on_a_reached_call_goes_to_the_local_team(clock, handler, contact):
    response = post_call(
        session(handler),
        contact,
        outcome=Outcome.REACHED,
        support=["medicine", "money"],
        notes="Needs a prescription collected",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "reached"
    assert body["support"] == ["money", "medicine"]
    assert body["escalated_to"] == contact.area.local_team.code
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SUPPORT
    assert escalation.created_by == handler
    assert escalation.detail == (
        "Asked on a call for help with the Test and Trace support payment, "
        "medicine. Needs a prescription collected"
    )
    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.reached_at is not None


@pytest.mark.parametrize(
    ("outcome", "support", "words"),
    [
        (Outcome.REACHED, ["rent"], "“rent” is not help we pass on"),
        (Outcome.VOICEMAIL, ["food"], "only from a call that reached them"),
        (Outcome.REACHED, "food", "a list"),
    ],
)
def test_support_that_cannot_be_passed_on_is_a_400_on_support(
    clock, handler, contact, outcome, support, words
):
    response = post_call(session(handler), contact, outcome=outcome, support=support)

    assert response.status_code == 400, response.content
    problems = response.json()
    assert "support" in problems, problems
    assert words in str(problems["support"]), problems
    assert not CallAttempt.objects.filter(contact=contact).exists()
    assert not Escalation.objects.filter(contact=contact).exists()


def test_support_on_a_case_call_is_a_400(clock, caseworker, case):
    response = post_call(
        session(caseworker), case, outcome=Outcome.REACHED, support=["food"]
    )

    assert response.status_code == 400, response.content
    assert "passed on from a contact" in str(response.json()["support"])
    assert not CallAttempt.objects.filter(case=case).exists()


def test_a_retry_on_its_key_escalates_once(clock, handler, contact):
    http = session(handler)
    sent = {"outcome": Outcome.REACHED, "support": ["food"], "notes": "Alone"}

    first = post_call(http, contact, key="call-1", **sent)
    again = post_call(http, contact, key="call-1", **sent)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Escalation.objects.filter(contact=contact).count() == 1
    # The same key with other help: another call, refused, nothing done.
    other = post_call(http, contact, key="call-1", **{**sent, "support": ["money"]})
    assert other.status_code == 422, other.content
    assert Escalation.objects.filter(contact=contact).count() == 1
    # ...and with none: the same.
    bare = post_call(http, contact, key="call-1", **{**sent, "support": []})
    assert bare.status_code == 422, bare.content


def test_the_schema_documents_support(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    field = schema["components"]["schemas"]["CallInRequest"]["properties"]["support"]
    assert field["type"] == "array"
    assert field.get("description")
