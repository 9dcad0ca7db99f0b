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

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from people.models import Message
from tests.isolation.conftest import SAM, D, hold
from tests.work.test_onset_corrected import (
    CORRECTED,
    CORRECTED_ENDS,
    DECEMBER_7,
    MISTYPED,
    TESTED_ENDS,
    all_messages,
    assess,
    case_texted,
    link_sent,
    page_fields,
    recording,  # noqa: F401 (the texts go to a recording backend)
    told_since,
)
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.isolation import isolation_override

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]


def send(client, case: Case, onset, **more) -> object:
    """The assessment sent from the case page: with symptoms from `onset`, or,
    `onset` None, with symptoms unticked (the date box left empty)."""
    fields = page_fields(client, case)
    fields.update({"household_size": "2", **more})
    if onset is not None:
        fields.update({"symptomatic": "on", "symptom_onset": onset.isoformat()})
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


def test_no_question_when_a_clinicians_override_keeps_them_isolating(
    client, caseworker
):
    """Overridden to Sunday 20 December, the case keeps that date whatever onset
    is saved (the override stands against an earlier one): nothing has ended."""
    case = case_texted(caseworker)
    isolation_override(
        item=case,
        ends_on=D(2026, 12, 20),
        reason="Still febrile on day 9.",
        clinician=caseworker,
    )
    client.force_login(caseworker)

    response = send(client, case, MISTYPED)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.isolation_ends_on == D(2026, 12, 20)


def test_unticking_symptoms_that_ends_isolation_before_today_is_asked_about(
    client, clock, caseworker
):
    """Tested on 26 November, symptoms from the 29th: isolating until Wednesday 9
    December, texted so. Symptoms unticked, the test's date ends it on Sunday 6
    December, before today: asked about, as a date typed that does the same."""
    clock.move_to(dt.datetime(2026, 11, 30, 10, 0, tzinfo=DECEMBER_7.tzinfo))
    case, _ = case_intake(
        result=LabResult(
            lab_reference="LAB-SAM-UNTICK",
            person=SAM,
            specimen_date=D(2026, 11, 26),
            result_date=D(2026, 11, 28),
        )
    )
    case = hold(case, caseworker)
    link_sent(case)
    assess(case, caseworker, D(2026, 11, 29))
    clock.move_to(DECEMBER_7)
    client.force_login(caseworker)
    before = all_messages()

    response = send(client, case, None)

    assert response.status_code == 200
    assert (
        "With no symptoms, counted from their test on 26 November 2026, their "
        "isolation ended on Sunday 6 December 2026" in response.content.decode()
    )
    case.refresh_from_db()
    assert case.isolation_ends_on == D(2026, 12, 9)
    assert told_since(case.person_id, before) == []
