"""Isolation advice held up by a provider's outage, then sent again to the person's
new number or email (their details corrected, or their two records merged: notify's
message_requeue, under a key of its own), is the advice the service tells of.

Before, the call, the API and the local team's close looked the advice up by its
first key, and found the text replaced: a call sent again said the advice went by
text to the number corrected away, a close sent again that it was texted to the
merged record's old number, and a "Reached" corrected away withdrew nothing, so
the advice went out all the same to the new address of someone never reached.
"""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from people.models import Message, PersonMerge, PossibleDuplicate
from tests import factories as f
from tests.local_teams.builders import escalated_contact
from work.calls import advice_of, call_correct
from work.merge import person_merge, person_merge_defaults, person_merge_undo
from work.person_details import person_details_correct

from .conftest import EMAIL, LANDLINE, NEW_MOBILE, OLD_MOBILE, SHEFFIELD, api

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

KEY = {"HTTP_IDEMPOTENCY_KEY": "call-1"}


def held_contact(person, call_handler):
    return f.ContactFactory(
        person=person, status=Status.ASSIGNED, assignee=call_handler
    )


def held_up(message: Message) -> None:
    """Tried once and waiting to be tried again: the provider had an outage."""
    Message.objects.filter(pk=message.pk).update(attempts=1)


def reached_on_the_api(http, contact, call_handler):
    return http.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        {"outcome": "reached", "caller": call_handler.pk},
        format="json",
        **KEY,
    )


def landline_given(person, contact) -> None:
    """Their phone corrected to a landline: a text can no longer go to them, an
    email can."""
    person_details_correct(
        person=person,
        item=contact,
        given={"phone": LANDLINE},
        by=None,
        source="contact page",
    )


def test_a_call_sent_again_says_the_advice_goes_by_email_now(jo, call_handler):
    contact = held_contact(jo, call_handler)
    http = api()
    first = reached_on_the_api(http, contact, call_handler)
    assert first.status_code == 201, first.content
    assert first.json()["told_by"] == "sms"
    texted = Message.objects.get(contact=contact)
    held_up(texted)

    landline_given(jo, contact)

    again = reached_on_the_api(http, contact, call_handler)
    assert again.status_code == 200
    assert again.json()["told_by"] == "email"
    texted.refresh_from_db()
    assert texted.status == Message.Status.SUPERSEDED
    emailed = advice_of(contact)
    assert emailed is not None
    assert (emailed.channel, emailed.to, emailed.status) == (
        Message.Channel.EMAIL,
        EMAIL,
        Message.Status.QUEUED,
    )


def test_reached_corrected_away_withdraws_the_advice_sent_again(jo, call_handler):
    contact = held_contact(jo, call_handler)
    reached_on_the_api(api(), contact, call_handler)
    texted = Message.objects.get(contact=contact)
    held_up(texted)
    landline_given(jo, contact)
    call = CallAttempt.objects.get(contact=contact)

    corrected = call_correct(
        call=call,
        outcome=Outcome.NO_ANSWER,
        reason="A voicemail, logged as reached",
        by=call_handler,
    )

    emailed = Message.objects.get(contact=contact, channel=Message.Channel.EMAIL)
    assert emailed.status == Message.Status.SUPERSEDED  # never goes
    assert corrected.advice_withdrawn is not None
    assert corrected.advice_withdrawn.pk == emailed.pk


def test_a_correction_sent_twice_names_the_advice_it_withdrew(jo, call_handler):
    """The correction sent again (a double click) is answered as the first: the
    advice it withdrew is the email sent in the text's place, not the text to the
    number corrected away."""
    contact = held_contact(jo, call_handler)
    reached_on_the_api(api(), contact, call_handler)
    held_up(Message.objects.get(contact=contact))
    landline_given(jo, contact)
    call = CallAttempt.objects.get(contact=contact)
    submission = uuid.uuid4()

    def corrected():
        return call_correct(
            call=call,
            outcome=Outcome.NO_ANSWER,
            reason="A voicemail, logged as reached",
            by=call_handler,
            submission=submission,
        )

    first, again = corrected(), corrected()

    emailed = Message.objects.get(contact=contact, channel=Message.Channel.EMAIL)
    assert again.repeated
    assert first.advice_withdrawn is not None
    assert again.advice_withdrawn is not None
    assert again.advice_withdrawn.pk == first.advice_withdrawn.pk == emailed.pk


CLOSE = {"outcome": "reached", "note": "Advised at the door"}


def closed_reached_on_the_api(team, escalation) -> dict:
    """The team's close "Reached and advised" (sent again: answered as the first)."""
    answer = team.post(
        f"/api/v1/escalations/{escalation.pk}/close/", CLOSE, format="json"
    )
    assert answer.status_code == 200, answer.content
    return answer.json()["advice"]


