"""John Smith senior, a case, names his son John on the family's mobile: a new
person, listed as a possible duplicate of the case (Match.not_linking). The same row
added again on the case page (a double submit from another tab, the caseworker
adding "John Smith" again after a reload, or after the son was named online) made
a third John Smith: the son, listed with his father as two namesakes, could no
longer be found by name and phone. Now it is refused as any other person the case
named already is: "John Smith is already a contact of this case."."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from people.models import Person
from people.services import PersonDetails
from tests import factories as f
from work.casework import (
    ContactDetails,
    ContactRowsRefused,
    DuplicateContact,
    contact_add,
    contacts_add_many,
)

pytestmark = pytest.mark.django_db

FAMILY_MOBILE = "+447400000015"


def the_father():
    return f.CaseFactory(
        status=Status.REACHED,
        person__first_name="John",
        person__last_name="Smith",
        person__date_of_birth=dt.date(1958, 6, 2),
        person__phone=FAMILY_MOBILE,
        symptom_onset=timezone.localdate() - dt.timedelta(days=2),
    )


def john_jr(**person) -> ContactDetails:
    """The son's row as the caseworker types it: his father's name and number."""
    return ContactDetails(
        person=PersonDetails(
            first_name="John", last_name="Smith", phone="07400 000015", **person
        ),
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure="household",
    )


def johns() -> int:
    return Person.objects.filter(first_name="John", last_name="Smith").count()


def test_the_son_added_again_is_refused_as_already_a_contact():
    case = the_father()
    son = contact_add(case=case, details=john_jr(), by=None)
    assert son.person_id != case.person_id
    assert johns() == 2

    with pytest.raises(
        DuplicateContact, match=r"^John Smith is already a contact of this case\.$"
    ):
        contact_add(case=case, details=john_jr(), by=None)

    assert johns() == 2
    assert list(Contact.objects.filter(case=case)) == [son]


def test_the_son_in_a_second_batch_marks_his_row_and_saves_nothing():
    case = the_father()
    contacts_add_many(case=case, rows=[john_jr()], by=None)
    sister = ContactDetails(
        person=PersonDetails(
            first_name="Emily", last_name="Smith", phone=FAMILY_MOBILE
        ),
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure="household",
    )

    with pytest.raises(ContactRowsRefused) as refused:
        contacts_add_many(case=case, rows=[sister, john_jr()], by=None)

    assert refused.value.errors == {1: "John Smith is already a contact of this case."}
    assert johns() == 2
    assert Contact.objects.filter(case=case).count() == 1


def test_the_father_himself_is_still_refused_as_his_own_contact():
    case = the_father()
    contact_add(case=case, details=john_jr(), by=None)

    with pytest.raises(DuplicateContact, match="cannot be their own contact"):
        contact_add(
            case=case, details=john_jr(date_of_birth=dt.date(1958, 6, 2)), by=None
        )


def test_a_namesake_born_another_day_than_the_son_is_still_added():
    case = the_father()
    contact_add(case=case, details=john_jr(date_of_birth=dt.date(1990, 1, 9)), by=None)

    grandson = contact_add(
        case=case, details=john_jr(date_of_birth=dt.date(2015, 4, 20)), by=None
    )

    assert grandson.person.date_of_birth == dt.date(2015, 4, 20)
    assert johns() == 3
