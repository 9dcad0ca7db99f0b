"""In real Chromium, at desktop width and on a phone (375 px): the local team's pages
in the NHS.UK design system. A busy day at the desk: the queue, an escalation picked
up, an action recorded, closed as reached; a form error summarised, focused and
linking to its field; a refused action that keeps what was typed; the keyboard alone
working an escalation; and no page scrolling sideways on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from escalations.models import Escalation, EscalationAction
from work.escalation import escalation_claim, escalation_close

from .builders import (
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    escalated_case,
    escalated_contact,
    local_member,
    person_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "375": {"width": 375, "height": 812},
}


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request, page):
    page.set_viewport_size(VIEWPORTS[request.param])
    return request.param


@pytest.fixture
def helen(db):
    return local_member(
        SHEFFIELD, "helen", user__first_name="Helen", user__last_name="Marsh"
    )


def no_sideways_scroll(page) -> None:
    width = page.evaluate(
        "[document.documentElement.scrollWidth, window.innerWidth].join(' > ')"
    )
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
        f"{page.url} scrolls sideways: {width}"
    )


def focused(page) -> str:
    """What has the keyboard focus: its id, else its class, else its text."""
    return page.evaluate(
        "(() => { const el = document.activeElement;"
        " return el.id || el.className || el.textContent.trim(); })()"
    )


def tab_to(page, target, presses: int = 80) -> None:
    """Press Tab until the target (a CSS selector or a locator; the first of what it
    finds) has the focus."""
    locator = page.locator(target) if isinstance(target, str) else target
    for _ in range(presses):
        page.keyboard.press("Tab")
        if locator.first.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {target}; stopped at {focused(page)}")


def test_the_queue_an_escalation_picked_up_worked_and_closed_as_reached(
    page, live_server, sign_in, screenshot, viewport, helen
):
    escalation = escalated_contact(
        person=person_in(
            SHEFFIELD,
            first_name="Ada",
            last_name="Brightside",
            phone="+447911123456",
            address="Flat 3, 14 Division Street\nSheffield",
        )
    )
    escalated_contact(
        person=person_in(SHEFFIELD, first_name="Bertram", last_name="Oakes")
    )
    escalated_case(
        person=person_in(SHEFFIELD, first_name="Carys", last_name="Home"),
        complex_setting="care_home",
        safeguarding_flag=True,
        safeguarding_note="Lives with a vulnerable adult; visit in pairs.",
    )

    sign_in(page, helen)
    page.get_by_role("link", name="Local team").click()

    # The counts as cards, the tabs, the queue as a table with its tags.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Escalations")
    expect(page.locator(".app-counts")).to_contain_text("3 new")
    expect(page.locator(".nhsuk-tabs__list-item--selected")).to_have_text("New (3)")
    row = page.get_by_role("row").filter(has_text="Ada Brightside")
    expect(row).to_contain_text("07911 123456")
    expect(row.locator(".nhsuk-tag")).to_contain_text(["Contact", "Nobody yet"])
    no_sideways_scroll(page)
    screenshot(page, f"local-queue-{viewport}")

    row.get_by_role("link", name="Ada Brightside").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Brightside")
    expect(page.locator("#person-summary")).to_contain_text(
        "Flat 3, 14 Division Street"
    )
    expect(page.locator("#history")).to_contain_text("Escalated")
    no_sideways_scroll(page)
    screenshot(page, f"local-escalation-new-{viewport}")

    page.get_by_role("button", name="Pick up").click()
    banner = page.locator(".nhsuk-notification-banner")
    expect(banner).to_contain_text("You picked this up")
    expect(banner).to_be_focused()
    expect(page.locator(".app-tags")).to_contain_text("Picked up")
    no_sideways_scroll(page)
    screenshot(page, f"local-escalation-picked-up-{viewport}")

    page.get_by_label("Phone call").check()
    page.get_by_label("Notes", exact=True).fill(
        "Spoke to her daughter; she will ring back"
    )
    page.get_by_role("button", name="Record action").click()
    expect(banner).to_contain_text("Phone call recorded.")
    expect(page.locator("#history")).to_contain_text(
        "Spoke to her daughter; she will ring back"
    )
    no_sideways_scroll(page)
    screenshot(page, f"local-action-recorded-{viewport}")

    page.get_by_label("Reached and advised").check()
    page.get_by_label("Notes (optional)").fill("Rang back; advised to isolate")
    page.get_by_role("button", name="Close escalation").click()
    expect(banner).to_contain_text("Closed: Reached and advised.")
    expect(page.get_by_text("counted as reached by the local team")).to_be_visible()
    expect(page.locator(".app-tags")).to_contain_text("Closed")
    no_sideways_scroll(page)
    screenshot(page, f"local-closed-reached-{viewport}")

    escalation.refresh_from_db()
    assert escalation.outcome == Escalation.Outcome.REACHED
    assert escalation.picked_up_by == helen
    assert EscalationAction.objects.get(escalation=escalation).kind == "phone"

    # The complex case carries its safeguarding concern as a warning callout.
    page.get_by_role("link", name="Complex cases").click()
    page.get_by_role("link", name="Carys Home").click()
    callout = page.locator(".nhsuk-card--warning").filter(has_text="Safeguarding")
    expect(callout).to_contain_text("visit in pairs")
    no_sideways_scroll(page)
    screenshot(page, f"local-safeguarding-{viewport}")


def test_a_form_error_is_summarised_focused_and_links_to_the_field(
    page, live_server, sign_in, screenshot, viewport, helen
):
    escalation = escalated_contact(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    escalation_claim(escalation=escalation, by=helen)

    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/escalations/{escalation.pk}/")
    page.get_by_label("Notes (optional)").fill("Card through the door")
    page.get_by_role("button", name="Close escalation").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There is a problem")
    link = summary.get_by_role("link", name="Choose how it ended")
    expect(link).to_have_attribute("href", "#close_outcome_0")
    expect(page.locator("#close_outcome-error")).to_contain_text("Choose how it ended")
    expect(page.get_by_label("Notes (optional)")).to_have_value("Card through the door")
    assert page.title().startswith("Error: ")
    no_sideways_scroll(page)
    screenshot(page, f"local-form-error-{viewport}")

    link.click()
    expect(page.locator("#close_outcome_0")).to_be_focused()

    # A bad phone number in another form links to its input.
    page.get_by_label("Why it goes back").fill("A neighbour gave a number")
    page.get_by_label("New phone number (optional)").fill("07911 12")
    page.get_by_role("button", name="Send back").click()
    summary.get_by_role(
        "link", name="Enter a UK phone number, such as 07911 123456"
    ).click()
    expect(page.locator("#return_new_phone")).to_be_focused()
    expect(page.get_by_label("Why it goes back")).to_have_value(
        "A neighbour gave a number"
    )
    escalation.refresh_from_db()
    assert escalation.closed_at is None


def test_a_refused_action_says_why_at_the_top_and_keeps_the_typed_note(
    page, live_server, sign_in, screenshot, viewport, helen
):
    colleague = local_member(SHEFFIELD, "colleague")
    escalation = escalated_contact(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    escalation_claim(escalation=escalation, by=helen)

    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/escalations/{escalation.pk}/")
    page.get_by_label("Door-step visit").check()
    page.get_by_label("Notes", exact=True).fill("Nobody in; card left at 14:10")
    # Meanwhile a colleague closes it.
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.MOVED_AWAY, by=colleague
    )
    page.get_by_role("button", name="Record action").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("This escalation is closed.")
    expect(page.get_by_label("Notes", exact=True)).to_have_value(
        "Nobody in; card left at 14:10"
    )
    expect(page.get_by_label("Door-step visit")).to_be_checked()
    no_sideways_scroll(page)
    screenshot(page, f"local-refused-note-kept-{viewport}")
    assert not EscalationAction.objects.exists()

    # Shown once: the next visit is the page as it is.
    page.reload()
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(page.get_by_role("button", name="Record action")).to_have_count(0)


def test_a_claim_taken_by_someone_else_says_who_at_the_top(
    page, live_server, sign_in, viewport, helen
):
    colleague = local_member(
        SHEFFIELD, "colleague", user__first_name="Raj", user__last_name="Patel"
    )
    escalation = escalated_contact()

    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/escalations/{escalation.pk}/")
    escalation_claim(escalation=escalation, by=colleague)
    page.get_by_role("button", name="Pick up").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        "This escalation was already picked up by Raj Patel."
    )
    expect(page.locator("#escalation-summary")).to_contain_text("Raj Patel")


def test_the_keyboard_alone_opens_picks_up_and_works_an_escalation(
    page, live_server, sign_in, screenshot, viewport, helen
):
    escalation = escalated_contact(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/")

    # A count card and a queue row are links the keyboard reaches.
    tab_to(page, ".app-count a")
    tab_to(page, "#id_q")
    page.keyboard.type("brightside")
    expect(page).to_have_url(re.compile(r"q=brightside"))  # the list was searched
    expect(page.get_by_role("row").filter(has_text="Ada Brightside")).to_be_visible()
    tab_to(page, page.get_by_role("link", name="Ada Brightside"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Ada Brightside")

    tab_to(page, page.get_by_role("button", name="Pick up"))
    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text(
        "You picked this up"
    )

    # Radios: Tab into the group, arrows to choose; then the note, then the button.
    tab_to(page, "input[name=kind]")
    page.keyboard.press("ArrowDown")
    chosen = page.evaluate("document.activeElement.value")
    tab_to(page, "#action_note")
    page.keyboard.type("Left a message with a neighbour")
    tab_to(page, page.get_by_role("button", name="Record action"))
    page.keyboard.press("Enter")
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("recorded.")
    expect(page.locator("#history")).to_contain_text("Left a message with a neighbour")
    screenshot(page, f"local-keyboard-action-{viewport}")
    assert EscalationAction.objects.get(escalation=escalation).kind == chosen


def test_tabbing_from_the_search_into_the_results_keeps_the_focus_there(
    page, live_server, sign_in, helen
):
    """Leaving the search box after typing must not fetch the list again: a second
    swap of the results would take the focus off the row the keyboard reached."""
    escalated_contact(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/")
    page.wait_for_load_state()
    swaps = []
    page.on(
        "request",
        lambda request: swaps.append(request.url) if "q=" in request.url else None,
    )
    tab_to(page, "#id_q")
    page.keyboard.type("brightside")
    expect(page).to_have_url(re.compile(r"q=brightside"))
    link = page.get_by_role("link", name="Ada Brightside")
    tab_to(page, link)
    page.wait_for_timeout(1000)  # past the search's 400 ms pause
    assert link.evaluate("el => el === document.activeElement"), focused(page)
    assert len(swaps) == 1, swaps


def test_choosing_a_reason_filters_the_list_without_the_search_button(
    page, live_server, sign_in, helen
):
    escalated_contact(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/")
    page.wait_for_load_state()
    expect(page.get_by_role("link", name="Ada Brightside")).to_be_visible()
    other = next(
        value
        for value, _ in Escalation.Reason.choices
        if value != Escalation.objects.get().reason
    )
    page.locator("#id_reason").select_option(other)
    expect(page).to_have_url(re.compile(rf"reason={other}"))
    expect(page.get_by_role("link", name="Ada Brightside")).to_have_count(0)
    page.get_by_label("Only those I picked up").check()
    expect(page).to_have_url(re.compile(r"mine=on"))


@pytest.mark.parametrize("width", [375, 768])
def test_no_local_page_scrolls_sideways_on_a_phone_or_a_tablet(
    page, live_server, sign_in, screenshot, helen, width
):
    from cases.models import SettingKind
    from escalations.clusters import clusters_detect
    from escalations.models import Cluster
    from tests import factories as f

    page.set_viewport_size({"width": width, "height": 1024})
    long_name = "Wolstenholme-Fotheringham-Montgomery"
    escalation = escalated_contact(
        person=person_in(
            SHEFFIELD,
            first_name="Anastasia-Bartholomew",
            last_name=long_name,
            address="Apartment 1203, The Manhattan Building, 2 Trafalgar Street",
        )
    )
    escalation_claim(escalation=escalation, by=helen)
    escalated_case(complex_setting=SettingKind.SCHOOL)
    venue = f.ExposureSettingFactory(
        area=f.area(SHEFFIELD),
        name="The Sheffield University Students' Union Octagon Centre",
        kind=SettingKind.VENUE,
    )
    for first_name in ("Ann", "Ben", "Cat"):
        case = CaseFactory(person=person_in(SHEFFIELD, first_name=first_name))
        f.SettingVisitFactory(case=case, setting=venue)
        ContactFactory(case=case, person=person_in(SHEFFIELD, last_name=long_name))
    clusters_detect()
    cluster = Cluster.objects.get()

    sign_in(page, helen)
    for path, name in (
        ("/local/?tab=picked_up", "local-queue-picked-up"),
        ("/local/complex/", "local-complex"),
        (f"/local/escalations/{escalation.pk}/", "local-escalation"),
        ("/local/clusters/", "local-clusters"),
        (f"/local/clusters/{cluster.pk}/", "local-cluster"),
    ):
        page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state()
        no_sideways_scroll(page)
        screenshot(page, f"{name}-{width}")
