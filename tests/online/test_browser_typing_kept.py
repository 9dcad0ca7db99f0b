"""What a case types on their link's page survives the page being drawn again, in
real headless Chromium on a phone (375 px wide). Phones discard a background tab
while its person looks up a friend's number in Contacts, and bring it back by
loading it again; a pull-to-refresh or Back does the same. The page is sent with
no-store and its people's fields with autocomplete="off" (privacy), so the browser
keeps nothing: the page's own script keeps the typing in this tab only
(sessionStorage), puts it back, and says so; and drops it once the answers are in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import SettingKind
from contacts.models import Contact
from notify.backends import read_sent
from pages.online import limits
from tests import factories as f
from work.online import online_case_invite

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 375, "height": 800}
PUT_BACK = "We have put back what you typed on this phone. Check it and send it."
PUT_BACK_CY = (
    "Rydym wedi rhoi'n ôl yr hyn a deipioch ar y ffôn hwn. Gwiriwch ef a'i anfon."
)
NOT_IN_USE = "This number is not in use in the UK: check it with them."


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


@pytest.fixture
def case_link(settings, tmp_path, run_tasks_here, live_server):
    """A case texted their link; the address it opens on this server."""
    settings.NOTIFY_SMS_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_FILE_DIR = str(tmp_path)

    def texted(**person):
        case = f.CaseFactory(
            person__phone="+447400111222", person__first_name="Siân", **person
        )
        online_case_invite(case=case, now=timezone.now())
        (invite,) = [m for m in read_sent(tmp_path) if m["kind"] == "case_link"]
        word = next(w for w in invite["body"].split() if "/o/" in w)
        return case, live_server.url + "/o/" + word.split("/o/", 1)[1]

    return texted


@pytest.fixture
def phone(browser):
    """A phone-sized tab whose person says "Leave" when asked before a reload."""
    contexts = []

    def open_one():
        context = browser.new_context(viewport=PHONE, locale="en-GB")
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        return page

    yield open_one
    for context in contexts:
        context.close()


def fill_person(page, row: int, first: str, last: str, phone: str, day, household):
    prefix = f"#id_contact-{row}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "last_name", last)
    page.fill(prefix + "phone", phone)
    page.fill(prefix + "last_near", day.isoformat())
    page.check(prefix + ("household_0" if household else "household_1"))


def type_two_people_and_a_place(page, today):
    fill_person(page, 0, "Bethan", "Jones", "07911 234567", today, True)
    fill_person(page, 1, "Grace", "Okafor", "07400 123452", today, False)
    page.select_option("#id_place-0-kind", SettingKind.WORKPLACE)
    page.fill("#id_place-0-name", "The Old Crown")
    page.fill("#id_place-0-visited_on", (today - dt.timedelta(1)).isoformat())


def expect_two_people_and_a_place(page, today):
    expect(page.locator("#id_contact-0-first_name")).to_have_value("Bethan")
    expect(page.locator("#id_contact-0-last_name")).to_have_value("Jones")
    expect(page.locator("#id_contact-0-phone")).to_have_value("07911 234567")
    expect(page.locator("#id_contact-0-last_near")).to_have_value(today.isoformat())
    expect(page.locator("#id_contact-0-household_0")).to_be_checked()
    expect(page.locator("#id_contact-1-first_name")).to_have_value("Grace")
    expect(page.locator("#id_contact-1-phone")).to_have_value("07400 123452")
    expect(page.locator("#id_contact-1-household_1")).to_be_checked()
    expect(page.locator("#id_place-0-kind")).to_have_value(SettingKind.WORKPLACE)
    expect(page.locator("#id_place-0-name")).to_have_value("The Old Crown")
    expect(page.locator("#id_place-0-visited_on")).to_have_value(
        (today - dt.timedelta(1)).isoformat()
    )


def kept_in_this_tab(page) -> str:
    """Everything the tab keeps for its pages, as one string, once the page's own
    scripts have run (the page drops what it should as it loads)."""
    page.wait_for_load_state("load")
    return page.evaluate("JSON.stringify(Object.entries(sessionStorage))")


def test_a_reload_puts_back_every_row_typed_and_says_so(
    live_server, case_link, phone, screenshot
):
    today = timezone.localdate()
    case, url = case_link()
    page = phone()
    page.goto(url)
    page.wait_for_load_state()
    expect(page.get_by_text(PUT_BACK)).to_have_count(0)
    type_two_people_and_a_place(page, today)
    # A third person, in a row behind "Add more people".
    page.get_by_text("Add more people").click()
    fill_person(page, 2, "Dafydd", "Evans", "07400 123453", today, False)

    page.reload()
    page.wait_for_load_state()

    expect(page.get_by_text(PUT_BACK)).to_be_visible()
    expect_two_people_and_a_place(page, today)
    expect(page.locator("#id_contact-2-first_name")).to_be_visible()
    expect(page.locator("#id_contact-2-first_name")).to_have_value("Dafydd")
    expect(page.locator("#id_contact-2-household_1")).to_be_checked()
    screenshot(page, "online-case-typing-put-back-375")

    # Away by a link and Back: the same.
    page.goto(f"{live_server.url}/accounts/login/")
    page.go_back()
    page.wait_for_load_state()
    expect(page.get_by_text(PUT_BACK)).to_be_visible()
    expect_two_people_and_a_place(page, today)

    # Sent: the three people are in, and the typing is kept no longer.
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert Contact.objects.filter(case=case).count() == 3
    assert "Bethan" not in kept_in_this_tab(page)
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We already have your answers"
    )
    expect(page.get_by_text(PUT_BACK)).to_have_count(0)
    assert "Bethan" not in kept_in_this_tab(page)


def test_a_welsh_page_says_so_in_welsh(live_server, case_link, phone):
    today = timezone.localdate()
    _, url = case_link()
    page = phone()
    page.goto(url + "?lang=cy")
    page.wait_for_load_state()
    type_two_people_and_a_place(page, today)

    page.reload()
    page.wait_for_load_state()

    expect(page.get_by_text(PUT_BACK_CY)).to_be_visible()
    expect(page.get_by_text(PUT_BACK)).to_have_count(0)
    expect_two_people_and_a_place(page, today)


def test_a_page_drawn_with_errors_keeps_the_servers_values(
    live_server, case_link, phone
):
    today = timezone.localdate()
    _, url = case_link()
    page = phone()
    page.goto(url)
    page.wait_for_load_state()
    type_two_people_and_a_place(page, today)
    page.fill("#id_contact-1-phone", "07911 345678")

    page.get_by_role("button", name="Send").click()

    expect(page.locator(".nhsuk-error-summary")).to_contain_text(NOT_IN_USE)
    expect(page.get_by_text(PUT_BACK)).to_have_count(0)
    expect(page.locator("#id_contact-1-phone")).to_have_value("07911 345678")
    expect(page.locator("#id_contact-0-first_name")).to_have_value("Bethan")

    # Put right, then the tab is loaded afresh (discarded in the background): the
    # page as it was, with the number put right, comes back.
    page.fill("#id_contact-1-phone", "07400 123452")
    page.goto(url)
    page.wait_for_load_state()
    expect(page.get_by_text(PUT_BACK)).to_be_visible()
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect_two_people_and_a_place(page, today)


def test_answers_sent_from_elsewhere_drop_the_typing_kept_here(
    live_server, case_link, phone
):
    today = timezone.localdate()
    _, url = case_link()
    page = phone()
    page.goto(url)
    page.wait_for_load_state()
    type_two_people_and_a_place(page, today)
    assert "Bethan" in kept_in_this_tab(page)

    # The same answers sent from another tab (the text opened twice).
    other = phone()
    other.goto(url)
    other.wait_for_load_state()
    type_two_people_and_a_place(other, today)
    other.get_by_role("button", name="Send").click()
    expect(other.get_by_role("heading", level=1)).to_have_text("Thank you")

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "We already have your answers"
    )
    assert "Bethan" not in kept_in_this_tab(page)
