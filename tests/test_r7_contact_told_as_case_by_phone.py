"""A contact whose own case is isolating now is sent no contact advice by phone.

Tom, 17, tested positive, was reached and his case completed; he is still at home
until his case's date. His sister Lily's case names him as her household: the
contact row is kept with his case's date and sent no link (contact_add), and the
local team's close sends him nothing (work.escalation). Once his case is no longer
worked, the contact is not held back from the call handlers: before, a handler's
"Reached" texted him "You have been near someone who has coronavirus" on top of his
own positive result. The call is logged reached; no advice is queued
(work.calls.advised_by_phone), nor by a call's outcome corrected to "Reached".
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from calls.models import Outcome
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from work.assignment import assign_work
from work.calls import call_correct, call_record
from work.casework import ContactDetails, contact_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MUM = "+447911100101"


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def lily() -> Case:
    person = f.PersonFactory(
        first_name="Lily",
        last_name="Hart",
        date_of_birth=dt.date(2014, 5, 1),
        phone=MUM,
    )
    return f.CaseFactory(person=person, area=person.area)


def tom_named_by_lily(*, toms_case_completed: bool = True) -> Contact:
    """Tom's contact on Lily's case, with the call handler (his case completed,
    isolating still); with `toms_case_completed` False, Tom has no case."""
    tom = f.PersonFactory(
        first_name="Tom", last_name="Hart", date_of_birth=dt.date(2003, 3, 2), phone=MUM
    )
    if toms_case_completed:
        case = f.CaseFactory(person=tom, area=tom.area)
        Case.objects.filter(pk=case.pk).update(
            status=Status.COMPLETED,
            reached_at=timezone.now(),
            completed_at=timezone.now(),
        )
        case.refresh_from_db()
        assert case.isolation_ends_on >= timezone.localdate()
    contact = contact_add(
        case=lily(),
        details=ContactDetails(
            person=PersonDetails(
                first_name="Tom",
                last_name="Hart",
                date_of_birth=dt.date(2003, 3, 2),
                phone=MUM,
            ),
            exposure_date=yesterday(),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )
    assert contact.person_id == tom.pk
    assign_work()
    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    return contact


def advice_to(contact: Contact) -> list[Message]:
    return list(
        Message.objects.filter(contact=contact, kind=Message.Kind.ISOLATION_ADVICE)
    )


def test_a_contact_whose_own_case_is_isolating_reached_by_phone_is_sent_no_advice(
    call_handler,
):
    contact = tom_named_by_lily()

    logged = call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    assert logged.message is None
    contact.refresh_from_db()
    assert contact.status == Status.REACHED
    assert logged.call.outcome == Outcome.REACHED
    assert advice_to(contact) == []


def test_a_call_corrected_to_reached_sends_no_advice_to_a_case_isolating(
    call_handler,
):
    contact = tom_named_by_lily()
    call = call_record(
        item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER
    ).call

    corrected = call_correct(
        call=call,
        outcome=Outcome.REACHED,
        reason="It was Tom: logged no answer by mistake.",
        by=call_handler,
    )

    assert corrected.message is None
    contact.refresh_from_db()
    assert contact.status == Status.REACHED
    assert advice_to(contact) == []


def test_a_contact_who_is_not_a_case_reached_by_phone_is_sent_the_advice(
    call_handler,
):
    contact = tom_named_by_lily(toms_case_completed=False)

    logged = call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    assert logged.message is not None
    assert advice_to(contact) == [logged.message]
