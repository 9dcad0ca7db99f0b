"""The capacity page and its confirm step in real Chromium: axe finds no serious
WCAG 2.1 AA problem, nothing scrolls sideways on a phone, and the chart is drawn.
Screenshots under tests/artifacts/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from staffing.models import Tier
from tests import factories as f
from tests.test_accessibility import VIEWPORTS, serious

from .builders import at, cases_arriving
from .conftest import supervisor_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(params=list(VIEWPORTS))
def browser_page(request, browser):
    width, height = VIEWPORTS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    yield request.param, page
    context.close()


def test_the_capacity_page_and_its_confirm_step(
    live_server, browser_page, sign_in, screenshot
):
    viewport, page = browser_page
    today = timezone.localdate()
    cases_arriving([240] * 14, last_day=today - dt.timedelta(days=1))
    lead = supervisor_of(f.TeamFactory(tier=Tier.CLINICAL))
    worker = f.StaffProfileFactory(clinical=True, team=lead.team)
    tomorrow = today + dt.timedelta(days=1)
    f.ShiftFactory(staff=worker, starts_at=at(tomorrow, 8), ends_at=at(tomorrow, 16))
    sign_in(page, lead.user)
    page.goto(f"{live_server.url}{reverse('staffing:capacity')}")
    page.wait_for_load_state()
    screenshot(page, f"capacity-{viewport}")
    assert page.locator("#chart-tier2 svg[role=img]").count() == 1
    assert serious(page) == []
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    page.get_by_role("button", name="Check the slots for the gap").click()
    page.wait_for_load_state()
    screenshot(page, f"capacity-slots-{viewport}")
    assert page.get_by_role("heading", name="Slots for the gap").count() == 1
    assert page.locator("#slots-table").count() == 1
    assert serious(page) == []
    assert page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
