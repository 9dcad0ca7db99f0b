"""A busy day at the desk, in real headless Chromium, on a desktop and on a phone
(375 px wide): typing survives the other sections' saves, nothing typed is left
behind by completing, errors link to the very field, the call script is one tap from
the top, no page scrolls sideways, and a confirmation takes focus."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import Outcome
from cases.models import Case, CaseDraft, RiskAssessment
from cases.workitem import Status
from tests import factories as f
from tests.workspace.conftest import CaseFactory, ContactFactory, hold
from work.calls import call_record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
SIZES = [pytest.param(DESKTOP, id="desktop"), pytest.param(PHONE, id="375")]
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


def label(size: dict) -> str:
    return "375" if size["width"] == 375 else "desktop"


@pytest.fixture
def desk(live_server):
    """A tier 2 caseworker on shift with a case in their queue, and the scripts."""
    profile = f.StaffProfileFactory(
        clinical=True,
        user__username="ada",
        user__first_name="Ada",
        user__last_name="Hughes",
    )
    f.ShiftFactory(staff=profile)
    script = f.ScriptFactory(audience="case", name="Case interview (tier 2)")
    for order, title in enumerate(
        ["Introduce yourself", "Check how they are", "Isolation", "Contacts"], 1
    ):
        f.ScriptStepFactory(script=script, order=order, title=title)
    case = hold(
        CaseFactory(person__first_name="Priya", person__last_name="Shah"), profile.user
    )
    return profile.user, case


@pytest.fixture
def open_page(browser, sign_in, live_server):
    """A signed-in page of the given size on a case (or any path); dialogs are
    recorded and answered "OK"."""
    contexts = []

    def do(user, path: str, size: dict):
        context = browser.new_context(viewport=size, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.dialogs = []

        def answer(dialog):
            page.dialogs.append(dialog.message)
            dialog.accept()

        page.on("dialog", answer)
        sign_in(page, user)
        page.goto(f"{live_server.url}{path}")
        page.evaluate("window.notReloaded = true")
        return page

    yield do
    for context in contexts:
        context.close()


def case_path(case) -> str:
    return f"/cases/{case.pk}/"


def reached_and_assessed(case, user):
    call_record(item=case, caller=user, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=user)


def draft_saved(case, user, section: str, check, timeout: float = 8.0) -> dict:
    """Wait for the draft the page sends as it is typed (htmx, after a pause)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        draft = CaseDraft.objects.filter(case=case, user=user, section=section).first()
        if draft is not None and check(draft.data):
            return draft.data
        time.sleep(0.1)
    raise AssertionError(f"no {section} draft as expected was saved")


def fill_contact(page, row: int, first: str, phone: str, day: dt.date) -> None:
    prefix = f"#id_contacts-{row}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "last_name", "Okafor")
    page.fill(prefix + "phone", phone)
    page.fill(prefix + "postcode", "S1 2HH")
    page.fill(prefix + "exposure_date", day.isoformat())
    page.select_option(prefix + "exposure", "household")


def no_sideways_scroll(page) -> bool:
    return page.evaluate(NO_SIDEWAYS_SCROLL)


# --- typing survives the other sections -------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_typed_assessment_survives_adding_contacts_and_a_reload(
    desk, open_page, screenshot, size
):
    user, case = desk
    page = open_page(user, case_path(case), size)
    page.fill("#id_occupation", "Nurse")
    page.fill("#id_clinical_notes", "Mild cough; typed, not saved")

    fill_contact(page, 0, "Omar", "07400 123451", timezone.localdate())
    page.get_by_role("button", name="Add the contacts").click()
    expect(page.locator("#contacts-notice")).to_contain_text("1 contact added")
    expect(page.locator("#contacts table")).to_contain_text("Omar Okafor")

    # The assessment was not sent, and what was typed in it is still there.
    expect(page.locator("#id_occupation")).to_have_value("Nurse")
    expect(page.locator("#id_clinical_notes")).to_have_value(
        "Mild cough; typed, not saved"
    )
    assert page.evaluate("window.notReloaded") is True  # in place, not a page load
    assert not RiskAssessment.objects.filter(case=case).exists()
    screenshot(page, f"desk-typing-survives-{label(size)}")

    # It was kept as a draft: drawn in again when the page is drawn again.
    draft_saved(
        case,
        user,
        "assessment",
        lambda data: data.get("clinical_notes") == "Mild cough; typed, not saved",
    )
    page.reload()
    expect(page.locator("#id_clinical_notes")).to_have_value(
        "Mild cough; typed, not saved"
    )
    expect(page.locator("#assessment")).to_contain_text("It is not saved yet.")
    assert page.dialogs == []  # the draft was kept: leaving did not need to ask

    # Saving the assessment clears the draft.
    page.fill("#id_symptom_onset", case.specimen_date.isoformat())
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("#assessment-notice")).to_contain_text("Risk assessment saved")
    expect(page.locator("#assessment")).not_to_contain_text("It is not saved yet.")
    assert not CaseDraft.objects.filter(case=case, section="assessment").exists()


