"""Every page the journeys touch, checked by axe-core in real Chromium: no serious or
critical violation of WCAG 2.1 AA (which NHS services must meet), at desktop width and
on a phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse

from cases.workitem import Status
from escalations.clusters import clusters_detect
from escalations.models import Escalation
from tests import factories as f
from work.escalation import item_escalate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"],
    },
    "resultTypes": ["violations"],
}
VIEWPORTS = {"desktop": (1280, 900), "phone": (375, 812)}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request):
    return request.param


def serious(page) -> list[str]:
    """The serious and critical violations on the page, in words."""
    results = Axe().run(page, options=AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def check(page, live_server, path: str, name: str, viewport: str, screenshot):
    page.goto(f"{live_server.url}{path}")
    page.wait_for_load_state()
    screenshot(page, f"a11y-{name}-{viewport}")
    found = serious(page)
    assert found == [], f"{path}: {found}"
    width_ok = page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )
    assert width_ok, f"{path} scrolls sideways at {VIEWPORTS[viewport][0]} px"


@pytest.fixture
def browser_page(browser, viewport):
    width, height = VIEWPORTS[viewport]
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    yield page
    context.close()


def test_the_sign_in_pages(live_server, browser_page, viewport, screenshot):
    for path, name in (
        (reverse("login"), "sign-in"),
        (reverse("password_reset"), "password-reset"),
        ("/no-such-page/", "not-found"),
    ):
        check(browser_page, live_server, path, name, viewport, screenshot)


def test_the_caseworkers_pages(
    live_server, browser_page, viewport, sign_in, caseworker, screenshot
):
    f.ScriptFactory(audience="case")
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    f.ContactFactory(case=case)
    sign_in(browser_page, caseworker)
    check(browser_page, live_server, "/work/", "my-work", viewport, screenshot)
    check(
        browser_page,
        live_server,
        reverse("cases:detail", args=[case.pk]),
        "case",
        viewport,
        screenshot,
    )


def test_the_call_handlers_pages(
    live_server, browser_page, viewport, sign_in, call_handler, screenshot
):
    f.ScriptFactory(audience="contact")
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    sign_in(browser_page, call_handler)
    check(browser_page, live_server, "/work/", "handler-work", viewport, screenshot)
    check(
        browser_page,
        live_server,
        reverse("contacts:detail", args=[contact.pk]),
        "contact",
        viewport,
        screenshot,
    )


def test_the_supervisors_pages(
    live_server, browser_page, viewport, sign_in, screenshot
):
    team = f.TeamFactory(tier=2)
    lead = f.StaffProfileFactory(clinical=True, is_supervisor=True, team=team)
    member = f.StaffProfileFactory(clinical=True, team=team)
    f.ShiftFactory(staff=member)
    f.CaseFactory(status=Status.ASSIGNED, assignee=member.user)
    person = f.PersonFactory()
    sign_in(browser_page, lead.user)
    for path, name in (
        (reverse("staffing:dashboard"), "dashboard"),
        (reverse("staffing:work"), "reassign"),
        (reverse("staffing:team"), "team"),
        (reverse("staffing:hours_cap", args=[member.pk]), "hours-cap"),
        (reverse("staffing:team_shifts"), "team-shifts"),
        (reverse("staffing:shifts_publish"), "publish"),
        (reverse("staffing:my_shifts"), "my-shifts"),
        (reverse("staffing:registrations"), "registrations"),
        (reverse("staffing:reviews"), "reviews"),
        (reverse("staffing:utilisation"), "utilisation"),
        (reverse("staffing:person_audit", args=[person.pk]), "who-has-seen"),
        (reverse("staffing:audit_search") + "?q=Shah", "audit-search"),
        (reverse("staffing:my_training"), "my-training"),
        (reverse("staffing:member_training", args=[member.pk]), "member-training"),
        (reverse("password_change"), "password-change"),
        (reverse("two_factor_setup"), "two-factor-setup"),
    ):
        check(browser_page, live_server, path, name, viewport, screenshot)


def test_the_local_teams_pages(
    live_server, browser_page, viewport, sign_in, local_team_member, screenshot
):
    sheffield = f.area()
    contact = f.ContactFactory(person__area=sheffield, area=sheffield)
    escalation = item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)
    setting = f.ExposureSettingFactory(area=sheffield)
    for _ in range(3):
        f.SettingVisitFactory(setting=setting, case__person__area=sheffield)
    clusters_detect()
    sign_in(browser_page, local_team_member)
    for path, name in (
        (reverse("escalations:queue"), "local-queue"),
        (reverse("escalations:detail", args=[escalation.pk]), "escalation"),
        (reverse("escalations:complex"), "complex"),
        (reverse("escalations:clusters"), "clusters"),
    ):
        check(browser_page, live_server, path, name, viewport, screenshot)
