"""The escalation page's "Their details": whoever may work the open escalation (any
member of its team, an administrator) corrects the person's details there, with the
case and contact pages' rules, through the same operation
(work.person_details.person_details_correct), from "local team page".

Before, the page had no such section, and the operation refused any item "with its
local team": the team that knocks on the door, and learns the right number, had
nowhere to put it but a send back."""

from __future__ import annotations

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person, PersonChange
from tests import factories as f
from tests.local_teams.builders import CaseFactory, ContactFactory
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_return,
    item_escalate,
)
from work.person_details import person_details_correct

from .conftest import (
    CARDIFF_POSTCODE,
    LEEDS,
    LEEDS_POSTCODE,
    SHEFFIELD,
    detail_url,
    details_url,
    form_as_drawn,
    signed_in,
)

pytestmark = pytest.mark.django_db

NEW_PHONE = "07911 123457"


def test_a_team_member_sees_their_details_on_an_open_escalation(
    escalation, sheffield_member
):
    body = signed_in(sheffield_member).get(detail_url(escalation)).content.decode()

    assert "Their details" in body
    assert f'action="{details_url(escalation)}' in body
    assert 'name="details-phone"' in body


def test_a_new_number_from_the_door_is_saved_and_the_case_stays_with_the_team(
    escalation, sheffield_member, jon
):
    escalation_claim(escalation=escalation, by=sheffield_member)
    team = signed_in(sheffield_member)

    response = team.post(details_url(escalation), form_as_drawn(jon, phone=NEW_PHONE))

    assert response.status_code == 302
    assert response["Location"].startswith(detail_url(escalation))
    assert response["Location"].endswith("#details")
    body = team.get(response["Location"]).content.decode()
    assert "Phone updated. Their old number is kept as their other phone." in body
    assert (
        "This case stays with its local team: send it back to the national queue "
        "if a call can now reach them." in body
    )
    jon.refresh_from_db()
    assert str(jon.phone) == "+447911123457"
    assert str(jon.phone_alt) == "+447911123456"
    change = PersonChange.objects.get(person=jon, field="phone")
    assert (change.old_value, change.new_value) == ("+447911123456", "+447911123457")
    assert change.source == "local team page"
    # The team holds it still: a number given is not a send back.
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert Case.objects.get(pk=escalation.case_id).status == Status.ESCALATED
    [event] = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="cases.case",
        object_id=str(escalation.case_id),
        detail__source="local team page",
    )
    assert event.user == sheffield_member
    assert event.detail["source"] == "local team page"
    assert event.detail["phone"] == "changed"
    # Which details, never their values.
    assert "123457" not in str(event.detail)


def test_any_member_of_the_team_may_correct_them_before_anyone_picks_it_up(
    escalation, sheffield_colleague, jon
):
    response = signed_in(sheffield_colleague).post(
        details_url(escalation), form_as_drawn(jon, email="jon@example.org")
    )

    assert response.status_code == 302
    jon.refresh_from_db()
    assert jon.email == "jon@example.org"


def test_a_contacts_details_are_corrected_from_its_escalation_too(
    contact_escalation, sheffield_member, jon
):
    team = signed_in(sheffield_member)

    response = team.post(
        details_url(contact_escalation),
        form_as_drawn(jon, address="3 Division Street, Sheffield"),
    )

    body = team.get(response["Location"]).content.decode()
    assert "Address updated." in body
    jon.refresh_from_db()
    assert jon.address == "3 Division Street, Sheffield"
    assert PersonChange.objects.get(person=jon).source == "local team page"


