"""A local team cannot send someone with no number back to the national callers
without giving one.

Before, a contact escalated with no phone and no other phone was sent back with no
new number ("Sent back to the national queue: it will be assigned a caller"): a call
handler was given someone with nothing to ring, and a day later they were back with
the team. Now the page refuses it on the new number's field, and the API with a 400
on "new_phone" (the request's field for it), and nothing changes; with a new
number, or with a number on their record, it goes back.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from cases.workitem import Status
from escalations.models import Escalation
from work.escalation import escalation_claim, escalation_close, escalation_return

from .builders import SHEFFIELD, escalated_case, escalated_contact, person_in

pytestmark = pytest.mark.django_db

CANNOT = (
    "The national callers cannot phone them: give a new number, or close it with "
    "what your team did."
)
SENT_BACK = "Sent back to the national queue: it will be assigned a caller."


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def claimed(escalation: Escalation, by) -> Escalation:
    escalation_claim(escalation=escalation, by=by)
    escalation.refresh_from_db()
    return escalation


@pytest.fixture
def no_number(clock, sheffield_member):
    person = person_in(SHEFFIELD, phone="", phone_alt="", email="")
    return claimed(escalated_contact(person=person), sheffield_member)


def still_with_the_team(escalation: Escalation) -> None:
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert escalation.outcome == ""
    item = escalation.item
    item.refresh_from_db()
    assert item.status == Status.ESCALATED
    assert item.assignee is None


def test_the_page_refuses_it_on_the_new_number(no_number, sheffield_client):
    response = sheffield_client.post(
        url("return", no_number), {"note": "Try them again please", "new_phone": ""}
    )

    assert response.status_code == 400
    assert response.context["return_form"].errors["new_phone"] == [CANNOT]
    page = response.content.decode()
    assert CANNOT in page
    assert SENT_BACK not in page
    still_with_the_team(no_number)


def test_the_api_refuses_it_with_a_400_saying_why(no_number, sheffield_member):
    http = APIClient()
    http.force_login(sheffield_member)

    response = http.post(
        f"/api/v1/escalations/{no_number.pk}/return/",
        {"note": "Try them again please"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"new_phone": [CANNOT]}
    still_with_the_team(no_number)


def test_a_case_with_no_number_is_refused_too(clock, sheffield_member):
    person = person_in(SHEFFIELD, phone="", phone_alt="")
    escalation = claimed(escalated_case(person=person), sheffield_member)

    with pytest.raises(ValidationError) as refused:
        escalation_return(escalation=escalation, note="Again", by=sheffield_member)

    assert refused.value.message_dict == {"phone": [CANNOT]}
    still_with_the_team(escalation)


def test_with_a_new_number_it_goes_back(no_number, sheffield_client):
    response = sheffield_client.post(
        url("return", no_number),
        {"note": "Neighbour gave a mobile", "new_phone": "07911 123457"},
        follow=True,
    )

    assert SENT_BACK in response.content.decode()
    contact = no_number.contact
    contact.refresh_from_db()
    assert contact.status == Status.NEW
    assert str(contact.person.phone) == "+447911123457"


@pytest.mark.parametrize(
    "numbers",
    [
        {"phone": "+447911123450", "phone_alt": ""},
        {"phone": "", "phone_alt": "+447911123450"},
    ],
    ids=["phone", "other phone only"],
)
def test_someone_with_a_number_on_record_goes_back_without_a_new_one(
    clock, sheffield_member, sheffield_client, numbers
):
    escalation = claimed(
        escalated_contact(person=person_in(SHEFFIELD, **numbers)), sheffield_member
    )

    response = sheffield_client.post(
        url("return", escalation), {"note": "Try again", "new_phone": ""}, follow=True
    )

    assert SENT_BACK in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.outcome == Escalation.Outcome.RETURNED


def test_a_team_closing_it_instead_is_not_asked_for_a_number(
    no_number, sheffield_member
):
    escalation_close(
        escalation=no_number,
        outcome=Escalation.Outcome.NOT_FOUND,
        note="Letter sent, no reply",
        by=sheffield_member,
    )

    no_number.refresh_from_db()
    assert no_number.status == Escalation.Status.CLOSED
