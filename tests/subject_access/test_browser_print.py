"""In real Chromium: the subject access export as an administrator prints it, with
none of the admin around it, and its print button working under the
Content-Security-Policy (a script of its own file)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_export_prints_without_the_admin_around_it(
    page, live_server, sign_in, household, administrator, screenshot
):
    sign_in(page, administrator)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    url = reverse("admin:people_person_subject_access", args=[household.alice.pk])

    page.goto(f"{live_server.url}{url}")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Everything held about Alice Quarrington"
    )
    expect(page.locator("#print-page")).to_be_visible()  # its script ran
    expect(page.locator("#header")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator("#header")).to_be_hidden()
    expect(page.locator(".breadcrumbs")).to_be_hidden()
    expect(page.locator("#print-page")).to_be_hidden()
    expect(page.locator('[data-section="cases"]')).to_be_visible()
    screenshot(page, "subject_access_print")
    assert page.pdf(format="A4")[:4] == b"%PDF"
    assert errors == []
