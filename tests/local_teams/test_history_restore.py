"""Back and Forward after a search: the site keeps no htmx history cache, so htmx asks
the server again for the page, with its own headers (HX-Request and
HX-History-Restore-Request). Before, the queue answered that with the list alone,
which htmx drew as the whole page: no header, menu, "Sign out" or search box."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f

from .builders import SHEFFIELD, escalated_case, escalated_contact, person_in

pytestmark = pytest.mark.django_db

QUEUE = reverse("escalations:queue")
COMPLEX = reverse("escalations:complex")
SEARCH = {"tab": "new", "q": "Davies", "reason": ""}
HTMX = {"HX-Request": "true"}
BACK = {"HX-Request": "true", "HX-History-Restore-Request": "true"}


def is_whole_page(body: str) -> bool:
    return all(
        part in body
        for part in ("<html", 'class="nhsuk-header"', "Sign out", 'role="search"')
    )


def varies_by_htmx(response) -> bool:
    vary = {v.strip().lower() for v in response.get("Vary", "").split(",")}
    return "hx-request" in vary


def test_back_after_a_search_gets_the_whole_queue_page(clock, sheffield_client):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Davies"))
    escalated_contact(person=person_in(SHEFFIELD, last_name="Quillfeather"))

    response = sheffield_client.get(QUEUE, SEARCH, headers=BACK)

    body = response.content.decode()
    assert response.status_code == 200
    assert is_whole_page(body)
    assert "Davies" in body
    assert "Quillfeather" not in body  # the search it was left with


def test_the_search_box_still_gets_the_list_alone(clock, sheffield_client):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Davies"))

    body = sheffield_client.get(QUEUE, SEARCH, headers=HTMX).content.decode()

    assert body.lstrip().startswith('<div id="results">')
    assert "Davies" in body
    assert not is_whole_page(body)


def test_back_to_complex_cases_gets_the_whole_page(clock, sheffield_client):
    escalated_case(person=person_in(SHEFFIELD, last_name="Davies"))

    response = sheffield_client.get(COMPLEX, {"q": "Davies"}, headers=BACK)

    body = response.content.decode()
    assert is_whole_page(body)
    assert "Davies" in body


@pytest.mark.parametrize("headers", [{}, HTMX, BACK], ids=["page", "list", "back"])
@pytest.mark.parametrize("path", [QUEUE, COMPLEX], ids=["queue", "complex"])
def test_the_queue_says_it_differs_by_htmx(clock, sheffield_client, path, headers):
    """A cache (the browser's) keeps the page and the list apart: never the list for
    the page."""
    response = sheffield_client.get(path, SEARCH, headers=headers)

    assert response.status_code == 200
    assert varies_by_htmx(response)


# --- the supervisor's pages, refreshed in part at the page's own address -------------


@pytest.fixture
def supervisor_client(client, supervisor):
    client.force_login(supervisor)
    return client


@pytest.mark.parametrize("name", ["staffing:dashboard", "staffing:work"])
def test_back_to_a_supervisor_page_gets_the_whole_page(supervisor_client, name):
    f.CaseFactory()

    response = supervisor_client.get(reverse(name), headers=BACK)

    assert response.status_code == 200
    assert is_whole_page_of_staff(response.content.decode())
    assert varies_by_htmx(response)


@pytest.mark.parametrize("name", ["staffing:dashboard", "staffing:work"])
def test_a_supervisor_page_refreshed_in_part_says_it_differs(supervisor_client, name):
    response = supervisor_client.get(reverse(name), headers=HTMX)

    body = response.content.decode()
    assert "<html" not in body
    assert varies_by_htmx(response)


def is_whole_page_of_staff(body: str) -> bool:
    return "<html" in body and 'class="nhsuk-header"' in body and "Sign out" in body


def test_back_to_the_work_list_shows_a_message_once(supervisor_client):
    # A message waiting when the supervisor goes Back to the work list was drawn
    # twice: where every page draws it, and again in the list (as if htmx asked).
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpResponse
    from django.test import RequestFactory

    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(constants.SUCCESS, "Moved 3 cases to Ada Hughes.")
    response = HttpResponse()
    storage.update(response)
    supervisor_client.cookies.update(response.cookies)

    body = supervisor_client.get(reverse("staffing:work"), headers=BACK)
    assert body.content.decode().count("Moved 3 cases to Ada Hughes.") == 1
