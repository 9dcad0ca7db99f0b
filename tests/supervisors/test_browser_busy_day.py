"""A busy day at the desk, in real headless Chromium: at a desk and on a 375 px phone,
with the mouse and with the keyboard. Every staff page fits a phone without scrolling
sideways; booking past the cap warns and books on confirmation; forms show the error
summary; "can take work" says why not."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cases.workitem import Status
from staffing.models import Shift, TrainingModule
from tests import factories as f
from tests.conftest import ensure_ons_areas

from .conftest import at, member, next_monday, supervisor_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A British browser: dates and times read as they do for the staff."""
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture(autouse=True)
def areas(transactional_db):
    ensure_ons_areas()


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def busy_calls_team():
    """A call-handling team mid-shift: one at their cap, one off shift until the
    morning, one with training due, one ready; work waiting in the pool."""
    team = f.TeamFactory(name="Call handling North", tier=3)
    TrainingModule.objects.get_or_create(name="Call handling basics", tier=3)
    module = TrainingModule.objects.create(name="Safeguarding level 2", tier=3)
    lead = supervisor_of(team, user__first_name="Tom", user__last_name="Barker")
    capped = member(team, user__first_name="Cara", user__last_name="Capped")
    for n in range(capped.open_work_cap):
        f.ContactFactory(
            case__status=Status.COMPLETED,
            status=Status.ASSIGNED,
            assignee=capped.user,
            assigned_at=timezone.now(),
            person__first_name=f"Held{n}",
            person__last_name="Contact",
        )
    morning = at(timezone.localdate() + dt.timedelta(days=1), 8)
    off = member(
        team, on_shift=False, user__first_name="Otto", user__last_name="Offshift"
    )
    f.ShiftFactory(
        staff=off, starts_at=morning, ends_at=morning + dt.timedelta(hours=8)
    )
    training = member(team, user__first_name="Tia", user__last_name="Training")
    training.training.filter(module=module).delete()
    ready = member(team, user__first_name="Ravi", user__last_name="Ready")
    for name, postcode in (("Priya", "S1 2HE"), ("Quinn", "LS1 4DY")):
        f.ContactFactory(
            case__status=Status.COMPLETED,
            person__first_name=name,
            person__last_name="Waiting",
            person__postcode=postcode,
            next_attempt_at=timezone.now() - dt.timedelta(hours=2),
        )
    overdue = f.ContactFactory(
        case__status=Status.COMPLETED,
        status=Status.ASSIGNED,
        assignee=ready.user,
        assigned_at=timezone.now() - dt.timedelta(hours=5),
        next_attempt_at=timezone.now() - dt.timedelta(hours=1),
        person__first_name="Olive",
        person__last_name="Overdue",
    )
    return SimpleNamespace(
        team=team,
        lead=lead,
        capped=capped,
        off=off,
        training=training,
        overdue=overdue,
    )


def test_the_dashboard_says_why_not_and_fits_a_phone(
    live_server, page, sign_in, screenshot
):
    busy = busy_calls_team()
    sign_in(page, busy.lead.user)
    page.goto(f"{live_server.url}/staff/")
    team_table = page.get_by_role("table").filter(has_text="Can take work")
    expect(team_table.get_by_role("row", name="Cara Capped")).to_contain_text(
        "No: at their cap (10 of 10)"
    )
    expect(team_table.get_by_role("row", name="Otto Offshift")).to_contain_text(
        "No: off shift until 08:00 tomorrow"
    )
    expect(team_table.get_by_role("row", name="Tia Training")).to_contain_text(
        "No: training due (Safeguarding level 2)"
    )
    expect(team_table.get_by_role("row", name="Ravi Ready")).to_contain_text("Yes")
    screenshot(page, "staff-dashboard")

    # The overdue item is a link to its page.
    page.get_by_role("link", name="Olive Overdue").click()
    expect(page).to_have_url(f"{live_server.url}/contacts/{busy.overdue.pk}/")

    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/staff/")
    expect(page.get_by_role("heading", name="Supervisor dashboard")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "staff-dashboard-375")


def test_the_dashboards_refresh_waits_while_the_keyboard_is_inside_it(
    live_server, page, sign_in
):
    """The board refreshes itself every minute; replacing it under a keyboard user
    would drop their focus to the top of the page, so it waits until they leave."""
    busy = busy_calls_team()
    page.clock.install()
    sign_in(page, busy.lead.user)
    page.goto(f"{live_server.url}/staff/")
    page.wait_for_load_state()
    refreshes = []
    page.on(
        "request",
        lambda request: (
            refreshes.append(request.url) if request.headers.get("hx-request") else None
        ),
    )
    link = page.get_by_role("link", name="Olive Overdue")
    link.focus()

    page.clock.run_for(150_000)  # two and a half minutes
    assert refreshes == []
    assert link.evaluate("el => el === document.activeElement")

    page.get_by_role("link", name="Upload test results", exact=False).focus()
    with page.expect_response(lambda r: r.request.headers.get("hx-request")):
        page.clock.run_for(61_000)
    expect(page.get_by_role("link", name="Olive Overdue")).to_be_visible()
    assert len(refreshes) == 1


