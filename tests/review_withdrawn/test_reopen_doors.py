"""The doors to a reopening, for an escalation whose item's positive result was
withdrawn: the close the withdrawal made is offered no reopening on the page, and
the API refuses it with a 409 saying the result was withdrawn; a team's close of a
concern the withdrawal left open is offered, without saying a reach is taken back
(the close counted none: the contact stayed withdrawn)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from escalations.models import Escalation
from tests.local_teams.builders import SHEFFIELD, escalated_case, escalated_contact
from work.escalation import escalation_claim, escalation_close
from work.withdraw import case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REASON = "The lab's mix-up: another person's sample"


@pytest.fixture
def withdrawals_close(supervisor, sheffield_member) -> Escalation:
    """A complex case a member holds, closed by the withdrawal of its result."""
    escalation = escalated_case(SHEFFIELD)
    escalation_claim(escalation=escalation, by=sheffield_member)
    case_withdraw(case=escalation.case, reason=REASON, by=supervisor)
    escalation.refresh_from_db()
    assert escalation.outcome == Escalation.Outcome.WITHDRAWN
    return escalation


def test_the_api_refuses_to_reopen_a_withdrawals_close_saying_why(
    withdrawals_close, sheffield_api
):
    response = sheffield_api.post(
        f"/api/v1/escalations/{withdrawals_close.pk}/reopen/",
        {"reason": "Still worried about them"},
        format="json",
    )

    assert response.status_code == 409
    said = response.json()["detail"]
    assert "the positive result behind it was withdrawn" in said
    assert "ask them" not in said
    withdrawals_close.refresh_from_db()
    assert withdrawals_close.status == Escalation.Status.CLOSED


def test_the_page_of_a_withdrawals_close_offers_no_reopening(
    withdrawals_close, sheffield_client
):
    page = sheffield_client.get(
        reverse("escalations:detail", args=[withdrawals_close.pk])
    )

    assert page.status_code == 200
    assert reverse("escalations:reopen", args=[withdrawals_close.pk]) not in (
        page.content.decode()
    )


def test_reopening_a_concern_closed_reached_does_not_say_a_reach_is_taken_back(
    clock, supervisor, sheffield_member, sheffield_client
):
    concern = escalated_contact(SHEFFIELD, reason=Escalation.Reason.SAFEGUARDING)
    case_withdraw(case=concern.contact.case, reason=REASON, by=supervisor)
    escalation_claim(escalation=concern, by=sheffield_member)
    clock.shift(dt.timedelta(hours=1))
    escalation_close(
        escalation=concern,
        outcome=Escalation.Outcome.REACHED,
        note="",
        by=sheffield_member,
    )

    page = sheffield_client.get(reverse("escalations:detail", args=[concern.pk]))

    html = page.content.decode()
    assert "Reopen escalation" in html
    assert "no longer counted as reached" not in html
