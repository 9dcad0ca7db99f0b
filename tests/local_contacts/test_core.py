"""Who may name the contacts of a case, in the work core every door calls
(work.casework.contacts_add_many and contact_add, work.access.cases.may_add_contacts):
the caseworker's rights as they were, and the local team's while the case is theirs.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from tests.local_teams.builders import SHEFFIELD, CaseFactory, person_in
from work.access.cases import may_add_contacts
from work.assignment import item_assign
from work.casework import ContactDetails, contact_add, contacts_add_many
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_return,
    item_escalate,
)
from work.withdraw import case_withdraw

pytestmark = pytest.mark.django_db

EXPOSED_ON = dt.date(2021, 1, 11)


def named(first: str, phone: str = "07911 123451") -> ContactDetails:
    return ContactDetails(
        person=PersonDetails(
            first_name=first, last_name="Tester", phone=phone, postcode="S1 2HH"
        ),
        exposure_date=EXPOSED_ON,
        exposure=Contact.Exposure.HOUSEHOLD,
    )


@pytest.fixture
def held_case(clock, caseworker) -> Case:
    """A routine Sheffield case its tier 2 caseworker holds."""
    case = CaseFactory(person=person_in(SHEFFIELD), area=f.area())
    item_assign(item=case, to=caseworker)
    case.refresh_from_db()
    return case


# --- the local team, while the case is theirs ---------------------------------------


def test_a_team_member_adds_the_contacts_of_a_case_with_the_team(
    escalation, sheffield_member
):
    case = escalation.case

    added = contacts_add_many(
        case=case,
        rows=[named("Ann"), named("Bob", "07911 123452")],
        by=sheffield_member,
    )

    assert [c.person.first_name for c in added] == ["Ann", "Bob"]
    assert all(c.case_id == case.pk for c in added)
    assert may_add_contacts(sheffield_member, case)


def test_a_contact_with_no_number_goes_to_its_local_team_as_any_other(
    escalation, sheffield_member
):
    no_phone = ContactDetails(
        person=PersonDetails(first_name="Cal", last_name="Tester", postcode="S1 2HH"),
        exposure_date=EXPOSED_ON,
        exposure=Contact.Exposure.HOUSEHOLD,
    )

    contact = contact_add(case=escalation.case, details=no_phone, by=sheffield_member)

    # Due to their local team at once: the sweep takes it, no call handler is given it.
    assert contact.escalate_due_at == timezone.now()


def test_a_closed_escalation_refuses_and_saves_nothing(escalation, sheffield_member):
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )
    case = Case.objects.get(pk=escalation.case_id)

    with pytest.raises(IllegalTransition, match="This case is closed"):
        contacts_add_many(case=case, rows=[named("Ann")], by=sheffield_member)

    assert not Contact.objects.exists()
    assert not may_add_contacts(sheffield_member, case)


def test_a_case_sent_back_to_the_phones_is_no_longer_the_teams(
    escalation, sheffield_member
):
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_return(escalation=escalation, note="New number", by=sheffield_member)
    case = Case.objects.get(pk=escalation.case_id)
    assert case.status == Status.NEW

    with pytest.raises(IllegalTransition, match="sent back to the national queue"):
        contact_add(case=case, details=named("Ann"), by=sheffield_member)

    assert not Contact.objects.exists()


def test_a_withdrawn_case_takes_no_contacts_while_its_concern_is_open(
    held_case, sheffield_member, supervisor
):
    # A safeguarding concern stays with the team when the result is withdrawn.
    concern = item_escalate(item=held_case, reason=Escalation.Reason.SAFEGUARDING)
    case_withdraw(case=held_case, reason="Sent in error by the lab", by=supervisor)
    case = Case.objects.get(pk=held_case.pk)
    assert case.status == Status.WITHDRAWN
    assert Escalation.objects.get(pk=concern.pk).closed_at is None

    with pytest.raises(IllegalTransition, match="withdrawn"):
        contact_add(case=case, details=named("Ann"), by=sheffield_member)


def test_another_teams_member_is_refused_as_not_theirs(escalation, leeds_member):
    with pytest.raises(PermissionDenied):
        contacts_add_many(case=escalation.case, rows=[named("Ann")], by=leeds_member)

    assert not Contact.objects.exists()


def test_a_team_member_may_not_add_to_a_case_with_the_phones(
    held_case, sheffield_member
):
    # Their own area's case, held by its caseworker: not the team's to work.
    with pytest.raises(PermissionDenied):
        contact_add(case=held_case, details=named("Ann"), by=sheffield_member)


# --- everyone else, as before ----------------------------------------------------------


def test_the_caseworker_holding_the_case_adds_its_contacts(held_case, caseworker):
    contact = contact_add(case=held_case, details=named("Ann"), by=caseworker)

    assert contact.identified_by == caseworker
    assert may_add_contacts(caseworker, held_case)


def test_the_caseworker_may_not_once_the_case_went_to_its_team(held_case, caseworker):
    item_escalate(item=held_case, reason=Escalation.Reason.COMPLEX)
    case = Case.objects.get(pk=held_case.pk)

    with pytest.raises(PermissionDenied):
        contact_add(case=case, details=named("Ann"), by=caseworker)


def test_a_national_supervisor_may_not_add_to_a_case_with_a_local_team(
    escalation, supervisor
):
    with pytest.raises(IllegalTransition, match="with local team"):
        contact_add(case=escalation.case, details=named("Ann"), by=supervisor)


def test_a_call_handler_may_not_add_contacts(escalation, held_case, call_handler):
    for case in (escalation.case, held_case):
        with pytest.raises(PermissionDenied):
            contact_add(case=case, details=named("Ann"), by=call_handler)

    assert not Contact.objects.exists()


def test_a_completed_case_takes_no_contacts(held_case, caseworker):
    Case.objects.filter(pk=held_case.pk).update(status=Status.COMPLETED)
    case = Case.objects.get(pk=held_case.pk)

    with pytest.raises(IllegalTransition, match="completed"):
        contact_add(case=case, details=named("Ann"), by=caseworker)
