"""Closing, reopening and sending back an escalation: the local team's page
(pages/local/views.py) and the API (api/escalations/), on the same rows."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalations.models import Escalation
from tests.parity.conftest import api_session, escalated_contact, web_session
from work.escalation import escalation_claim, escalation_close
from work.rules import ESCALATION_NOTE_MAX

pytestmark = pytest.mark.django_db


@pytest.fixture
def picked_up(sheffield_member) -> Escalation:
    escalation = escalated_contact()
    return escalation_claim(escalation=escalation, by=sheffield_member)


def page_post(client, escalation, name: str, data: dict):
    return client.post(reverse(f"escalations:{name}", args=[escalation.pk]), data)


def api_post(http, escalation, name: str, data: dict, **headers):
    return http.post(
        f"/api/v1/escalations/{escalation.pk}/{name}/", data, format="json", **headers
    )


def form_errors(response, name: str) -> dict:
    return response.context[f"{name}_form"].errors


# --- the same refusals ---------------------------------------------------------------


def test_a_close_without_an_outcome_is_refused_in_the_same_words(
    client, sheffield_member, picked_up
):
    """No outcome: the page says "Choose how it ended"; the API says DRF's "This
    field is required.". The API should give the page's reason."""
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)

    page = page_post(client, picked_up, "close", {"note": "x"})
    api = api_post(http, picked_up, "close", {"note": "x"})

    assert api.status_code == 400
    assert [e.removesuffix(".") for e in api.json()["outcome"]] == form_errors(
        page, "close"
    )["outcome"]


def test_a_close_with_an_unknown_outcome_is_refused_in_the_same_words(
    client, sheffield_member, picked_up
):
    """An outcome no close has ("returned" is not a closing one): the page says
    "Choose how it ended"; the API '"returned" is not a valid choice.'."""
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)
    data = {"outcome": "returned", "note": "x"}

    page = page_post(client, picked_up, "close", data)
    api = api_post(http, picked_up, "close", data)

    assert api.status_code == 400
    assert [e.removesuffix(".") for e in api.json()["outcome"]] == form_errors(
        page, "close"
    )["outcome"]


@pytest.mark.parametrize(
    ("name", "field", "data"),
    [
        ("close", "note", {"outcome": "not_found"}),
        ("return", "note", {}),
    ],
)
def test_a_note_too_long_is_refused_in_the_same_words(
    client, sheffield_member, picked_up, name, field, data
):
    """A note past the limit: the page says "Notes must be 2,000 characters or
    fewer" (NOTE_TOO_LONG); the API says DRF's "Ensure this field has no more than
    N characters.". The same rule, told in two ways."""
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)
    data = {**data, field: "x" * (ESCALATION_NOTE_MAX + 1)}

    page = page_post(client, picked_up, name, data)
    api = api_post(http, picked_up, name, data)

    assert api.status_code == 400
    assert [e.removesuffix(".") for e in api.json()[field]] == form_errors(page, name)[
        field
    ]


def test_a_reopening_reason_too_long_is_refused_in_the_same_words(
    client, sheffield_member, picked_up
):
    """A reason past the limit: the page says "Notes must be 2,000 characters or
    fewer"; the API says DRF's "Ensure this field has no more than 2000
    characters.". The same words at both doors."""
    closed = escalation_close(
        escalation=picked_up, outcome="not_found", note="", by=sheffield_member
    )
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)
    data = {"reason": "x" * (ESCALATION_NOTE_MAX + 1)}

    page = page_post(client, closed, "reopen", data)
    api = api_post(http, closed, "reopen", data)

    assert api.status_code == 400
    assert [e.removesuffix(".") for e in api.json()["reason"]] == form_errors(
        page, "reopen"
    )["reason"]


def test_a_send_back_with_a_number_that_is_not_one_is_refused_in_the_same_words(
    client, sheffield_member, picked_up
):
    """A new number typed wrong: the page says "Enter a UK phone number, such as
    07911 123456"; the API says the phone field's own words."""
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)
    data = {"note": "New number", "new_phone": "12345"}

    page = page_post(client, picked_up, "return", data)
    api = api_post(http, picked_up, "return", data)

    assert api.status_code == 400
    assert [e.removesuffix(".") for e in api.json()["new_phone"]] == form_errors(
        page, "return"
    )["new_phone"]
