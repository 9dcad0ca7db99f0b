"""A call sent twice (a double click, the browser sending the form again, an
integration's retry after a timeout) is one call: before, two attempts were counted
and the contact went to its local team hours early."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.models import CallAttempt
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def call_form(client, contact) -> dict[str, str]:
    """The call form as the contact page draws it: its submission among the rest."""
    page = client.get(reverse("contacts:detail", args=[contact.pk]))
    form = page.context["call_form"]
    return {
        "outcome": "no_answer",
        "submission": str(form.initial["submission"]),
    }


def test_the_page_sent_twice_logs_one_call(client, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    client.force_login(call_handler)
    sent = call_form(client, contact)
    url = reverse("contacts:call", args=[contact.pk])

    first = client.post(url, sent, headers=HTMX)
    again = client.post(url, sent, headers=HTMX)

    assert first.status_code == again.status_code == 200
    assert "Logged: no answer." in again.content.decode()
    assert CallAttempt.objects.filter(contact=contact).count() == 1
    contact.refresh_from_db()
    assert contact.attempts == 1
    # A new form is a new call.
    client.post(url, call_form(client, contact), headers=HTMX)
    assert CallAttempt.objects.filter(contact=contact).count() == 2


def test_a_safeguarding_call_sent_twice_is_one_escalation_and_says_logged(
    client, call_handler
):
    """The first sending escalates the contact: it is no longer theirs. The second
    said "This contact is not yours to work", as if the concern were not recorded."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    client.force_login(call_handler)
    sent = {**call_form(client, contact), "outcome": "safeguarding", "notes": "Child"}
    url = reverse("contacts:call", args=[contact.pk])

    client.post(url, sent)
    again = client.post(url, sent, follow=True)

    assert "Your call is logged (it was sent twice, and logged once)." in (
        again.content.decode()
    )
    assert CallAttempt.objects.filter(contact=contact).count() == 1
    assert Escalation.objects.filter(contact=contact).count() == 1
