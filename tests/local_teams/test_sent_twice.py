"""A local team's form sent twice (a double click without JavaScript, the browser
sending it again) is done once and answered as the first sending was. Before, an
action sent twice was recorded twice (the history showed the door-step visit twice),
and a close sent twice said "There is a problem: This escalation is already closed"
with the close form drawn again as "This was not saved", though it was closed.

The escalation's page uses no htmx: its forms are plain posts and redirects."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from work.escalation import escalation_claim, escalation_close

from .builders import HOUR, NOW, escalated_contact

pytestmark = pytest.mark.django_db

PROBLEM = "There is a problem"
# The page draws no htmx of its own; a request marked as htmx's is answered alike.
HEADERS = pytest.mark.parametrize(
    "headers", [{}, {"HX-Request": "true"}], ids=["plain", "htmx"]
)
NOT_SAVED = "This was not saved"


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


@pytest.fixture
def claimed(clock, sheffield_member):
    escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=sheffield_member)
    return escalation


def action_form(client, escalation) -> dict[str, str]:
    """The action form as the escalation's page draws it: its submission (a hidden
    field in the page) among what was typed."""
    page = client.get(url("detail", escalation))
    submission = str(page.context["action_form"].initial["submission"])
    assert f'name="submission" value="{submission}"' in page.content.decode()
    return {
        "kind": "doorstep",
        "note": "Knocked, no answer",
        "submission": submission,
    }


def test_the_page_draws_its_action_form_with_a_submission(claimed, sheffield_client):
    first = sheffield_client.get(url("detail", claimed))
    again = sheffield_client.get(url("detail", claimed))

    submission = first.context["action_form"].initial["submission"]
    assert f'type="hidden" name="submission" value="{submission}"' in (
        first.content.decode()
    )
    # A page drawn again is another form, and another action.
    assert again.context["action_form"].initial["submission"] != submission


@HEADERS
def test_an_action_sent_twice_is_recorded_once_and_says_recorded_once(
    claimed, sheffield_client, headers
):
    sent = action_form(sheffield_client, claimed)

    first = sheffield_client.post(url("action", claimed), sent, headers=headers)
    again = sheffield_client.post(
        url("action", claimed), sent, headers=headers, follow=True
    )

    assert first.status_code == 302
    assert again.status_code == 200
    page = again.content.decode()
    assert page.count("Door-step visit recorded.") == 1
    assert PROBLEM not in page
    assert page.count("Knocked, no answer") == 1  # the history shows it once
    assert EscalationAction.objects.filter(escalation=claimed).count() == 1
    # A new form is a new action.
    sheffield_client.post(
        url("action", claimed), action_form(sheffield_client, claimed)
    )
    assert EscalationAction.objects.filter(escalation=claimed).count() == 2


def test_an_action_sent_again_after_closing_is_still_the_one_recorded(
    claimed, sheffield_client, sheffield_member
):
    """The browser sends the action again after the escalation was closed: it was
    recorded, and the page says so rather than "This escalation is closed"."""
    sent = action_form(sheffield_client, claimed)
    sheffield_client.post(url("action", claimed), sent)
    escalation_close(escalation=claimed, outcome="not_found", by=sheffield_member)

    again = sheffield_client.post(url("action", claimed), sent, follow=True)

    page = again.content.decode()
    assert "Door-step visit recorded." in page
    assert PROBLEM not in page
    assert EscalationAction.objects.filter(escalation=claimed).count() == 1


def test_a_submission_sent_with_another_action_records_nothing_and_says_so(
    claimed, sheffield_client
):
    sent = action_form(sheffield_client, claimed)
    sheffield_client.post(url("action", claimed), sent)

    other = {**sent, "kind": "letter", "note": "Letter posted"}
    response = sheffield_client.post(url("action", claimed), other, follow=True)

    page = response.content.decode()
    assert PROBLEM in page
    assert "This action was sent before with different details" in page
    assert [a.kind for a in EscalationAction.objects.filter(escalation=claimed)] == [
        "doorstep"
    ]
    # What they typed is back in a form of its own, sent as a new action.
    kept = response.context["action_form"]
    assert kept.initial["note"] == "Letter posted"
    assert str(kept.initial["submission"]) != sent["submission"]


@HEADERS
def test_a_close_sent_twice_says_closed_once_and_no_problem(
    claimed, sheffield_client, clock, headers
):
    sent = {"outcome": "reached", "note": "Advised at the door"}

    first = sheffield_client.post(url("close", claimed), sent, headers=headers)
    clock.shift(HOUR // 60)
    again = sheffield_client.post(
        url("close", claimed), sent, headers=headers, follow=True
    )

    assert first.status_code == 302
    assert again.status_code == 200
    page = again.content.decode()
    assert page.count("Closed: Reached and advised.") == 1
    assert PROBLEM not in page
    assert NOT_SAVED not in page
    claimed.refresh_from_db()
    assert claimed.status == Escalation.Status.CLOSED
    assert claimed.closed_at == NOW
    reached = Contact.objects.get(pk=claimed.contact_id)
    assert reached.reached_at == NOW  # counted once, at the first sending


def test_closing_with_another_outcome_is_refused_saying_who_closed_it_and_how(
    claimed, sheffield_client
):
    sheffield_client.post(url("close", claimed), {"outcome": "reached"})

    response = sheffield_client.post(
        url("close", claimed), {"outcome": "not_found"}, follow=True
    )

    page = response.content.decode()
    assert PROBLEM in page
    assert NOT_SAVED in page
    assert (
        "This escalation is already closed: You closed it at 10:00 on Tue 12 Jan"
        in page
    )
    assert "as “Reached and advised”" in page
    claimed.refresh_from_db()
    assert claimed.outcome == Escalation.Outcome.REACHED


def test_closed_by_a_colleague_is_refused_saying_who_closed_it_and_how(
    claimed, client, sheffield_member, sheffield_colleague
):
    sheffield_member.first_name, sheffield_member.last_name = "Ada", "Okafor"
    sheffield_member.save()
    client.force_login(sheffield_member)
    client.post(url("close", claimed), {"outcome": "moved_away"})

    client.force_login(sheffield_colleague)
    response = client.post(
        url("close", claimed), {"outcome": "moved_away"}, follow=True
    )

    page = response.content.decode()
    assert PROBLEM in page
    assert NOT_SAVED in page
    assert (
        "This escalation is already closed: Ada Okafor closed it at 10:00 on Tue 12 Jan"
        in page
    )
    assert "as “Moved away”" in page
    claimed.refresh_from_db()
    assert claimed.closed_by == sheffield_member
