"""In real headless Chromium: Back and Forward after a search on the local team's queue
draw the whole page again, and a call logged on a second try takes away the "Not
saved" box its first try left."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from calls.models import CallAttempt
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import (
    SHEFFIELD,
    escalated_contact,
    local_member,
    person_in,
)
from tests.workspace.conftest import ContactFactory, hold

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def areas(transactional_db):
    ensure_ons_areas()


@pytest.fixture
def script_errors(page):
    """What the page's scripts threw (a TypeError in app.js, say)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def expect_the_whole_queue_page(page) -> None:
    expect(page.locator("header.nhsuk-header")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(
        page.get_by_label("Search by name, phone number or postcode")
    ).to_be_visible()
    expect(page.locator("#results")).to_have_count(1)


def test_back_and_forward_after_a_search_show_the_whole_queue(
    page, live_server, sign_in, script_errors
):
    member = local_member(SHEFFIELD, "local_sheffield")
    escalated_contact(person=person_in(SHEFFIELD, first_name="Ann", last_name="Davies"))
    escalated_contact(person=person_in(SHEFFIELD, first_name="Bob", last_name="Jones"))
    sign_in(page, member)
    page.goto(f"{live_server.url}/local/")
    expect(page.get_by_text("Bob Jones")).to_be_visible()

    page.get_by_label("Search by name, phone number or postcode").fill("Davies")
    searched = f"{live_server.url}/local/?tab=new&q=Davies&reason="
    expect(page).to_have_url(searched)
    expect(page.get_by_text("Bob Jones")).to_have_count(0)

    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/local/")
    expect_the_whole_queue_page(page)
    expect(page.get_by_text("Bob Jones")).to_be_visible()

    page.go_forward()
    expect(page).to_have_url(searched)
    expect_the_whole_queue_page(page)
    expect(page.get_by_text("Ann Davies")).to_be_visible()
    expect(page.get_by_text("Bob Jones")).to_have_count(0)
    assert script_errors == []


def test_a_call_logged_on_a_second_try_takes_the_not_saved_box_away(
    page, live_server, sign_in, call_handler, script_errors
):
    contact = hold(ContactFactory(), call_handler)
    path = f"/contacts/{contact.pk}/"
    # The first time the call is sent, the server fails (a 500), as it did once in
    # service; the second time it is sent to the server as usual.
    failed = []

    def fail_once(route):
        if route.request.method == "POST" and not failed:
            failed.append(route.request.url)
            route.fulfill(status=500, body="Server Error (500)")
        else:
            route.continue_()

    sign_in(page, call_handler)
    page.goto(f"{live_server.url}{path}")
    page.route(f"**{path}calls/", fail_once)
    panel = page.locator("#call-panel")
    panel.get_by_label("No answer").check()
    panel.get_by_role("button", name="Log the call").click()

    box = page.locator("#not-saved")
    expect(box).to_contain_text("Not saved: something went wrong on our side")
    assert failed
    assert not CallAttempt.objects.filter(contact=contact).exists()

    # They read the box, then send it again (the button takes no second click within
    # a second: the design system's guard against a double click).
    page.wait_for_timeout(1_100)
    panel.get_by_role("button", name="Log the call").click()
    expect(page.locator("#call-notice")).to_contain_text("Logged: no answer.")
    expect(box).to_have_count(0)
    assert CallAttempt.objects.filter(contact=contact).count() == 1
    assert script_errors == []
