"""The supervisor and rota pages in real headless Chromium."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from staffing.models import CallReview, Shift
from tests import factories as f
from tests.conftest import ensure_ons_areas
from work.assignment import assign_work
from work.calls import call_record

from .conftest import at, member, next_monday, supervisor_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A British browser: dates and times read as they do for the staff."""
    return {**browser_context_args, "locale": "en-GB", "timezone_id": "Europe/London"}


@pytest.fixture(autouse=True)
def areas(transactional_db):
    """A transactional test ends by emptying every table, the ONS areas the migration
    loaded included: load them again when an earlier test took them away."""
    ensure_ons_areas()


def test_booking_past_the_cap_warns_and_books_on_confirmation(
    live_server, browser, sign_in, screenshot
):
    team = f.TeamFactory(name="Clinical North", tier=2)
    lead = supervisor_of(team, user__first_name="Lena", user__last_name="Lead")
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
    week_url = f"{live_server.url}/staff/shifts/?week={monday.isoformat()}"

    staff_page = browser.new_page(locale="en-GB", timezone_id="Europe/London")
    sign_in(staff_page, worker.user)
    staff_page.goto(week_url)
    staff_page.get_by_role("button", name="Book").click()
    expect(staff_page.get_by_role("heading", level=1)).to_have_text(
        "Book a shift past your weekly cap?"
    )
    warning = staff_page.locator("#over-cap-warning")
    expect(warning).to_contain_text("would take you to 44 hours in the week of")
    expect(warning).to_contain_text("over your weekly cap of 42 hours")
    expect(warning).to_be_focused()
    screenshot(staff_page, "shifts-booking-over-cap-warning")
    assert Shift.objects.get(starts_at=at(friday, 8)).staff is None

    staff_page.get_by_role("button", name="Book anyway").click()
    expect(staff_page.get_by_role("status")).to_contain_text("Booked:")
    expect(staff_page.get_by_role("status")).to_contain_text(
        "You are booked for 44 hours that week, over your weekly cap of 42."
    )
    expect(staff_page.locator("#hours-booked")).to_contain_text("44 of 42 hours")
    screenshot(staff_page, "shifts-booked-over-cap")
    assert Shift.objects.get(starts_at=at(friday, 8)).staff == worker

    lead_page = browser.new_page(locale="en-GB", timezone_id="Europe/London")
    sign_in(lead_page, lead.user)
    lead_page.goto(f"{live_server.url}/staff/team/")
    row = lead_page.get_by_role("row", name="Asha Patel")
    # Next Monday's 08:00: "tomorrow" when the test runs on a Sunday.
    expect(row).to_contain_text(re.compile(r"No: off shift until 08:00 (tomorrow|on )"))
    row.get_by_role("link", name="Change cap").click()
    lead_page.fill("#id_new_cap", "61")
    lead_page.fill("#id_reason", "Surge cover")
    lead_page.get_by_role("button", name="Change the cap").click()
    summary = lead_page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        "61 hours is above the ceiling of 60 hours a week: no one may be booked for "
        "more."
    )
    expect(summary.get_by_role("link")).to_have_attribute("href", "#id_new_cap")
    screenshot(lead_page, "hours-cap-above-ceiling-refused")
    lead_page.fill("#id_new_cap", "48")
    lead_page.get_by_role("button", name="Change the cap").click()
    expect(lead_page.get_by_role("status")).to_contain_text(
        "Asha Patel's weekly cap is now 48 hours."
    )
    screenshot(lead_page, "team-after-cap-raised")


def test_bulk_reassignment_moves_the_work_and_writes_the_audit(
    live_server, page, sign_in, screenshot
):
    team = f.TeamFactory(name="Clinical North", tier=2)
    lead = supervisor_of(team)
    giver = member(team, user__first_name="Gina", user__last_name="Giver")
    taker = member(team, user__first_name="Theo", user__last_name="Taker")
    cases = [
        f.CaseFactory(
            status=Status.ASSIGNED,
            assignee=giver.user,
            assigned_at=timezone.now(),
            person__first_name=name,
            person__last_name="Case",
        )
        for name in ("Alpha", "Bravo", "Charlie")
    ]
    f.CaseFactory(person__first_name="Delta", person__last_name="Pool")
    sign_in(page, lead.user)
    page.goto(f"{live_server.url}/staff/work/")
    screenshot(page, "reassign-before")
    page.get_by_label("Choose Alpha Case").check()
    page.get_by_label("Choose Bravo Case").check()
    page.select_option("select[name=to]", label=None, value=str(taker.pk))
    page.fill("input[name=reason]", "Gina is off sick")
    page.get_by_role("button", name="Move ticked items").click()
    expect(page.get_by_role("status")).to_contain_text("Moved 2 cases to Theo Taker.")
    expect(page.get_by_role("row", name="Alpha Case")).to_contain_text("Theo Taker")
    expect(page.get_by_role("row", name="Charlie Case")).to_contain_text("Gina Giver")
    screenshot(page, "reassign-after")
    assert set(
        Case.objects.filter(assignee=taker.user).values_list("pk", flat=True)
    ) == {
        cases[0].pk,
        cases[1].pk,
    }
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.REASSIGN, user=lead.user
    )
    assert sorted(int(e.object_id) for e in events) == [cases[0].pk, cases[1].pk]
    assert {e.detail["reason"] for e in events} == {"Gina is off sick"}