def test_the_dashboards_own_refresh_says_it_is_not_the_supervisor_at_work(
    live_server, page, sign_in
):
    """It kept an open dashboard signed in for good: the idle limit never came."""
    busy = busy_calls_team()
    page.clock.install()
    sign_in(page, busy.lead.user)
    page.goto(f"{live_server.url}/staff/")
    page.wait_for_load_state()
    with page.expect_request(lambda r: r.headers.get("hx-request")) as refresh:
        page.clock.run_for(61_000)
    assert refresh.value.headers.get("x-background") == "1"


def test_a_refused_move_puts_the_keyboard_on_its_error_summary(
    live_server, page, sign_in
):
    """The list is swapped whole (outerHTML): focus went to the page's body, and the
    new list's buttons were not started."""
    busy = busy_calls_team()
    sign_in(page, busy.lead.user)
    page.goto(f"{live_server.url}/staff/work/")
    page.get_by_role("button", name="Move ticked items").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()


@pytest.mark.parametrize("width", [1280, 375])
def test_booking_past_the_cap_warns_and_books_on_confirmation_with_the_keyboard(
    live_server, page, sign_in, screenshot, width
):
    team = f.TeamFactory(name="Clinical North", tier=2)
    worker = member(
        team, on_shift=False, user__first_name="Asha", user__last_name="Patel"
    )
    monday = next_monday()
    for offset in range(3):
        day = monday + dt.timedelta(days=offset)
        f.ShiftFactory(staff=worker, starts_at=at(day, 8), ends_at=at(day, 20))
    friday = monday + dt.timedelta(days=4)
    Shift.objects.create(
        tier=2, team=team, starts_at=at(friday, 8), ends_at=at(friday, 16)
    )
    suffix = "-375" if width == 375 else ""
    page.set_viewport_size({"width": width, "height": 812})
    sign_in(page, worker.user)
    page.goto(f"{live_server.url}/staff/shifts/?week={monday.isoformat()}")
    assert no_sideways_scroll(page)
    screenshot(page, f"shifts-week{suffix}")

    book = page.get_by_role("button", name="Book")
    book.focus()
    page.keyboard.press("Enter")
    warning = page.locator("#over-cap-warning")
    expect(warning).to_be_focused()
    expect(warning).to_contain_text(
        "Booking this 8-hour shift would take you to 44 hours in the week of "
        f"{monday:%-d %B}, over your weekly cap of 42 hours."
    )
    assert no_sideways_scroll(page)
    screenshot(page, f"shifts-over-cap-warning{suffix}")
    assert Shift.objects.get(starts_at=at(friday, 8)).staff is None

    # From the warning, the next stop of the Tab key is "Book anyway".
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Book anyway")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("over your weekly cap of 42.")
    expect(page.locator("#hours-booked")).to_contain_text("44 of 42 hours")
    assert no_sideways_scroll(page)
    screenshot(page, f"shifts-booked-over-cap{suffix}")
    assert Shift.objects.get(starts_at=at(friday, 8)).staff == worker


def test_a_booking_too_soon_after_a_shift_is_refused_with_the_times(
    live_server, page, sign_in, screenshot
):
    team = f.TeamFactory(name="Clinical North", tier=2)
    worker = member(team, on_shift=False)
    monday = next_monday()
    tuesday = monday + dt.timedelta(days=1)
    f.ShiftFactory(staff=worker, starts_at=at(monday, 14), ends_at=at(monday, 22))
    Shift.objects.create(
        tier=2, team=team, starts_at=at(tuesday, 8), ends_at=at(tuesday, 16)
    )
    page.set_viewport_size(PHONE)
    sign_in(page, worker.user)
    page.goto(f"{live_server.url}/staff/shifts/?week={monday.isoformat()}")
    page.get_by_role("button", name="Book").click()
    problem = page.locator(".nhsuk-error-summary")
    expect(problem).to_contain_text("Not booked.")
    expect(problem).to_contain_text(
        "Your shift ends at 22:00 on Monday: the next may start at 09:00 on "
        "Tuesday at the earliest."
    )
    expect(problem).to_be_focused()
    assert no_sideways_scroll(page)
    screenshot(page, "shifts-rest-refused-375")