def test_bad_typing_comes_back_as_typed_with_its_reason(
    escalation, sheffield_member, jon
):
    response = signed_in(sheffield_member).post(
        details_url(escalation),
        form_as_drawn(jon, email="jon at example", first_name="Jon"),
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert "Enter an email address in the right form" in body
    assert 'value="jon at example"' in body
    assert 'value="Jon"' in body
    jon.refresh_from_db()
    assert (jon.first_name, jon.email) == ("John", "john.barker@example.com")
    assert not PersonChange.objects.exists()


def test_a_date_of_birth_after_their_test_is_refused(escalation, sheffield_member, jon):
    born = timezone.localdate().isoformat()

    response = signed_in(sheffield_member).post(
        details_url(escalation), form_as_drawn(jon, date_of_birth=born)
    )

    assert response.status_code == 400
    jon.refresh_from_db()
    assert jon.date_of_birth.year == 1985


def test_a_number_logged_wrong_is_refused(escalation, sheffield_member, jon):
    Person.objects.filter(pk=jon.pk).update(wrong_numbers=["+447911123457"])

    response = signed_in(sheffield_member).post(
        details_url(escalation), form_as_drawn(jon, phone=NEW_PHONE)
    )

    assert response.status_code == 400
    assert "logged “Wrong number”" in response.content.decode()


def test_a_form_left_open_never_undoes_what_a_colleague_saved_meanwhile(
    escalation, sheffield_member, sheffield_colleague, jon
):
    drawn = form_as_drawn(jon, phone=NEW_PHONE)
    person_details_correct(
        person=jon,
        item=Case.objects.get(pk=escalation.case_id),
        given={"phone": "07911 123458"},
        by=sheffield_colleague,
        source="local team page",
    )

    response = signed_in(sheffield_member).post(details_url(escalation), drawn)

    assert response.status_code == 400
    assert "Changed meanwhile by" in response.content.decode()
    jon.refresh_from_db()
    assert str(jon.phone) == "+447911123458"


def test_another_teams_member_is_told_nothing_of_it(escalation, leeds_member, jon):
    response = signed_in(leeds_member).post(
        details_url(escalation), form_as_drawn(jon, first_name="Jon")
    )

    assert response.status_code == 404
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_a_call_handler_may_not_use_the_teams_page(escalation, call_handler, jon):
    response = signed_in(call_handler).post(
        details_url(escalation), form_as_drawn(jon, first_name="Jon")
    )

    assert response.status_code == 403


def test_an_administrator_may_correct_them_as_they_may_work_it(
    escalation, jon, django_user_model
):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", "x")

    response = signed_in(admin).post(
        details_url(escalation), form_as_drawn(jon, first_name="Jon")
    )

    assert response.status_code == 302
    jon.refresh_from_db()
    assert jon.first_name == "Jon"


# -- closed, or sent back -------------------------------------------------------------


def test_a_closed_escalation_draws_no_form_and_refuses_one_sent(
    escalation, sheffield_member, jon
):
    team = signed_in(sheffield_member)
    drawn = form_as_drawn(jon, first_name="Jon")
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.NOT_FOUND, by=sheffield_member
    )

    page = team.get(detail_url(escalation)).content.decode()
    response = team.post(details_url(escalation), drawn)

    assert 'name="details-phone"' not in page
    assert "This escalation is closed: their details can no longer be changed" in page
    assert response.status_code == 409
    body = response.content.decode()
    assert "This escalation is closed: their details can no longer be changed" in body
    # What they typed, to pass on.
    assert "Nothing was saved. What you typed is below, to pass on." in body
    assert (
        'First name</dt>\n      <dd class="nhsuk-summary-list__value">Jon</dd>' in body
    )
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_one_sent_back_is_refused_with_who_corrects_them_now(
    escalation, sheffield_member, jon
):
    team = signed_in(sheffield_member)
    drawn = form_as_drawn(jon, first_name="Jon")
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_return(escalation=escalation, note="Moved", by=sheffield_member)

    page = team.get(detail_url(escalation)).content.decode()
    response = team.post(details_url(escalation), drawn)

    assert 'name="details-phone"' not in page
    assert response.status_code == 409
    assert (
        "This case was sent back to the national queue: their details are corrected "
        "by whoever works it now, not by your team." in response.content.decode()
    )
    jon.refresh_from_db()
    assert jon.first_name == "John"


# -- a new postcode -------------------------------------------------------------------


def test_a_move_to_leeds_keeps_the_case_with_the_team_and_moves_their_other_work(
    escalation, sheffield_member, jon
):
    waiting = ContactFactory(person=jon, area=jon.area)
    team = signed_in(sheffield_member)

    response = team.post(
        details_url(escalation), form_as_drawn(jon, postcode=LEEDS_POSTCODE)
    )

    body = team.get(response["Location"]).content.decode()
    assert "Postcode updated. They now live in Leeds." in body
    assert "This case stays with its local team." in body
    case = Case.objects.get(pk=escalation.case_id)
    assert case.area.code == SHEFFIELD
    waiting.refresh_from_db()
    assert waiting.area.code == LEEDS


def test_a_postcode_outside_england_is_said_and_their_other_work_goes_with_it(
    escalation, sheffield_member, jon
):
    waiting = ContactFactory(person=jon, area=jon.area)
    team = signed_in(sheffield_member)

    response = team.post(
        details_url(escalation), form_as_drawn(jon, postcode=CARDIFF_POSTCODE)
    )

    body = team.get(response["Location"]).content.decode()
    assert f"{CARDIFF_POSTCODE} is outside England:" in body
    jon.refresh_from_db()
    assert (jon.postcode, jon.area) == (CARDIFF_POSTCODE, None)
    # The team's case stays theirs; the contact with the phones follows them to no
    # area, for the fallback team if it is escalated.
    assert Case.objects.get(pk=escalation.case_id).area.code == SHEFFIELD
    waiting.refresh_from_db()
    assert (waiting.area, waiting.area_unknown) == (None, True)
    later = item_escalate(item=waiting, reason=Escalation.Reason.UNREACHED)
    assert later.local_team.is_fallback
    assert later.area_unknown


def test_a_phone_added_to_someone_with_none_leaves_the_case_with_the_team(
    clock, sheffield_member
):
    nobody = f.PersonFactory(phone="", postcode="S1 1AA")
    case = CaseFactory(person=nobody)
    escalation = item_escalate(item=case, reason=Escalation.Reason.WRONG_NUMBER)
    other = ContactFactory(person=nobody, escalate_due_at=timezone.now())

    response = signed_in(sheffield_member).post(
        details_url(escalation), form_as_drawn(nobody, phone=NEW_PHONE)
    )

    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert Case.objects.get(pk=case.pk).status == Status.ESCALATED
    # Their other item, waiting for want of a number, is the phones' again.
    other.refresh_from_db()
    assert other.escalate_due_at > timezone.now()
    assert Contact.objects.get(pk=other.pk).status == Status.NEW


def test_the_way_back_to_the_list_is_kept_through_the_form(
    escalation, sheffield_member, jon
):
    team = signed_in(sheffield_member)
    back = "/local/?tab=new"
    page = team.get(detail_url(escalation), {"back": back}).content.decode()
    assert (
        f'action="{details_url(escalation)}?back=%2Flocal%2F%3Ftab%3Dnew#details"'
        in (page)
    )

    response = team.post(
        f"{details_url(escalation)}?back=%2Flocal%2F%3Ftab%3Dnew",
        form_as_drawn(jon, first_name="Jon"),
    )

    assert response["Location"] == (
        f"{detail_url(escalation)}?back=%2Flocal%2F%3Ftab%3Dnew#details"
    )
