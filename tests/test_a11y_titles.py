"""A page drawn again with an error summary says so first in its title ("Error: "),
as the NHS.UK error pattern has it: the title is the first thing a screen reader
reads of a new page, and the tab shows it. These are the pages drawn by the server
(without JavaScript); a section swapped in by htmx is titled by the page's script
(tests/workspace/test_browser_a11y_swaps.py)."""

from __future__ import annotations

import html
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from staffing.models import CallReview, Tier
from tests import factories as f
from tests.conftest import enrolled_device
from tests.workspace.conftest import CaseFactory, ContactFactory, hold
from tests.workspace.test_case_page import ASSESSMENT, contact_rows, row
from work.calls import call_record

pytestmark = pytest.mark.django_db


def title(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "the page has no title"
    return html.unescape(match[1]).strip()


@pytest.fixture
def held_case(caseworker):
    return hold(CaseFactory(), caseworker)


def sign_in(client, user, password: str = f.PASSWORD):
    return client.post(
        reverse("login"), {"username": user.username, "password": password}
    )


# --- signing in and passwords -----------------------------------------------------------


def test_a_wrong_password_titles_the_sign_in_page_as_an_error(client, caseworker):
    assert title(client.get(reverse("login"))).startswith("Sign in")

    response = sign_in(client, caseworker, "not the password")

    assert "did not match" in response.content.decode()
    assert title(response).startswith("Error: Sign in")


def test_a_wrong_second_factor_code_titles_the_code_page_as_an_error(
    client, supervisor
):
    enrolled_device(supervisor)
    sign_in(client, supervisor)
    assert title(client.get(reverse("two_factor"))).startswith("Enter your code")

    response = client.post(reverse("two_factor"), {"code": "000000"})

    assert response.status_code == 400
    assert title(response).startswith("Error: Enter your code")


def test_a_wrong_code_at_enrolment_titles_the_setup_page_as_an_error(
    client, local_team_member
):
    sign_in(client, local_team_member)
    assert title(client.get(reverse("two_factor_setup"))).startswith("Set up")

    response = client.post(reverse("two_factor_setup"), {"code": "000000"})

    assert response.status_code == 400
    assert title(response).startswith("Error: Set up two-factor sign-in")


def test_a_reset_asked_for_without_an_email_address_is_titled_an_error(client):
    response = client.post(reverse("password_reset"), {"email": "not an address"})

    assert response.status_code == 200
    assert title(response).startswith("Error: Reset your password")


def test_a_wrong_current_password_titles_the_change_page_as_an_error(
    client, caseworker
):
    sign_in(client, caseworker)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": "not the password",
            "new_password1": "kettle orbit meadow",
            "new_password2": "kettle orbit meadow",
        },
    )

    assert response.status_code == 200
    assert title(response).startswith("Error: Change your password")


def test_new_passwords_that_differ_title_the_reset_page_as_an_error(client, caseworker):
    client.post(reverse("password_reset"), {"email": caseworker.email})
    link = re.search(
        r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body
    )[1]
    form = client.get(link, follow=True)
    assert title(form).startswith("Choose a new password")

    response = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "kettle orbit meadow", "new_password2": "kettle orbit"},
    )

    assert response.status_code == 200
    assert title(response).startswith("Error: Choose a new password")


# --- the desk, without JavaScript ----------------------------------------------------------


def test_a_call_logged_without_an_outcome_titles_the_contact_page_as_an_error(
    client, call_handler
):
    contact = hold(ContactFactory(), call_handler)
    client.force_login(call_handler)
    name = contact.person.full_name
    assert title(client.get(reverse("contacts:detail", args=[contact.pk]))).startswith(
        f"{name} (contact)"
    )

    response = client.post(reverse("contacts:call", args=[contact.pk]), {})

    assert "Choose the outcome of the call." in response.content.decode()
    assert title(response).startswith(f"Error: {name} (contact)")


@pytest.mark.parametrize(
    ("section", "sent", "said"),
    [
        ("call", {}, "Choose the outcome of the call."),
        ("assessment", ASSESSMENT, "Enter the date symptoms started"),
        (
            "contacts",
            contact_rows(row("Ann", postcode="NOT A CODE")),
            "Enter a full UK postcode",
        ),
        ("complete", {}, "Record the risk assessment before completing the case."),
    ],
)
def test_a_section_refused_titles_the_case_page_as_an_error(
    client, caseworker, held_case, section, sent, said
):
    if section == "complete":
        call_record(item=held_case, caller=caseworker, outcome=Outcome.REACHED)
    client.force_login(caseworker)
    name = held_case.person.full_name
    assert title(client.get(reverse("cases:detail", args=[held_case.pk]))).startswith(
        f"{name} (case)"
    )

    response = client.post(reverse(f"cases:{section}", args=[held_case.pk]), sent)

    assert said in response.content.decode()
    assert title(response).startswith(f"Error: {name} (case)")


# --- supervisors ----------------------------------------------------------------------------


def test_a_move_with_nothing_ticked_titles_reassign_work_as_an_error(
    client, supervisor
):
    client.force_login(supervisor)
    assert title(client.get(reverse("staffing:work"))).startswith("Reassign work")

    response = client.post(reverse("staffing:work"), {})

    assert "Choose at least one item to move." in response.content.decode()
    assert title(response).startswith("Error: Reassign work")


def test_a_review_refused_titles_new_starters_as_an_error(client):
    team = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    lead = f.StaffProfileFactory(
        is_supervisor=True, team=team, organisation=team.organisation
    )
    starter = f.StaffProfileFactory(
        team=team, organisation=team.organisation, tier=team.tier, new_starter=True
    )
    f.ShiftFactory(staff=starter)
    for _ in range(2):
        contact = f.ContactFactory(
            case__status=Status.COMPLETED,
            status=Status.ASSIGNED,
            assignee=starter.user,
            assigned_at=timezone.now(),
        )
        call_record(item=contact, caller=starter.user, outcome=Outcome.NO_ANSWER)
    review = CallReview.objects.order_by("pk").last()
    client.force_login(lead.user)
    assert title(client.get(reverse("staffing:reviews"))).startswith("New starters")

    # "Needs support" with no note, without JavaScript: the whole page again.
    response = client.post(
        reverse("staffing:review", args=[review.pk]),
        {f"r{review.pk}-verdict": "needs_support", f"r{review.pk}-note": ""},
    )

    assert 'class="nhsuk-error-summary"' in response.content.decode()
    assert (
        title(response)
        == "Error: New starters \N{EN DASH} Contact tracing service \N{EN DASH} NHS"
    )
