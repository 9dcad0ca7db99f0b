"""Across a clock change, "today" for isolation is the local (London) day: at half past
midnight in summer time it is already tomorrow in London while still today in UTC."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from contacts.models import Contact, IsolationChange
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.isolation import isolation_override

from .conftest import LONDON, SAM, a_naming_case, hold

pytestmark = pytest.mark.django_db

D = dt.date
# 00:30 BST on Sunday 25 October 2020, the day the clocks went back: 23:30 UTC on
# Saturday the 24th.
AUTUMN_NIGHT = dt.datetime(2020, 10, 25, 0, 30, tzinfo=LONDON)


def named_on(day, case=None) -> Contact:
    return contact_add(
        case=case or a_naming_case(day),
        details=ContactDetails(
            person=SAM, exposure_date=day, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )


@pytest.mark.now(AUTUMN_NIGHT)
def test_an_override_to_saturday_is_in_the_past_at_half_past_midnight_on_sunday(
    clock, caseworker
):
    assert AUTUMN_NIGHT.astimezone(dt.UTC).date() == D(2020, 10, 24)
    # Exposed 15 October, the 14-day rule of the time: 15 + 14 = 29 October.
    contact = named_on(
        D(2020, 10, 15), case=hold(a_naming_case(D(2020, 10, 15)), caseworker)
    )

    with pytest.raises(ValidationError) as refused:
        isolation_override(
            item=contact,
            ends_on=D(2020, 10, 24),
            reason="Exposure was brief.",
            clinician=caseworker,
        )

    assert set(refused.value.message_dict) == {"ends_on"}
    # Sunday, the London day, is the earliest a new end date may be.
    isolation_override(
        item=contact,
        ends_on=D(2020, 10, 25),
        reason="Exposure was brief.",
        clinician=caseworker,
    )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 10, 25)


@pytest.mark.now(AUTUMN_NIGHT)
def test_a_contact_whose_isolation_ended_on_saturday_in_london_is_not_switched(clock):
    # Exposed 10 October, 14 days: 10 + 14 = Saturday 24 October, the last day.
    # Named the next day (a contact whose isolation is over is not traced).
    clock.move_to(dt.datetime(2020, 10, 11, 10, 0, tzinfo=LONDON))
    contact = named_on(D(2020, 10, 10))
    clock.move_to(AUTUMN_NIGHT)

    # A positive result at 00:30 on Sunday (still Saturday in UTC): their isolation
    # as a contact has ended in London, so it is not theirs to switch.
    case_intake(
        result=LabResult(
            lab_reference="LAB-AUTUMN",
            person=SAM,
            specimen_date=D(2020, 10, 23),
            result_date=D(2020, 10, 24),
        )
    )

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 10, 24)
    assert not IsolationChange.objects.exists()


@pytest.mark.now(AUTUMN_NIGHT)
def test_a_contact_isolating_through_sunday_is_switched_across_the_clock_change(
    clock,
):
    # Exposed 11 October, 14 days: 11 + 14 = Sunday 25 October, today in London.
    contact = named_on(D(2020, 10, 11))

    # Tested on Friday 23 October: 23 + 10 = Monday 2 November, ten calendar days
    # whatever the 25-hour Sunday.
    case_intake(
        result=LabResult(
            lab_reference="LAB-AUTUMN",
            person=SAM,
            specimen_date=D(2020, 10, 23),
            result_date=D(2020, 10, 24),
        )
    )

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 11, 2)


# 00:30 BST on Monday 29 March 2021, the day after the clocks went forward: 23:30 UTC
# on Sunday the 28th.
SPRING_NIGHT = dt.datetime(2021, 3, 29, 0, 30, tzinfo=LONDON)


@pytest.mark.now(SPRING_NIGHT)
def test_a_re_exposure_on_the_spring_clock_change_day_counts_calendar_days(clock):
    # Exposed Thursday 25 March: 25 + 10 = 4 April.
    contact = named_on(D(2021, 3, 25))

    # Named again for Sunday 28 March, the 23-hour day: 28 + 10 = 7 April.
    named_on(D(2021, 3, 28))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2021, 4, 7)
