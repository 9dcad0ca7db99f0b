"""A case naming someone of their own name who shares their phone, with no date of
birth given (a father and son, the son named by the father's case), names a new
person, listed as a possible duplicate of the case: it was refused, "A case cannot be
their own contact", and the son could not be traced. With the case's date of birth
or NHS number, it is the case, and refused."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.utils import timezone

from cases.workitem import Status
from people.models import PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, DuplicateContact, contact_add

pytestmark = pytest.mark.django_db


def the_father():
    return f.CaseFactory(
        status=Status.REACHED,
        person__first_name="Sam",
        person__last_name="Nowak",
        person__date_of_birth=dt.date(1955, 3, 1),
        person__phone="+447400000014",
        person__nhs_number="9434765919",
        symptom_onset=timezone.localdate() - dt.timedelta(days=2),
    )


def named(**person) -> ContactDetails:
    return ContactDetails(
        person=PersonDetails(
            first_name="Sam", last_name="Nowak", phone="07400 000014", **person
        ),
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure="household",
    )


def test_the_son_of_the_fathers_name_and_phone_is_a_new_person_and_listed():
    case = the_father()

    contact = contact_add(case=case, details=named(postcode="M1 1QA"), by=None)

    assert contact.person_id != case.person_id
    assert contact.person.first_name == "Sam"
    pair = PossibleDuplicate.objects.get(
        Q(person_a=contact.person, person_b=case.person)
        | Q(person_a=case.person, person_b=contact.person)
    )
    assert pair.status == PossibleDuplicate.Status.OPEN


def test_the_case_named_with_their_own_nhs_number_is_still_refused():
    case = the_father()

    with pytest.raises(DuplicateContact, match="cannot be their own contact"):
        contact_add(case=case, details=named(nhs_number="9434765919"), by=None)


def test_the_case_named_with_their_own_date_of_birth_is_still_refused():
    case = the_father()

    with pytest.raises(DuplicateContact, match="cannot be their own contact"):
        contact_add(
            case=case, details=named(date_of_birth=dt.date(1955, 3, 1)), by=None
        )
