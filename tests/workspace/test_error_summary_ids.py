"""Each error summary on a page has an id of its own: a section of the case page, a row
of the new starters' reviews. Before, every one was id="error-summary": sections
refused one after another by htmx left three elements with the same id on the case
page (invalid, and a link to it found the first)."""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from staffing.models import CallReview, Tier
from tests import factories as f
from tests.workspace.test_case_page import ASSESSMENT, contact_rows
from work.calls import call_record

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


# --- the page as the browser holds it after htmx swaps ----------------------------------


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.ids.update(value for name, value in attrs if name == "id")

    handle_startendtag = handle_starttag


def ids_of(html: str) -> Counter[str]:
    parser = _Ids()
    parser.feed(html)
    return parser.ids


def _extent(html: str, element_id: str) -> tuple[int, int, int, int]:
    """Where the element with this id starts, its inside starts and ends, and it
    ends (counting only tags of its own name, so an unclosed <p> inside is no
    matter)."""
    match = re.search(rf'<(\w+)\b[^>]*\sid="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"no #{element_id}"
    tag = match.group(1)
    depth, at = 1, match.end()
    for other in re.finditer(rf"<(/?){tag}\b[^>]*>", html[at:]):
        depth += -1 if other.group(1) else 1
        if depth == 0:
            return match.start(), match.end(), at + other.start(), at + other.end()
    raise AssertionError(f"#{element_id} is not closed")


def swapped(page: str, target: str, answer: str, *, outer: bool = False) -> str:
    """The page once htmx has swapped the answer into #target (its inside, or the
    element itself), and each out-of-band element of the answer into its place."""
    while oob := re.search(r'<\w+\b[^>]*\shx-swap-oob="true"[^>]*>', answer):
        (element_id,) = re.findall(r'\sid="([^"]+)"', oob.group(0))
        start, _, _, end = _extent(answer, element_id)
        element, answer = answer[start:end], answer[:start] + answer[end:]
        page_start, _, _, page_end = _extent(page, element_id)
        page = page[:page_start] + element + page[page_end:]
    start, inner, inner_end, end = _extent(page, target)
    if outer:
        return page[:start] + answer + page[end:]
    return page[:inner] + answer + page[inner_end:]


def repeated(html: str) -> dict[str, int]:
    return {name: n for name, n in ids_of(html).items() if n > 1}


# --- the case page ------------------------------------------------------------------------


def test_sections_refused_one_after_another_by_htmx_leave_no_id_twice(
    client, caseworker, held_case
):
    """The tester's steps: the assessment with household size "x", then an empty
    setting, then empty contact rows, the call form and "Complete" sent empty."""
    client.force_login(caseworker)
    detail = reverse("cases:detail", args=[held_case.pk])
    page = client.get(detail).content.decode()
    assert not repeated(page)

    def send(name: str, data: dict, target: str) -> str:
        url = reverse(f"cases:{name}", args=[held_case.pk])
        answer = client.post(url, data, headers=HTMX)
        assert answer.status_code == 200
        assert 'class="nhsuk-error-summary"' in answer.content.decode()
        return swapped(page, target, answer.content.decode())

    page = send("assessment", {**ASSESSMENT, "household_size": "x"}, "assessment")
    page = send("visit", {"visit-name": "", "visit-kind": ""}, "settings")
    page = send("contacts", {**contact_rows(), "contacts-0-first_name": ""}, "contacts")
    page = send("call", {"outcome": ""}, "call-panel")
    page = send("complete", {}, "complete")

    assert repeated(page) == {}
    summaries = re.findall(r'<div class="nhsuk-error-summary"[^>]*>', page)
    assert len(summaries) == 5
    for summary in summaries:
        # Still the NHS.UK pattern: a summary the script moves focus to.
        assert 'data-module="nhsuk-error-summary"' in summary
        assert 'tabindex="-1"' in summary
    assert {
        "assessment-error-summary",
        "settings-error-summary",
        "contacts-error-summary",
        "calls-error-summary",
        "complete-error-summary",
    } <= set(ids_of(page))


def test_a_section_refused_without_javascript_draws_its_summary_by_its_own_id(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:visit", args=[held_case.pk]),
        {"visit-name": "", "visit-kind": ""},
    )
    html = response.content.decode()
    assert "<html" in html
    assert 'id="settings-error-summary"' in html
    assert '<div role="alert">' in html
    assert repeated(html) == {}


def test_a_page_of_one_form_keeps_its_summary_id(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:isolation", args=[held_case.pk]), {"ends_on": "", "reason": ""}
    )
    assert 'id="error-summary"' in response.content.decode()


# --- the new starters' reviews ------------------------------------------------------------


def test_two_review_rows_refused_by_htmx_each_have_their_own_summary(client):
    team = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    lead = f.StaffProfileFactory(
        is_supervisor=True, team=team, organisation=team.organisation
    )
    starter = f.StaffProfileFactory(
        team=team, organisation=team.organisation, tier=team.tier, new_starter=True
    )
    f.ShiftFactory(staff=starter)
    for _ in range(2):
        contact = f.ContactFactory(
            case__status=Status.COMPLETED,
            status=Status.ASSIGNED,
            assignee=starter.user,
            assigned_at=timezone.now(),
        )
        call_record(item=contact, caller=starter.user, outcome=Outcome.NO_ANSWER)
    reviews = list(CallReview.objects.order_by("pk"))
    assert len(reviews) == 2
    client.force_login(lead.user)
    page = client.get(reverse("staffing:reviews")).content.decode()

    for review in reviews:
        # "Needs support" with no note: refused, the row drawn again with its error.
        answer = client.post(
            reverse("staffing:review", args=[review.pk]),
            {f"r{review.pk}-verdict": "needs_support", f"r{review.pk}-note": ""},
            headers=HTMX,
        ).content.decode()
        assert 'class="nhsuk-error-summary"' in answer
        page = swapped(page, f"review-{review.pk}", answer, outer=True)

    assert repeated(page) == {}
    assert {f"r{review.pk}-error-summary" for review in reviews} <= set(ids_of(page))
