"""The Guidance search beside the script, without JavaScript, after a form on the
page was refused: the page is drawn again at the form's address (/cases/8/contacts/),
and the search box sent its query there, a 405. It searches on the page itself."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def searched_from(client, page) -> str:
    """The Guidance search of this page, sent as a browser without JavaScript sends
    it ("isolation" typed): the page it answers with."""
    (action,) = re.findall(
        r'<form method="get" action="([^"]*)" role="search"', page.content.decode()
    )
    address = unescape(action).split("#")[0]
    answer = client.get(address, {"q": "isolation"})
    assert answer.status_code == 200, (address, answer.status_code)
    return answer.content.decode()


def test_the_case_page_after_contact_rows_refused_searches_the_case_page(
    client, caseworker, held_case, scripts
):
    client.force_login(caseworker)
    refused = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        {
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-first_name": "Grace",
        },
    )
    assert refused.status_code == 200
    assert "Enter their last name." in refused.content.decode()

    found = searched_from(client, refused)

    assert "Support payments" in found
    assert 'value="isolation"' in found


def test_the_case_page_after_a_visit_refused_searches_the_case_page(
    client, caseworker, held_case, scripts
):
    client.force_login(caseworker)
    refused = client.post(
        reverse("cases:visit", args=[held_case.pk]), {"visit-name": "Crown Inn"}
    )
    assert "Choose the kind of place." in refused.content.decode()

    assert "Support payments" in searched_from(client, refused)


def test_the_contact_page_after_a_call_refused_searches_the_contact_page(
    client, call_handler, held_contact, scripts
):
    client.force_login(call_handler)
    refused = client.post(reverse("contacts:call", args=[held_contact.pk]), {})
    assert "Choose the outcome of the call." in refused.content.decode()

    assert "Support payments" in searched_from(client, refused)
