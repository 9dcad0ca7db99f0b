"""In real Chromium: an escalated contact reaches the right team's queue with its
history, is picked up, visited at the door-step, and closed as reached."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from calls.models import Outcome
from cases.workitem import Route, Status
from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from work.assignment import item_assign
from work.calls import call_record
from work.escalation import item_escalate

from .builders import (
    LEEDS,
    SHEFFIELD,
    ContactFactory,
    escalated_contact,
    local_member,
    person_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_escalated_contact_is_claimed_visited_and_closed_as_reached(
    page, live_server, sign_in, screenshot, call_handler
):
    helen = local_member(
        SHEFFIELD, "helen", user__first_name="Helen", user__last_name="Marsh"
    )
    contact = ContactFactory(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    item_assign(item=contact, to=call_handler)
    call_record(
        item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER, notes="Rang out"
    )
    call_record(
        item=contact, caller=call_handler, outcome=Outcome.WRONG_NUMBER, notes="A shop"
    )
    escalation = item_escalate(
        item=contact,
        reason=Escalation.Reason.WRONG_NUMBER,
        detail="2 call attempts; last outcome: wrong_number.",
    )
    escalated_contact(
        LEEDS, person=person_in(LEEDS, first_name="Lydia", last_name="Leodis")
    )

    sign_in(page, helen)
    page.get_by_role("link", name="Local team").click()

    row = page.get_by_role("row").filter(has_text="Ada Brightside")
    expect(row).to_contain_text("Wrong or missing number")
    expect(row).to_contain_text("Nobody yet")
    expect(page.get_by_text("Lydia Leodis")).to_have_count(0)
    screenshot(page, "local-teams-01-queue")

    # The search narrows the list in place (htmx) as the name is typed.
    search = page.get_by_label("Search by name, phone number or postcode")
    search.fill("Zebedee")
    expect(page.get_by_text("Nothing here matches “Zebedee”.")).to_be_visible()
    search.fill("brightside")
    expect(row).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/local/?tab=new&q=brightside&reason=")

    row.get_by_role("link", name="Ada Brightside").click()
    history = page.locator("#history")
    expect(history).to_contain_text("Call: No answer")
    expect(history).to_contain_text("Call: Wrong number")
    expect(history).to_contain_text("A shop")
    expect(history).to_contain_text(call_handler.get_full_name())
    expect(page.locator("#escalation-summary")).to_contain_text(
        "2 call attempts; last outcome: wrong_number."
    )
    screenshot(page, "local-teams-02-escalation-new")

    page.get_by_role("button", name="Pick up").click()
    expect(page.get_by_role("status")).to_contain_text("You picked this up")

    page.get_by_label("Door-step visit").check()
    page.get_by_label("Notes", exact=True).fill("Spoke at the door; advised to isolate")
    page.get_by_role("button", name="Record action").click()
    expect(page.get_by_role("status")).to_contain_text("Door-step visit recorded.")
    expect(history).to_contain_text("Spoke at the door; advised to isolate")
    screenshot(page, "local-teams-03-doorstep-recorded")

    page.get_by_label("Reached and advised").check()
    page.get_by_role("button", name="Close escalation").click()
    expect(page.get_by_role("status")).to_contain_text("Closed: Reached and advised.")
    expect(page.get_by_text("counted as reached by the local team")).to_be_visible()
    screenshot(page, "local-teams-04-closed")

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.status == Status.CLOSED
    assert contact.reached_route == Route.LOCAL
    escalation.refresh_from_db()
    assert escalation.picked_up_by == helen
    assert escalation.outcome == Escalation.Outcome.REACHED
    action = EscalationAction.objects.get(escalation=escalation)
    assert action.kind == EscalationAction.Kind.DOORSTEP
    assert action.by == helen


def test_team_sees_its_complex_cases_and_reviews_a_cluster(
    page, live_server, sign_in, screenshot
):
    from cases.models import SettingKind
    from escalations.clusters import clusters_detect
    from escalations.models import Cluster
    from tests import factories as f

    from .builders import CaseFactory, escalated_case

    helen = local_member(
        SHEFFIELD, "helen", user__first_name="Helen", user__last_name="Marsh"
    )
    escalated_case(
        person=person_in(SHEFFIELD, first_name="Carys", last_name="Home"),
        complex_setting=SettingKind.CARE_HOME,
    )
    venue = f.ExposureSettingFactory(
        area=f.area(SHEFFIELD), name="The Leadmill", kind=SettingKind.VENUE
    )
    for first_name in ("Ann", "Ben", "Cat"):
        case = CaseFactory(person=person_in(SHEFFIELD, first_name=first_name))
        f.SettingVisitFactory(case=case, setting=venue)
        ContactFactory(
            case=case, person=person_in(SHEFFIELD, last_name=f"{first_name}-contact")
        )
    clusters_detect()

    sign_in(page, helen)
    page.get_by_role("link", name="Local team").click()
    page.get_by_role("link", name="Complex cases").click()
    row = page.get_by_role("row").filter(has_text="Carys Home")
    expect(row).to_contain_text("Care home")
    screenshot(page, "local-teams-05-complex-cases")

    page.get_by_role("link", name="Clusters").click()
    row = page.get_by_role("row").filter(has_text="The Leadmill")
    expect(row).to_contain_text("3")
    expect(row).to_contain_text("New")
    screenshot(page, "local-teams-06-clusters")

    row.get_by_role("link", name="The Leadmill").click()
    for first_name in ("Ann", "Ben", "Cat"):
        expect(page.get_by_text(f"{first_name}-contact")).to_be_visible()
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_role("status")).to_contain_text("Marked as reviewed.")
    screenshot(page, "local-teams-07-cluster")
    assert Cluster.objects.get().reviewed_at is not None


def test_a_bad_phone_number_is_shown_beside_its_field(
    page, live_server, sign_in, screenshot
):
    from work.escalation import escalation_claim

    helen = local_member(SHEFFIELD, "helen")
    escalation = escalated_contact(
        person=person_in(SHEFFIELD, first_name="Ada", last_name="Brightside")
    )
    escalation_claim(escalation=escalation, by=helen)

    sign_in(page, helen)
    page.goto(f"{live_server.url}/local/escalations/{escalation.pk}/")
    page.get_by_label("Why it goes back").fill("Neighbour gave a number")
    page.get_by_label("New phone number (optional)").fill("12345")
    page.get_by_role("button", name="Send back").click()

    expect(page.locator("#return_new_phone-error")).to_have_text(
        "Error: Enter a UK phone number, such as 07911 123456"
    )
    expect(page.get_by_label("Why it goes back")).to_have_value(
        "Neighbour gave a number"
    )
    screenshot(page, "local-teams-08-send-back-error")
    escalation.refresh_from_db()
    assert escalation.closed_at is None
