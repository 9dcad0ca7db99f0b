"""A household's copied address follows the correction of the case it was copied
from: a postcode corrected alone too; a household named by an earlier case of the
person, who may have stayed where they were, is not moved by a later case's
correction. (Each failed before: the postcode stayed, and the earlier household
was moved.)"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from people.models import Person
from people.services import PersonDetails
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake_one

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MUM = "+447911100301"
OLD = "14 Park Road\nSheffield"
NEW = "41 Park Road\nSheffield"


def result(
    ref: str, address: str, postcode: str = "S1 1AA", days_ago: int = 2
) -> TestResult:
    today = timezone.localdate()
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Maisie",
            last_name="Crane",
            date_of_birth=dt.date(2014, 2, 2),
            phone=MUM,
            postcode=postcode,
            address=address,
        ),
        specimen_date=today - dt.timedelta(days=days_ago),
        result_date=today - dt.timedelta(days=days_ago - 1),
    )


def named_household(ref: str, first_name: str, days_ago: int = 1) -> Person:
    case = Case.objects.get(lab_reference=ref)
    return contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(first_name=first_name, last_name="Crane", phone=MUM),
            exposure_date=case.specimen_date,
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    ).person


def test_a_postcode_only_correction_carries_to_the_household_given_it():
    """Alfie was given Maisie's address and postcode; the lab corrects only her
    postcode. His copy must follow, as it does when the address line changes, or
    the door no longer links them (the same miss the commit fixed, for a postcode)."""
    case_intake_one(result=result("LAB-MC-1", OLD, postcode="S1 1AA"))
    alfie = named_household("LAB-MC-1", "Alfie")
    assert (alfie.address, alfie.postcode) == (OLD, "S1 1AA")

    case_intake_one(result=result("LAB-MC-1", OLD, postcode="S1 2AB"))
    maisie = Case.objects.get(lab_reference="LAB-MC-1").person
    assert maisie.postcode == "S1 2AB"

    alfie.refresh_from_db()
    assert alfie.postcode == maisie.postcode


def test_a_household_contact_of_an_earlier_case_is_not_moved_by_a_later_cases_correction(
    clock,
):
    """Dad was named as Maisie's household on her first case, months ago, when she
    lived at 14 Park Road, and given that address (he still lives there). Her new
    result comes with 14, then is sent again corrected to 41 (she has moved). Only
    the household of the case whose result was corrected were given that result's
    address; Dad, of a case long over, is moved to 41 all the same."""
    case_intake_one(result=result("LAB-MC-OLD", OLD))
    dad = named_household("LAB-MC-OLD", "Dad")
    assert dad.address == OLD

    clock.shift(dt.timedelta(days=200))
    case_intake_one(result=result("LAB-MC-NEW", OLD))
    assert Case.objects.filter(person__first_name="Maisie").count() == 2
    case_intake_one(result=result("LAB-MC-NEW", NEW))
    assert Case.objects.get(lab_reference="LAB-MC-NEW").person.address == NEW

    dad.refresh_from_db()
    assert dad.address == OLD
