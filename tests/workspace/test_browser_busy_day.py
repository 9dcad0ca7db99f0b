"""A busy day at the desk, in real headless Chromium, on a desktop and on a phone
(375 px wide): a session that ended sends the whole page to sign in and back with
the typing; the next call is never after the deadline for the local team; a page
that cannot be shown says why, in the service's own design, with a way back; and a
phone number not in use says what to do, one tap from the field."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_otp.oath import hotp
from playwright.sync_api import expect

from accounts.policy import two_factor_required
from calls.models import CallAttempt
from cases.models import Case, RiskAssessment
from tests import factories as f
from tests.conftest import enrolled_device, ensure_ons_areas
from tests.workspace import test_browser_desk as desk_tests
from tests.workspace.conftest import CaseFactory, hold
from work.rules import LAST_CALL_BEFORE_DEADLINE, CallRule

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The desk's own fixtures and helpers (tests/workspace/test_browser_desk.py).
desk = desk_tests.desk
open_page = desk_tests.open_page
SIZES = desk_tests.SIZES
label = desk_tests.label
case_path = desk_tests.case_path
draft_saved = desk_tests.draft_saved
fill_contact = desk_tests.fill_contact
no_sideways_scroll = desk_tests.no_sideways_scroll

TYPING_BACK = (
    "You were signed out before your changes were saved. What you typed is back in "
    "the form: check it and save it again."
)
SIGNED_OUT = "You were signed out after a while without activity."
NHS_BLUE = "rgb(0, 94, 184)"


@pytest.fixture(autouse=True)
def areas(transactional_db):
    ensure_ons_areas()


# --- helpers ------------------------------------------------------------------------


def end_the_session(user) -> None:
    """As an idle timeout ends it: the server's session is past its expiry, so the
    server no longer knows it; the browser still sends its cookie."""
    ended = Session.objects.filter(
        session_key__in=[
            s.session_key
            for s in Session.objects.all()
            if s.get_decoded().get("_auth_user_id") == str(user.pk)
        ]
    ).update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    assert ended, "the user had no session to end"


def next_unused_code(user) -> str:
    """The code the user's authenticator app shows by the time they need one again:
    a code is taken once, so after one sign-in it is the next step's."""
    device = enrolled_device(user)
    device.refresh_from_db()
    now_t = int((timezone.now().timestamp() - device.t0) // device.step)
    code = hotp(device.bin_key, max(now_t, device.last_t + 1), digits=device.digits)
    return f"{code:0{device.digits}d}"


def sign_in_here(page, user) -> None:
    """Sign in on the sign-in page the browser was sent to (it knows where next)."""
    page.fill("#id_username", user.username)
    page.fill("#id_password", f.PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if two_factor_required(user):
        page.fill("#id_code", next_unused_code(user))
        page.click("main button[type=submit]")
        page.wait_for_load_state()


def expect_the_sign_in_page_for(page, path: str) -> None:
    """The whole browser is on the sign-in page, which says why, and goes back to
    `path` (the page, not the address the form posts to) after signing in."""
    expect(page).to_have_url(re.compile(r"/accounts/login/\?"))
    assert parse_qs(urlsplit(page.url).query) == {"next": [path], "expired": ["1"]}
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text(SIGNED_OUT)
    # Never a sign-in form inside a section of the case page.
    expect(page.locator("#call-panel, #assessment")).to_have_count(0)
    expect(page.locator("#id_password")).to_have_count(1)


# --- 1. the session ended ------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_call_logged_after_the_session_ended_signs_in_and_back_with_the_notes(
    desk, open_page, screenshot, live_server, size
):
    user, case = desk
    notes = "Rang at 10:05, voicemail full; try the landline"
    page = open_page(user, case_path(case), size)
    panel = page.locator("#call-panel")
    panel.get_by_label("No answer").check()
    panel.get_by_label("Notes").fill(notes)

    end_the_session(user)
    panel.get_by_role("button", name="Log the call").click()

    expect_the_sign_in_page_for(page, case_path(case))
    assert page.dialogs == []  # the page was sent away: no "leave this page?" on top
    assert not CallAttempt.objects.filter(case=case).exists()
    screenshot(page, f"busy-call-signed-out-{label(size)}")

    sign_in_here(page, user)
    expect(page).to_have_url(f"{live_server.url}{case_path(case)}")
    expect(page.get_by_role("heading", name="Priya Shah", level=1)).to_be_visible()
    expect(page.locator("#messages")).to_contain_text(TYPING_BACK)
    panel = page.locator("#call-panel")
    expect(panel.get_by_label("Notes")).to_have_value(notes)
    expect(panel.get_by_label("No answer")).to_be_checked()
    expect(panel.locator("#id_password")).to_have_count(0)
    assert not CallAttempt.objects.filter(case=case).exists()  # typed, not logged
    assert no_sideways_scroll(page)
    screenshot(page, f"busy-call-typing-back-{label(size)}")

    # Checked and sent again, it is logged once.
    panel.get_by_role("button", name="Log the call").click()
    expect(page.locator("#call-notice")).to_contain_text("Logged: no answer.")
    assert list(
        CallAttempt.objects.filter(case=case).values_list("outcome", "notes")
    ) == [("no_answer", notes)]


@pytest.mark.parametrize("size", SIZES)
def test_the_assessment_saved_after_the_session_ended_keeps_the_clinical_notes(
    desk, open_page, screenshot, live_server, size
):
    user, case = desk
    notes = "Mild cough since Sunday; asthma, uses a blue inhaler"
    page = open_page(user, case_path(case), size)
    page.fill("#id_occupation", "Nurse")
    page.fill("#id_clinical_notes", notes)
    page.keyboard.press("Tab")  # on to "Save the assessment"
    expect(page.get_by_role("button", name="Save the assessment")).to_be_focused()
    draft_saved(
        case, user, "assessment", lambda data: data.get("clinical_notes") == notes
    )
    page.wait_for_timeout(1_000)  # away from the desk: nothing more is sent
    expect(page.get_by_role("heading", name="Priya Shah", level=1)).to_be_visible()

    # Back at the desk after the session ended: "Save the assessment".
    end_the_session(user)
    statuses = []
    page.on("response", lambda response: statuses.append(response.status))
    page.get_by_role("button", name="Save the assessment").click()

    expect_the_sign_in_page_for(page, case_path(case))
    assert page.dialogs == []
    screenshot(page, f"busy-assessment-signed-out-{label(size)}")

    sign_in_here(page, user)
    expect(page).to_have_url(f"{live_server.url}{case_path(case)}")
    expect(page.get_by_role("heading", name="Priya Shah", level=1)).to_be_visible()
    assert 405 not in statuses  # never sent back to the address the form posts to
    expect(page.locator("#messages")).to_contain_text(TYPING_BACK)
    expect(page.locator("#id_clinical_notes")).to_have_value(notes)
    expect(page.locator("#id_occupation")).to_have_value("Nurse")
    assert not RiskAssessment.objects.filter(case=case).exists()  # typed, not saved
    screenshot(page, f"busy-assessment-typing-back-{label(size)}")

    # Checked and saved again, it is saved.
    page.fill("#id_symptom_onset", case.specimen_date.isoformat())
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("#assessment-notice")).to_contain_text("Risk assessment saved")
    assert RiskAssessment.objects.get(case=case).clinical_notes == notes


