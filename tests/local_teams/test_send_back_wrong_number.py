"""A local team sends a wrong-number escalation back only with a number a stranger
did not answer.

Before, someone whose only number had a call logged "Wrong number" on it (a
stranger answered) was sent back from "Wrong or missing number" with the new
number's box left empty: accepted, and the national callers were given the
stranger's number to ring again at once. And sent back with a new number, the
stranger's was kept as their "other phone", shown on the page as a number to ring
(and counted as a number to call if the new one failed too).

Now a number logged wrong is no number to call (work.rules.has_number_to_call):
the send back is refused without a new number, saying the number on record was
answered by someone else; a new number replaces the stranger's, which stays in
their history only, never as their other phone.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cases.workitem import Status
from escalations.models import Escalation
from people.models import PersonChange
from work.calls import number_logged_wrong
from work.escalation import (
    NEW_NUMBER_LOGGED_WRONG,
    SENT_BACK_BY,
    SENT_BACK_TO_WRONG_NUMBER,
    escalation_claim,
    escalation_return,
)
from work.rules import has_number_to_call

from .builders import SHEFFIELD, escalated_contact, person_in

pytestmark = pytest.mark.django_db

STRANGER = "+447911123450"
NEW = "+447911123457"
OTHER = "+447911123451"
SENT_BACK = "Sent back to the national queue: it will be assigned a caller."


def wrong_number_escalation(by, *, phone_alt: str = "") -> Escalation:
    """A contact whose phone a caller logged "Wrong number" on, with their local
    team for it and picked up by `by`."""
    person = person_in(SHEFFIELD, phone=STRANGER, phone_alt=phone_alt, email="")
    number_logged_wrong(person, STRANGER, now=timezone.now())
    escalation = escalated_contact(person=person, reason=Escalation.Reason.WRONG_NUMBER)
    escalation_claim(escalation=escalation, by=by)
    escalation.refresh_from_db()
    return escalation


@pytest.fixture
def stranger_only(clock, sheffield_member) -> Escalation:
    return wrong_number_escalation(sheffield_member)


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def still_with_the_team(escalation: Escalation) -> None:
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert escalation.outcome == ""
    item = escalation.item
    item.refresh_from_db()
    assert item.status == Status.ESCALATED
    assert item.next_attempt_at is None


def test_a_number_logged_wrong_is_no_number_to_call(stranger_only):
    person = stranger_only.item.person

    assert not has_number_to_call(person)


def test_the_page_refuses_it_without_a_new_number(stranger_only, sheffield_client):
    response = sheffield_client.post(
        url("return", stranger_only),
        {"note": "Neighbour says they are in; please try again", "new_phone": ""},
    )

    assert response.status_code == 400
    assert response.context["return_form"].errors["new_phone"] == [
        SENT_BACK_TO_WRONG_NUMBER
    ]
    page = response.content.decode()
    assert "answered by someone else" in page
    assert "no phone or other phone" not in page
    assert SENT_BACK not in page
    still_with_the_team(stranger_only)


def test_the_work_core_says_a_stranger_answered(stranger_only, sheffield_member):
    with pytest.raises(ValidationError) as refused:
        escalation_return(
            escalation=stranger_only, note="Try again", by=sheffield_member
        )

    assert refused.value.message_dict == {"phone": [SENT_BACK_TO_WRONG_NUMBER]}
    assert "someone else" in SENT_BACK_TO_WRONG_NUMBER
    still_with_the_team(stranger_only)


def test_the_api_refuses_it_saying_a_stranger_answered(stranger_only, sheffield_member):
    http = APIClient()
    http.force_login(sheffield_member)

    response = http.post(
        f"/api/v1/escalations/{stranger_only.pk}/return/",
        {"note": "Try them again please"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"new_phone": [SENT_BACK_TO_WRONG_NUMBER]}
    still_with_the_team(stranger_only)


def test_with_another_phone_not_logged_wrong_it_goes_back(
    clock, sheffield_member, sheffield_client
):
    escalation = wrong_number_escalation(sheffield_member, phone_alt=OTHER)

    response = sheffield_client.post(
        url("return", escalation),
        {"note": "Try the other", "new_phone": ""},
        follow=True,
    )

    assert SENT_BACK in response.content.decode()
    escalation.refresh_from_db()
    assert escalation.outcome == Escalation.Outcome.RETURNED


def test_with_a_new_number_the_strangers_is_not_kept_as_their_other_phone(
    stranger_only, sheffield_client
):
    response = sheffield_client.post(
        url("return", stranger_only),
        {"note": "Found their number from the GP", "new_phone": "07911 123457"},
        follow=True,
    )

    page = response.content.decode()
    assert SENT_BACK in page
    assert f"tel:{STRANGER}" not in page
    person = stranger_only.item.person
    person.refresh_from_db()
    assert str(person.phone) == NEW
    assert str(person.phone_alt or "") == ""
    # In their history, as any number replaced is.
    assert PersonChange.objects.filter(
        person=person,
        field="phone",
        old_value=STRANGER,
        new_value=NEW,
        source=SENT_BACK_BY,
    ).exists()
    item = stranger_only.item
    item.refresh_from_db()
    assert item.status == Status.NEW


def test_a_new_number_logged_wrong_too_leaves_no_number_to_call(
    stranger_only, sheffield_member
):
    escalation_return(
        escalation=stranger_only,
        note="Found their number from the GP",
        new_phone=NEW,
        by=sheffield_member,
    )
    person = stranger_only.item.person
    person.refresh_from_db()

    number_logged_wrong(person, NEW, now=timezone.now())

    assert not has_number_to_call(person)


def test_a_good_number_replaced_is_still_kept_as_their_other_phone(
    clock, sheffield_member
):
    person = person_in(SHEFFIELD, phone=OTHER, phone_alt="")
    escalation = escalated_contact(person=person)
    escalation_claim(escalation=escalation, by=sheffield_member)

    escalation_return(
        escalation=escalation, note="New mobile", new_phone=NEW, by=sheffield_member
    )

    person.refresh_from_db()
    assert (str(person.phone), str(person.phone_alt)) == (NEW, OTHER)


def test_the_strangers_number_is_refused_as_the_new_one(
    stranger_only, sheffield_client
):
    response = sheffield_client.post(
        url("return", stranger_only),
        {"note": "Try again", "new_phone": "07911 123450"},
    )

    assert response.status_code == 400
    assert response.context["return_form"].errors["new_phone"] == [
        NEW_NUMBER_LOGGED_WRONG
    ]
    still_with_the_team(stranger_only)
