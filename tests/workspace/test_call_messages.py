"""What the page says after a call is what the call did."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_needs_an_interpreter_on_a_case_reached_says_it_stays_theirs(
    client, caseworker
):
    """Before, it said the case had gone back to the pool, while it stayed reached
    and held by them."""
    case = f.CaseFactory(status=Status.REACHED, assignee=caseworker)
    client.force_login(caseworker)

    page = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "needs_interpreter", "language": "Welsh"},
        follow=True,
    ).content.decode()

    assert "It is noted on their record." in page
    assert "gone back to the pool" not in page
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.REACHED, caseworker)


def test_a_call_back_after_a_contacts_isolation_ends_is_refused_on_the_form(
    client, call_handler
):
    """Before, a call back three weeks on was taken: the person not told to isolate
    till after their isolation, and the local team held off till then."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    later = contact.isolation_ends_on + dt.timedelta(days=1)
    client.force_login(call_handler)

    page = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "call_back", "call_back_at": f"{later.isoformat()}T10:00"},
    )

    assert page.status_code == 200
    assert "That is after their isolation ends" in page.content.decode()
    contact.refresh_from_db()
    assert contact.attempts == 0
    assert not contact.calls.exists()


def test_the_api_refuses_it_on_the_field(call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    later = contact.isolation_ends_on + dt.timedelta(days=1)
    api = APIClient()
    api.force_authenticate(call_handler)

    answer = api.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        {"outcome": "call_back", "call_back_at": f"{later.isoformat()}T10:00"},
        format="json",
    )

    assert answer.status_code == 400
    assert "after their isolation ends" in answer.json()["call_back_at"][0]


def test_needs_an_interpreter_asks_which_language_when_their_record_has_none(
    client, call_handler
):
    """Before, it went back to the pool with no language, and so to anyone: often
    straight back to the caller who had just handed it on."""
    contact = f.ContactFactory(
        status=Status.ASSIGNED, assignee=call_handler, person__language=None
    )
    client.force_login(call_handler)
    url = reverse("contacts:call", args=[contact.pk])

    refused = client.post(url, {"outcome": "needs_interpreter"})
    assert "Say which language they speak" in refused.content.decode()
    unknown = client.post(url, {"outcome": "needs_interpreter", "language": "Klingon"})
    assert "We have no callers' language called “Klingon”" in unescape(
        unknown.content.decode()
    )
    contact.refresh_from_db()
    assert (contact.status, contact.assignee) == (Status.ASSIGNED, call_handler)

    client.post(url, {"outcome": "needs_interpreter", "language": "welsh"})

    contact.refresh_from_db()
    assert contact.person.language.code == "cy"
    assert contact.status == Status.NEW


def test_the_api_asks_for_the_language_on_its_field(call_handler):
    contact = f.ContactFactory(
        status=Status.ASSIGNED, assignee=call_handler, person__language=None
    )
    api = APIClient()
    api.force_authenticate(call_handler)

    answer = api.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        {"outcome": "needs_interpreter"},
        format="json",
    )

    assert answer.status_code == 400
    assert "Say which language they speak" in answer.json()["language"][0]
