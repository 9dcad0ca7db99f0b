"""A clinician's override and the rule that one person has one date: a positive test
settles it, to their own case's end (work.isolation.contacts_become_cases).

Sam was named as a contact (exposed Saturday 5 December: until Tuesday the 15th)
and then tested positive (tested Thursday 3 December: until Sunday the 13th, the
date their case's link texted them); the contact row follows the case's date.

Before, a clinician working the naming case could shorten Sam's contact row below
their case's date (to the 9th): accepted, and Sam was texted "You have been near
someone who has coronavirus ... until the end of Wednesday 9 December", a contact's
first advice, as if nobody had told them anything (only that row's messages were
looked at); the call handler read out the 9th, the case said the 13th. Now the
override of a contact row is refused below the end of the person's own case, with
the reason, and the text an override sends looks at what the person was told about
any of their rows. And with the contact row lengthened (to the 20th, and Sam texted
that), an override of Sam's case to the 16th texted "until the 16th. This replaces
the date we gave you before.", a date in force nowhere: the 20th stands. Now Sam is
told only the date in force for them, or nothing when it did not change, and the
clinician's page says why no text went.

The clock stands at Monday 7 December 2026, 10:00 GMT.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from notify.errors import TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message
from tests.isolation.conftest import D
from tests.notify.fakes import RecordingBackend
from tests.work.test_onset_corrected import (
    DECEMBER_7,
    REPLACES,
    TESTED_ENDS,
    all_messages,
    case_texted,
    named,
    positive,
    read_out,
    recording,  # noqa: F401
    told_since,
)
from work.isolation import isolation_override

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

FIRST_ADVICE = "You have been near someone who has coronavirus"
SHORTENED = D(2026, 12, 9)  # Wednesday, before the case's 13th
LENGTHENED = D(2026, 12, 20)  # Sunday, after it
CASE_OVERRIDDEN = D(2026, 12, 16)  # Wednesday, between the two


def contact_and_case(caseworker, call_handler, *, texted: bool = True):
    contact = named(caseworker, call_handler, texted=texted)
    case = case_texted(caseworker)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == TESTED_ENDS
    return contact, case


def override_on_page(client, clinician, item, ends_on, reason="clinical judgement"):
    client.force_login(clinician)
    return client.post(
        reverse(f"{item.kind}s:isolation", args=[item.pk]),
        {
            "ends_on": ends_on.isoformat(),
            "reason": reason,
            "current_ends_on": item.isolation_ends_on.isoformat(),
        },
    )


# --- a contact row is never shortened below the person's own case -----------------


def test_a_contact_row_shortened_below_their_own_case_is_refused_with_the_reason(
    client, caseworker, call_handler
):
    contact, _ = contact_and_case(caseworker, call_handler)
    before = all_messages()

    response = override_on_page(client, caseworker, contact, SHORTENED)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Sam Okafor tested positive on Thursday 3 December 2026" in page
    assert f"their own case, to the end of {long_date(TESTED_ENDS)}" in page
    assert "change it on their case" in page
    contact.refresh_from_db()
    assert contact.isolation_ends_on == TESTED_ENDS
    assert long_date(TESTED_ENDS) in read_out(client, call_handler, contact)
    assert told_since(contact.person_id, before) == []


def test_the_operation_refuses_it_too_for_every_door(caseworker, call_handler):
    contact, _ = contact_and_case(caseworker, call_handler)

    with pytest.raises(ValidationError) as refused:
        isolation_override(
            item=contact, ends_on=SHORTENED, reason="brief", clinician=caseworker
        )

    assert "their own case" in refused.value.message_dict["ends_on"][0]


def test_a_contact_row_lengthened_beyond_their_case_is_told_as_a_change(
    client, caseworker, call_handler
):
    """The contact row was told nothing (to be phoned); the case's text gave Sam the
    13th: the override's text is a change of that date, never a contact's first
    advice."""
    contact, _ = contact_and_case(caseworker, call_handler, texted=False)
    before = all_messages()

    response = override_on_page(client, caseworker, contact, LENGTHENED)

    assert response.status_code == 302
    [told] = told_since(contact.person_id, before)
    assert f"until the end of {long_date(LENGTHENED)}" in told.body
    assert REPLACES in told.body
    assert FIRST_ADVICE not in told.body


# --- an override tells the date in force for the person, or nothing ---------------


def test_a_case_override_below_the_contact_rows_later_date_texts_nothing(
    client, caseworker, call_handler
):
    contact, case = contact_and_case(caseworker, call_handler)
    isolation_override(
        item=contact, ends_on=LENGTHENED, reason="vulnerable", clinician=caseworker
    )
    case.refresh_from_db()
    before = all_messages()

    response = override_on_page(client, caseworker, case, CASE_OVERRIDDEN)

    assert response.status_code == 302
    case.refresh_from_db()
    contact.refresh_from_db()
    assert (case.isolation_ends_on, contact.isolation_ends_on) == (
        CASE_OVERRIDDEN,
        LENGTHENED,
    )
    said = client.get(response["Location"]).content.decode()
    assert "No text or email is being sent" in said
    assert f"another of their records ends later, on {long_date(LENGTHENED)}" in said
    assert told_since(case.person_id, before) == []
    assert long_date(LENGTHENED) in read_out(client, call_handler, contact)


def test_a_case_override_beyond_the_contact_rows_date_is_told_once(
    client, caseworker, call_handler
):
    contact, case = contact_and_case(caseworker, call_handler)
    isolation_override(
        item=contact, ends_on=LENGTHENED, reason="vulnerable", clinician=caseworker
    )
    case.refresh_from_db()
    before = all_messages()
    later = D(2026, 12, 23)

    response = override_on_page(client, caseworker, case, later)

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.isolation_ends_on == later
    [told] = told_since(case.person_id, before)
    assert f"until the end of {long_date(later)}" in told.body
    assert REPLACES in told.body


def test_a_contact_row_shortened_back_to_their_case_is_told_that_date(
    client, caseworker, call_handler
):
    contact, case = contact_and_case(caseworker, call_handler)
    isolation_override(
        item=contact, ends_on=LENGTHENED, reason="vulnerable", clinician=caseworker
    )
    contact.refresh_from_db()
    before = all_messages()

    response = override_on_page(client, caseworker, contact, TESTED_ENDS)

    assert response.status_code == 302
    [told] = told_since(case.person_id, before)
    assert f"until the end of {long_date(TESTED_ENDS)}" in told.body
    assert REPLACES in told.body


# --- another of their texts held up by a provider's outage ------------------------
#
# Sam's case link text ("until the end of Sunday 13 December", with the link to
# name their contacts) was tried once and is waiting out the provider's outage.
# Before, a clinician lengthening Sam's contact row had Sam, a case, sent the
# contact's first advice (the held-up text counted as never sent); the held-up text
# stayed queued with the 13th and went once the provider was back, after the text
# giving the 20th; and a case override that changed nothing in force queued the
# link text again giving the case's own 16th, a date in force nowhere.


def case_link_held_up(caseworker):
    """Sam's positive result; the text carrying the case's link ("until the 13th")
    tried once and held up by the provider's outage."""
    case = positive(caseworker)
    [link_text] = Message.objects.filter(case=case)
    RecordingBackend.reset(TemporaryFailure("503 the provider is down"))
    with pytest.raises(TemporaryFailure):
        message_send(link_text.pk)
    RecordingBackend.reset()
    link_text.refresh_from_db()
    assert link_text.status == Message.Status.QUEUED
    assert link_text.attempts == 1
    assert f"until the end of {long_date(TESTED_ENDS)}" in link_text.body
    return case, link_text