# --- completing with typing left ---------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_a_half_entered_contact_row_blocks_completing_with_a_clear_message(
    desk, open_page, screenshot, size
):
    user, case = desk
    reached_and_assessed(case, user)
    page = open_page(user, case_path(case), size)

    page.fill("#id_contacts-0-first_name", "Grace")
    page.fill("#id_contacts-0-phone", "07911")
    # Straight away, before its draft is sent: the page asks first.
    page.get_by_role("button", name="Complete the case").click()
    expect(page.locator("#complete .nhsuk-error-summary")).to_be_visible()
    assert page.dialogs == [
        "You have typed contacts or notes that are not saved. Complete the case anyway?"
    ]
    # "Anyway" was answered: the server still refuses, and says what to do.
    summary = page.locator("#complete .nhsuk-error-summary")
    expect(summary).to_contain_text(
        "You have 1 contact typed but not added: add it, or clear the rows, before "
        "completing."
    )
    expect(summary).to_be_focused()
    assert Case.objects.get(pk=case.pk).status == Status.REACHED
    expect(page.locator("#id_contacts-0-first_name")).to_have_value("Grace")
    screenshot(page, f"desk-complete-refused-{label(size)}")

    # The link goes to the row itself.
    summary.get_by_role("link").click()
    expect(page.locator("#id_contacts-0-first_name")).to_be_focused()

    # Later, with the typing kept as a draft (nothing to ask), still refused.
    draft_saved(case, user, "contacts", lambda data: bool(data.get("rows")))
    # The summary already says so: wait for this answer itself, or the next click
    # lands while its swap scrolls the page to the summary.
    with page.expect_response(lambda r: r.url.endswith(f"/cases/{case.pk}/complete/")):
        page.get_by_role("button", name="Complete the case").click()
    expect(summary).to_contain_text("1 contact typed but not added")
    assert Case.objects.get(pk=case.pk).status == Status.REACHED

    # Clearing the rows, then saying there were no contacts, completes the case.
    page.get_by_role("button", name="Clear the rows").click()
    expect(page.locator("#contacts-notice")).to_contain_text("cleared")
    expect(page.locator("#id_contacts-0-first_name")).to_have_value("")
    page.get_by_role("button", name="Complete the case").click()
    expect(summary).to_contain_text("No contacts are recorded for Priya Shah")
    page.get_by_label("This case had no contacts").check()
    page.get_by_role("button", name="Complete the case").click()
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.locator(".messages")).to_contain_text("completed")
    assert Case.objects.get(pk=case.pk).status == Status.COMPLETED


