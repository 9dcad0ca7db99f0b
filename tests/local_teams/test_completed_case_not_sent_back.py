"""A completed case is never sent back to the national queue.

A caseworker completes a case, then hears a safeguarding concern on a follow-up call:
the case goes to its local team. Before, the team was offered "Send back to the
national queue" and, sent back, the case was reopened (reached, held by nobody,
waiting for a caseworker) with its old completion time still on it, to be completed
again under a new one. The case's work is done: the team closes the escalation with
what it did instead, by the page, the API and the service alike."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from calls.models import Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.assignment import item_assign
from work.calls import call_record
from work.casework import item_complete
from work.escalation import escalation_claim, escalation_return

from .builders import NOW, SHEFFIELD, CaseFactory, person_in

pytestmark = pytest.mark.django_db

OFFER = "Send back to the national queue"
SENT_BACK = "Sent back to the national queue: it will be assigned a caller."
NOTHING_MORE = "the national callers have nothing more to do with it"


@pytest.fixture
def completed_case(clock, caseworker) -> Case:
    """A Sheffield case reached, assessed and completed by its caseworker."""
    person = person_in(SHEFFIELD)
    case = CaseFactory(person=person, area=person.area)
    item_assign(item=case, to=caseworker)
    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=caseworker)
    item_complete(item=case, by=caseworker)
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    return case


@pytest.fixture
def concern(completed_case, caseworker) -> Escalation:
    """A safeguarding concern heard on a follow-up call: escalated to Sheffield."""
    logged = call_record(
        item=completed_case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Partner heard shouting at them on the call",
    )
    assert logged.escalation is not None
    return logged.escalation


@pytest.fixture
def picked_up(concern, sheffield_member) -> Escalation:
    escalation_claim(escalation=concern, by=sheffield_member)
    return concern


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def assert_still_with_the_team(escalation: Escalation, completed_at) -> None:
    """Nothing changed: the escalation is the team's, the case still completed once
    (a concern leaves a completed case completed: tests/safeguarding_completed)."""
    escalation.refresh_from_db()
    case = Case.objects.get(pk=escalation.case_id)
    assert escalation.status == Escalation.Status.PICKED_UP
    assert case.status == Status.COMPLETED
    assert case.completed_at == completed_at
    assert not Case.objects.filter(pk=case.pk).awaiting_assignment().exists()


def test_the_page_does_not_offer_to_send_a_completed_case_back(
    picked_up, sheffield_client
):
    page = sheffield_client.get(url("detail", picked_up)).content.decode()

    assert OFFER not in page


def test_the_page_refuses_to_send_a_completed_case_back(
    picked_up, completed_case, sheffield_client
):
    response = sheffield_client.post(
        url("return", picked_up), {"note": "Ask them how they are"}, follow=True
    )

    page = response.content.decode()
    assert NOTHING_MORE in page
    assert SENT_BACK not in page
    assert_still_with_the_team(picked_up, completed_case.completed_at)


def test_the_service_refuses_to_send_a_completed_case_back(
    picked_up, completed_case, sheffield_member
):
    with pytest.raises(IllegalTransition, match="Close the escalation") as refused:
        escalation_return(
            escalation=picked_up, note="Ask them how they are", by=sheffield_member
        )

    assert NOTHING_MORE in str(refused.value)
    assert_still_with_the_team(picked_up, completed_case.completed_at)


def test_the_api_refuses_to_send_a_completed_case_back(concern, completed_case):
    _, token = api_client_create(
        name="Sheffield dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(SHEFFIELD).local_team,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    claim = http.post(f"/api/v1/escalations/{concern.pk}/claim/")
    assert claim.status_code == 200

    response = http.post(
        f"/api/v1/escalations/{concern.pk}/return/",
        {"note": "Ask them how they are"},
        format="json",
    )

    assert response.status_code == 409
    assert NOTHING_MORE in response.json()["detail"]
    assert_still_with_the_team(concern, completed_case.completed_at)


def test_an_escalated_completed_case_is_never_made_reached_again(completed_case):
    """The last guard, under every door: the transition itself refuses."""
    completed_case.status = Status.ESCALATED
    with pytest.raises(IllegalTransition):
        completed_case.mark_returned(now=NOW, escalate_due_at=NOW)

    completed_case.refresh_from_db()
    assert completed_case.status == Status.COMPLETED


def test_a_reached_case_not_yet_completed_may_still_go_back(
    clock, caseworker, sheffield_member
):
    """Reached and waiting for its assessment, the national service still has work
    on it: sent back, it waits reached for a caseworker to finish."""
    person = person_in(SHEFFIELD)
    case = CaseFactory(person=person, area=person.area)
    item_assign(item=case, to=caseworker)
    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED)
    logged = call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Worried about a child at home",
    )
    escalation_claim(escalation=logged.escalation, by=sheffield_member)

    escalation_return(
        escalation=logged.escalation, note="Finish the assessment", by=sheffield_member
    )

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee_id is None
    assert case.completed_at is None
