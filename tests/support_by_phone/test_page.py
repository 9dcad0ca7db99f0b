"""A contact reached by phone who asks the call handler for help to stay at home
(money, food, medicine) is passed on to their local team from the call form, as the
online route passes on help asked for there. Before, the call form had no way to say
it: the call was logged "Reached" and the help never reached the local team.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from calls.models import CallAttempt, Outcome
from cases.workitem import Route, Status
from escalations.models import Escalation
from people.models import Message

pytestmark = pytest.mark.django_db


def post_call(client, item, **data):
    data.setdefault("duration_minutes", "5")
    data.setdefault("submission", str(uuid.uuid4()))
    return client.post(reverse(f"{item.kind}s:call", args=[item.pk]), data, follow=True)


def test_help_asked_on_a_reached_call_goes_to_the_local_team(
    clock, client, handler, contact
):
    client.force_login(handler)
    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()
    assert "They need help to stay at home" in page
    assert 'name="support" type="checkbox" value="food"' in page

    response = post_call(
        client,
        contact,
        outcome=Outcome.REACHED,
        support=["food", "medicine"],
        notes="Lives alone, no family nearby.",
    )

    assert response.status_code == 200
    said = response.content.decode()
    assert (
        "Their local team, Sheffield Public Health, was asked to help "
        "them with food and medicine." in said
    ), said
    contact.refresh_from_db()
    # Reached by phone, as any reached call: advised, and counted reached...
    assert contact.reached_at is not None
    assert contact.reached_route == Route.NATIONAL
    assert Message.objects.filter(contact=contact).count() == 1
    # ...and with their local team, for help.
    assert contact.status == Status.ESCALATED
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SUPPORT
    assert escalation.local_team.code == contact.area.local_team.code
    assert escalation.created_by == handler
    assert escalation.detail == (
        "Asked on a call for help with food, medicine. Lives alone, no family nearby."
    )
    assert CallAttempt.objects.get(contact=contact).outcome == Outcome.REACHED


@pytest.mark.parametrize(
    ("outcome", "support", "problem"),
    [
        (
            Outcome.NO_ANSWER,
            ["food"],
            "Help to stay at home is passed on only from a call that reached them",
        ),
        (Outcome.REACHED, ["rent"], "Choose the help they asked for"),
    ],
)
def test_help_that_cannot_be_passed_on_is_refused_on_the_form(
    clock, client, handler, contact, outcome, support, problem
):
    client.force_login(handler)

    response = post_call(client, contact, outcome=outcome, support=support)

    assert response.status_code == 200
    assert problem in response.content.decode()
    assert not CallAttempt.objects.filter(contact=contact).exists()
    assert not Escalation.objects.filter(contact=contact).exists()
    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED


def test_the_same_form_sent_twice_asks_the_local_team_once(
    clock, client, handler, contact
):
    client.force_login(handler)
    client.get(reverse("contacts:detail", args=[contact.pk]))
    submission = str(uuid.uuid4())
    sent = {
        "outcome": Outcome.REACHED,
        "support": ["money"],
        "notes": "Self-employed",
        "submission": submission,
    }

    first = post_call(client, contact, **sent)
    again = post_call(client, contact, **sent)

    assert (
        "was asked to help them with the Test and Trace support payment."
        in first.content.decode()
    )
    # The contact is their local team's now: told the call is logged, once.
    assert "it was sent twice, and logged once" in again.content.decode()
    assert CallAttempt.objects.filter(contact=contact).count() == 1
    assert Escalation.objects.filter(contact=contact).count() == 1


def test_a_case_page_does_not_offer_it(clock, client, caseworker, case):
    """Cases are left out: the case would go to the local team mid-interview."""
    client.force_login(caseworker)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "They need help to stay at home" not in page

    response = post_call(client, case, outcome=Outcome.REACHED, support=["food"])

    assert "passed on from a contact" in response.content.decode()
    assert not CallAttempt.objects.filter(case=case).exists()
    assert not Escalation.objects.filter(case=case).exists()
