"""An onset typed on the case page that would end the case's isolation before
today is asked about before it is saved.

Sam tested on Thursday 3 December (isolating until Sunday the 13th) and was texted
that date. The caseworker means 4 December and types 24 November: 24 + 10 ends on
Friday 4 December, in the past. Saved as it was, the record's date moved into the
past and Sam was texted that their time to stay at home had ended (work.isolation.
case_onset_revised). The page now asks first, naming the date it would end; ticked
as right, it saves. An onset that leaves them isolating is saved as before.

The clock stands at Monday 7 December 2026, 10:00 GMT.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from people.models import Message
from tests.work.test_onset_corrected import (
    CORRECTED,
    CORRECTED_ENDS,
    DECEMBER_7,
    MISTYPED,
    TESTED_ENDS,
    all_messages,
    case_texted,
    page_fields,
    recording,  # noqa: F401 (the texts go to a recording backend)
    told_since,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]


def send(client, case: Case, onset, **more) -> object:
    fields = page_fields(client, case)
    fields.update(
        {
            "symptomatic": "on",
            "symptom_onset": onset.isoformat(),
            "household_size": "2",
            **more,
        }
    )
    return client.post(reverse("cases:assessment", args=[case.pk]), fields)


def test_an_onset_ending_isolation_before_today_is_asked_about_not_saved(
    client, caseworker
):
    case = case_texted(caseworker)
    client.force_login(caseworker)
    before = all_messages()

    response = send(client, case, MISTYPED)

    assert response.status_code == 200  # the section drawn again, as for any error
    page = response.content.decode()
    assert "their isolation ended on Friday 4 December 2026, before today" in page
    assert "The date is right: their isolation has ended" in page
    assert 'value="2026-11-24"' in page  # what was typed, kept
    case.refresh_from_db()
    assert case.symptom_onset is None
    assert case.isolation_ends_on == TESTED_ENDS
    assert told_since(case.person_id, before) == []


def test_ticked_as_right_it_is_saved_and_they_are_told(client, caseworker):
    case = case_texted(caseworker)
    client.force_login(caseworker)
    before = all_messages()

    response = send(client, case, MISTYPED, onset_ends_past="on")

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.symptom_onset == MISTYPED
    [told] = told_since(case.person_id, before)
    assert told.status == Message.Status.QUEUED


def test_an_onset_leaving_them_isolating_is_saved_without_a_question(
    client, caseworker
):
    case = case_texted(caseworker)
    client.force_login(caseworker)

    response = send(client, case, CORRECTED)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.isolation_ends_on == CORRECTED_ENDS