def test_an_unverified_or_expired_registration_is_never_given_tier_2_work(
    live_server, page, sign_in, screenshot
):
    team = f.TeamFactory(name="Clinical North", tier=2)
    lead = supervisor_of(team)
    unverified = member(
        team,
        registration_verified_on=None,
        user__first_name="Uma",
        user__last_name="Unverified",
    )
    expired = member(
        team,
        registration_expires_on=timezone.localdate() - dt.timedelta(days=1),
        user__first_name="Eli",
        user__last_name="Expired",
    )
    case = f.CaseFactory()
    assign_work()
    case.refresh_from_db()
    assert case.assignee is None

    sign_in(page, lead.user)
    page.goto(f"{live_server.url}/staff/")
    warning = page.locator("#idle-warning")
    expect(warning).to_contain_text("Staff idle while work waits")
    expect(warning).to_contain_text("Uma Unverified (registration not verified)")
    expired_on = timezone.localdate() - dt.timedelta(days=1)
    expect(warning).to_contain_text(
        f"Eli Expired (registration expired on {expired_on:%-d %B}"
    )
    screenshot(page, "dashboard-idle-warning-registrations")

    page.goto(f"{live_server.url}/staff/registrations/")
    expect(page.get_by_role("row", name="Uma Unverified")).to_contain_text(
        "Not verified"
    )
    expect(page.get_by_role("row", name="Eli Expired")).to_contain_text("Expired")
    screenshot(page, "registrations")

    # Re-verifying the expired registration with its old date is refused.
    page.get_by_role("row", name="Eli Expired").get_by_role("link").click()
    page.get_by_role("button", name="verify").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text(
        "it cannot be verified"
    )
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    screenshot(page, "registration-expired-refused")
    assign_work()
    case.refresh_from_db()
    assert case.assignee is None

    page.goto(f"{live_server.url}/staff/registrations/")
    page.get_by_role("row", name="Uma Unverified").get_by_role(
        "link", name="Verify"
    ).click()
    page.fill(
        "#id_registration_expires_on",
        (timezone.localdate() + dt.timedelta(days=365)).isoformat(),
    )
    page.get_by_role("button", name="verify").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Verified Uma Unverified's registration."
    )
    assign_work()
    case.refresh_from_db()
    assert case.assignee == unverified.user
    assert not Case.objects.filter(assignee=expired.user).exists()


def test_a_new_starters_calls_reach_the_review_queue(
    live_server, page, sign_in, screenshot
):
    team = f.TeamFactory(name="Calls North", tier=3)
    lead = supervisor_of(team)
    starter = member(
        team, new_starter=True, user__first_name="Nia", user__last_name="New"
    )
    for name, outcome in (("Ola", Outcome.NO_ANSWER), ("Pat", Outcome.REACHED)):
        contact = f.ContactFactory(
            case__status=Status.COMPLETED,
            status=Status.ASSIGNED,
            assignee=starter.user,
            assigned_at=timezone.now(),
            person__first_name=name,
            person__last_name="Contact",
        )
        call_record(
            item=contact,
            caller=starter.user,
            outcome=outcome,
            duration_seconds=240,
            notes=f"Spoke about isolation with {name}",
        )
    assert CallReview.objects.filter(call__caller=starter.user).count() == 2

    sign_in(page, lead.user)
    page.goto(f"{live_server.url}/staff/")
    expect(
        page.locator(".app-figure").filter(has_text="calls to review")
    ).to_contain_text("2")
    page.get_by_role("link", name="calls to review").click()
    first = page.locator(".app-review").filter(has_text="Ola Contact")
    expect(first).to_contain_text("Nia New called Ola Contact")
    expect(page.locator(".app-review").filter(has_text="Pat Contact")).to_contain_text(
        "Reached"
    )
    screenshot(page, "review-queue")
    first.get_by_label("Good").check()
    first.get_by_label("Note for the starter").fill("Calm and clear")
    first.get_by_role("button", name="Record review").click()
    expect(
        page.locator(".app-review").filter(has_text="Reviewed Nia New's call")
    ).to_contain_text("Calm and clear")
    screenshot(page, "review-recorded")
    page.get_by_role("row", name="Nia New").get_by_role(
        "button", name="Sign off"
    ).click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Review their waiting calls before signing them off."
    )
    reviewed = CallReview.objects.get(call__contact__person__first_name="Ola")
    assert (reviewed.verdict, reviewed.reviewer) == ("good", lead.user)


def test_supervisor_publishes_a_surge_and_sees_the_rota(
    live_server, page, sign_in, screenshot
):
    team = f.TeamFactory(name="Calls North", tier=3)
    lead = supervisor_of(team)
    worker = member(team, user__first_name="Ravi", user__last_name="Rota")
    f.CallAttemptFactory(
        caller=worker.user, started_at=timezone.now() - dt.timedelta(minutes=20)
    )
    monday = next_monday()
    sign_in(page, lead.user)
    page.goto(f"{live_server.url}/staff/team/shifts/publish/")
    page.fill("#id_first_day", monday.isoformat())
    page.fill("#id_last_day", (monday + dt.timedelta(days=6)).isoformat())
    page.fill("#id_starts", "20:00")
    page.fill("#id_ends", "04:00")
    page.fill("#id_count", "3")
    screenshot(page, "publish-form")
    page.get_by_role("button", name="Publish slots").click()
    expect(page.get_by_role("status")).to_contain_text("Published 15 open slots.")
    expect(page.locator(".app-slot--open").first).to_contain_text("3 open")
    screenshot(page, "team-rota")
    page.goto(f"{live_server.url}/staff/")
    screenshot(page, "dashboard")
    page.goto(f"{live_server.url}/staff/utilisation/")
    screenshot(page, "utilisation")
    assert Shift.objects.filter(team=team, status=Shift.Status.OPEN).count() == 15
