"""The online route in real headless Chromium on a phone (375 px wide): a case opens
the link in their text and names two people and a place; each person is texted their
own link; one confirms, the other does not and, once the hours are up, is given to a
call handler on shift. And the link pages pass the accessibility check."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import SettingKind, SettingVisit
from cases.workitem import Route, Status
from contacts.models import Contact
from notify.backends import read_sent
from pages.online import limits
from tests import factories as f
from tests.test_accessibility import serious
from work.assignment import assign_work
from work.online import online_case_invite, online_contact_tell

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 375, "height": 800}
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"
NOT_IN_USE = "This number is not in use in the UK: check it with them."


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


@pytest.fixture
def sent(settings, tmp_path, run_tasks_here):
    """Messages go out as a worker would send them once each change commits (the
    live server's requests commit for real), to the file backend in this test's own
    folder, and are read back from it."""
    settings.NOTIFY_SMS_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_FILE_DIR = str(tmp_path)
    return lambda kind: [m for m in read_sent(tmp_path) if m["kind"] == kind]


@pytest.fixture
def phone(browser):
    """A fresh phone-sized browser page (no cookies: nobody is signed in)."""
    contexts = []

    def open_one():
        context = browser.new_context(viewport=PHONE, locale="en-GB")
        contexts.append(context)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


def link_in(message: dict) -> str:
    """The link in a message's body: the address its person opens."""
    return next(word for word in message["body"].split() if "/o/" in word)


def on_this_server(link: str, live_server) -> str:
    return live_server.url + "/o/" + link.split("/o/", 1)[1]


def no_sideways_scroll(page) -> bool:
    return page.evaluate(NO_SIDEWAYS_SCROLL)


def fill_person(page, row: int, first: str, last: str, phone: str, day, household):
    prefix = f"#id_contact-{row}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "last_name", last)
    page.fill(prefix + "phone", phone)
    page.fill(prefix + "last_near", day.isoformat())
    page.check(prefix + ("household_0" if household else "household_1"))


def test_a_case_names_two_people_one_confirms_the_other_is_phoned(
    clock, live_server, phone, sent, sign_in, screenshot, settings
):
    settings.TRACING_ONLINE_CONTACT_HOURS = 8
    today = timezone.localdate()
    case = f.CaseFactory(
        person__first_name="Priya",
        person__last_name="Shah",
        person__phone="+447400111222",
    )
    online_case_invite(case=case, now=timezone.now())
    (invite,) = sent("case_link")
    assert invite["to"] == "+447400111222"

    # --- the case opens their link and names two people and a place ----------------
    page = phone()
    page.goto(on_this_server(link_in(invite), live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Priya, tell us who you have been near"
    )
    expect(page.locator("main")).to_contain_text("Stay at home and self-isolate")
    fill_person(page, 0, "Omar", "Ali", "07400 123451", today - dt.timedelta(1), True)
    fill_person(page, 1, "Grace", "Okafor", "07911 345678", today, False)
    page.select_option("#id_place-0-kind", SettingKind.WORKPLACE)
    page.fill("#id_place-0-name", "Steel Works")
    page.fill("#id_place-0-visited_on", (today - dt.timedelta(2)).isoformat())
    assert no_sideways_scroll(page)
    screenshot(page, "online-case-filled-375")

    # Switching to Welsh and back keeps every row typed, and sends nothing.
    page.wait_for_load_state()
    page.get_by_role("button", name="Cymraeg").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Priya, dywedwch wrthym pwy rydych wedi bod yn agos atynt"
    )
    expect(page.locator("#id_contact-1-first_name")).to_have_value("Grace")
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    page.wait_for_load_state()  # the page's script, which asks before leaving typing
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Priya, tell us who you have been near"
    )
    expect(page.locator("#id_contact-0-phone")).to_have_value("07400 123451")
    expect(page.locator("#id_place-0-name")).to_have_value("Steel Works")
    assert not Contact.objects.filter(case=case).exists()
    page.get_by_role("button", name="Send").click()

    # The number that is not in use is shown, in a summary that takes focus.
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    error_link = summary.get_by_role("link", name=NOT_IN_USE)
    expect(error_link).to_have_attribute("href", "#id_contact-1-phone")
    expect(page.locator("#id_contact-0-first_name")).to_have_value("Omar")
    expect(page.locator("#id_place-0-name")).to_have_value("Steel Works")
    assert page.title().startswith("Error: ")
    assert no_sideways_scroll(page)
    screenshot(page, "online-case-error-375")
    assert not Contact.objects.filter(case=case).exists()

    # The link goes to the very field; it is put right and sent again.
    error_link.click()
    expect(page.locator("#id_contact-1-phone")).to_be_focused()
    page.fill("#id_contact-1-phone", "07400 123452")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(page.locator("main")).not_to_contain_text("Omar")
    screenshot(page, "online-case-thanks-375")

    case.refresh_from_db()
    assert case.reached_route == Route.ONLINE
    assert case.status == Status.COMPLETED
    assert SettingVisit.objects.filter(case=case, setting__name="Steel Works").exists()

    # --- each person has their own text, with their own link ------------------------
    told = {m["to"]: m for m in sent("contact_link")}
    assert set(told) == {"+447400123451", "+447400123452"}
    omar = Contact.objects.get(case=case, person__first_name="Omar")
    grace = Contact.objects.get(case=case, person__first_name="Grace")
    assert link_in(told["+447400123451"]) != link_in(told["+447400123452"])

    # Omar opens his and says he will stay at home, with the keyboard.
    page = phone()
    page.goto(on_this_server(link_in(told["+447400123451"]), live_server))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Omar, you need to self-isolate"
    )
    expect(page.locator("body")).not_to_contain_text("Priya")
    expect(page.locator("body")).not_to_contain_text("Shah")
    assert no_sideways_scroll(page)
    screenshot(page, "online-contact-375")
    page.focus("#id_will_isolate_0")
    page.keyboard.press("Space")
    expect(page.locator("#id_will_isolate_0")).to_be_checked()
    page.get_by_role("button", name="Send").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    screenshot(page, "online-contact-thanks-375")
    omar.refresh_from_db()
    assert omar.status == Status.REACHED
    assert omar.reached_route == Route.ONLINE

    # --- Grace does not answer: once the hours are up, a call handler phones her ------
    handler = f.StaffProfileFactory(
        user__username="hana", user__first_name="Hana", user__last_name="Begum"
    )
    f.ShiftFactory(
        staff=handler,
        starts_at=timezone.now() - dt.timedelta(hours=1),
        ends_at=timezone.now() + dt.timedelta(hours=12),
    )
    assert assign_work().assigned["contact"] == 0  # still waiting for her answer

    clock.shift(dt.timedelta(hours=8))
    assert assign_work().assigned["contact"] == 1
    grace.refresh_from_db()
    assert grace.assignee == handler.user
    assert grace.status == Status.ASSIGNED

    # It is in the handler's My work; Omar, who answered, is not.
    page = phone()
    sign_in(page, handler.user)
    page.goto(f"{live_server.url}/work/")
    expect(page.locator("main")).to_contain_text("Grace Okafor")
    expect(page.locator("main")).not_to_contain_text("Omar Ali")
    assert no_sideways_scroll(page)
    screenshot(page, "online-handler-my-work-375")