def test_typing_in_the_assessment_after_the_session_ended_is_back_after_signing_in(
    desk, open_page, live_server
):
    """The draft sent as they type is the first request to meet the ended session:
    its typing is kept through signing in and put back, with the message."""
    user, case = desk
    page = open_page(user, case_path(case), desk_tests.DESKTOP)
    end_the_session(user)
    notes = "Asthma, uses a blue inhaler"
    page.fill("#id_clinical_notes", notes)

    # The draft sent as it is typed meets the ended session: to sign in, whole page.
    expect_the_sign_in_page_for(page, case_path(case))
    sign_in_here(page, user)
    expect(page).to_have_url(f"{live_server.url}{case_path(case)}")
    expect(page.locator("#id_clinical_notes")).to_have_value(notes, timeout=2_000)
    expect(page.locator("#messages")).to_contain_text(TYPING_BACK, timeout=2_000)


# --- 2. the next call is never after the deadline for the local team ----------------


def shown_time(text: str) -> dt.datetime:
    """A time as the page shows it ("11:30, Tue 12 Jan" in the panel, "11:30 on Tue
    12 Jan" in a confirmation), in this year (or the next, just after New Year)."""
    match = re.search(r"(\d{2}:\d{2})(?:,| on) \w{3} (\d{1,2} \w{3})", text)
    assert match, f"no time in {text!r}"
    today = timezone.localdate()
    for year in (today.year, today.year + 1):
        moment = dt.datetime.strptime(
            f"{match[2]} {year} {match[1]}", "%d %b %Y %H:%M"
        ).replace(tzinfo=timezone.get_current_timezone())
        if moment >= timezone.localtime() - dt.timedelta(days=2):
            return moment
    raise AssertionError(f"{text!r} is not near now")


