"""The isolation advice text of a reached contact goes out once, by the file backend."""

from __future__ import annotations

import pytest
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.workitem import Status
from notify.backends import read_sent
from people.models import Message
from tests import factories as f
from work.calls import call_record, isolation_advice_text


@pytest.fixture
def held_contact(call_handler):
    contact = f.ContactFactory()
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


def test_a_reached_contact_is_texted_once_however_often_the_call_is_recorded(
    held_contact, call_handler, run_tasks_here, sent_dir
):
    with run_tasks_here():
        first = call_record(
            item=held_contact, caller=call_handler, outcome=Outcome.REACHED
        )
    # Recorded again: refused now the contact is reached...
    with run_tasks_here(), pytest.raises(IllegalTransition):
        call_record(item=held_contact, caller=call_handler, outcome=Outcome.REACHED)
    # ...and were it workable again (put back in the holder's queue), the call is
    # recorded but the text is the first one, not sent again.
    type(held_contact).objects.filter(pk=held_contact.pk).update(status=Status.ASSIGNED)
    with run_tasks_here():
        again = call_record(
            item=held_contact, caller=call_handler, outcome=Outcome.REACHED
        )

    assert CallAttempt.objects.filter(contact=held_contact).count() == 2
    assert again.message == first.message
    message = Message.objects.get()
    assert message.key == f"isolation_advice:contact:{held_contact.pk}"
    assert message.status == Message.Status.SENT
    assert message.attempts == 1
    (sent,) = read_sent()
    assert sent["id"] == message.provider_reference
    assert sent["key"] == message.key
    assert sent["to"] == str(held_contact.person.phone)
    assert sent["channel"] == "sms"
    assert sent["kind"] == "isolation_advice"
    assert sent["body"] == isolation_advice_text(held_contact)
