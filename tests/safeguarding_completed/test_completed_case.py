"""A safeguarding concern heard after the caseworker completed the case.

Before, the concern made the completed case "With local team" again: it left its
caseworker (who could no longer open it), its escalation time was stamped as if the
national service had handed it on, the team's page offered "Contacts they name" and
took contacts for it, and the team's close made it "Closed". Its tracing was over:
now the concern goes to the team (reason safeguarding, emailed as any concern), and
the case stays completed, its caseworker's, before and after the team closes the
concern; the team is told plainly the case takes no contacts.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from tests.local_teams.builders import SHEFFIELD
from work.calls import call_record
from work.casework import ContactDetails, contacts_add_many
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_reopen,
    escalation_return,
)

from .conftest import (
    CONCERN,
    concern_on_the_page,
    contacts_url,
    detail_url,
    signed_in,
)

pytestmark = pytest.mark.django_db

NO_CONTACTS = (
    "This case is completed: its tracing is over, and it takes no more contacts."
)
THE_FORM = 'id="contacts-form"'


def assert_still_completed(case: Case, *, as_completed: Case) -> None:
    """The case as its caseworker completed it: completed, when it was, theirs, in
    no queue, no local team holding it, no escalation time stamped."""
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert case.completed_at == as_completed.completed_at
    assert case.assignee_id == as_completed.assignee_id
    assert case.local_team_id is None
    assert case.escalated_at is None
    assert not Case.objects.filter(pk=case.pk).open().exists()
    assert not Case.objects.filter(pk=case.pk).held().exists()
    assert not Case.objects.filter(pk=case.pk).awaiting_assignment().exists()


def test_the_concern_goes_to_the_team_and_the_case_stays_completed(
    completed_case, caseworker, sheffield_member, client, mailoutbox, run_tasks_here
):
    client.force_login(caseworker)

    with run_tasks_here():
        response = concern_on_the_page(client, completed_case)

    page = response.content.decode()
    assert "Escalated to Sheffield Public Health" in page
    # Still the caseworker's page to read, the case completed on it.
    assert response.redirect_chain[-1][0].startswith(
        reverse("cases:detail", args=[completed_case.pk])
    )
    assert "Completed" in page
    escalation = Escalation.objects.get(case=completed_case)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert escalation.detail == CONCERN
    assert escalation.local_team == f.area(SHEFFIELD).local_team
    assert escalation.status == Escalation.Status.NEW
    assert [m.to for m in mailoutbox] == [["team@sheffield.example.org"]]
    assert_still_completed(completed_case, as_completed=completed_case)
    completed_case.refresh_from_db()
    assert completed_case.safeguarding_flag is True


def test_the_api_call_does_as_the_page(completed_case, caseworker):
    _, token = api_client_create(
        name="Telephony", scopes=[Scope.CASEWORK], rate_limit_per_minute=1000
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = http.post(
        f"/api/v1/cases/{completed_case.pk}/calls/",
        {"outcome": "safeguarding", "notes": CONCERN, "caller": caseworker.pk},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["escalated_to"] == SHEFFIELD
    escalation = Escalation.objects.get(case=completed_case)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert_still_completed(completed_case, as_completed=completed_case)


def test_the_teams_page_shows_the_concern_and_offers_no_contacts_form(
    concern, completed_case, sheffield_member
):
    page = signed_in(sheffield_member).get(detail_url(concern)).content.decode()

    assert CONCERN in page
    assert "Contacts they name" in page  # those it named, listed as ever
    assert THE_FORM not in page
    assert NO_CONTACTS in page


def test_the_team_cannot_add_contacts_to_it_on_the_page(
    concern, completed_case, sheffield_member
):
    escalation_claim(escalation=concern, by=sheffield_member)
    rows = {
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
        "contacts-0-first_name": "Ann",
        "contacts-0-last_name": "Tester",
        "contacts-0-phone": "07911 123451",
        "contacts-0-postcode": "S1 2HH",
        "contacts-0-exposure_date": "2021-01-11",
        "contacts-0-exposure": Contact.Exposure.HOUSEHOLD,
    }

    response = signed_in(sheffield_member).post(contacts_url(concern), rows)

    assert response.status_code == 409
    body = response.content.decode()
    assert NO_CONTACTS in body
    assert "was not added" in body
    assert not Contact.objects.filter(case=completed_case).exists()


def test_the_team_cannot_add_contacts_to_it_by_the_api(concern, completed_case):
    _, token = api_client_create(
        name="Sheffield dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(SHEFFIELD).local_team,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    response = http.post(
        f"/api/v1/cases/{completed_case.pk}/contacts/",
        {
            "person": {
                "first_name": "Tom",
                "last_name": "Baker",
                "phone": "0114 496 0555",
                "postcode": "S1 2HH",
            },
            "exposure_date": "2021-01-11",
            "exposure": "face_to_face",
        },
        format="json",
    )

    assert response.status_code == 409, response.content
    assert NO_CONTACTS in response.json()["detail"]
    assert not Contact.objects.filter(case=completed_case).exists()


def test_the_work_core_refuses_the_teams_contacts(
    concern, completed_case, sheffield_member
):
    row = ContactDetails(
        person=PersonDetails(
            first_name="Ann", last_name="Tester", phone="07911 123451"
        ),
        exposure_date=completed_case.specimen_date,
        exposure=Contact.Exposure.HOUSEHOLD,
    )

    with pytest.raises(IllegalTransition, match="takes no more contacts"):
        contacts_add_many(case=completed_case, rows=[row], by=sheffield_member)

    assert not Contact.objects.filter(case=completed_case).exists()


@pytest.mark.parametrize(
    "outcome", [Escalation.Outcome.REACHED, Escalation.Outcome.NOT_FOUND]
)
def test_closing_the_concern_leaves_the_case_completed(
    concern, completed_case, sheffield_member, outcome
):
    escalation_claim(escalation=concern, by=sheffield_member)

    escalation_close(
        escalation=concern, outcome=outcome, note="Visited", by=sheffield_member
    )

    concern.refresh_from_db()
    assert concern.status == Escalation.Status.CLOSED
    assert concern.outcome == outcome
    assert_still_completed(completed_case, as_completed=completed_case)
    completed_case.refresh_from_db()
    # Reached once, by phone, as its caseworker reached it.
    assert completed_case.reached_route == "national"


def test_the_concern_closed_by_mistake_is_reopened_and_the_case_stays_completed(
    concern, completed_case, sheffield_member
):
    escalation_claim(escalation=concern, by=sheffield_member)
    escalation_close(
        escalation=concern,
        outcome=Escalation.Outcome.NOT_FOUND,
        by=sheffield_member,
    )

    escalation_reopen(
        escalation=concern, reason="Closed the wrong one", by=sheffield_member
    )

    concern.refresh_from_db()
    assert concern.status == Escalation.Status.PICKED_UP
    assert_still_completed(completed_case, as_completed=completed_case)


def test_sending_the_concern_back_is_refused_saying_the_case_is_completed(
    concern, completed_case, sheffield_member
):
    escalation_claim(escalation=concern, by=sheffield_member)

    with pytest.raises(IllegalTransition, match="is completed") as refused:
        escalation_return(escalation=concern, note="Ask them", by=sheffield_member)

    assert "Close the escalation" in str(refused.value)
    assert_still_completed(completed_case, as_completed=completed_case)


def test_a_second_concern_while_the_first_is_open_is_refused_saying_whose_it_is(
    concern, completed_case, caseworker
):
    with pytest.raises(IllegalTransition, match="with Sheffield Public Health"):
        call_record(
            item=completed_case,
            caller=caseworker,
            outcome=Outcome.SAFEGUARDING,
            notes="More shouting",
        )

    assert CallAttempt.objects.filter(case=completed_case).count() == 2
    assert Escalation.objects.filter(case=completed_case).count() == 1


def test_a_second_concern_after_the_first_closed_goes_to_the_team(
    concern, completed_case, caseworker, sheffield_member
):
    escalation_claim(escalation=concern, by=sheffield_member)
    escalation_close(
        escalation=concern, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )

    logged = call_record(
        item=completed_case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="More shouting",
    )

    assert logged.escalation is not None
    assert logged.escalation.pk != concern.pk
    assert_still_completed(completed_case, as_completed=completed_case)
