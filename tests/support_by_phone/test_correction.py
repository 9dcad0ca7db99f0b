"""A call that asked the local team to help a contact stay at home is not corrected
afterwards ("Correct this outcome", within 4 hours): the request went to the team
with the call, and undoing the "Reached" beneath it would leave the team helping
someone the service says it never reached. It is refused, saying so, to the caller
(whose contact it no longer is), on the page and through the API to a supervisor of
their tier. Before, nothing was passed on from a call, and the correction went
through.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.calls import call_record

pytestmark = pytest.mark.django_db

REFUSAL = (
    "This call asked Sheffield Public Health to help them stay at "
    "home: its outcome is not corrected"
)


@pytest.fixture
def asked(clock, handler, contact):
    logged = call_record(
        item=contact, caller=handler, outcome=Outcome.REACHED, support=["food"]
    )
    clock.shift(dt.timedelta(minutes=10))
    return logged.call


@pytest.fixture
def calls_supervisor(db):
    return f.StaffProfileFactory(
        is_supervisor=True, user__username="calls_supervisor"
    ).user


def unchanged(contact, call):
    call.refresh_from_db()
    assert call.outcome == Outcome.REACHED
    assert not call.corrected_from
    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.reached_at is not None
    assert Escalation.objects.get(contact=contact).status == Escalation.Status.NEW


def test_the_caller_is_told_why_on_the_page(client, handler, contact, asked):
    client.force_login(handler)
    url = reverse("contacts:call_correction", args=[contact.pk, asked.pk])

    response = client.get(url, follow=True)

    assert REFUSAL in response.content.decode()
    unchanged(contact, asked)


def test_a_supervisor_is_refused_on_the_page_saying_why(
    client, calls_supervisor, contact, asked
):
    client.force_login(calls_supervisor)
    url = reverse("contacts:call_correction", args=[contact.pk, asked.pk])

    page = client.get(url)
    sent = client.post(url, {"outcome": Outcome.NO_ANSWER, "reason": "Wrong contact"})

    assert REFUSAL in page.content.decode()
    assert REFUSAL in sent.content.decode()
    unchanged(contact, asked)


def test_the_api_refuses_it_with_a_409_saying_why(calls_supervisor, contact, asked):
    http = APIClient()
    http.force_login(calls_supervisor)

    response = http.post(
        f"/api/v1/contacts/{contact.pk}/calls/{asked.pk}/correction/",
        {"outcome": Outcome.NO_ANSWER, "reason": "Wrong contact"},
        format="json",
    )

    assert response.status_code == 409, response.content
    assert REFUSAL in response.json()["detail"]
    unchanged(contact, asked)
