"""The rules of the time: a period's days apply to isolation counted from a day in it,
so old records keep the rule of their time. Each end date is worked out by hand."""

from __future__ import annotations

from work.rules import (
    case_isolation_ends_on,
    contact_isolation_ends_on,
    isolation_after_fact,
    isolation_override_problems,
)

from .conftest import D

# --- England's contact rule change on 14 December 2020 ------------------------------------


def test_a_contact_exposed_on_13_december_2020_isolates_14_full_days():
    # The 14-day rule, to 13 December: 13 + 14 = 27 December.
    assert contact_isolation_ends_on(last_exposure=D(2020, 12, 13)) == D(2020, 12, 27)


def test_a_contact_exposed_on_14_december_2020_isolates_10_full_days():
    # The 10-day rule, from 14 December: 14 + 10 = 24 December, three days before
    # the contact exposed a day earlier.
    assert contact_isolation_ends_on(last_exposure=D(2020, 12, 14)) == D(2020, 12, 24)


def test_a_case_isolates_10_days_either_side_of_the_contact_rule_change():
    # Cases kept 10 days across the winter: 13 + 10 = 23, 14 + 10 = 24 December.
    assert case_isolation_ends_on(
        symptom_onset=None, specimen_date=D(2020, 12, 13)
    ) == D(2020, 12, 23)
    assert case_isolation_ends_on(
        symptom_onset=D(2020, 12, 14), specimen_date=D(2020, 12, 15)
    ) == D(2020, 12, 24)


def test_a_case_takes_the_rule_of_its_onset_not_its_test():
    # Onset on 13 December, test on the 15th: counted from the 13th, 13 + 10 = 23.
    assert case_isolation_ends_on(
        symptom_onset=D(2020, 12, 13), specimen_date=D(2020, 12, 15)
    ) == D(2020, 12, 23)


def test_an_exposure_before_the_first_period_takes_the_first_rule():
    # 1 May 2020, before the service began (28 May): the 14-day rule, 1 + 14 = 15 May.
    assert contact_isolation_ends_on(last_exposure=D(2020, 5, 1)) == D(2020, 5, 15)


# --- the settings ---------------------------------------------------------------------------


def test_the_isolation_days_setting_changes_only_the_rule_in_force_now(settings):
    # ISOLATION_DAYS_CONTACT=5 in the environment: today's rule only.
    settings.TRACING_ISOLATION_DAYS = {"case": 7, "contact": 5}

    # From 14 December 2020 (the last period): 7 January + 5 = 12 January.
    assert contact_isolation_ends_on(last_exposure=D(2021, 1, 7)) == D(2021, 1, 12)
    # A case from then: 7 January + 7 = 14 January.
    assert case_isolation_ends_on(symptom_onset=None, specimen_date=D(2021, 1, 7)) == D(
        2021, 1, 14
    )
    # Before it, the rule of the time stands: 13 December + 14 = 27 December.
    assert contact_isolation_ends_on(last_exposure=D(2020, 12, 13)) == D(2020, 12, 27)


def test_a_new_period_in_the_settings_applies_from_its_first_day(settings):
    # A change of rule is a period added at the end; the one before keeps its days.
    settings.TRACING_ISOLATION_RULES = [
        {"from": "2020-05-28", "case": 10, "contact": 14},
        {"from": "2020-12-14", "case": 10, "contact": 10},
        {"from": "2022-02-24", "case": 5, "contact": 5},
    ]
    settings.TRACING_ISOLATION_DAYS = {"case": 5, "contact": 5}

    # The day before: 10 days, 23 February + 10 = 5 March 2022 (28 days in February).
    assert contact_isolation_ends_on(last_exposure=D(2022, 2, 23)) == D(2022, 3, 5)
    # Its first day: 5 days, 24 February + 5 = 1 March 2022.
    assert contact_isolation_ends_on(last_exposure=D(2022, 2, 24)) == D(2022, 3, 1)


# --- a later fact, after a clinician's override ----------------------------------------------


def test_without_an_override_a_new_fact_gives_the_date_even_an_earlier_one():
    assert isolation_after_fact(
        current=D(2020, 12, 27), computed=D(2020, 12, 24), overridden=False
    ) == D(2020, 12, 24)


def test_after_an_override_a_new_fact_lengthening_isolation_applies():
    assert isolation_after_fact(
        current=D(2020, 12, 20), computed=D(2020, 12, 26), overridden=True
    ) == D(2020, 12, 26)


def test_after_an_override_a_new_fact_ending_sooner_leaves_it_standing():
    assert isolation_after_fact(
        current=D(2020, 12, 30), computed=D(2020, 12, 26), overridden=True
    ) == D(2020, 12, 30)


# --- what an override must say -----------------------------------------------------------------


def problems(ends_on, reason="Immunosuppressed: longer infectious period."):
    return isolation_override_problems(
        ends_on=ends_on, reason=reason, current=D(2021, 1, 20), today=D(2021, 1, 12)
    )


def test_an_override_from_today_to_four_weeks_ahead_is_fine():
    assert problems(D(2021, 1, 12)) == {}
    # 12 January + 28 days = 9 February.
    assert problems(D(2021, 2, 9)) == {}


def test_an_override_ending_in_the_past_is_refused():
    assert problems(D(2021, 1, 11)) == {
        "ends_on": "The last day of isolation cannot be in the past: they are told it."
    }


def test_an_override_more_than_four_weeks_ahead_is_refused():
    assert set(problems(D(2021, 2, 10))) == {"ends_on"}


def test_an_override_to_the_date_they_have_is_refused():
    assert problems(D(2021, 1, 20))["ends_on"].startswith(
        "They already isolate until Wednesday 20 January 2021"
    )


def test_an_override_needs_a_reason():
    assert problems(D(2021, 1, 22), reason="  ") == {
        "reason": "Give the clinical reason for the change."
    }
