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

from online.texts import long_date
from tests.isolation.conftest import D
from tests.work.test_onset_corrected import (
    DECEMBER_7,
    REPLACES,
    TESTED_ENDS,
    all_messages,
    case_texted,
    named,
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
