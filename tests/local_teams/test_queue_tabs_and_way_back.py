"""The queue's tabs count what a search or filter shows, and an escalation's page
leads back to the list as it was left: its search, filters, tab and page, through
picking it up, recording, closing and sending back."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from escalations.models import Escalation
from work.escalation import escalation_claim

from .builders import SHEFFIELD, escalated_case, escalated_contact, person_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalations:queue")
COMPLEX = reverse("escalations:complex")


def tab_labels(html: str) -> list[str]:
    """The tabs' labels as a reader sees them."""
    return [
        " ".join(unescape(label).split())
        for label in re.findall(r'<a class="nhsuk-tabs__tab"[^>]*>([^<]*)</a>', html)
    ]


def row_links(html: str) -> dict[str, str]:
    """Each row's name and the address its name links to."""
    found = re.findall(
        r'<span class="app-cell"><a href="([^"]*)">([^<]*)</a>', html, flags=re.S
    )
    return {unescape(name): unescape(href) for href, name in found}


def back_link(html: str) -> str:
    match = re.search(r'<a class="nhsuk-back-link" href="([^"]*)">', html)
    assert match, "no way back"
    return unescape(match.group(1))


def form_action(html: str, name: str) -> str:
    match = re.search(
        rf'<form method="post" action="([^"]*/{name}/[^"]*)"', html, flags=re.S
    )
    assert match, f"no {name} form"
    return unescape(match.group(1))


