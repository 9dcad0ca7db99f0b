"""In real headless Chromium: "Their details" opened, corrected and saved in place
(htmx): the person's card above says the new details, what was typed in the risk
assessment stays, and a refused postcode opens the section again with its problem
linked to the field."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from people.models import Person
from tests.conftest import ensure_ons_areas

from .conftest import HELD_EMAIL, CaseFactory, barker, hold

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def areas(transactional_db):
    ensure_ons_areas()


@pytest.fixture
def script_errors(page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_their_details_corrected_in_place_keep_the_other_typing(
    page, live_server, sign_in, caseworker, screenshot, script_errors
):
    jon = barker()
    case = hold(CaseFactory(person=jon), caseworker)
    sign_in(page, caseworker)
    page.goto(f"{live_server.url}/cases/{case.pk}/")
    page.fill("#id_occupation", "Plumber")

    details = page.locator("#their-details")
    expect(page.locator("#id_details-email")).not_to_be_visible()
    details.locator("summary").click()
    page.fill("#id_details-first_name", "Jon")
    page.fill("#id_details-email", "jon.barker@example.org")
    page.get_by_role("button", name="Save their details").click()

    expect(page.locator("#details-notice")).to_contain_text(
        "First name and email updated."
    )
    expect(page.locator("#person-rows")).to_contain_text("jon.barker@example.org")
    expect(page.locator("#person-name")).to_have_text("Jon Barker")
    expect(page.locator("#id_occupation")).to_have_value("Plumber")
    screenshot(page, "person_details_saved")

    page.locator("#their-details summary").click()
    page.fill("#id_details-postcode", "S10 2HE")
    page.get_by_role("button", name="Save their details").click()

    expect(page.locator("#their-details")).to_have_attribute("open", "")
    summary = page.locator("#details-error-summary")
    expect(summary).to_contain_text("We cannot find this postcode")
    expect(summary.locator("a")).to_have_attribute("href", "#id_details-postcode")
    expect(page.locator("#id_details-postcode")).to_have_value("S10 2HE")
    screenshot(page, "person_details_refused")
    jon.refresh_from_db()
    assert (jon.first_name, jon.email, jon.postcode) == (
        "Jon",
        "jon.barker@example.org",
        "S1 2HE",
    )
    assert Person.objects.filter(email=HELD_EMAIL).count() == 0
    assert script_errors == []