def panel_value(page, key: str):
    row = page.locator("#item-status .nhsuk-summary-list__row", has_text=key)
    return row.locator("dd")


@pytest.mark.parametrize(
    ("deadline_in", "expected"),
    [
        pytest.param(dt.timedelta(minutes=90), "brought forward", id="brought-forward"),
        pytest.param(dt.timedelta(minutes=45), "local team", id="to-the-local-team"),
    ],
)
@pytest.mark.parametrize("size", SIZES)
def test_no_answer_near_the_deadline_never_schedules_a_call_after_it(
    desk, open_page, screenshot, size, deadline_in, expected
):
    """The usual retry of a case is 2 hours on; with the deadline 90 minutes away it
    would fall after it: it is brought forward. With 45 minutes left there is no time
    for another call: it goes to the local team."""
    user, case = desk
    rule = CallRule.for_kind("case")
    deadline = timezone.now() + deadline_in
    assert timezone.now() + rule.min_gap > deadline  # the usual retry is too late
    Case.objects.filter(pk=case.pk).update(escalate_due_at=deadline)
    page = open_page(user, case_path(case), size)
    expect(panel_value(page, "To the local team if not reached by")).to_have_text(
        timezone.localtime(deadline).strftime("%H:%M, %a %-d %b")
    )

    page.locator("#call-panel").get_by_label("No answer").check()
    page.locator("#call-panel").get_by_role("button", name="Log the call").click()
    notice = page.locator("#call-notice")
    expect(notice).to_contain_text("Logged: no answer.")
    shown_next = panel_value(page, "Next attempt")
    shown_deadline = panel_value(page, "To the local team if not reached by")
    case.refresh_from_db()
    screenshot(page, f"busy-next-attempt-{expected.replace(' ', '-')}-{label(size)}")

    if expected == "brought forward":
        # The last call is due before the deadline, so it can be made.
        next_at = shown_time(shown_next.inner_text())
        by = shown_time(shown_deadline.inner_text())
        assert next_at <= by - LAST_CALL_BEFORE_DEADLINE
        assert next_at > timezone.localtime()
        assert shown_time(notice.inner_text()) == next_at  # "Next attempt 11:00 on …"
        assert case.next_attempt_at <= case.escalate_due_at
        assert case.escalate_due_at == deadline  # the deadline itself did not move
    else:
        expect(shown_next).to_have_text("None: it goes to the local team")
        expect(notice).to_contain_text(
            "No more attempts by phone: it goes to the local team next."
        )
        assert case.next_attempt_at is None or (
            case.next_attempt_at <= case.escalate_due_at
        )
        assert case.escalate_due_at <= deadline