def still_to_go(person_id) -> list[Message]:
    return list(
        Message.objects.filter(
            person_id=person_id,
            status__in=(Message.Status.QUEUED, Message.Status.SENDING),
        ).order_by("pk")
    )


def provider_back(messages) -> list[str]:
    """The provider is back: each message still to go is sent, in order; the
    bodies that reached Sam."""
    RecordingBackend.reset()
    for message in messages:
        message_send(message.pk)
    sent = [pk for pk, _ in RecordingBackend.calls]
    return [Message.objects.get(pk=pk).body for pk in sent]


def test_a_case_whose_link_text_is_held_up_is_told_a_change_not_a_contacts_advice(
    caseworker, call_handler
):
    """Sam's contact row was told nothing (to be phoned); their case's link text is
    held up, and will go: a clinician lengthening the contact row sends a change of
    that date, never "You have been near someone who has coronavirus"."""
    contact = named(caseworker, call_handler, texted=False)
    case, _ = case_link_held_up(caseworker)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == TESTED_ENDS
    before = all_messages()

    done = isolation_override(
        item=contact, ends_on=LENGTHENED, reason="vulnerable", clinician=caseworker
    )

    assert done.message is not None
    assert FIRST_ADVICE not in done.message.body
    assert REPLACES in done.message.body
    assert all(FIRST_ADVICE not in m.body for m in told_since(case.person_id, before))


def test_a_held_up_case_link_text_goes_with_the_date_in_force_after_an_override(
    caseworker, call_handler
):
    """A clinician lengthens Sam's contact row to the 20th: the held-up case link
    text giving the 13th never goes; the same link's text giving the 20th goes in
    its place, so every text Sam gets once the provider is back gives the 20th."""
    contact = named(caseworker, call_handler, texted=True)
    case, held_up = case_link_held_up(caseworker)
    contact.refresh_from_db()

    isolation_override(
        item=contact, ends_on=LENGTHENED, reason="vulnerable", clinician=caseworker
    )

    held_up.refresh_from_db()
    assert held_up.status == Message.Status.SUPERSEDED
    waiting = still_to_go(case.person_id)
    assert {m.kind for m in waiting} == {
        Message.Kind.CASE_LINK,
        Message.Kind.ISOLATION_ADVICE,
    }
    [link_text] = [m for m in waiting if m.kind == Message.Kind.CASE_LINK]
    assert link_text.case_id == case.pk
    # The same link, still to name their contacts with, now giving the 20th.
    assert OnlineLink.objects.get(case=case).message_id == link_text.pk
    bodies = provider_back(waiting)
    assert len(bodies) == 2
    assert all(f"until the end of {long_date(LENGTHENED)}" in body for body in bodies)
    assert all(long_date(TESTED_ENDS) not in body for body in bodies)


def test_an_override_changing_nothing_in_force_queues_no_text_again(
    caseworker, call_handler
):
    """Sam's contact row lengthened to the 20th; their case overridden to the 16th
    leaves the 20th in force: nothing new is queued (not the case's link text
    again giving the 16th), and what is still to go gives the 20th."""
    contact = named(caseworker, call_handler, texted=True)
    case, _ = case_link_held_up(caseworker)
    contact.refresh_from_db()
    isolation_override(
        item=contact, ends_on=LENGTHENED, reason="vulnerable", clinician=caseworker
    )
    case.refresh_from_db()
    before = all_messages()

    done = isolation_override(
        item=case, ends_on=CASE_OVERRIDDEN, reason="brief", clinician=caseworker
    )

    assert done.unchanged
    assert done.in_force == LENGTHENED
    assert told_since(case.person_id, before) == []
    bodies = provider_back(still_to_go(case.person_id))
    assert bodies
    assert all(f"until the end of {long_date(LENGTHENED)}" in body for body in bodies)