def test_the_link_pages_pass_the_accessibility_check(
    clock, live_server, phone, sent, screenshot
):
    case = f.CaseFactory(person__phone="+447400111333")
    online_case_invite(case=case, now=timezone.now())
    contact = f.ContactFactory(person__phone="+447400111444")
    online_contact_tell(contact=contact, now=timezone.now())
    case_url = on_this_server(link_in(sent("case_link")[0]), live_server)
    contact_url = on_this_server(link_in(sent("contact_link")[0]), live_server)

    page = phone()
    for url, name in (
        (case_url, "case"),
        (case_url + "?lang=cy", "case-cy"),
        (contact_url, "contact"),
        (contact_url + "?lang=cy", "contact-cy"),
        (f"{live_server.url}/o/no-such-link/", "unusable"),
    ):
        page.goto(url)
        page.wait_for_load_state()
        screenshot(page, f"a11y-online-{name}-375")
        assert serious(page) == [], name
        assert no_sideways_scroll(page), name

    # With errors showing, too.
    page.goto(case_url)
    page.fill("#id_contact-0-first_name", "Omar")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    screenshot(page, "a11y-online-case-errors-375")
    assert serious(page) == []
    assert no_sideways_scroll(page)

    page.goto(contact_url)
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()
    screenshot(page, "a11y-online-contact-errors-375")
    assert serious(page) == []
