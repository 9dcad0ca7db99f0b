"""A safeguarding concern on a contact, its emails held up (the mail server down),
then the case that named the contact withdrawn (its positive result sent in error).

Before, the withdrawal closed the concern with the rest: the team never saw it, and
the supervisors' email, once the mail server was back, said the team "has closed it".
A concern is about the person, not the test: it now stays open with the team, who
are emailed as for any concern and close it as any other; the contact stays
withdrawn."""

from __future__ import annotations

import pytest

from cases.workitem import Status
from escalations.models import Escalation
from tests import test_safeguarding_emails_truth as emails
from work.escalation import escalation_claim, escalation_close
from work.withdraw import case_withdraw

pytestmark = pytest.mark.django_db

# The safeguarding emails' own fixtures: a contact held by the call handler, their
# national supervisor, Sheffield's team.
held_contact = emails.held_contact
national_supervisor = emails.national_supervisor
sheffield = emails.sheffield

TEAM = "local.sheffield@example.org"


def test_a_concern_stays_with_the_team_when_the_result_is_withdrawn(
    clock,
    call_handler,
    held_contact,
    sheffield,
    national_supervisor,
    mailoutbox,
    supervisor,
):
    member = emails.local_member(sheffield, TEAM)
    escalation = emails.concern(call_handler, held_contact)

    case_withdraw(case=held_contact.case, reason="Lab mix-up", by=supervisor)
    escalation.refresh_from_db()
    held_contact.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert held_contact.status == Status.WITHDRAWN

    emails.swept(clock)

    assert [m for m in mailoutbox if m.to == [TEAM]]
    [supervisor_mail] = [m for m in mailoutbox if m.to == [emails.SUPERVISOR]]
    assert "which has closed it" not in supervisor_mail.body

    user = member.user if hasattr(member, "user") else member
    escalation_claim(escalation=escalation, by=user)
    escalation_close(escalation=escalation, outcome=Escalation.Outcome.REACHED, by=user)
    escalation.refresh_from_db()
    held_contact.refresh_from_db()
    assert escalation.status == Escalation.Status.CLOSED
    assert held_contact.status == Status.WITHDRAWN
