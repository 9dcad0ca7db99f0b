"""Review of 67b702a: isolation advice being sent (in the provider's hands) when
the contact's phone is corrected: the correction queues a copy to the new number
(work.person_details._messages_follow takes "sending" as not sent yet) and marks
the first superseded; the provider then takes the first, recorded sent
(notify.services.message_send: it went)."""

from __future__ import annotations

import pytest

from calls.models import CallAttempt, Outcome
from people.models import Message
from tests.advice_resent.conftest import NEW_MOBILE, OLD_MOBILE, api
from tests.advice_resent.test_advice_followed import held_contact, reached_on_the_api
from work.calls import call_correct
from work.person_details import person_details_correct

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_reached_corrected_away_withdraws_the_copy_of_advice_sent_while_corrected(
    jo, call_handler
):
    """What the caller sees: they correct "Reached" to "No answer" (a voicemail);
    the page says the advice "had already been sent to 07911 100001: tell them the
    date". But the copy the phone correction queued to 07911 100002 is still
    queued, and the person who was never reached is texted their isolation advice
    (a second time). advice_of/message_standing stops at the first text because its
    status is "sent" now, although it was superseded by a copy (it went while being
    replaced). Should: the queued copy withdrawn with the reach (work/calls.py
    _advice_taken_back, or notify.services.message_standing following a copy whatever
    the status of the one it replaced)."""
    contact = held_contact(jo, call_handler)
    assert reached_on_the_api(api(), contact, call_handler).status_code == 201
    first = Message.objects.get(contact=contact)
    assert first.to == OLD_MOBILE
    # The sending task has it: in the provider's hands.
    Message.objects.filter(pk=first.pk).update(
        status=Message.Status.SENDING, attempts=1
    )

    person_details_correct(
        person=jo,
        item=contact,
        given={"phone": NEW_MOBILE},
        by=None,
        source="contact page",
    )
    copy = Message.objects.get(contact=contact, to=NEW_MOBILE)
    assert copy.status == Message.Status.QUEUED
    # The provider took the first: recorded sent (message_send's last step).
    Message.objects.filter(pk=first.pk).update(status=Message.Status.SENT)

    call_correct(
        call=CallAttempt.objects.get(contact=contact),
        outcome=Outcome.NO_ANSWER,
        reason="A voicemail, logged as reached",
        by=call_handler,
    )

    copy.refresh_from_db()
    assert copy.status != Message.Status.QUEUED, (
        "isolation advice still queued to someone the caller never reached"
    )
