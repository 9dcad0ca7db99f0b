"""The isolation advice text of a reached contact goes out once, by the file backend."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.workitem import Status
from notify.backends import read_sent
from online.texts import addressed
from people.models import Language, Message
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
    assert sent["body"] == addressed(
        isolation_advice_text(held_contact), held_contact.person.first_name
    )


def held(call_handler, **person):
    contact = f.ContactFactory(**{f"person__{k}": v for k, v in person.items()})
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


def test_a_contact_on_a_landline_is_sent_no_text_and_one_with_an_email_an_email(
    call_handler,
):
    """Before, the advice was 'queued as a text' to a landline number."""
    landline = held(call_handler, phone="+441142731234", email="")
    emailed = held(call_handler, phone="+441142731235", email="cat@example.org")

    told = call_record(item=landline, caller=call_handler, outcome=Outcome.REACHED)
    mailed = call_record(item=emailed, caller=call_handler, outcome=Outcome.REACHED)

    assert told.message is None
    assert mailed.message is not None
    assert (mailed.message.channel, mailed.message.to) == ("email", "cat@example.org")


def test_a_welsh_speaker_is_told_in_welsh(call_handler):
    welsh, _ = Language.objects.get_or_create(code="cy", defaults={"name": "Welsh"})
    contact = held(call_handler, phone="+447911123457", language=welsh)

    logged = call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    assert logged.message.language == "cy"
    assert logged.message.body.startswith(
        f"GIG Profi ac Olrhain: neges ar gyfer {contact.person.first_name}. Rydych "
        "wedi bod yn agos at rywun sydd â coronafeirws."
    )


def test_the_contact_page_says_the_advice_went_by_email(client, call_handler):
    contact = held(call_handler, phone="+441142731235", email="cat@example.org")
    client.force_login(call_handler)

    page = client.post(
        reverse("contacts:call", args=[contact.pk]), {"outcome": "reached"}, follow=True
    )

    assert "The isolation advice is queued as an email to cat@example.org." in (
        page.content.decode()
    )