# --- 3. pages that cannot be shown --------------------------------------------------


def expect_the_service_design(page) -> None:
    """The NHS header and the service's styles, as on every other page."""
    header = page.locator("header.nhsuk-header")
    expect(header).to_be_visible()
    expect(header.get_by_role("img", name="NHS")).to_be_visible()
    expect(header).to_contain_text("Contact tracing service")
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") == NHS_BLUE
    expect(page.locator("footer.nhsuk-footer")).to_be_visible()


@pytest.mark.parametrize("size", SIZES)
def test_another_caseworkers_case_and_a_missing_page_say_why_with_a_way_back(
    desk, open_page, screenshot, live_server, size
):
    user, _ = desk
    colleague = f.StaffProfileFactory(clinical=True, user__username="bea")
    f.ShiftFactory(staff=colleague)
    theirs = hold(
        CaseFactory(person__first_name="Tomasz", person__last_name="Nowak"),
        colleague.user,
    )
    page = open_page(user, "/work/", size)

    response = page.goto(f"{live_server.url}{case_path(theirs)}")
    assert response.status == 403
    expect(page.get_by_role("heading", name="You cannot see this page")).to_be_visible()
    expect(page.locator("main")).to_contain_text("This case is not yours to work.")
    expect(page.locator("main")).not_to_contain_text("Nowak")  # nothing of the case
    expect_the_service_design(page)
    assert no_sideways_scroll(page)
    screenshot(page, f"busy-403-{label(size)}")
    page.locator("main").get_by_role("link", name=re.compile("home|My work")).click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/work/")

    response = page.goto(f"{live_server.url}/cases/{theirs.pk + 1000}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.locator("main")).to_contain_text("No such case.")
    expect_the_service_design(page)
    assert no_sideways_scroll(page)
    screenshot(page, f"busy-404-{label(size)}")
    page.locator("main").get_by_role("link", name=re.compile("home|My work")).click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()

    response = page.goto(f"{live_server.url}/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect_the_service_design(page)

    favicon = page.request.get(f"{live_server.url}/favicon.ico")
    assert favicon.status == 200
    assert favicon.headers["content-type"].startswith("image/")
    assert favicon.body()


# --- 4. a phone number not in use ---------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_contacts_phone_not_in_use_says_what_to_do_and_links_to_the_field(
    desk, open_page, screenshot, size
):
    user, case = desk
    page = open_page(user, case_path(case), size)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    fill_contact(page, 0, "Omar", "07400 123451", yesterday)
    fill_contact(page, 1, "Grace", "07911 345678", yesterday)  # well formed, unused
    page.get_by_role("button", name="Add the contacts").click()

    message = "This number is not in use in the UK: check it with them."
    summary = page.locator("#contacts .nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    link = summary.get_by_role("link", name=message)
    expect(link).to_have_attribute("href", "#id_contacts-1-phone")
    # At the field itself, in that row, and read out with it.
    error = page.locator("#id_contacts-1-phone-error")
    expect(error).to_contain_text(message)
    expect(page.locator("#id_contacts-1-phone-group")).to_have_class(
        re.compile(r"nhsuk-form-group--error")
    )
    expect(page.locator("#id_contacts-1-phone")).to_have_attribute(
        "aria-describedby", re.compile(r"\bid_contacts-1-phone-error\b")
    )
    expect(page.locator("#id_contacts-0-phone-error")).to_have_count(0)
    assert not case.contacts.exists()  # all the rows, or none
    assert no_sideways_scroll(page)
    screenshot(page, f"busy-phone-not-in-use-{label(size)}")

    link.click()
    phone = page.locator("#id_contacts-1-phone")
    expect(phone).to_be_focused()
    expect(phone).to_be_in_viewport()
    expect(phone).to_have_value("07911 345678")  # as typed, to check with them
    expect(page.locator("#id_contacts-0-first_name")).to_have_value("Omar")
