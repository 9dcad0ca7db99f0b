"""Isolation end dates: the last day of isolation, counted in local calendar days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.models import Case
from contacts.models import Contact
from people.services import PersonDetails
from tests.factories import PersonFactory
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.rules import CallRule, case_isolation_ends_on, contact_isolation_ends_on

LONDON = ZoneInfo("Europe/London")
D = dt.date


# --- cases -------------------------------------------------------------------------------


def test_case_with_symptoms_isolates_ten_full_days_after_onset():
    assert case_isolation_ends_on(
        symptom_onset=D(2021, 1, 5), specimen_date=D(2021, 1, 7)
    ) == D(2021, 1, 15)


def test_case_without_symptoms_isolates_ten_full_days_after_the_specimen():
    assert case_isolation_ends_on(symptom_onset=None, specimen_date=D(2021, 1, 7)) == D(
        2021, 1, 17
    )


def test_case_with_onset_after_the_specimen_counts_from_onset():
    assert case_isolation_ends_on(
        symptom_onset=D(2021, 1, 9), specimen_date=D(2021, 1, 7)
    ) == D(2021, 1, 19)


def test_case_with_onset_on_the_specimen_day_counts_from_that_day():
    assert case_isolation_ends_on(
        symptom_onset=D(2021, 1, 7), specimen_date=D(2021, 1, 7)
    ) == D(2021, 1, 17)


# --- contacts ----------------------------------------------------------------------------


def test_contact_isolates_ten_full_days_after_last_exposure():
    assert contact_isolation_ends_on(last_exposure=D(2021, 1, 7)) == D(2021, 1, 17)


def test_contact_exposed_today_isolates_ten_more_days():
    assert contact_isolation_ends_on(last_exposure=D(2021, 1, 31)) == D(2021, 2, 10)


# --- month and year ends -----------------------------------------------------------------


def test_isolation_crosses_a_month_end():
    assert case_isolation_ends_on(
        symptom_onset=D(2021, 1, 25), specimen_date=D(2021, 1, 26)
    ) == D(2021, 2, 4)


def test_isolation_crosses_february_in_a_common_year():
    assert contact_isolation_ends_on(last_exposure=D(2021, 2, 20)) == D(2021, 3, 2)


def test_isolation_crosses_february_in_a_leap_year():
    # Before 14 December 2020 a contact isolated 14 days: 20 Feb + 9 days is the
    # leap day (29 Feb), + 5 more is 5 March.
    assert contact_isolation_ends_on(last_exposure=D(2020, 2, 20)) == D(2020, 3, 5)


def test_isolation_from_the_leap_day():
    # 2024's: in February 2020 a case isolated 7 days (the rule of England's first
    # period, to 29 July 2020), so 2020's leap day no longer counts to 10 March.
    assert case_isolation_ends_on(
        symptom_onset=None, specimen_date=D(2024, 2, 29)
    ) == D(2024, 3, 10)


def test_isolation_crosses_the_year_end():
    assert case_isolation_ends_on(
        symptom_onset=None, specimen_date=D(2020, 12, 25)
    ) == D(2021, 1, 4)


def test_isolation_from_new_years_eve():
    assert contact_isolation_ends_on(last_exposure=D(2020, 12, 31)) == D(2021, 1, 10)


def test_isolation_ending_on_new_years_eve():
    assert contact_isolation_ends_on(last_exposure=D(2020, 12, 21)) == D(2020, 12, 31)


# --- the clock changes -------------------------------------------------------------------


def test_case_isolation_across_the_autumn_clock_change_is_ten_calendar_days():
    # Clocks went back on Sunday 25 October 2020: that day had 25 hours.
    assert case_isolation_ends_on(
        symptom_onset=D(2020, 10, 20), specimen_date=D(2020, 10, 21)
    ) == D(2020, 10, 30)


def test_contact_exposed_on_the_autumn_clock_change_day():
    # The 14-day rule of the time (before 14 December 2020): 25 Oct + 6 days is
    # 31 Oct, + 8 more is 8 November; the 25-hour day counts as one day.
    assert contact_isolation_ends_on(last_exposure=D(2020, 10, 25)) == D(2020, 11, 8)


def test_case_isolation_across_the_spring_clock_change_is_ten_calendar_days():
    # Clocks went forward on Sunday 28 March 2021: that day had 23 hours.
    assert case_isolation_ends_on(
        symptom_onset=None, specimen_date=D(2021, 3, 25)
    ) == D(2021, 4, 4)


def test_contact_exposed_on_the_spring_clock_change_day():
    assert contact_isolation_ends_on(last_exposure=D(2021, 3, 28)) == D(2021, 4, 7)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "local_time",
    [
        # Just after local midnight in summer time: still the day before in UTC.
        dt.datetime(2020, 10, 25, 0, 30, tzinfo=LONDON),
        # The repeated hour as the clocks go back.
        dt.datetime(2020, 10, 25, 1, 30, tzinfo=LONDON, fold=0),
        dt.datetime(2020, 10, 25, 1, 30, tzinfo=LONDON, fold=1),
        dt.datetime(2020, 10, 25, 23, 59, tzinfo=LONDON),
    ],
    ids=["00:30 BST", "01:30 BST", "01:30 GMT", "23:59 GMT"],
)
def test_intake_around_the_autumn_clock_change_stores_local_dates(local_time):
    with time_machine.travel(local_time, tick=False):
        case, _ = case_intake(
            result=LabResult(
                lab_reference="LAB-DST-1",
                person=PersonDetails(first_name="Amira", last_name="Khan"),
                specimen_date=D(2020, 10, 24),
                result_date=D(2020, 10, 25),
                symptom_onset=D(2020, 10, 23),
            )
        )

    assert Case.objects.get(pk=case.pk).isolation_ends_on == D(2020, 11, 2)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "local_time",
    [
        dt.datetime(2021, 3, 28, 0, 30, tzinfo=LONDON),
        dt.datetime(2021, 3, 28, 3, 0, tzinfo=LONDON),
        # Just after local midnight in summer time: still 28 March in UTC.
        dt.datetime(2021, 3, 29, 0, 30, tzinfo=LONDON),
    ],
    ids=["00:30 GMT", "03:00 BST", "next day 00:30 BST"],
)
def test_contact_added_around_the_spring_clock_change_stores_local_dates(local_time):
    with time_machine.travel(local_time, tick=False):
        person = PersonFactory()
        case = Case.objects.create(
            person=person,
            lab_reference="LAB-DST-2",
            specimen_date=D(2021, 3, 26),
            result_date=D(2021, 3, 27),
            isolation_ends_on=D(2021, 4, 5),
        )
        contact = contact_add(
            case=case,
            details=ContactDetails(
                person=PersonDetails(first_name="Sam", last_name="Jones"),
                exposure_date=D(2021, 3, 28),
                exposure=Contact.Exposure.HOUSEHOLD,
            ),
        )

    assert Contact.objects.get(pk=contact.pk).isolation_ends_on == D(2021, 4, 7)


# --- the rules come from settings ----------------------------------------------------------


def test_case_isolation_follows_the_isolation_days_setting(settings):
    settings.TRACING_ISOLATION_DAYS = {"case": 7, "contact": 14}

    assert case_isolation_ends_on(symptom_onset=None, specimen_date=D(2021, 1, 7)) == D(
        2021, 1, 14
    )


def test_contact_isolation_follows_the_isolation_days_setting(settings):
    settings.TRACING_ISOLATION_DAYS = {"case": 7, "contact": 14}

    assert contact_isolation_ends_on(last_exposure=D(2021, 1, 7)) == D(2021, 1, 21)


@pytest.mark.django_db
def test_intake_uses_the_isolation_days_setting(settings):
    settings.TRACING_ISOLATION_DAYS = {"case": 5, "contact": 5}

    case, _ = case_intake(
        result=LabResult(
            lab_reference="LAB-SETTING",
            person=PersonDetails(first_name="Amira", last_name="Khan"),
            specimen_date=D(2021, 1, 7),
            result_date=D(2021, 1, 8),
        )
    )

    assert Case.objects.get(pk=case.pk).isolation_ends_on == D(2021, 1, 12)


def test_call_rule_follows_the_call_rules_setting(settings):
    settings.TRACING_CALL_RULES = {
        **settings.TRACING_CALL_RULES,
        "contact": {"max_attempts": 5, "min_gap_hours": 1, "window_hours": 48},
    }

    rule = CallRule.for_kind("contact")

    assert rule.max_attempts == 5
    assert rule.min_gap == dt.timedelta(hours=1)
    assert rule.window == dt.timedelta(hours=48)
