"""Logging a call and correcting its outcome: the case and contact pages
(pages/desk/calls.py) and the API (api/calls/), on the same rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.models import CORRECTION_REASON_MAX, Outcome
from tests.parity.conftest import (
    api_session,
    contact_in,
    hold,
    web_session,
)
from work.calls import call_record

pytestmark = pytest.mark.django_db


def page_call(client, item, outcome: str, notes: str = "", **extra):
    return client.post(
        reverse(f"{item.kind}s:call", args=[item.pk]),
        {"outcome": outcome, "duration_minutes": 2, "notes": notes, **extra},
    )


def api_call(http, item, outcome: str, notes: str = "", **extra):
    body = {"outcome": outcome, "duration_seconds": 120, "notes": notes, **extra}
    return http.post(f"/api/v1/{item.kind}s/{item.pk}/calls/", body, format="json")


@pytest.fixture
def held_contact(call_handler):
    return hold(contact_in(), call_handler)


def test_a_call_without_an_outcome_is_refused_in_the_same_words(
    client, call_handler, held_contact
):
    """No outcome chosen: the page says "Choose the outcome of the call."; the API
    says DRF's "This field is required.". The API should say the page's words."""
    web_session(client, call_handler)
    http = api_session(call_handler)

    page = client.post(
        reverse("contacts:call", args=[held_contact.pk]), {"notes": "Rang"}
    )
    api = http.post(
        f"/api/v1/contacts/{held_contact.pk}/calls/", {"notes": "Rang"}, format="json"
    )

    assert page.context["call_form"].errors["outcome"] == [
        "Choose the outcome of the call."
    ]
    assert api.status_code == 400
    assert api.json()["outcome"] == ["Choose the outcome of the call."]


# --- correcting a call's outcome ----------------------------------------------------


@pytest.fixture
def reached_call(clock, call_handler, held_contact):
    logged = call_record(
        item=held_contact, caller=call_handler, outcome=Outcome.REACHED
    )
    return logged.call


def page_correct(client, call, **data):
    return client.post(
        reverse("contacts:call_correction", args=[call.contact_id, call.pk]), data
    )


def api_correct(http, call, **data):
    return http.post(
        f"/api/v1/contacts/{call.contact_id}/calls/{call.pk}/correction/",
        data,
        format="json",
    )


def test_a_correction_without_a_reason_is_refused_in_the_same_words(
    client, call_handler, reached_call
):
    """No reason: the page says the operation's "Say why the outcome is corrected
    (such as “Logged on the wrong contact”)."; the API's serializer says "Say why
    the outcome is corrected.". One reason, in the same words."""
    web_session(client, call_handler)
    http = api_session(call_handler)

    page = page_correct(client, reached_call, outcome=Outcome.NO_ANSWER, reason=" ")
    api = api_correct(http, reached_call, outcome=Outcome.NO_ANSWER, reason=" ")

    assert api.status_code == 400
    assert page.context["form"].errors["reason"] == api.json()["reason"]


def test_a_correction_reason_too_long_is_refused_in_the_same_words(
    client, call_handler, reached_call
):
    """A reason past the limit: the page's form says Django's "Ensure this value has
    at most N characters (it has M).", the API DRF's "Ensure this field has no more
    than N characters.", and the operation has its own "Keep the reason to N
    characters or fewer.", which neither door reaches. All should say the
    operation's words."""
    web_session(client, call_handler)
    http = api_session(call_handler)
    reason = "x" * (CORRECTION_REASON_MAX + 1)
    said = f"Keep the reason to {CORRECTION_REASON_MAX} characters or fewer."

    page = page_correct(client, reached_call, outcome=Outcome.NO_ANSWER, reason=reason)
    api = api_correct(http, reached_call, outcome=Outcome.NO_ANSWER, reason=reason)

    assert api.status_code == 400
    assert page.context["form"].errors["reason"] == [said]
    assert api.json()["reason"] == [said]


def test_a_correction_without_an_outcome_is_refused_in_the_same_words(
    client, call_handler, reached_call
):
    """No outcome chosen: the page says "Choose the outcome the call had."; the API
    says "This field is required.". The API should say the page's words."""
    web_session(client, call_handler)
    http = api_session(call_handler)

    page = page_correct(client, reached_call, reason="Voicemail")
    api = api_correct(http, reached_call, reason="Voicemail")

    assert api.status_code == 400
    assert page.context["form"].errors["outcome"] == api.json()["outcome"]