def the_list(address: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(address)
    return parts.path, parse_qs(parts.query)


def ahmeds_and_others(member, colleague) -> None:
    """Three new Ahmeds and four others; one Ahmed and two others picked up."""
    for _ in range(3):
        escalated_contact(person=person_in(SHEFFIELD, last_name="Ahmed"))
    for _ in range(4):
        escalated_contact(person=person_in(SHEFFIELD, last_name="Jones"))
    escalation_claim(
        escalation=escalated_contact(person=person_in(SHEFFIELD, last_name="Ahmed")),
        by=member,
    )
    for _ in range(2):
        escalation_claim(
            escalation=escalated_contact(
                person=person_in(SHEFFIELD, last_name="Jones")
            ),
            by=colleague,
        )


# --- 1. the tabs count what the list shows ---------------------------------------------


def test_a_search_labels_the_tabs_with_what_it_finds(
    clock, sheffield_client, sheffield_member, sheffield_colleague
):
    ahmeds_and_others(sheffield_member, sheffield_colleague)

    response = sheffield_client.get(QUEUE, {"q": "Ahmed"})

    html = response.content.decode()
    assert len(response.context["page"]) == 3
    assert tab_labels(html) == ["New (3 of 7)", "Picked up (1 of 3)", "Closed"]


def test_only_those_i_picked_up_labels_the_tabs_with_mine(
    clock, sheffield_client, sheffield_member, sheffield_colleague
):
    ahmeds_and_others(sheffield_member, sheffield_colleague)

    response = sheffield_client.get(QUEUE, {"tab": "picked_up", "mine": "on"})

    html = response.content.decode()
    assert len(response.context["page"]) == 1
    assert tab_labels(html) == ["New (0 of 7)", "Picked up (1 of 3)", "Closed"]


def test_a_reason_labels_the_tabs_with_that_reason(
    clock, sheffield_client, sheffield_member, sheffield_colleague
):
    ahmeds_and_others(sheffield_member, sheffield_colleague)
    escalated_contact(reason=Escalation.Reason.WRONG_NUMBER)

    response = sheffield_client.get(QUEUE, {"reason": Escalation.Reason.WRONG_NUMBER})

    assert tab_labels(response.content.decode()) == [
        "New (1 of 8)",
        "Picked up (0 of 3)",
        "Closed",
    ]


def test_without_a_filter_the_tabs_count_the_teams_work(
    clock, sheffield_client, sheffield_member, sheffield_colleague
):
    ahmeds_and_others(sheffield_member, sheffield_colleague)

    response = sheffield_client.get(QUEUE)

    assert tab_labels(response.content.decode()) == [
        "New (7)",
        "Picked up (3)",
        "Closed",
    ]


def test_the_complex_list_counts_its_own_cases_without_saying_of(
    clock, sheffield_client
):
    escalated_case()
    escalated_case()
    escalated_contact()

    response = sheffield_client.get(COMPLEX)

    assert tab_labels(response.content.decode()) == [
        "New (2)",
        "Picked up (0)",
        "Closed",
    ]


def test_a_filtered_queue_counts_its_tabs_in_one_more_query(
    clock,
    sheffield_client,
    sheffield_member,
    sheffield_colleague,
    django_assert_num_queries,
):
    from .test_queue import QUEUE_QUERIES

    ahmeds_and_others(sheffield_member, sheffield_colleague)

    # The team's open work (the cards) and the tabs under the search: one query each.
    with django_assert_num_queries(QUEUE_QUERIES + 1):
        response = sheffield_client.get(
            QUEUE, {"tab": "picked_up", "q": "Ahmed", "mine": "on"}
        )
    assert response.status_code == 200


# --- 2. the way back to the list as it was left ----------------------------------------


def test_back_to_the_queue_keeps_the_search_filters_and_page(
    clock, sheffield_client, sheffield_member, sheffield_colleague, monkeypatch
):
    monkeypatch.setattr("pages.local.views.PAGE_SIZE", 2)
    ahmeds_and_others(sheffield_member, sheffield_colleague)
    asked = {"q": "Ahmed", "reason": "unreached", "tab": "new", "page": "2"}
    listed = sheffield_client.get(QUEUE, asked)
    [(name, address)] = row_links(listed.content.decode()).items()

    page = sheffield_client.get(address)

    way_back = back_link(page.content.decode())
    assert the_list(way_back) == (QUEUE, {k: [v] for k, v in asked.items()})
    again = sheffield_client.get(way_back)
    assert list(row_links(again.content.decode())) == [name]


def test_the_complex_list_leads_back_to_the_complex_list(clock, sheffield_client):
    escalated_case()
    listed = sheffield_client.get(COMPLEX, {"q": "S1 1AA"})
    [address] = row_links(listed.content.decode()).values()

    page = sheffield_client.get(address)

    path, query = the_list(back_link(page.content.decode()))
    assert path == COMPLEX
    assert query["q"] == ["S1 1AA"]


def test_picking_up_recording_and_closing_keep_the_way_back(clock, sheffield_client):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Ahmed"))
    asked = {"q": "Ahmed", "tab": "new"}
    listed = sheffield_client.get(QUEUE, asked)
    [address] = row_links(listed.content.decode()).values()
    page = sheffield_client.get(address).content.decode()

    picked = sheffield_client.post(form_action(page, "claim"), follow=True)
    page = picked.content.decode()
    assert "You picked this up" in page
    assert the_list(back_link(page)) == (QUEUE, {k: [v] for k, v in asked.items()})

    refused = sheffield_client.post(form_action(page, "action"), {"kind": "letter"})
    assert refused.status_code == 400
    assert the_list(back_link(refused.content.decode()))[1]["q"] == ["Ahmed"]

    recorded = sheffield_client.post(
        form_action(page, "action"),
        {"kind": "letter", "note": "Letter posted"},
        follow=True,
    )
    assert the_list(back_link(recorded.content.decode()))[1]["q"] == ["Ahmed"]

    closed = sheffield_client.post(
        form_action(page, "close"), {"outcome": "reached"}, follow=True
    )
    page = closed.content.decode()
    assert "Closed: " in page
    assert the_list(back_link(page)) == (QUEUE, {k: [v] for k, v in asked.items()})


def test_sending_back_keeps_the_way_back(clock, sheffield_client, sheffield_member):
    escalation = escalated_contact(person=person_in(SHEFFIELD, last_name="Ahmed"))
    escalation_claim(escalation=escalation, by=sheffield_member)
    listed = sheffield_client.get(QUEUE, {"q": "Ahmed", "tab": "picked_up"})
    [address] = row_links(listed.content.decode()).values()
    page = sheffield_client.get(address).content.decode()

    sent = sheffield_client.post(
        form_action(page, "return"),
        {"note": "A neighbour gave a mobile number", "new_phone": "07911 123457"},
        follow=True,
    )

    page = sent.content.decode()
    assert "Sent back to the national queue" in page
    assert the_list(back_link(page)) == (
        QUEUE,
        {"q": ["Ahmed"], "tab": ["picked_up"]},
    )


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example/local/?tab=new",
        "//evil.example/local/",
        "/\\evil.example/local/",
        "/admin/",
        "javascript:alert(1)",
    ],
)
def test_a_way_back_to_anywhere_but_our_list_is_not_followed(
    clock, sheffield_client, elsewhere
):
    escalation = escalated_contact()
    detail = reverse("escalations:detail", args=[escalation.pk])

    page = sheffield_client.get(detail, {"back": elsewhere})

    assert back_link(page.content.decode()) == f"{QUEUE}?tab=new"


def test_the_list_the_page_was_opened_from_is_the_way_back(clock, sheffield_client):
    escalation = escalated_contact()
    detail = reverse("escalations:detail", args=[escalation.pk])

    page = sheffield_client.get(
        detail, HTTP_REFERER=f"http://testserver{QUEUE}?q=Smith&mine=on&tab=new"
    )

    assert the_list(back_link(page.content.decode())) == (
        QUEUE,
        {"q": ["Smith"], "mine": ["on"], "tab": ["new"]},
    )


def test_a_page_opened_from_another_site_goes_back_to_the_queue(
    clock, sheffield_client
):
    escalation = escalated_contact()
    detail = reverse("escalations:detail", args=[escalation.pk])

    page = sheffield_client.get(
        detail, HTTP_REFERER=f"https://evil.example{QUEUE}?q=Smith"
    )

    assert back_link(page.content.decode()) == f"{QUEUE}?tab=new"
