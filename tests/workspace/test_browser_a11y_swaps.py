"""What a keyboard and screen reader user is told after an htmx swap, in real
headless Chromium: a refused form titles the page "Error: " (and a later save takes
it off again), and a confirmation that replaces the form itself (an outerHTML swap, as
each row of New starters is) takes the focus, so it is read out."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from calls.models import Outcome
from cases.workitem import Status
from staffing.models import CallReview, Tier
from tests import factories as f
from tests.workspace.conftest import ContactFactory, hold
from work.calls import call_record

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

FOCUSED = "document.activeElement"
# Every title ends so (templates/base.html).
SERVICE = " \N{EN DASH} Contact tracing service \N{EN DASH} NHS"


@pytest.fixture
def tab(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, locale="en-GB"
    )
    yield context.new_page()
    context.close()


def focused(page) -> dict:
    return page.evaluate(
        f"(() => {{ const a = {FOCUSED}; return {{tag: a.tagName, id: a.id,"
        " text: a.innerText.trim()}; })()"
    )


def test_a_review_refused_then_recorded_is_titled_and_focused(
    tab, live_server, sign_in
):
    team = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    lead = f.StaffProfileFactory(
        is_supervisor=True, team=team, organisation=team.organisation
    )
    starter = f.StaffProfileFactory(
        team=team,
        organisation=team.organisation,
        tier=team.tier,
        new_starter=True,
        user__first_name="Cara",
        user__last_name="Nolan",
    )
    f.ShiftFactory(staff=starter)
    contact = f.ContactFactory(
        case__status=Status.COMPLETED,
        status=Status.ASSIGNED,
        assignee=starter.user,
        assigned_at=timezone.now(),
    )
    call_record(item=contact, caller=starter.user, outcome=Outcome.NO_ANSWER)
    review = CallReview.objects.get()
    sign_in(tab, lead.user)
    tab.goto(f"{live_server.url}/staff/reviews/")
    card = tab.locator(f"#review-{review.pk}")
    expect(tab).to_have_title("New starters" + SERVICE)

    # Nothing chosen: the row comes back with its error summary, which takes focus.
    card.get_by_role("button", name="Record review").press("Enter")
    expect(card.locator(".nhsuk-error-summary")).to_be_focused()
    expect(tab).to_have_title("Error: New starters" + SERVICE)

    card.get_by_label("Good").check()
    card.get_by_role("button", name="Record review").press("Enter")

    expect(card).to_contain_text("Reviewed Cara Nolan's call: Good.")
    expect(card).to_be_focused()  # the swapped-in card itself, not <body>
    assert focused(tab)["id"] == f"review-{review.pk}"
    expect(tab).to_have_title("New starters" + SERVICE)


def test_a_call_logged_without_an_outcome_titles_the_contact_page_until_logged(
    tab, live_server, sign_in, call_handler
):
    contact = hold(ContactFactory(), call_handler)
    name = contact.person.full_name
    sign_in(tab, call_handler)
    tab.goto(f"{live_server.url}/contacts/{contact.pk}/")
    expect(tab).to_have_title(f"{name} (contact)" + SERVICE)

    panel = tab.locator("#call-panel")
    panel.get_by_role("button", name="Log the call").press("Enter")
    expect(panel.locator(".nhsuk-error-summary")).to_be_focused()
    expect(tab).to_have_title(f"Error: {name} (contact)" + SERVICE)

    panel.get_by_label("No answer").check()
    panel.get_by_role("button", name="Log the call").press("Enter")
    expect(panel.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(panel).to_contain_text("No answer")
    expect(tab).to_have_title(f"{name} (contact)" + SERVICE)
