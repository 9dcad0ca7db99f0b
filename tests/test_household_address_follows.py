"""A household contact's copy of the case's address follows the case's correction.

Maisie's result came with "14 Park Road" (the lab's slip for 41); her baby brother
Alfie, named as her household with no address, was given that copy (552337b). The
lab sends the result again with "41 Park Road": Maisie's record is corrected, and
before, Alfie's copy stayed "14 Park Road", so the warning of a concern at the door
no longer linked them. Now the household given the old address is given the new
one (work.casework.household_addresses_follow), kept in their history and audited
as intake audits a person: which details, never the values. An address of their
own is never replaced.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from contacts.models import Contact
from people.models import Person, PersonChange
from people.services import PersonDetails
from work.casework import ContactDetails, contact_add
from work.intake import TestResult, case_intake_one

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MUM = "+447911100301"
OLD = "14 Park Road\nSheffield"
NEW = "41 Park Road\nSheffield"


def maisies_result(address: str) -> TestResult:
    today = timezone.localdate()
    return TestResult(
        lab_reference="LAB-MC-1",
        person=PersonDetails(
            first_name="Maisie",
            last_name="Crane",
            date_of_birth=dt.date(2014, 2, 2),
            phone=MUM,
            postcode="S1 1AA",
            address=address,
        ),
        specimen_date=today - dt.timedelta(days=2),
        result_date=today - dt.timedelta(days=1),
    )


def named_by_maisie(
    first_name: str,
    *,
    address: str = "",
    exposure: str = Contact.Exposure.HOUSEHOLD,
) -> Person:
    case = Case.objects.get(lab_reference="LAB-MC-1")
    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(
                first_name=first_name,
                last_name="Crane",
                phone=MUM,
                address=address,
            ),
            exposure_date=timezone.localdate() - dt.timedelta(days=1),
            exposure=exposure,
        ),
    )
    return contact.person


def test_a_household_contacts_copied_address_follows_the_cases_correction():
    case_intake_one(result=maisies_result(OLD))
    alfie = named_by_maisie("Alfie")
    assert alfie.address == OLD

    case_intake_one(result=maisies_result(NEW))

    alfie.refresh_from_db()
    assert (alfie.address, alfie.postcode) == (NEW, "S1 1AA")
    change = PersonChange.objects.get(person=alfie)
    assert (change.field, change.old_value, change.new_value, change.source) == (
        "address",
        OLD,
        NEW,
        "intake",
    )
    event = AuditEvent.objects.filter(
        object_type="people.person",
        object_id=str(alfie.pk),
        action=AuditEvent.Action.UPDATE,
    ).get()
    assert event.detail["address"] == "changed"
    assert "Park Road" not in str(event.detail)  # fields, never the values


def test_a_household_contacts_own_address_is_not_replaced():
    case_intake_one(result=maisies_result(OLD))
    gran = named_by_maisie("Edna", address="Flat 2, 9 Mill Lane\nSheffield")

    case_intake_one(result=maisies_result(NEW))

    gran.refresh_from_db()
    assert gran.address == "Flat 2, 9 Mill Lane\nSheffield"
    assert not PersonChange.objects.filter(person=gran).exists()


def test_a_contact_not_of_the_household_at_the_old_address_keeps_it():
    """Only a copy the household was given follows: a neighbour named as a face-to-face
    contact who gave the same address as their own keeps what they gave."""
    case_intake_one(result=maisies_result(OLD))
    neighbour = named_by_maisie(
        "Rose", address=OLD, exposure=Contact.Exposure.FACE_TO_FACE
    )

    case_intake_one(result=maisies_result(NEW))

    neighbour.refresh_from_db()
    assert neighbour.address == OLD
