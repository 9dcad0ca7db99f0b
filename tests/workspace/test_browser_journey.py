"""The whole journey in real headless Chromium: a tier 2 caseworker works a case to
completion, and a tier 3 call handler reaches one of the contacts it produced."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.workspace.conftest import CaseFactory, hold
from work.assignment import assign_work

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def staff(username: str, *, clinical: bool):
    profile = f.StaffProfileFactory(
        clinical=clinical,
        user__username=username,
        user__first_name="Ada" if clinical else "Cal",
        user__last_name="Hughes" if clinical else "Rivers",
    )
    f.ShiftFactory(staff=profile)
    return profile.user


def fill_contact(page, row: int, first: str, phone: str, day: dt.date) -> None:
    prefix = f"#id_contacts-{row}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "last_name", "Okafor")
    page.fill(prefix + "phone", phone)
    page.fill(prefix + "postcode", "s1 2hh")
    page.fill(prefix + "exposure_date", day.isoformat())
    page.select_option(prefix + "exposure", "household")


def test_caseworker_works_a_case_and_call_handler_reaches_a_contact(
    live_server, browser, sign_in, screenshot
):

    caseworker = staff("ada", clinical=True)
    handler = staff("cal", clinical=False)
    case_script = f.ScriptFactory(audience="case", name="Case interview (tier 2)")
    for order, title in enumerate(
        ["Introduce yourself", "Check how they are", "Isolation", "Contacts"], 1
    ):
        f.ScriptStepFactory(script=case_script, order=order, title=title)
    contact_script = f.ScriptFactory(audience="contact", name="Contact call (tier 3)")
    for order, title in enumerate(["Introduce yourself", "Isolation date"], 1):
        f.ScriptStepFactory(script=contact_script, order=order, title=title)
    f.KnowledgeArticleFactory(
        title="Support payments", keywords="money", body="A £500 payment."
    )
    case = hold(
        CaseFactory(person__first_name="Priya", person__last_name="Shah"), caseworker
    )
    today = timezone.localdate()

    # --- tier 2: sign in, lands on My work, takes the next item ------------------
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    sign_in(page, caseworker)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_role("link", name="Priya Shah")).to_be_visible()
    screenshot(page, "01-caseworker-my-work")
    page.get_by_role("button", name="Next item").click()
    expect(page).to_have_url(re.compile(rf"/cases/{case.pk}/$"))
    expect(page.get_by_role("heading", name="Call script")).to_be_visible()

    # Knowledge search in the same screen, swapped in by htmx (typed once the page
    # has loaded: htmx listens from then on, and a loaded CI machine typed first).
    page.wait_for_load_state()
    page.fill("#knowledge-q", "money")
    expect(page.locator("#article-results")).to_contain_text("Support payments")
    screenshot(page, "02-case-page")

    # --- a failed call, then a reached one, logged in place --------------------
    page.evaluate("window.notReloaded = true")
    page.get_by_label("No answer").check()
    page.get_by_role("button", name="Log the call").click()
    expect(page.locator("#call-panel")).to_contain_text("Logged: no answer.")
    expect(page.get_by_test_id("next-attempt")).not_to_be_empty()
    page.get_by_label("Reached", exact=True).check()
    page.get_by_role("button", name="Log the call").click()
    expect(page.get_by_test_id("status")).to_have_text("Reached")
    assert page.evaluate("window.notReloaded") is True  # htmx, not a page load
    screenshot(page, "03-case-calls-logged")

    # --- risk assessment -------------------------------------------------------
    onset = case.specimen_date - dt.timedelta(days=1)
    page.fill("#id_symptom_onset", onset.isoformat())
    page.fill("#id_occupation", "Nurse")
    page.select_option("#id_works_in", "hospital")
    page.fill("#id_household_size", "3")
    page.fill("#id_household_notes", "Husband and son")
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator("#assessment")).to_contain_text("Risk assessment saved")
    # A hospital is a complex setting: the case is still hers to finish the call
    # (tests/test_complex_from_assessment.py), and goes to its local team on completing.
    expect(page.locator("#assessment")).to_contain_text(
        "Hospital or clinic is a complex setting: when you complete this case"
    )
    ends = onset + dt.timedelta(days=10)
    expect(page.get_by_test_id("isolation")).to_contain_text(
        f"{ends:%A} {ends.day} {ends:%B %Y}"
    )

    # --- three contacts, one with a bad phone number, then fixed ---------------
    yesterday = today - dt.timedelta(days=1)
    fill_contact(page, 0, "Omar", "07400 123451", yesterday)
    fill_contact(page, 1, "Grace", "12345", yesterday)
    fill_contact(page, 2, "Ben", "0114 496 0123", yesterday)
    page.get_by_role("button", name="Add the contacts").click()
    bad_row = page.locator('fieldset[data-row="1"]')
    expect(bad_row).to_contain_text("This number is not in use in the UK")
    expect(page.locator("#id_contacts-0-first_name")).to_have_value("Omar")
    expect(page.locator("#id_contacts-1-phone")).to_have_value("12345")
    assert not Contact.objects.exists()
    screenshot(page, "04-contacts-with-an-error")
    page.fill("#id_contacts-1-phone", "07400 123452")
    page.get_by_role("button", name="Add the contacts").click()
    expect(page.locator("#contacts")).to_contain_text("3 contacts added")
    expect(page.locator("#contacts table")).to_contain_text("Grace Okafor")
    assert page.evaluate("window.notReloaded") is True  # every section in place
    screenshot(page, "05-case-page-with-contacts")

    # --- complete ----------------------------------------------------------------
    page.get_by_role("button", name="Complete the case").click()
    expect(page.locator(".messages")).to_contain_text("as a complex case")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    assert Case.objects.get(pk=case.pk).status == Status.ESCALATED
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context.close()

    # --- assignment gives the contacts to the call handler on shift ------------
    report = assign_work()
    assert report.assigned["contact"] == 3

    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-GB"
    )
    page = context.new_page()
    sign_in(page, handler)
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_role("link", name="Grace Okafor")).to_be_visible()
    screenshot(page, "06-call-handler-my-work")
    page.get_by_role("link", name="Grace Okafor").click()
    expect(page.get_by_test_id("isolation")).to_contain_text(
        f"{yesterday + dt.timedelta(days=10):%A}"
    )
    expect(page.locator("body")).not_to_contain_text("Priya")  # the case is private
    expect(page.locator("body")).not_to_contain_text("Nurse")
    screenshot(page, "07-contact-page")
    page.get_by_label("Reached", exact=True).check()
    page.get_by_role("button", name="Log the call").click()
    expect(page.get_by_test_id("status")).to_have_text("Reached")
    expect(page.locator("#call-panel")).to_contain_text("isolation advice is queued")
    screenshot(page, "08-contact-reached")
    grace = Contact.objects.get(person__first_name="Grace")
    assert grace.status == Status.REACHED
    context.close()
