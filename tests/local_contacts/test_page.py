"""The people a case names to its local team (at the door, on the team's call) are
added on the escalation's page, as the caseworker adds them on the case page, and the
national call handlers phone them.

Before, the team had nowhere to put them: the case page is the caseworker's, and the
operation refused a case "With local team" and anyone but its caseworker, so every
contact of a complex case, and of a case reached at the door, was never called.
"""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests.local_teams.builders import escalated_contact
from work.assignment import assign_work
from work.escalation import escalation_claim, escalation_close

from .conftest import (
    contact_rows,
    contacts_url,
    detail_url,
    row,
    signed_in,
)

pytestmark = pytest.mark.django_db

ANN = row("Ann", "07911 123451")
BOB = row("Bob", "07911 123452", exposure="face_to_face")


def test_a_team_member_adds_two_contacts_and_call_handlers_phone_them(
    escalation, sheffield_member, call_handler
):
    escalation_claim(escalation=escalation, by=sheffield_member)
    team = signed_in(sheffield_member)

    response = team.post(contacts_url(escalation), contact_rows(ANN, BOB))

    assert response.status_code == 302
    assert response["Location"].startswith(detail_url(escalation))
    page = team.get(response["Location"])
    body = page.content.decode()
    assert "2 contacts added: call handlers will phone them" in body
    contacts = Contact.objects.filter(case=escalation.case_id).order_by("pk")
    assert [c.person.first_name for c in contacts] == ["Ann", "Bob"]
    assert all(c.identified_by == sheffield_member for c in contacts)
    assert all(c.status == Status.NEW for c in contacts)
    audited = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE,
        object_type="contacts.contact",
        object_id__in=[str(c.pk) for c in contacts],
    )
    assert {event.user for event in audited} == {sheffield_member}
    assert audited.count() == 2

    assign_work()

    assert [c.assignee for c in contacts.all()] == [call_handler, call_handler]


def test_contacts_are_added_while_the_escalation_is_new_too(
    escalation, sheffield_member
):
    response = signed_in(sheffield_member).post(
        contacts_url(escalation), contact_rows(ANN)
    )

    assert response.status_code == 302
    assert Contact.objects.filter(case=escalation.case_id).count() == 1


def test_any_member_of_the_team_adds_them_as_any_may_close_it(
    escalation, sheffield_member, sheffield_colleague
):
    escalation_claim(escalation=escalation, by=sheffield_member)

    response = signed_in(sheffield_colleague).post(
        contacts_url(escalation), contact_rows(ANN)
    )

    assert response.status_code == 302
    contact = Contact.objects.get(case=escalation.case_id)
    assert contact.identified_by == sheffield_colleague


def test_the_page_lists_the_contacts_named_above_the_form(escalation, sheffield_member):
    team = signed_in(sheffield_member)
    team.post(contacts_url(escalation), contact_rows(ANN, BOB))

    page = team.get(detail_url(escalation))

    body = page.content.decode()
    assert "Contacts they name" in body
    named = body.index('data-testid="contacts-named"')
    form = body.index('action="' + contacts_url(escalation))
    assert named < form
    listed = body[named:form]
    assert "Ann Tester" in listed
    assert "Bob Tester" in listed
    assert "Face to face" in listed
    assert "Household" in listed
    assert "Waiting" in listed  # their status, as the call handlers' queue has it


