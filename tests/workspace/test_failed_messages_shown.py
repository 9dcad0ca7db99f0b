"""A message to the person that never reached them (the isolation advice after a
reached call, a clinician's new end date) is shown on their case or contact page, so
staff do not believe the person has in writing what they never got. Before, only the
link's message was shown anywhere; the rest were visible only in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.workitem import Status
from notify.errors import PermanentFailure
from notify.services import message_send
from people.models import Message
from tests import factories as f
from tests.notify.fakes import RecordingBackend
from work.calls import call_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset(PermanentFailure("400 bad number"))
    yield
    RecordingBackend.reset()


def reached(contact, caller) -> Message:
    logged = call_record(item=contact, caller=caller, outcome="reached")
    assert logged.message is not None
    return logged.message


def test_an_isolation_advice_that_failed_is_shown_on_the_contact_page(
    client, call_handler, refusing
):
    contact = f.ContactFactory(
        status=Status.ASSIGNED,
        assignee=call_handler,
        person=f.PersonFactory(phone="+447400123678"),
    )
    message = reached(contact, call_handler)
    message_send(message.pk)
    client.force_login(call_handler)

    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert 'data-testid="failed-messages"' in html
    assert "Isolation advice" in html
    assert "by text to 07*** ***678" in html
    assert "400 bad number" in html
    assert "+447400123678" not in html.split('data-testid="failed-messages"')[1][:600]


def test_a_message_sent_is_not_shown_as_failed(client, call_handler, settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset("provider-1")
    contact = f.ContactFactory(
        status=Status.ASSIGNED,
        assignee=call_handler,
        person=f.PersonFactory(phone="+447400123678"),
    )
    message_send(reached(contact, call_handler).pk)
    client.force_login(call_handler)

    html = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert 'data-testid="failed-messages"' not in html
    RecordingBackend.reset()


def test_a_failed_message_about_a_case_is_shown_on_the_case_page(
    client, caseworker, refusing
):
    case = f.CaseFactory(
        status=Status.ASSIGNED,
        assignee=caseworker,
        person=f.PersonFactory(phone="+447400123999"),
    )
    message = Message.objects.create(
        person=case.person,
        case=case,
        kind=Message.Kind.ISOLATION_ADVICE,
        key=f"isolation_override:case:{case.pk}:1",
        channel=Message.Channel.SMS,
        to="+447400123999",
        body="Your new date",
    )
    message_send(message.pk)
    client.force_login(caseworker)

    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()

    assert "Their new isolation end date" in html
    assert "400 bad number" in html
