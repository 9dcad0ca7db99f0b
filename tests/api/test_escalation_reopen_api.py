"""POST /api/v1/escalations/{id}/reopen/: an escalation closed by mistake, reopened
by who closed it (here, the team's integration) within a week, with a reason. It
comes back picked up, the item escalated again and its local reach taken back; a
retry with the same Idempotency-Key is answered as the first; refusals are 409 with
the reason, a missing reason a 400 on its field. Before, there was no way back: a
second close was a 409 "already closed"."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.workitem import Status
from escalations.models import Escalation
from tests.conftest import NOW
from tests.local_teams.builders import SHEFFIELD, local_member
from work.escalation import escalation_claim, escalation_close

from .test_escalations import escalated_contact

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]

REASON = "Closed as reached by mistake: nobody was home."


def reopen(api, escalation, *, key: str = "", reason: str | None = REASON):
    body = {} if reason is None else {"reason": reason}
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(
        f"/api/v1/escalations/{escalation.pk}/reopen/",
        body,
        format="json",
        headers=headers,
    )


@pytest.fixture
def closed(clock, sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    answer = sheffield_api.post(
        f"/api/v1/escalations/{escalation.pk}/close/",
        {"outcome": "reached"},
        format="json",
    )
    assert answer.status_code == 200
    return escalation


def test_who_closed_it_reopens_it(sheffield_api, closed):
    response = reopen(sheffield_api, closed, key="reopen-1")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == Escalation.Status.PICKED_UP
    assert (body["outcome"], body["closed_at"]) == ("", None)
    contact = closed.item
    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert (contact.reached_at, contact.reached_route) == (None, "")
    actions = sheffield_api.get(f"/api/v1/escalations/{closed.pk}/").json()
    assert actions["status"] == "picked_up"

    closed_again = sheffield_api.post(
        f"/api/v1/escalations/{closed.pk}/close/",
        {"outcome": "not_found", "note": "Nobody home"},
        format="json",
    )
    assert closed_again.status_code == 200
    assert closed_again.json()["outcome"] == "not_found"
    contact.refresh_from_db()
    assert contact.reached_at is None


def test_a_retry_with_its_key_is_answered_as_the_first(sheffield_api, closed):
    first = reopen(sheffield_api, closed, key="reopen-1")
    again = reopen(sheffield_api, closed, key="reopen-1")

    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert closed.actions.filter(kind="reopened").count() == 1


def test_a_missing_reason_is_a_400_on_its_field(sheffield_api, closed):
    response = reopen(sheffield_api, closed, reason=None)

    assert response.status_code == 400
    assert "reason" in response.json()
    closed.refresh_from_db()
    assert closed.status == Escalation.Status.CLOSED


def test_an_open_escalation_is_a_409(sheffield_api, closed):
    reopen(sheffield_api, closed, key="reopen-1")

    response = reopen(sheffield_api, closed, key="reopen-2")

    assert response.status_code == 409
    assert "not closed" in response.json()["detail"]


def test_after_a_week_it_is_a_409(sheffield_api, closed, clock):
    clock.shift(dt.timedelta(days=8))

    response = reopen(sheffield_api, closed)

    assert response.status_code == 409
    assert "within 7 days" in response.json()["detail"]
    closed.refresh_from_db()
    assert closed.status == Escalation.Status.CLOSED


def test_another_closed_it_is_a_409(sheffield_api, clock):
    escalation = escalated_contact()
    member = local_member(SHEFFIELD, "closer")
    escalation_claim(escalation=escalation, by=member)
    escalation_close(escalation=escalation, outcome="reached", by=member)

    response = reopen(sheffield_api, escalation)

    assert response.status_code == 409
    assert "Only who closed it" in response.json()["detail"]
