"""Symptoms that start after the result: the risk assessment records them, and the
case's isolation restarts from them (10 full days from the onset, the guidance of
the time). Before, the assessment refused any onset after the result date, so a
case who fell ill after a positive swab could not have it recorded.

The lab's result keeps its own check: an onset the lab sends after its own result
date is a slip in the lab's data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import RiskAssessment
from contacts.models import Contact
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.result_rules import result_dates_errors, symptom_onset_problem

from .conftest import LONDON, D, hold

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.now(dt.datetime(2020, 12, 11, 10, 0, tzinfo=LONDON)),
]

ASSESSMENT = {
    "symptomatic": "on",
    "occupation": "Bus driver",
    "works_in": "transport",
    "household_size": "3",
}


@pytest.fixture
def tested_on_the_8th(clock, caseworker):
    """Swabbed 8 December 2020, the result on the 9th, no symptoms yet: isolating
    to 18 December. Today is the 11th."""
    case = f.CaseFactory(
        specimen_date=D(2020, 12, 8), result_date=D(2020, 12, 9), symptom_onset=None
    )
    assert case.isolation_ends_on == D(2020, 12, 18)
    return hold(case, caseworker)


def assess(client, caseworker, case, onset: dt.date):
    client.force_login(caseworker)
    return client.post(
        reverse("cases:assessment", args=[case.pk]),
        {**ASSESSMENT, "symptom_onset": onset.isoformat()},
        follow=True,
    )


def test_symptoms_from_the_day_after_the_result_are_recorded(
    client, caseworker, tested_on_the_8th
):
    case = tested_on_the_8th
    response = assess(client, caseworker, case, D(2020, 12, 10))

    assert b"Risk assessment saved" in response.content
    case.refresh_from_db()
    assert case.symptom_onset == D(2020, 12, 10)
    # Isolation restarts from the onset: 10 + 10 = 20 December.
    assert case.isolation_ends_on == D(2020, 12, 20)
    assert RiskAssessment.objects.filter(case=case).exists()


def test_symptoms_from_today_are_recorded_but_not_from_tomorrow(
    client, caseworker, tested_on_the_8th
):
    case = tested_on_the_8th
    html = assess(client, caseworker, case, D(2020, 12, 12)).content.decode()
    assert "The date symptoms started cannot be in the future." in html
    case.refresh_from_db()
    assert case.symptom_onset is None

    assess(client, caseworker, case, D(2020, 12, 11))
    case.refresh_from_db()
    assert case.symptom_onset == D(2020, 12, 11)


def test_the_infectious_period_still_starts_from_the_swab(
    client, caseworker, tested_on_the_8th
):
    case = tested_on_the_8th
    assess(client, caseworker, case, D(2020, 12, 10))
    case.refresh_from_db()

    # Two days before the swab of the 8th, not before the onset of the 10th.
    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(
                first_name="Rhys", last_name="Near", phone="07911120601"
            ),
            exposure_date=D(2020, 12, 6),
            exposure=Contact.Exposure.FACE_TO_FACE,
        ),
    )
    assert contact.exposure_date == D(2020, 12, 6)


def test_the_onset_rule_of_every_door_takes_a_day_after_the_result():
    assert (
        symptom_onset_problem(
            symptom_onset=D(2020, 12, 10), specimen_date=D(2020, 12, 8)
        )
        == ""
    )


def test_the_lab_sending_an_onset_after_its_own_result_is_still_refused():
    errors = result_dates_errors(
        specimen_date=D(2020, 12, 8),
        result_date=D(2020, 12, 9),
        symptom_onset=D(2020, 12, 10),
        today=D(2020, 12, 11),
    )
    assert errors == {
        "symptom_onset": "Symptoms must have started on or before the result date "
        "(9 Dec 2020)."
    }
