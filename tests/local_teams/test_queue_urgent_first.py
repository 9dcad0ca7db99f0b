"""The open tabs of the queue put the urgent reasons first: a safeguarding concern (4
hours to act) raised in a surge is the first row a member sees, not the last below
a day's backlog of 24-hour escalations already overdue; complex settings (12 hours)
follow it, then the rest, each by due time."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations.models import Escalation
from tests.scale.plans import nodes
from work.escalation import DEFAULT_DUE_WITHIN, DUE_WITHIN, escalation_claim

from .builders import HOUR, escalated_case, escalated_contact

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalations:queue")
NEXT_RE = re.compile(r'href="([^"]*)" class="nhsuk-pagination__next"')
SAFEGUARDING = Escalation.Reason.SAFEGUARDING


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr("pages.local.views.PAGE_SIZE", 5)


def shown(client, **params) -> list[int]:
    """The escalations a tab shows, top first, following "Next" to the end."""
    seen: list[int] = []
    response = client.get(QUEUE, params)
    while True:
        seen += [e.pk for e in response.context["page"]]
        found = NEXT_RE.search(response.content.decode())
        if not found:
            return seen
        response = client.get(QUEUE + found.group(1).replace("&amp;", "&"))


def backlog(n: int) -> list[Escalation]:
    """n escalations not reached, raised together (in turn, by id)."""
    return [escalated_contact() for _ in range(n)]


def test_a_safeguarding_concern_raised_in_a_backlog_is_first_on_the_new_tab(
    clock, sheffield_client
):
    waiting = backlog(16)
    clock.shift(30 * HOUR)  # the backlog is 6 hours overdue
    concern = escalated_contact(reason=SAFEGUARDING)

    assert shown(sheffield_client, tab="new") == [concern.pk] + [e.pk for e in waiting]


def test_on_the_picked_up_tab_too(clock, sheffield_client, sheffield_member):
    waiting = backlog(3)
    clock.shift(30 * HOUR)
    concern = escalated_contact(reason=SAFEGUARDING)
    for escalation in [*waiting, concern]:
        escalation_claim(escalation=escalation, by=sheffield_member)

    order = shown(sheffield_client, tab="picked_up")

    assert order == [concern.pk] + [e.pk for e in waiting]


def test_safeguarding_then_complex_then_the_rest_each_soonest_due_first(
    clock, sheffield_client
):
    waiting = backlog(2)
    clock.shift(30 * HOUR)
    complex_case = escalated_case()  # due in 12 hours
    clock.shift(HOUR)
    first_concern = escalated_contact(reason=SAFEGUARDING)
    clock.shift(HOUR)
    second_concern = escalated_contact(reason=SAFEGUARDING)

    assert shown(sheffield_client, tab="new") == [
        first_concern.pk,
        second_concern.pk,
        complex_case.pk,
        *[e.pk for e in waiting],
    ]


def test_the_order_follows_each_reasons_time_to_act(clock, client, sheffield_member):
    """Every reason, the longest time to act raised first: each later one is due
    after the one before, yet the shortest time to act comes first."""

    def time_to_act(reason: str):
        return DUE_WITHIN.get(reason, DEFAULT_DUE_WITHIN)

    raised = []
    for reason in sorted(Escalation.Reason.values, key=time_to_act, reverse=True):
        raised.append(escalated_contact(reason=reason))
        clock.shift(30 * HOUR)

    expected = sorted(raised, key=lambda e: (time_to_act(e.reason), e.due_at, e.pk))
    client.force_login(sheffield_member)  # days later: a new session
    assert shown(client, tab="new") == [e.pk for e in expected]


def test_next_pages_carry_on_across_the_urgent_and_the_rest(
    clock, sheffield_client, small_pages
):
    waiting = backlog(7)
    clock.shift(30 * HOUR)
    complex_cases = [escalated_case() for _ in range(3)]
    concerns = [escalated_contact(reason=SAFEGUARDING) for _ in range(4)]

    order = shown(sheffield_client, tab="new")

    assert order == [e.pk for e in concerns + complex_cases + waiting]


def test_next_after_a_colleague_picks_up_the_concerns_shows_what_followed(
    clock, sheffield_client, sheffield_colleague, small_pages
):
    waiting = backlog(6)
    clock.shift(30 * HOUR)
    concerns = [escalated_contact(reason=SAFEGUARDING) for _ in range(5)]
    first = sheffield_client.get(QUEUE, {"tab": "new"})
    assert [e.pk for e in first.context["page"]] == [e.pk for e in concerns]

    for concern in concerns:  # a colleague picks up all of page 1
        escalation_claim(escalation=concern, by=sheffield_colleague)
    link = NEXT_RE.search(first.content.decode()).group(1).replace("&amp;", "&")
    second = sheffield_client.get(QUEUE + link)

    assert [e.pk for e in second.context["page"]] == [e.pk for e in waiting[:5]]


def test_each_page_of_an_open_tab_is_read_in_its_order_from_the_index(
    requires_postgres, clock, sheffield_client, small_pages
):
    """A page reads its rows in the order shown (escalations migration 0013), not
    every row of the tab joined and sorted to show 50: the index's CASE must stay
    the one escalations.selectors.urgency() writes, or the planner cannot use it."""
    backlog(6)
    escalated_contact(reason=SAFEGUARDING)
    with CaptureQueriesContext(connection) as captured:
        first = sheffield_client.get(QUEUE, {"tab": "new"})
        link = NEXT_RE.search(first.content.decode()).group(1).replace("&amp;", "&")
        sheffield_client.get(QUEUE + link)
    pages = [
        query["sql"]
        for query in captured.captured_queries
        if query["sql"].startswith('SELECT "escalations_escalation"."id"')
        and "ORDER BY" in query["sql"]
    ]
    assert len(pages) == 2

    for sql in pages:
        plan = planned_without_sorting(sql)
        assert not [n for n in nodes(plan) if "Sort" in n["Node Type"]], sql
        assert "escalation_open_queue" in json.dumps(plan)


def planned_without_sorting(sql: str) -> dict:
    """The plan of `sql` with sorting made the planner's last resort: a sort left in
    it means no index gives the order."""
    with connection.cursor() as cursor:
        for setting in ("enable_sort", "enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (result,) = cursor.fetchone()
        cursor.execute("RESET ALL")
    if isinstance(result, str):
        result = json.loads(result)
    return result[0]["Plan"]
