"""The case page's error summary names the contact row each error is in, as the
row's legend does ("Contact 2: Enter their last name."), in the order of the
fields. Before, two half-typed rows gave the same five messages twice and a screen
reader user could not tell which row each was about."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from tests.workspace.test_case_page import contact_rows, row

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}

ROW_ERRORS = (
    ("last_name", "Enter their last name."),
    ("phone", "Enter their phone number, such as 07911 123456."),
    ("postcode", "Enter their postcode, such as S1 2HE."),
    ("exposure_date", "Enter the date they were last in contact."),
    ("exposure", "Choose the kind of contact."),
)


def summary(html: str, summary_id: str) -> list[tuple[str, str]]:
    """The error summary's entries, in order: (the id it links to, what it says)."""
    match = re.search(
        rf'<div class="nhsuk-error-summary"[^>]*id="{summary_id}".*?</ul>', html, re.S
    )
    assert match, f"no #{summary_id}"
    return [
        (anchor, unescape(message))
        for anchor, message in re.findall(
            r'<li><a href="#([^"]+)">(.*?)</a></li>', match.group(0), re.S
        )
    ]


def row_legend(html: str, field_id: str) -> str:
    """The legend of the contact row holding this field, as the page draws it."""
    at = html.index(f'id="{field_id}"')
    return re.findall(r">(Contact \d+)</legend>", html[:at])[-1]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_the_summary_names_each_rows_errors_with_its_row(
    client, caseworker, held_case, headers
):
    """The tester's steps: only a first name in "Contact 1" and "Contact 2"."""
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows({"first_name": "Ann"}, {"first_name": "Bob"}),
        headers=headers,
    )

    html = response.content.decode()
    assert response.status_code == 200
    entries = summary(html, "contacts-error-summary")
    assert entries == [
        (f"id_contacts-{i}-{field}", f"Contact {i + 1}: {message}")
        for i in range(2)
        for field, message in ROW_ERRORS
    ]
    for anchor, message in entries:  # named as the row's legend names it
        assert message.startswith(f"{row_legend(html, anchor)}: ")
    # Beside the field, the message stays as it was.
    assert (
        '<span class="nhsuk-u-visually-hidden">Error: </span>'
        "Enter their last name.</span>" in html
    )
    assert html.count("Contact 2: Enter their last name.") == 1  # the summary only


def test_an_error_of_the_whole_row_is_named_with_its_row(client, caseworker, held_case):
    """The same person typed twice: the second row's own error, at its first field."""
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Ann", "07911 123451"), row("Ann", "07911 123451")),
        headers=HTMX,
    )

    assert summary(response.content.decode(), "contacts-error-summary") == [
        (
            "id_contacts-1-first_name",
            "Contact 2: This is the same person as contact 1: enter each contact once.",
        )
    ]
