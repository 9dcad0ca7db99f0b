"""The supervisor's work list, page by page: every item once, whatever the ties, and
"Next" continuing after the last item shown while colleagues move work."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import Case
from cases.workitem import Status
from pages.staff import dashboard as work_page
from tests import factories as f

from .conftest import NOW, member, supervisor_of

pytestmark = pytest.mark.django_db

ITEM_RE = re.compile(r'name="items" value="(\d+)"')
NEXT_RE = re.compile(r'href="([^"]*)" class="nhsuk-pagination__next"')


def ids_on(response) -> list[int]:
    return [int(pk) for pk in ITEM_RE.findall(response.text)]


def next_link(response) -> str:
    found = NEXT_RE.search(response.text)
    return found.group(1).replace("&amp;", "&") if found else ""


def walk(client, first: str) -> list[int]:
    """Every item shown, following "Next" from the first page to the last."""
    url, seen = first, []
    for _ in range(100):
        response = client.get(url)
        assert response.status_code == 200
        seen += ids_on(response)
        if not (link := next_link(response)):
            return seen
        url = reverse("staffing:work") + link
    raise AssertionError("the pages never end")


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(work_page, "WORK_PAGE_SIZE", 5)


def batch_held_by(profile, n: int) -> list[Case]:
    """A batch written by one intake, all at the one moment, then given out."""
    cases = [
        f.CaseFactory(status=Status.ASSIGNED, assignee=profile.user, assigned_at=NOW)
        for _ in range(n)
    ]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(created_at=NOW)
    return cases


def test_held_work_written_in_one_batch_shows_each_item_once_over_the_pages(
    clock, client, lead, clinical_team, small_pages
):
    holders = [member(clinical_team) for _ in range(3)]
    cases = [c for h in holders for c in batch_held_by(h, 12)]
    client.force_login(lead.user)
    seen = walk(client, reverse("staffing:work"))
    assert sorted(seen) == sorted(c.pk for c in cases)


def test_the_pool_written_in_one_batch_shows_each_item_once_over_the_pages(
    clock, client, lead, clinical_team, small_pages
):
    cases = [f.CaseFactory(created_at=NOW) for _ in range(23)]
    client.force_login(lead.user)
    for order in ("", "&order=newest"):
        seen = walk(client, reverse("staffing:work") + f"?holder=pool{order}")
        assert sorted(seen) == sorted(c.pk for c in cases)


def held_in_turn(profile, n: int) -> list[Case]:
    """n cases held by one person, each arrived a minute after the one before."""
    cases = batch_held_by(profile, n)
    for minute, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(
            created_at=NOW + dt.timedelta(minutes=minute)
        )
    return cases


def test_next_page_after_a_colleague_moves_page_one_shows_what_followed(
    clock, client, lead, clinical_team, small_pages
):
    holder = member(clinical_team)
    cases = held_in_turn(holder, 12)
    colleague = supervisor_of(clinical_team)
    client.force_login(lead.user)
    first = client.get(reverse("staffing:work"), {"q": "", "overdue": ""})
    assert ids_on(first) == [c.pk for c in cases[:5]]

    other = Client()
    other.force_login(colleague.user)
    other.post(
        reverse("staffing:work"),
        {"items": [c.pk for c in cases[:5]], "to": "pool", "reason": "Gone home"},
    )
    second = client.get(reverse("staffing:work") + next_link(first))

    assert ids_on(second) == [c.pk for c in cases[5:10]]
    assert "First page" in second.content.decode()


def test_a_move_from_a_later_page_comes_back_to_the_same_place(
    clock, client, lead, clinical_team, small_pages
):
    holder = member(clinical_team)
    cases = held_in_turn(holder, 12)
    client.force_login(lead.user)
    second_url = reverse("staffing:work") + next_link(
        client.get(reverse("staffing:work"))
    )
    assert ids_on(client.get(second_url)) == [c.pk for c in cases[5:10]]

    response = client.post(
        second_url,
        {"items": [cases[5].pk], "to": "pool", "reason": "Shift ending"},
    )

    assert response.status_code == 302
    assert response.url == second_url
    assert ids_on(client.get(response.url)) == [c.pk for c in cases[6:11]]


def test_the_newest_pool_pages_by_what_was_shown_last(
    clock, client, lead, clinical_team, small_pages
):
    cases = [f.CaseFactory() for _ in range(8)]
    for minute, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(
            created_at=NOW - dt.timedelta(minutes=minute)
        )
    client.force_login(lead.user)
    first = client.get(reverse("staffing:work"), {"holder": "pool", "order": "newest"})
    cases[0].delete()  # gone meanwhile (merged, say)
    second = client.get(reverse("staffing:work") + next_link(first))
    assert "order=newest" in next_link(first)
    assert "holder=pool" in next_link(first)
    assert ids_on(second) == [c.pk for c in cases[5:]]


def test_a_page_link_not_of_this_list_shows_the_first_page(
    clock, client, lead, clinical_team
):
    holder = member(clinical_team)
    cases = held_in_turn(holder, 2)
    client.force_login(lead.user)
    for after in ("nonsense", "1,2", "x,y,2026-01-14T10:00:00+00:00,3"):
        response = client.get(reverse("staffing:work"), {"after": after})
        assert response.status_code == 200
        assert ids_on(response) == [c.pk for c in cases]


def test_held_work_with_the_pools_order_left_in_the_address_pages_every_item_once(
    clock, client, lead, clinical_team, small_pages
):
    """ "Order of the pool" stays on the form: switched from the pool, newest first,
    to the team's work, its "Next" read the held list backwards (found by review)."""
    holder = member(clinical_team)
    cases = held_in_turn(holder, 12)
    client.force_login(lead.user)
    for address in ("?holder=&order=newest", f"?holder={holder.pk}&order=newest"):
        seen = walk(client, reverse("staffing:work") + address)
        assert sorted(seen) == sorted(c.pk for c in cases)
