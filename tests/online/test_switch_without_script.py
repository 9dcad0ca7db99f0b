"""The Welsh/English switch of a link's page with a form is a button of that form: a
person whose phone runs no script, who typed six people and taps "Cymraeg", gets the
page in Welsh with all six still there, nothing sent (before, the switch was a link
and only the script made it keep the typing: without it, everything was lost). Enter
in a field still sends the answers, not the switch. A page with no form keeps a
link."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import SettingKind
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from tests import factories as f
from tests.online.test_online_fixes import case_link, contact_link, url
from work.online import online_case_invite

PHONE = {"width": 375, "height": 800}
SWITCH = re.compile(
    r'<button class="nhsuk-link" type="submit" form="online-answer" '
    r'name="switch_lang" value="(?P<to>\w+)"[^>]*>(?P<label>[^<]+)</button>'
)


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


# --- the page as sent ------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
@pytest.mark.parametrize("kind", ["case", "contact"])
def test_the_switch_of_a_page_with_a_form_is_a_button_of_that_form(client, kind):
    _, _, token = case_link() if kind == "case" else contact_link()

    english = client.get(url(token)).content.decode()
    welsh = client.get(url(token) + "?lang=cy").content.decode()

    assert SWITCH.search(english).group("to", "label") == ("cy", "Cymraeg")
    assert SWITCH.search(welsh).group("to", "label") == ("en", "English")
    for html in (english, welsh):
        assert 'id="online-answer"' in html
        assert 'href="?lang=' not in html


@pytest.mark.django_db
@pytest.mark.usefixtures("clock")
def test_a_page_with_no_form_keeps_a_link_to_switch(client):
    html = client.get(url("no-such-link") + "?lang=cy").content.decode()

    assert 'href="?lang=en"' in html
    assert 'name="switch_lang"' not in html


# --- in Chromium, with no script ---------------------------------------------------------


@pytest.fixture
def _sent_here(settings, tmp_path, run_tasks_here):
    """The link's text goes out as a worker would send it, to a file of this test's
    own (the live server's requests commit for real)."""
    settings.NOTIFY_SMS_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_FILE_DIR = str(tmp_path)


@pytest.fixture
def phone(browser):
    """A phone-sized page, with or without the page's script."""
    contexts = []

    def open_one(*, script: bool):
        context = browser.new_context(
            viewport=PHONE, locale="en-GB", java_script_enabled=script
        )
        contexts.append(context)
        return context.new_page()

    yield open_one
    for context in contexts:
        context.close()


def the_case_link(live_server) -> tuple[str, OnlineLink]:
    case = f.CaseFactory(person__first_name="Nia", person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    token = link.message.body.split("/o/")[1].split("/")[0]
    return f"{live_server.url}/o/{token}/", link


def fill_person(page, row: int, first: str, phone: str, day: dt.date) -> None:
    prefix = f"#id_contact-{row}-"
    page.fill(prefix + "first_name", first)
    page.fill(prefix + "last_name", "Jones")
    page.fill(prefix + "phone", phone)
    page.fill(prefix + "last_near", day.isoformat())
    page.check(prefix + "household_1")


def switch(page, to: str) -> None:
    page.locator(".app-language").get_by_text(to).click()
    page.wait_for_load_state()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_sent_here")
def test_without_a_script_switching_language_keeps_six_people_typed(
    clock, live_server, phone, screenshot
):
    address, link = the_case_link(live_server)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    page = phone(script=False)
    page.goto(address)
    names = ["Gwen", "Rhys", "Siân", "Owain", "Eleri", "Dafydd"]
    for row, name in enumerate(names):
        if row == 2:
            page.click("#more-people summary")  # the rows after the first two
        fill_person(page, row, name, f"07400 12345{row}", yesterday)
    page.fill("#id_place-0-name", "Steel Works")
    page.select_option("#id_place-0-kind", SettingKind.WORKPLACE)

    switch(page, "Cymraeg")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nia, dywedwch wrthym pwy rydych wedi bod yn agos atynt"
    )
    for row, name in enumerate(names):
        expect(page.locator(f"#id_contact-{row}-first_name")).to_have_value(name)
        expect(page.locator(f"#id_contact-{row}-phone")).to_have_value(
            f"07400 12345{row}"
        )
    expect(page.locator("#id_contact-5-household_1")).to_be_checked()
    expect(page.locator("#id_place-0-name")).to_have_value("Steel Works")
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    screenshot(page, "online-case-switched-no-script-375")

    switch(page, "English")

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nia, tell us who you have been near"
    )
    expect(page.locator("#id_contact-5-first_name")).to_have_value("Dafydd")
    assert not Contact.objects.filter(case=link.case).exists()
    link.refresh_from_db()
    assert link.submitted_at is None


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("_sent_here")
@pytest.mark.parametrize("script", [False, True])
def test_enter_in_a_field_sends_the_answers_not_the_switch(
    clock, live_server, phone, script
):
    address, _ = the_case_link(live_server)
    page = phone(script=script)
    page.goto(address)
    page.fill("#id_contact-0-first_name", "Gwen")

    page.press("#id_contact-0-first_name", "Enter")

    # Sent and checked (the row is not complete), in the page's own language.
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("There is a problem")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Nia, tell us who you have been near"
    )
    expect(page.locator("#id_contact-0-first_name")).to_have_value("Gwen")
