"""A contact who became a case follows a revision of their case's date only as far
as the rules allow: never to a case no longer isolating (a new contact is not sent
into the past by an old case's correction), and never over a clinician's
shortening of the contact by a revision that does not lengthen isolation beyond it
(another case's, or their case's own shortening).

The clock stands at Monday 7 December 2026, 10:00 GMT. Sam was exposed on Saturday
5 December: 5 + 10 = Tuesday 15 December, their date as a contact.
"""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from contacts.models import Contact
from tests import factories as f
from work.casework import (
    AssessmentDetails,
    ContactDetails,
    case_assessment_record,
    contact_add,
)
from work.intake import TestResult as LabResult
from work.intake import case_intake

from .conftest import LONDON, SAM, D, a_naming_case, hold, shortened_before_the_rule

DECEMBER_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

EXPOSED = D(2026, 12, 5)


def assess(case: Case, caseworker, onset: dt.date) -> None:
    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=True, symptom_onset=onset),
        by=caseworker,
    )


def named(caseworker) -> Contact:
    """Sam, named by the caseworker's case as exposed on 5 December (until the
    15th)."""
    naming = hold(a_naming_case(EXPOSED), caseworker)
    return contact_add(
        case=naming,
        details=ContactDetails(
            person=SAM, exposure_date=EXPOSED, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )


def positive_on_the_7th(contact: Contact) -> Case:
    """Sam's positive test of 7 December: 7 + 10 = 17 December, the contact's too."""
    case, created = case_intake(
        result=LabResult(
            lab_reference="LAB-SAM-B",
            person=SAM,
            specimen_date=D(2026, 12, 7),
            result_date=D(2026, 12, 7),
        )
    )
    assert created
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 17)
    return case


def shortened_to_the_14th(contact: Contact, clinician) -> None:
    """Before the end of their case (the 17th): refused now, but saved before."""
    shortened_before_the_rule(contact, D(2026, 12, 14), clinician)


def test_revising_an_old_open_case_leaves_a_new_contact_on_its_own_date(
    clock, caseworker, call_handler
):
    old, _ = case_intake(
        result=LabResult(
            lab_reference="LAB-OLD",
            person=SAM,
            specimen_date=D(2026, 11, 20),
            result_date=D(2026, 11, 21),
        )
    )
    old = hold(old, caseworker)
    assert old.isolation_ends_on == D(2026, 11, 30)
    contact = named(caseworker)
    assert contact.isolation_ends_on == D(2026, 12, 15)

    assess(old, caseworker, D(2026, 11, 19))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 15)


def test_revising_another_case_leaves_a_clinicians_shortening_of_the_contact(
    clock, caseworker, call_handler
):
    contact = hold(named(caseworker), call_handler)
    positive_on_the_7th(contact)
    shortened_to_the_14th(contact, caseworker)
    other = hold(
        f.CaseFactory(person=contact.person, specimen_date=D(2026, 12, 1)), caseworker
    )
    assert other.isolation_ends_on == D(2026, 12, 11)

    assess(other, caseworker, D(2026, 11, 30))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)


def test_shortening_their_case_never_lengthens_a_clinicians_shortening(
    clock, caseworker, call_handler
):
    contact = hold(named(caseworker), call_handler)
    case = hold(positive_on_the_7th(contact), caseworker)
    shortened_to_the_14th(contact, caseworker)

    # Symptoms from 6 December: 6 + 10 = 16 December, sooner than the case's 17th.
    assess(case, caseworker, D(2026, 12, 6))

    case.refresh_from_db()
    contact.refresh_from_db()
    assert case.isolation_ends_on == D(2026, 12, 16)
    assert contact.isolation_ends_on == D(2026, 12, 14)


def test_lengthening_their_case_beyond_the_clinicians_date_still_applies(
    clock, caseworker, call_handler
):
    contact = hold(named(caseworker), call_handler)
    case = hold(positive_on_the_7th(contact), caseworker)
    shortened_to_the_14th(contact, caseworker)

    # Symptoms from 6 December, then none before the test after all: back to the
    # 17th, which is later than the clinician's 14th.
    assess(case, caseworker, D(2026, 12, 6))
    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=False, symptom_onset=None),
        by=caseworker,
    )

    case.refresh_from_db()
    contact.refresh_from_db()
    assert case.isolation_ends_on == D(2026, 12, 17)
    assert contact.isolation_ends_on == D(2026, 12, 17)


def test_a_contact_following_its_case_follows_it_when_it_has_ended_since(
    clock, caseworker, call_handler
):
    contact = hold(named(caseworker), call_handler)
    case = hold(positive_on_the_7th(contact), caseworker)

    # Symptoms from 26 November after all: 26 + 10 = 6 December, yesterday.
    assess(case, caseworker, D(2026, 11, 26))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 6)
