"""The queue a page at a time while colleagues work it: "Next" continues after the
last row shown, so nothing slides onto a page already read."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from work.escalation import escalation_claim

from .builders import HOUR, escalated_contact

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalations:queue")
NEXT_RE = re.compile(r'href="([^"]*)" class="nhsuk-pagination__next"')


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("pages.local.views.PAGE_SIZE", 5)


def next_link(response) -> str:
    found = NEXT_RE.search(response.content.decode())
    return found.group(1).replace("&amp;", "&") if found else ""


def queue_due_in_turn(n: int, clock) -> list:
    """n escalations, each due an hour after the one before."""
    rows = []
    for _ in range(n):
        rows.append(escalated_contact())
        clock.shift(HOUR)
    return rows


def test_next_page_after_a_colleague_picks_up_page_one_shows_what_followed(
    clock, client, sheffield_member, sheffield_colleague, small_pages
):
    rows = queue_due_in_turn(12, clock)
    client.force_login(sheffield_member)
    first = client.get(QUEUE, {"tab": "new", "q": "S1 1AA"})
    assert [e.pk for e in first.context["page"]] == [e.pk for e in rows[:5]]

    for escalation in rows[:5]:  # a colleague picks up all of page 1
        escalation_claim(escalation=escalation, by=sheffield_colleague)
    second = client.get(QUEUE + next_link(first))

    assert [e.pk for e in second.context["page"]] == [e.pk for e in rows[5:10]]
    # The link keeps the tab and the search.
    assert "tab=new" in next_link(first)
    assert "q=S1+1AA" in next_link(first)


def test_following_next_shows_every_row_once_with_ties_on_the_due_time(
    clock, client, sheffield_member, small_pages
):
    rows = [escalated_contact() for _ in range(13)]  # all due at one moment
    client.force_login(sheffield_member)
    url, seen = QUEUE, []
    while url:
        response = client.get(url)
        seen += [e.pk for e in response.context["page"]]
        url = QUEUE + link if (link := next_link(response)) else ""
    assert sorted(seen) == sorted(e.pk for e in rows)
    assert len(seen) == len(rows)


def test_closed_tab_pages_after_the_last_closed_shown(
    clock, client, sheffield_member, small_pages
):
    from work.escalation import escalation_close

    rows = queue_due_in_turn(8, clock)
    for escalation in rows:
        escalation_claim(escalation=escalation, by=sheffield_member)
        escalation_close(
            escalation=escalation, outcome="reached", note="", by=sheffield_member
        )
        clock.shift(HOUR)
    client.force_login(sheffield_member)
    first = client.get(QUEUE, {"tab": "closed"})
    second = client.get(QUEUE + next_link(first))
    newest_first = [e.pk for e in reversed(rows)]
    assert [e.pk for e in first.context["page"]] == newest_first[:5]
    assert [e.pk for e in second.context["page"]] == newest_first[5:]
    body = second.content.decode()
    assert "First page" in body
    assert not next_link(second)


def test_a_page_link_not_of_this_list_shows_the_first_page(
    clock, client, sheffield_member
):
    escalated_contact()
    client.force_login(sheffield_member)
    response = client.get(QUEUE, {"after": "yesterday,1"})
    assert response.status_code == 200
    assert len(response.context["page"]) == 1
