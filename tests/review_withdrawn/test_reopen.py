"""Reopening a close made by mistake, on an item whose positive result was
withdrawn (sent in error).

A safeguarding concern is left open by a withdrawal, "and stays with its team (who
close it as any other: work.escalation.escalation_close)" (work/withdraw.py). Its
close is then one like any other: a member who closed it with the wrong outcome
reopens it within the week, and the item stays withdrawn. An escalation the
withdrawal itself closed ("withdrawn") is never reopened, and the refusal says why
rather than sending the member to ask someone who cannot reopen it either."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.workitem import Status
from escalations.models import Escalation
from tests.local_teams.builders import SHEFFIELD, escalated_case, escalated_contact
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_reopen,
    reopen_refusal,
)
from work.withdraw import case_withdraw

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

REASON = "The lab's mix-up: another person's sample"


@pytest.fixture
def concern_closed_by_mistake(clock, supervisor, sheffield_member) -> Escalation:
    """A safeguarding concern about a contact; the case that named them withdrawn
    (the concern stays open with the team); a member picks it up and closes it
    "Not found" by mistake an hour later."""
    concern = escalated_contact(SHEFFIELD, reason=Escalation.Reason.SAFEGUARDING)
    case_withdraw(case=concern.contact.case, reason=REASON, by=supervisor)
    concern.refresh_from_db()
    assert concern.status == Escalation.Status.NEW
    escalation_claim(escalation=concern, by=sheffield_member)
    clock.shift(dt.timedelta(hours=1))
    escalation_close(
        escalation=concern,
        outcome=Escalation.Outcome.NOT_FOUND,
        note="",
        by=sheffield_member,
    )
    clock.shift(dt.timedelta(minutes=5))
    concern.refresh_from_db()
    return concern


def test_a_concern_closed_by_mistake_after_a_withdrawal_may_be_reopened(
    concern_closed_by_mistake, sheffield_member
):
    assert reopen_refusal(concern_closed_by_mistake, by=sheffield_member) == ""


def test_reopening_that_concern_leaves_the_contact_withdrawn(
    concern_closed_by_mistake, sheffield_member
):
    escalation_reopen(
        escalation=concern_closed_by_mistake,
        reason="Closed the wrong one: she was seen at home",
        by=sheffield_member,
    )

    concern_closed_by_mistake.refresh_from_db()
    contact = concern_closed_by_mistake.contact
    contact.refresh_from_db()
    assert concern_closed_by_mistake.status == Escalation.Status.PICKED_UP
    assert contact.status == Status.WITHDRAWN


def test_the_concerns_page_offers_the_reopening(
    concern_closed_by_mistake, sheffield_client
):
    page = sheffield_client.get(
        reverse("escalations:detail", args=[concern_closed_by_mistake.pk])
    )

    assert page.status_code == 200
    assert "Reopen escalation" in page.content.decode()


def test_a_member_refused_a_withdrawals_close_is_told_it_was_withdrawn(
    supervisor, sheffield_member
):
    """The member held it when the withdrawal closed it. "Ask who closed it or the
    team's supervisor" sends them to people who cannot reopen it either."""
    escalation = escalated_case(SHEFFIELD)
    escalation_claim(escalation=escalation, by=sheffield_member)
    case_withdraw(case=escalation.case, reason=REASON, by=supervisor)
    escalation.refresh_from_db()

    said = reopen_refusal(escalation, by=sheffield_member)

    assert said
    assert "withdrawn" in said
    assert "ask them" not in said