@pytest.mark.parametrize("width", [1280, 375])
def test_the_publish_form_shows_an_error_summary(
    live_server, page, sign_in, screenshot, width
):
    team = f.TeamFactory(name="Calls North", tier=3)
    lead = supervisor_of(team)
    page.set_viewport_size({"width": width, "height": 812})
    sign_in(page, lead.user)
    page.goto(f"{live_server.url}/staff/team/shifts/publish/")
    page.fill("#id_count", "")
    page.get_by_role("button", name="Publish slots").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links.first).to_have_attribute("href", "#id_first_day")
    assert links.count() >= 4  # first and last day, start and end times, count
    assert no_sideways_scroll(page)
    screenshot(page, "publish-error-summary" + ("-375" if width == 375 else ""))
    links.first.click()
    expect(page.locator("#id_first_day")).to_be_focused()
    assert not Shift.objects.exists()


def test_reassign_finds_work_by_postcode_or_name_on_a_phone(
    live_server, page, sign_in, screenshot
):
    busy = busy_calls_team()
    page.set_viewport_size(PHONE)
    sign_in(page, busy.lead.user)
    page.goto(f"{live_server.url}/staff/work/?holder=pool")
    expect(page.get_by_role("row", name="Priya Waiting")).to_be_visible()
    page.get_by_label("Search").fill("s1 2he")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("row", name="Priya Waiting")).to_be_visible()
    expect(page.get_by_role("row", name="Quinn Waiting")).to_have_count(0)
    assert no_sideways_scroll(page)
    screenshot(page, "reassign-search-375")
    page.get_by_label("Search").fill("quinn")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("row", name="Quinn Waiting")).to_be_visible()
    expect(page.get_by_role("row", name="Priya Waiting")).to_have_count(0)


def test_every_staff_page_fits_a_phone(live_server, page, sign_in, screenshot):
    busy = busy_calls_team()
    booked = busy.off.shifts.get()
    clinical = f.TeamFactory(name="Clinical North", tier=2)
    nurse_lead = supervisor_of(clinical)
    member(
        clinical,
        registration_expires_on=timezone.localdate() - dt.timedelta(days=1),
        user__first_name="Eli",
        user__last_name="Expired",
    )
    pages = {
        "work": "/staff/work/",
        "work-pool": "/staff/work/?holder=pool",
        "team": "/staff/team/",
        "rota": "/staff/team/shifts/",
        "publish": "/staff/team/shifts/publish/",
        "shift-cancel": f"/staff/team/shifts/{booked.pk}/cancel/",
        "hours-cap": f"/staff/team/{busy.capped.pk}/cap/",
        "member-training": f"/staff/team/{busy.training.pk}/training/",
        "reviews": "/staff/reviews/",
        "utilisation": "/staff/utilisation/",
        "my-shifts": "/staff/shifts/",
        "my-training": "/staff/training/",
    }
    page.set_viewport_size(PHONE)
    sign_in(page, busy.lead.user)
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert no_sideways_scroll(page), f"{name} scrolls sideways at 375 px"
        screenshot(page, f"staff-{name}-375")

    page.context.clear_cookies()
    sign_in(page, nurse_lead.user)
    page.goto(f"{live_server.url}/staff/registrations/")
    expect(page.get_by_role("row", name="Eli Expired")).to_contain_text("Expired")
    assert no_sideways_scroll(page)
    screenshot(page, "staff-registrations-375")
    page.goto(f"{live_server.url}/staff/")
    expired_on = timezone.localdate() - dt.timedelta(days=1)
    expect(page.get_by_role("row", name="Eli Expired")).to_contain_text(
        f"No: registration expired on {expired_on:%-d %B}"
    )
    assert no_sideways_scroll(page)


def test_my_training_with_a_web_address_in_a_note_fits_a_phone(
    live_server, page, sign_in, screenshot
):
    # A supervisor's note or reason holding a long web address widened its column
    # past the screen: typed text wraps anywhere it must.
    team = f.TeamFactory(name="Call handling North", tier=3)
    lead = supervisor_of(team)
    starter = member(team, user__first_name="Fay", user__last_name="Lee")
    address = "https://example.org/guidance/" + "call-handling-" * 8 + "empathy"
    f.CallReviewFactory(
        call__caller=starter.user,
        reviewer=lead.user,
        verdict="needs_support",
        note=f"Read {address} before your next calls.",
        reviewed_at=timezone.now(),
    )
    f.HoursCapChangeFactory(
        profile=starter, changed_by=lead.user, reason=f"As agreed: {address}"
    )
    page.set_viewport_size(PHONE)
    sign_in(page, starter.user)
    page.goto(f"{live_server.url}/staff/training/")
    expect(page.get_by_text("before your next calls")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "my-training-long-note-375")