def test_a_bad_row_is_marked_and_nothing_is_saved(escalation, sheffield_member):
    response = signed_in(sheffield_member).post(
        contacts_url(escalation), contact_rows(ANN, row("Bob", "12345"))
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Contact 2: This number is not in use in the UK" in body
    # The rows come back as typed, the bad one marked.
    assert 'value="Ann"' in body
    assert 'value="12345"' in body
    assert not Contact.objects.exists()


def test_a_row_the_service_refuses_is_marked_and_nothing_is_saved(
    escalation, sheffield_member
):
    team = signed_in(sheffield_member)
    team.post(contacts_url(escalation), contact_rows(ANN))
    ann_again = {**ANN, "exposure": "face_to_face"}

    response = team.post(
        contacts_url(escalation), contact_rows(row("Cy", "07911 123453"), ann_again)
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Ann Tester is already a contact of this case." in body
    assert 'value="Cy"' in body
    contacts = Contact.objects.filter(case=escalation.case_id)
    assert [c.person.first_name for c in contacts] == ["Ann"]


def test_a_closed_escalation_refuses_and_keeps_the_rows(
    escalation, sheffield_member, sheffield_colleague
):
    escalation_claim(escalation=escalation, by=sheffield_colleague)
    # The page was drawn with the form; meanwhile a colleague closes the escalation.
    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.REACHED,
        by=sheffield_colleague,
    )

    response = signed_in(sheffield_member).post(
        contacts_url(escalation), contact_rows(ANN, BOB)
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert "This escalation is already closed" in body
    assert "were not added" in body
    assert 'data-testid="contacts-not-added"' in body
    assert "Ann Tester" in body
    assert "07911 123452" in body
    assert not Contact.objects.exists()


def test_the_form_shows_only_while_the_escalation_is_open(escalation, sheffield_member):
    team = signed_in(sheffield_member)
    assert 'id="contacts-form"' in team.get(detail_url(escalation)).content.decode()

    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )

    body = team.get(detail_url(escalation)).content.decode()
    assert 'id="contacts-form"' not in body
    assert "Contacts they name" in body  # still listed: none yet


def test_another_teams_member_is_refused(escalation, leeds_member):
    response = signed_in(leeds_member).post(contacts_url(escalation), contact_rows(ANN))

    # Another team's escalation is never told to exist, as on every page of it.
    assert response.status_code == 404
    assert not Contact.objects.exists()


@pytest.mark.parametrize("who", ["call_handler", "caseworker", "supervisor"])
def test_the_phones_staff_are_refused_with_the_reason(escalation, request, who):
    user = request.getfixturevalue(who)

    response = signed_in(user).post(contacts_url(escalation), contact_rows(ANN))

    assert response.status_code == 403
    assert "This workspace is for local public health teams" in (
        response.content.decode()
    )
    assert not Contact.objects.exists()


def test_a_contacts_escalation_names_no_contacts(clock, sheffield_member):
    escalation = escalated_contact()
    team = signed_in(sheffield_member)

    response = team.post(contacts_url(escalation), contact_rows(ANN))

    assert response.status_code == 404
    assert Contact.objects.count() == 1  # the escalated contact alone
    body = team.get(detail_url(escalation)).content.decode()
    assert "Contacts they name" not in body


def test_only_post_is_taken(escalation, sheffield_member):
    response = signed_in(sheffield_member).get(contacts_url(escalation))

    assert response.status_code == 405


def test_the_rows_sent_twice_are_added_once(escalation, sheffield_member):
    team = signed_in(sheffield_member)
    team.post(contacts_url(escalation), contact_rows(ANN, BOB))

    again = team.post(contacts_url(escalation), contact_rows(ANN, BOB), follow=True)

    assert "added once" in again.content.decode()
    assert Contact.objects.filter(case=escalation.case_id).count() == 2


def test_the_pages_queries_do_not_grow_with_the_contacts_named(
    escalation, sheffield_member, django_assert_max_num_queries
):
    team = signed_in(sheffield_member)
    team.post(contacts_url(escalation), contact_rows(ANN))
    with django_assert_max_num_queries(40) as one:
        team.get(detail_url(escalation))
    with_one = len(one)
    team.post(
        contacts_url(escalation),
        contact_rows(row("Cy", "07911 123453"), row("Di", "07911 123454")),
    )

    with django_assert_max_num_queries(with_one):
        page = team.get(detail_url(escalation))

    assert page.content.decode().count("Tester</td>") == 3
