"""A local team adding the contacts a case names: the escalation page's "Contacts
they name" (pages/local/contacts.py) and POST /api/v1/cases/{id}/contacts/."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.local_contacts.conftest import (
    complex_case,
    contact_rows,
    row,
)
from tests.parity.conftest import api_session, web_session

pytestmark = pytest.mark.django_db

TOM_ROW = row("Tom", "0114 496 0555", exposure="face_to_face")
TOM = {
    "person": {
        "first_name": "Tom",
        "last_name": "Tester",
        "phone": "0114 496 0555",
        "postcode": "S1 2HH",
    },
    "exposure_date": "2021-01-11",
    "exposure": "face_to_face",
}


@pytest.fixture
def escalation(clock):
    return complex_case()[1]


def page_add(client, escalation, *rows):
    return client.post(
        reverse("escalations:contacts", args=[escalation.pk]), contact_rows(*rows)
    )


def api_add(http, escalation, body, **headers):
    return http.post(
        f"/api/v1/cases/{escalation.case_id}/contacts/", body, format="json", **headers
    )


def test_a_phone_number_that_is_not_one_is_refused_in_the_same_words(
    client, sheffield_member, escalation
):
    """A contact's phone typed wrong: the page's row says "Enter a UK phone number,
    such as 07911 123456 or 0114 273 1234."; the API's `person.phone` says "Enter a
    valid phone number.". The same rule: it should say the page's words."""
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)
    body = {**TOM, "person": {**TOM["person"], "phone": "not a phone"}}

    page = page_add(client, escalation, {**TOM_ROW, "phone": "not a phone"})
    api = api_add(http, escalation, body)

    assert api.status_code == 400, api.content
    form = page.context["contacts_formset"].forms[0]
    assert form.errors.get("phone") == api.json()["person"]["phone"]


def test_the_same_contact_sent_twice_with_its_idempotency_key_is_answered_as_saved(
    client, sheffield_member, escalation
):
    """Sent twice (a double click; a retry after a timeout): the page says the
    contact was added already and adds nothing (pages.desk.contact_forms.
    rows_just_added); the API, sent again with the same Idempotency-Key, answers
    409 "Tim Tester is already a contact of this case.", as if another had added
    him. It should answer the contact it added the first time (200,
    Idempotent-Replayed), as a call sent again on its key is."""
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)
    key = {"HTTP_IDEMPOTENCY_KEY": "add-tom-1"}

    first_page = page_add(client, escalation, TOM_ROW)
    again_page = page_add(client, escalation, TOM_ROW)
    assert (first_page.status_code, again_page.status_code) == (302, 302)

    tim = {**TOM, "person": {**TOM["person"], "first_name": "Tim"}}
    tim["person"]["phone"] = "0114 496 0556"
    first = api_add(http, escalation, tim, **key)
    again = api_add(http, escalation, tim, **key)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
