"""The figures page in real Chromium, at desktop width and on a 375 px phone: no
serious or critical axe violation (WCAG 2.1 AA, tests/test_accessibility.py's check),
no sideways scroll, the charts drawn and as wide as their column, and the form
worked with the keyboard alone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cases.models import Case
from cases.workitem import Route, Status
from contacts.models import Contact
from figures.weekly import Period
from tests import factories as f
from tests.test_accessibility import VIEWPORTS, check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = reverse("figures:weekly")


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


@pytest.fixture
def browser_page(browser, viewport):
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def figures_week(db):
    """A few Sheffield cases and contacts in the last complete week and the two
    before it, reached by each route, some not, and a call centre team's shift."""
    last = Period.last_complete()
    for n, period in enumerate((last.previous(2), last.previous(), last)):
        start = period.bounds()[0] + dt.timedelta(hours=9)
        for i, route in enumerate((Route.ONLINE, Route.NATIONAL, Route.LOCAL, "")):
            case = f.CaseFactory()
            reached = start + dt.timedelta(hours=6 + 12 * i + n) if route else None
            Case.objects.filter(pk=case.pk).update(
                created_at=start,
                reached_at=reached,
                reached_route=route,
                status=Status.COMPLETED if route else Status.NEW,
            )
            contact = f.ContactFactory(case=case)
            Contact.objects.filter(pk=contact.pk).update(
                created_at=start + dt.timedelta(hours=1),
                reached_at=reached + dt.timedelta(hours=2) if reached else None,
                reached_route=route,
                status=Status.COMPLETED if route else Status.NEW,
            )
    handler = f.StaffProfileFactory(team__name="Calls North")
    shift_start = last.bounds()[0] + dt.timedelta(days=1, hours=8)
    f.ShiftFactory(
        staff=handler,
        starts_at=shift_start,
        ends_at=shift_start + dt.timedelta(hours=8),
    )
    return last


def test_the_figures_page_for_a_national_supervisor(
    live_server, browser_page, viewport, sign_in, supervisor, figures_week, screenshot
):
    sign_in(browser_page, supervisor)
    check(browser_page, live_server, URL, "figures-england", viewport, screenshot)
    page = browser_page
    expect(page.locator("h1")).to_contain_text("Weekly figures")
    expect(page.locator("#staff-table")).to_contain_text("Calls North")
    for chart in ("chart-cases", "chart-contacts"):
        svg = page.locator(f"#{chart} svg")
        expect(svg).to_have_attribute("role", "img")
        box = svg.bounding_box()
        column = page.locator(f"#{chart}").bounding_box()
        assert box is not None
        assert column is not None
        # As wide as its column (on a phone, the screen less its margins).
        assert box["width"] == pytest.approx(column["width"], abs=1)
        assert box["width"] <= VIEWPORTS[viewport][0]
        expect(page.locator(f"#{chart}-table tbody tr")).to_have_count(8)


def test_the_figures_page_for_a_local_team(
    live_server,
    browser_page,
    viewport,
    sign_in,
    local_team_member,
    figures_week,
    screenshot,
):
    sign_in(browser_page, local_team_member)
    check(browser_page, live_server, URL, "figures-local-team", viewport, screenshot)
    expect(browser_page.locator("#cases-transferred")).to_contain_text("4")
    # With an error: the summary, linking to the field.
    check(
        browser_page,
        live_server,
        f"{URL}?week=not-a-date",
        "figures-error",
        viewport,
        screenshot,
    )
    summary = browser_page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter a date in the week")
    expect(summary.locator("a")).to_have_attribute("href", "#id_week")


def test_the_form_works_with_the_keyboard_alone(
    live_server, page, sign_in, local_team_member, figures_week
):
    sign_in(page, local_team_member)
    page.goto(f"{live_server.url}{URL}")
    earlier = figures_week.previous()
    # Tab from the top of the page to the week's field, type a date, choose ISO
    # weeks with the arrow keys, and send the form with Enter.
    page.keyboard.press("Tab")
    for _ in range(40):
        if page.evaluate("document.activeElement.id") == "id_week":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "id_week"
    page.keyboard.press("Control+A")
    page.keyboard.type(earlier.starts_on.isoformat())
    page.keyboard.press("Tab")  # to the kind of week: Thursday to Wednesday
    assert page.evaluate("document.activeElement.value") == "thu"
    page.keyboard.press("ArrowDown")  # Monday to Sunday
    assert page.evaluate("document.activeElement.value") == "iso"
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    iso = Period.containing(earlier.starts_on, "iso")
    expect(page.locator("#week-label")).to_contain_text(iso.label)
    expect(page.locator("#week-label")).to_contain_text(f"ISO week {iso.key}")
    # The previous week's link, followed with the keyboard.
    page.locator("a[rel=prev]").focus()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#week-label")).to_contain_text(iso.previous().label)