# --- errors link to the field -----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_the_contacts_error_summary_links_to_the_field_in_its_row(
    desk, open_page, screenshot, size
):
    user, case = desk
    page = open_page(user, case_path(case), size)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    fill_contact(page, 0, "Omar", "07400 123451", yesterday)
    fill_contact(page, 1, "Grace", "07400 123452", yesterday)
    page.fill("#id_contacts-1-postcode", "")
    page.get_by_role("button", name="Add the contacts").click()

    summary = page.locator("#contacts .nhsuk-error-summary")
    expect(summary).to_be_focused()
    link = summary.get_by_role("link", name="Enter their postcode, such as S1 2HE.")
    expect(link).to_have_attribute("href", "#id_contacts-1-postcode")
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("window.scrollY") > 0  # not back at the top of the page
    screenshot(page, f"desk-contacts-error-{label(size)}")

    link.click()
    expect(page.locator("#id_contacts-1-postcode")).to_be_focused()
    expect(page.locator('fieldset[data-row="1"] .nhsuk-error-message')).to_contain_text(
        "Enter their postcode, such as S1 2HE."
    )
    expect(page.locator("#id_contacts-0-first_name")).to_have_value("Omar")
    assert no_sideways_scroll(page)


# --- a confirmation takes focus ----------------------------------------------------------


@pytest.mark.parametrize("size", SIZES)
def test_after_logging_a_call_in_place_the_confirmation_has_focus(
    desk, open_page, screenshot, size
):
    user, case = desk
    page = open_page(user, case_path(case), size)
    page.get_by_label("No answer").check()
    page.get_by_role("button", name="Log the call").click()
    notice = page.locator("#call-notice")
    expect(notice).to_contain_text("Logged: no answer.")
    expect(notice).to_be_focused()
    expect(notice).to_be_in_viewport()
    assert page.evaluate("window.notReloaded") is True
    screenshot(page, f"desk-call-logged-{label(size)}")


# --- a phone ---------------------------------------------------------------------------


def test_the_call_script_is_one_tap_from_the_top_on_a_phone(
    desk, open_page, screenshot
):
    user, case = desk
    page = open_page(user, case_path(case), PHONE)
    jump = page.get_by_role("link", name="Call script")
    expect(jump).to_be_in_viewport()  # at the top, without scrolling
    screenshot(page, "desk-case-375")
    jump.click()
    script = page.locator("#call-script")
    expect(script).to_be_in_viewport()
    expect(script.get_by_role("heading", name="Call script")).to_be_in_viewport()
    # On a phone it comes right after the person's summary, before the long forms.
    person = page.locator("section[aria-labelledby=person-h]").bounding_box()
    script_box = script.bounding_box()
    calls = page.locator("#call-panel").bounding_box()
    assert person["y"] < script_box["y"] < calls["y"]
    assert no_sideways_scroll(page)


def test_on_a_desktop_the_script_sits_beside_the_work(desk, open_page, screenshot):
    user, case = desk
    page = open_page(user, case_path(case), DESKTOP)
    script = page.locator("#call-script").bounding_box()
    calls = page.locator("#call-panel").bounding_box()
    assert script["x"] > calls["x"] + calls["width"]  # a column of its own
    assert script["y"] < calls["y"]
    screenshot(page, "desk-case-desktop")


def test_no_desk_page_scrolls_sideways_on_a_phone(desk, open_page, screenshot):
    user, case = desk
    for n in range(3):
        hold(CaseFactory(person__last_name=f"Longname-Featherstonehaugh{n}"), user)
    for _ in range(3):
        ContactFactory(case=case)
        f.CallAttemptFactory(
            contact=None, case=case, caller=user, notes="Asked to call back later"
        )
    f.SettingVisitFactory(case=case)

    page = open_page(user, "/work/", PHONE)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "desk-queue-375")

    page = open_page(user, case_path(case), PHONE)
    expect(page.locator("#contacts table")).to_be_visible()
    assert no_sideways_scroll(page)
    # With errors on the page too.
    page.get_by_role("button", name="Add the contacts").click()
    expect(page.locator("#contacts .nhsuk-error-summary")).to_be_visible()
    page.get_by_role("button", name="Add the visit").click()
    expect(page.locator("#settings .nhsuk-error-summary")).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "desk-case-with-errors-375")

    handler = f.StaffProfileFactory(user__username="cal")
    f.ShiftFactory(staff=handler)
    contact = hold(ContactFactory(case=case), handler.user)
    page = open_page(handler.user, f"/contacts/{contact.pk}/", PHONE)
    expect(page.get_by_role("heading", name="Call script")).to_be_attached()
    assert no_sideways_scroll(page)
    screenshot(page, "desk-contact-375")
