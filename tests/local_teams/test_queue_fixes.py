"""The queue as its users read it: no template text shown, a bad search keeping the
tab and filters asked for (and the export link with them), and a closed
escalation's wait ending when it was closed."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from escalations.models import Escalation
from pages.local.forms import SEARCH_MAX
from work.escalation import escalation_claim, escalation_close

from .builders import HOUR, SHEFFIELD, escalated_case, escalated_contact, person_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalations:queue")
COMPLEX = reverse("escalations:complex")
TOO_LONG = "x" * (SEARCH_MAX + 1)


def text_of(html: str) -> str:
    """The words a reader sees: tags taken out, entities read, spaces run together."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def selected_tab(html: str) -> str:
    match = re.search(
        r'<a class="nhsuk-tabs__tab"[^>]*aria-current="page">([^<]*)', html
    )
    assert match, "no tab is selected"
    return unescape(match.group(1))


def export_link(html: str) -> str:
    match = re.search(
        r'<a href="([^"]*)" download>Download this list \(CSV\)</a>', html
    )
    assert match, "no export link"
    return unescape(match.group(1))


def exported_last_names(client, link: str) -> list[str]:
    response = client.get(link)
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    return [row["last name"] for row in csv.DictReader(io.StringIO(body))]


def closed(escalation: Escalation, by) -> Escalation:
    escalation_claim(escalation=escalation, by=by)
    return escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.MOVED_AWAY, by=by
    )


# --- 1. the note about the search box is the template's, not the reader's -------------


@pytest.mark.parametrize("page", [QUEUE, COMPLEX])
def test_no_template_comment_shows_above_the_search_box(clock, sheffield_client, page):
    escalated_contact()
    escalated_case()

    response = sheffield_client.get(page)

    assert response.status_code == 200
    words = text_of(response.content.decode())
    assert "{#" not in words
    assert "#}" not in words
    assert "The box searches as one types" not in words


# --- 2. a search too long drops only the search -------------------------------------


def test_a_search_too_long_keeps_the_closed_tab_and_its_export(
    clock, sheffield_client, sheffield_member
):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Stillnew"))
    closed(
        escalated_contact(person=person_in(SHEFFIELD, last_name="Done")),
        sheffield_member,
    )

    response = sheffield_client.get(QUEUE, {"tab": "closed", "q": TOO_LONG})

    html = response.content.decode()
    words = text_of(html)
    assert f"Search must be {SEARCH_MAX} characters or fewer" in words
    # The error is beside the search box, which still holds what was typed.
    assert 'id="id_q-error"' in html
    assert f'value="{TOO_LONG}"' in html
    # The Closed tab, with its rows and none of the new ones.
    assert selected_tab(html) == "Closed"
    assert "Done" in words
    assert "Stillnew" not in words
    # The export link asks for the list shown, and gives it.
    link = export_link(html)
    asked = parse_qs(urlsplit(link).query)
    assert asked.get("tab") == ["closed"]
    assert "q" not in asked  # the search the page did not apply
    assert exported_last_names(sheffield_client, link) == ["Done"]


def test_a_search_too_long_keeps_the_reason_and_only_mine(
    clock, sheffield_client, sheffield_member, sheffield_colleague
):
    mine = escalated_contact(person=person_in(SHEFFIELD, last_name="Mine"))
    escalation_claim(escalation=mine, by=sheffield_member)
    theirs = escalated_contact(person=person_in(SHEFFIELD, last_name="Theirs"))
    escalation_claim(escalation=theirs, by=sheffield_colleague)
    other_reason = escalated_contact(
        reason=Escalation.Reason.WRONG_NUMBER,
        person=person_in(SHEFFIELD, last_name="Unphoned"),
    )
    escalation_claim(escalation=other_reason, by=sheffield_member)

    response = sheffield_client.get(
        QUEUE,
        {
            "tab": "picked_up",
            "reason": Escalation.Reason.UNREACHED,
            "mine": "on",
            "q": TOO_LONG,
        },
    )

    html = response.content.decode()
    words = text_of(html)
    assert f"Search must be {SEARCH_MAX} characters or fewer" in words
    assert selected_tab(html) == "Picked up (1 of 3)"  # what the list shows
    assert "Mine" in words
    assert "Theirs" not in words
    assert "Unphoned" not in words
    link = export_link(html)
    asked = parse_qs(urlsplit(link).query)
    assert asked.get("tab") == ["picked_up"]
    assert asked.get("reason") == [Escalation.Reason.UNREACHED]
    assert asked.get("mine") == ["on"]
    assert "q" not in asked
    assert exported_last_names(sheffield_client, link) == ["Mine"]


# --- 3. a closed escalation waited until it was closed ------------------------------


def test_closed_row_shows_how_long_it_waited_until_closed(
    clock, sheffield_client, sheffield_member
):
    escalation = escalated_contact(person=person_in(SHEFFIELD, last_name="Done"))
    clock.shift(3 * HOUR)
    closed(escalation, sheffield_member)  # closed 3 hours after it came in
    clock.shift(12 * HOUR)  # and read 12 hours later

    response = sheffield_client.get(QUEUE, {"tab": "closed"})

    words = text_of(response.content.decode())
    assert "Waited 3 hours Closed Tue 12 Jan 13:00" in words
    assert "15 hours" not in words


def test_open_row_still_shows_how_long_it_has_been_waiting(clock, sheffield_client):
    escalated_contact()
    clock.shift(3 * HOUR)

    response = sheffield_client.get(QUEUE)

    assert "Waiting 3 hours Due Wed 13 Jan 10:00" in text_of(response.content.decode())
