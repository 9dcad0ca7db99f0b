"""A concern on an item whose tracing is not over goes on as before: a case reached
and waiting for its assessment, and a contact reached, go to the team with it
("With local team"), as their work or their reach is the team's to finish or keep;
a contact whose escalation the team closed takes no call at all."""

from __future__ import annotations

import pytest

from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.workitem import Route, Status
from escalations.models import Escalation
from tests import factories as f
from work.access.cases import may_add_contacts
from work.calls import call_record
from work.escalation import escalation_claim, escalation_close, escalation_return

from .conftest import CONCERN, reached_case

pytestmark = pytest.mark.django_db


def test_a_reached_case_goes_to_the_team_which_adds_its_contacts_or_sends_it_back(
    clock, caseworker, sheffield_member
):
    case = reached_case(caseworker)

    logged = call_record(
        item=case, caller=caseworker, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert case.local_team == logged.escalation.local_team
    assert may_add_contacts(sheffield_member, case)
    escalation_claim(escalation=logged.escalation, by=sheffield_member)
    escalation_return(
        escalation=logged.escalation, note="Finish the assessment", by=sheffield_member
    )
    case.refresh_from_db()
    assert case.status == Status.REACHED  # back for a caseworker to finish
    assert case.completed_at is None


def test_a_reached_case_closed_by_the_team_is_closed(
    clock, caseworker, sheffield_member
):
    case = reached_case(caseworker)
    logged = call_record(
        item=case, caller=caseworker, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )
    escalation_claim(escalation=logged.escalation, by=sheffield_member)

    escalation_close(
        escalation=logged.escalation,
        outcome=Escalation.Outcome.REACHED,
        by=sheffield_member,
    )

    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.reached_route == Route.NATIONAL  # reached once, by its call


def test_a_reached_contact_goes_to_the_team_and_its_close_keeps_its_reach(
    clock, call_handler, sheffield_member
):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)
    contact.refresh_from_db()
    reached_at = contact.reached_at

    logged = call_record(
        item=contact, caller=call_handler, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )

    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.reached_at == reached_at
    escalation_claim(escalation=logged.escalation, by=sheffield_member)
    with pytest.raises(IllegalTransition, match="reached already"):
        escalation_return(
            escalation=logged.escalation, note="Call them", by=sheffield_member
        )
    escalation_close(
        escalation=logged.escalation,
        outcome=Escalation.Outcome.REACHED,
        by=sheffield_member,
    )
    contact.refresh_from_db()
    assert contact.status == Status.CLOSED
    assert (contact.reached_at, contact.reached_route) == (reached_at, Route.NATIONAL)


def test_a_contact_closed_by_its_team_takes_no_call(
    clock, call_handler, supervisor, sheffield_member
):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)
    logged = call_record(
        item=contact, caller=call_handler, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )
    escalation_claim(escalation=logged.escalation, by=sheffield_member)
    escalation_close(
        escalation=logged.escalation,
        outcome=Escalation.Outcome.REACHED,
        by=sheffield_member,
    )

    with pytest.raises(IllegalTransition, match="closed: it cannot be called"):
        call_record(
            item=contact,
            caller=supervisor,  # its call handler holds it no longer
            outcome=Outcome.SAFEGUARDING,
            notes="Another worry",
        )

    assert CallAttempt.objects.filter(contact=contact).count() == 2
    assert Escalation.objects.filter(contact=contact).count() == 1