def merged_with_a_record_on_a_new_mobile(person, *, by) -> PersonMerge:
    """Their other record, on a new mobile, merged into theirs, its phone kept."""
    other = f.PersonFactory(
        first_name=person.first_name,
        last_name=person.last_name,
        date_of_birth=person.date_of_birth,
        phone=NEW_MOBILE,
    )
    a, b = sorted((person.pk, other.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a, person_b_id=b, score=0.9, created_at=timezone.now()
    )
    fields = person_merge_defaults(person_a=pair.person_a, person_b=pair.person_b)
    fields["phone"] = "a" if a == other.pk else "b"
    return person_merge(pair=pair, survivor=person, fields=fields, by=by)


@pytest.fixture
def closed_with_advice_held_up():
    """A Sheffield contact its team reached at the door, the advice text to their
    old mobile held up by an outage; the team's integration."""
    escalation = escalated_contact(SHEFFIELD)
    person = escalation.contact.person
    type(person).objects.filter(pk=person.pk).update(phone=OLD_MOBILE, email="")
    team = api(local_team=f.area(SHEFFIELD).local_team)
    assert team.post(f"/api/v1/escalations/{escalation.pk}/claim/").status_code == 200
    assert closed_reached_on_the_api(team, escalation)["to"] == OLD_MOBILE
    held_up(Message.objects.get(contact=escalation.contact))
    return escalation, team


def test_a_close_sent_again_after_a_merge_says_where_the_advice_goes_now(
    closed_with_advice_held_up, supervisor
):
    escalation, team = closed_with_advice_held_up
    merged_with_a_record_on_a_new_mobile(escalation.contact.person, by=supervisor)

    advice = closed_reached_on_the_api(team, escalation)

    assert advice == {"sent": True, "channel": "sms", "to": NEW_MOBILE, "not_sent": ""}


def test_the_merge_undone_the_advice_goes_to_the_old_mobile_again(
    closed_with_advice_held_up, supervisor
):
    """The undo queues the first text again and withdraws the copy: the first is
    the advice again."""
    escalation, team = closed_with_advice_held_up
    merge = merged_with_a_record_on_a_new_mobile(
        escalation.contact.person, by=supervisor
    )
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)

    person_merge_undo(merge=merge, by=admin)

    advice = closed_reached_on_the_api(team, escalation)
    assert advice["to"] == OLD_MOBILE
    standing = advice_of(escalation.contact)
    assert standing is not None
    assert (standing.to, standing.status) == (OLD_MOBILE, Message.Status.QUEUED)


def test_the_call_page_sent_again_says_the_advice_goes_by_email_now(
    jo, call_handler, client
):
    contact = held_contact(jo, call_handler)
    client.force_login(call_handler)
    form = {"outcome": "reached", "submission": "6b2c1a52-5d0e-4a43-9f0a-0c1d2e3f4a5b"}
    url = reverse("contacts:call", args=[contact.pk])
    first = client.post(url, form, follow=True).content.decode()
    assert "queued as a text to 07911 100001" in first
    held_up(Message.objects.get(contact=contact))
    landline_given(jo, contact)

    again = client.post(url, form, follow=True).content.decode()  # sent again

    assert f"queued as an email to {EMAIL}" in again
    assert "queued as a text" not in again


def test_merged_again_after_an_undo_the_advice_goes_to_the_new_mobile(
    closed_with_advice_held_up, supervisor
):
    """Merged, the merge undone, then merged again while the advice still waits:
    the second merge queues its own copy to the new mobile. Before, it found the
    copy the undo had withdrawn (the same key), replaced the waiting text with it,
    and no advice went at all."""
    escalation, team = closed_with_advice_held_up
    person = escalation.contact.person
    merge = merged_with_a_record_on_a_new_mobile(person, by=supervisor)
    other = merge.merged
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    person_merge_undo(merge=merge, by=admin)

    a, b = sorted((person.pk, other.pk))
    pair, _ = PossibleDuplicate.objects.get_or_create(
        person_a_id=a,
        person_b_id=b,
        defaults={"score": 0.9, "created_at": timezone.now()},
    )
    fields = person_merge_defaults(person_a=pair.person_a, person_b=pair.person_b)
    fields["phone"] = "a" if a == other.pk else "b"
    person_merge(pair=pair, survivor=person, fields=fields, by=supervisor)

    standing = advice_of(escalation.contact)
    assert standing is not None
    assert (standing.to, standing.status) == (NEW_MOBILE, Message.Status.QUEUED)
    assert closed_reached_on_the_api(team, escalation)["to"] == NEW_MOBILE
