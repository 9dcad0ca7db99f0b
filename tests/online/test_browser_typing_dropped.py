"""What a case types on their link's page (other people's names and mobile numbers) is
kept in the tab's sessionStorage to put back after a reload
(test_browser_typing_kept.py). Once the link can take it no more, the page drawn at
its address drops it, as the thanks page does: out of time, replaced by a newer
link, the case moved on, or the people typed listed back as not saved. Otherwise, on
a shared computer (a library, a relative's laptop), the names and numbers stay in
the tab for the next person, though nothing can ever put them back (a new link has a
new address). The page asking them to wait a minute keeps it: the link still works.
In real headless Chromium at 375 px."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cases.models import Case
from cases.workitem import Status
from online.models import OnlineLink
from tests.online import test_browser_typing_kept as kept
from work.online import online_link_resend

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# The fixtures of the tests of keeping the typing: a fresh allowance, the case's
# link texted, a phone-sized tab.
_fresh_allowance = kept._fresh_allowance
case_link = kept.case_link
phone = kept.phone


@pytest.fixture
def typed(live_server, case_link, phone):
    """The case's link opened on a phone, and two people and a place typed in it,
    kept in the tab: the case and the page."""
    case, url = case_link()
    page = phone()
    page.goto(url)
    page.wait_for_load_state()
    kept.type_two_people_and_a_place(page, timezone.localdate())
    assert "Bethan" in kept.kept_in_this_tab(page)
    return case, page


def expect_dropped(page, heading: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    page.wait_for_load_state()  # the page's scripts have run
    expect(page.locator("form[data-keep-draft]")).to_have_count(0)
    in_tab = kept.kept_in_this_tab(page)
    assert "Bethan" not in in_tab, in_tab
    assert "07911 234567" not in in_tab, in_tab


def test_a_link_out_of_time_drops_the_typing_on_reload(typed):
    case, page = typed

    OnlineLink.objects.filter(case=case).update(expires_at=timezone.now())
    page.reload()

    expect_dropped(page, "This link does not work")


def test_a_link_replaced_by_a_newer_one_drops_the_typing_on_reload(typed, supervisor):
    case, page = typed

    online_link_resend(item=case, by=supervisor)
    page.reload()

    expect_dropped(page, "This link does not work")


def test_a_case_finished_by_phone_drops_the_typing_on_reload(typed):
    case, page = typed

    Case.objects.filter(pk=case.pk).update(status=Status.COMPLETED)
    page.reload()

    expect_dropped(page, "You do not need to do anything here")


def test_the_people_listed_as_not_saved_are_dropped_from_the_tab(typed):
    """Sent just after the link ran out: the page lists the people typed, with the
    number to ring; the tab keeps their names and numbers no longer."""
    case, page = typed

    OnlineLink.objects.filter(case=case).update(expires_at=timezone.now())
    page.get_by_role("button", name="Send").click()

    expect(page.get_by_text("Bethan Jones")).to_be_visible()
    expect_dropped(page, "We could not save these people")


def test_asked_to_wait_a_minute_keeps_the_typing(typed, settings):
    """Too many requests from the address: the link still works, and the typing
    comes back once they may try again."""
    _, page = typed

    settings.TRACING_ONLINE_RATE = 0
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Please wait before trying again"
    )
    assert "Bethan" in kept.kept_in_this_tab(page)

    settings.TRACING_ONLINE_RATE = 1000
    page.reload()
    expect(page.get_by_text(kept.PUT_BACK)).to_be_visible()
    kept.expect_two_people_and_a_place(page, timezone.localdate())
