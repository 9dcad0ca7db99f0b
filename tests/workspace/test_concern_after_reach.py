"""A safeguarding concern heard on a call to someone reached meanwhile (they answered
their link online while the call handler was on the phone with them), or reached
before, is recorded and goes to the local team: before, the call was refused ("This
contact is reached: it cannot be called") and the concern was recorded nowhere."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.calls import call_record

pytestmark = pytest.mark.django_db


def test_a_concern_on_a_contact_who_answered_online_meanwhile_goes_to_the_team(
    client, call_handler
):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    client.force_login(call_handler)
    client.get(reverse("contacts:detail", args=[contact.pk]))  # the page, drawn
    contact.mark_reached_online(now=timezone.now())  # they answer online meanwhile
    assert contact.status == Status.REACHED

    response = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "safeguarding", "notes": "Children left alone at home"},
        follow=True,
    )

    assert "Escalated to" in response.content.decode()
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert escalation.detail == "Children left alone at home"
    call = CallAttempt.objects.get(contact=contact)
    assert call.outcome == Outcome.SAFEGUARDING
    contact.refresh_from_db()
    # With the team now; still reached online, once, in the figures.
    assert contact.status == Status.ESCALATED
    assert contact.reached_route == "online"
    assert contact.attempts == 0


def test_only_a_concern_is_taken_on_a_contact_done_with(call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    contact.mark_reached_online(now=timezone.now())

    with pytest.raises(IllegalTransition, match="reached: it cannot be called"):
        call_record(item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER)
    assert not CallAttempt.objects.exists()


def test_the_page_of_a_contact_reached_offers_to_raise_a_concern(client, call_handler):
    """Reached on the call, then they disclose something: the page had no call form
    left, though the operation takes a concern."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)
    client.force_login(call_handler)

    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "Raise a safeguarding concern" in page
    assert "Log the call" not in page

    response = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "safeguarding", "notes": "Partner threatens them"},
        follow=True,
    )

    assert "Escalated to" in response.content.decode()
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
