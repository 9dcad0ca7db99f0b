"""Sam, texted as a contact and as a case, has the contact row's end date set later
by a clinician, and is texted it. Their case's onset, corrected afterwards, moves
the case's date: before, Sam was texted the case's date "replacing the date we gave
you before", earlier than the contact row's, which stands and which the call handler
reads out. Now a person is told a revised date only when it is the latest in force
across the rows they were told of by message.

The clock stands at Monday 7 December 2026, 10:00 GMT (tests/work/
test_onset_corrected.py, whose story this continues)."""

from __future__ import annotations

import datetime as dt

import pytest

from online.texts import long_date
from tests.isolation.conftest import D
from tests.work.test_onset_corrected import (
    CORRECTED,
    CORRECTED_ENDS,
    DECEMBER_7,
    REPLACES,
    all_messages,
    assess,
    case_texted,
    named,
    read_out,
    recording,  # noqa: F401
    told_since,
)
from work.isolation import isolation_override

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

OVERRIDDEN = D(2026, 12, 20)  # Sunday


def texted_as_contact_and_case(caseworker, call_handler, *, until: dt.date):
    """Sam texted as a contact and as a case (until the 13th, the case's date), the
    contact row then overridden by a clinician to `until`, and Sam texted that."""
    contact = named(caseworker, call_handler, texted=True)
    case = case_texted(caseworker)
    before = all_messages()
    isolation_override(
        item=contact,
        ends_on=until,
        reason="Lives with someone immunosuppressed.",
        clinician=caseworker,
    )
    [overridden] = told_since(contact.person_id, before)
    assert long_date(until) in overridden.body
    return contact, case


def test_a_correction_ending_before_the_contact_rows_override_texts_nothing(
    client, caseworker, call_handler
):
    contact, case = texted_as_contact_and_case(
        caseworker, call_handler, until=OVERRIDDEN
    )
    before = all_messages()

    assess(case, caseworker, CORRECTED)

    case.refresh_from_db()
    assert case.isolation_ends_on == CORRECTED_ENDS
    assert long_date(OVERRIDDEN) in read_out(client, call_handler, contact)
    bodies = [m.body for m in told_since(case.person_id, before)]
    assert not any(long_date(CORRECTED_ENDS) in body for body in bodies), bodies
    assert bodies == []


def test_a_correction_ending_after_the_contact_rows_override_is_told(
    caseworker, call_handler
):
    """The override gave the 15th; symptoms from today end the case on the 17th,
    later: that is the date in force, and Sam is told it."""
    contact, case = texted_as_contact_and_case(
        caseworker, call_handler, until=D(2026, 12, 15)
    )
    before = all_messages()

    assess(case, caseworker, D(2026, 12, 7))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 17)
    [told] = told_since(case.person_id, before)
    assert f"until the end of {long_date(D(2026, 12, 17))}" in told.body
    assert REPLACES in told.body
