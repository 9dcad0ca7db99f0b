"""Namesakes on one phone: a father and son of one name, two care-home residents of
one name. Found only by name and a shared phone, with two such people held whom we
know to be two, an arrival is neither: a new person, listed with both for a person
to decide, and nothing of theirs written onto either (people/matching.py).

Before, John Fairbairn Jr's positive result was filed on his father's case and his
date of birth written onto his father's record, even after a supervisor had decided
they were two people; a care worker naming "Margaret Okafor" on the home's landline
was made the older resident's contact, and the supervisor asked whether the two
residents (born 1931 and 1934) were one, "date of birth missing on one" given as a
reason.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails, duplicate_not_same, person_find_or_create
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

LANDLINE = "0114 496 0123"
POSTCODE = "S1 1AA"
JUNIOR_BORN = dt.date(2001, 6, 6)


def result(reference: str, first: str, last: str, **person) -> LabResult:
    return LabResult(
        lab_reference=reference,
        person=PersonDetails(first_name=first, last_name=last, **person),
        specimen_date=dt.date(2021, 1, 10),
        result_date=dt.date(2021, 1, 11),
    )


def named(case: Case, first: str, last: str, **person) -> Contact:
    """A contact the case page adds: a name and a phone, no date of birth."""
    return contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(first_name=first, last_name=last, **person),
            exposure_date=dt.date(2021, 1, 9),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )


def pair_of(one: Person, other: Person) -> PossibleDuplicate | None:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.filter(person_a_id=a, person_b_id=b).first()


@pytest.fixture
def father_and_son() -> tuple[Case, Contact]:
    """John Fairbairn Sr's result, without a date of birth, on the home landline;
    his caseworker names his son John Jr on the same landline."""
    father, _ = case_intake(
        result=result("LAB-SR", "John", "Fairbairn", phone=LANDLINE, postcode=POSTCODE)
    )
    son = named(father, "John", "Fairbairn", phone=LANDLINE, postcode=POSTCODE)
    assert son.person_id != father.person_id
    assert pair_of(father.person, son.person) is not None
    return father, son


def sons_result() -> tuple[Case, bool]:
    return case_intake(
        result=result(
            "LAB-JR",
            "John",
            "Fairbairn",
            date_of_birth=JUNIOR_BORN,
            phone=LANDLINE,
            postcode=POSTCODE,
        )
    )


def test_a_sons_result_is_not_filed_on_his_fathers_case(father_and_son):
    father, son = father_and_son

    case, created = sons_result()

    assert created is True
    assert case.pk != father.pk
    assert case.person_id not in {father.person_id, son.person_id}
    assert Person.objects.get(pk=father.person_id).date_of_birth is None
    assert Person.objects.get(pk=son.person_id).date_of_birth is None
    # For a supervisor: the new record may be either of them.
    assert pair_of(case.person, father.person) is not None
    assert pair_of(case.person, son.person) is not None


def test_two_people_a_supervisor_decided_are_two_stay_apart(father_and_son, supervisor):
    father, son = father_and_son
    duplicate_not_same(pair=pair_of(father.person, son.person), by=supervisor)

    case, created = sons_result()

    assert created is True
    assert case.person_id not in {father.person_id, son.person_id}
    assert Person.objects.get(pk=father.person_id).date_of_birth is None
    assert (
        pair_of(father.person, son.person).status == PossibleDuplicate.Status.NOT_SAME
    )


def test_a_namesake_the_arrival_is_by_birthday_keeps_the_link_off_the_other(
    supervisor,
):
    """Jr held with his own mobile and date of birth, decided not his father: his
    result with the home landline is not his father's, though only his father has
    that phone."""
    father = f.PersonFactory(
        first_name="John",
        last_name="Fairbairn",
        date_of_birth=None,
        phone="+441144960123",
        postcode="",
    )
    son = f.PersonFactory(
        first_name="John",
        last_name="Fairbairn",
        date_of_birth=JUNIOR_BORN,
        phone="+447911123457",
        postcode="",
    )
    a, b = sorted((father.pk, son.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a, person_b_id=b, score=0.5, created_at=timezone.now()
    )
    duplicate_not_same(pair=pair, by=supervisor)

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="John",
            last_name="Fairbairn",
            date_of_birth=JUNIOR_BORN,
            phone=LANDLINE,
        )
    )

    assert created is True
    assert person.pk not in {father.pk, son.pk}
    father.refresh_from_db()
    assert father.date_of_birth is None


def test_a_resident_named_on_the_homes_landline_is_neither_of_two_namesakes():
    older = f.PersonFactory(
        first_name="Margaret",
        last_name="Okafor",
        date_of_birth=dt.date(1931, 2, 3),
        phone="+441144960123",
        postcode=POSTCODE,
    )
    younger = f.PersonFactory(
        first_name="Margaret",
        last_name="Okafor",
        date_of_birth=dt.date(1934, 7, 9),
        phone="+441144960123",
        postcode=POSTCODE,
    )
    worker, _ = case_intake(
        result=result(
            "LAB-W",
            "Priya",
            "Sharma",
            date_of_birth=dt.date(1990, 1, 1),
            phone="07911 123456",
            postcode=POSTCODE,
        )
    )

    contact = named(worker, "Margaret", "Okafor", phone=LANDLINE, postcode=POSTCODE)

    assert contact.person_id not in {older.pk, younger.pk}
    assert pair_of(contact.person, older) is not None
    assert pair_of(contact.person, younger) is not None
    # Born three years apart, they are never the same: not for a person to decide.
    assert pair_of(older, younger) is None


def test_two_held_people_born_on_different_days_are_never_paired():
    """Only the older shares the landline: she is the one named, and her namesake
    at the same address, born another year, is not listed as possibly her."""
    older = f.PersonFactory(
        first_name="Margaret",
        last_name="Okafor",
        date_of_birth=dt.date(1931, 2, 3),
        phone="+441144960123",
        postcode=POSTCODE,
    )
    younger = f.PersonFactory(
        first_name="Margaret",
        last_name="Okafor",
        date_of_birth=dt.date(1934, 7, 9),
        phone="",
        postcode=POSTCODE,
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Margaret", last_name="Okafor", phone=LANDLINE, postcode=POSTCODE
        )
    )

    assert (person.pk, created) == (older.pk, False)
    assert pair_of(older, younger) is None
    assert not PossibleDuplicate.objects.exists()


def test_the_reasons_of_a_pair_are_the_pairs_own():
    """John Smyth's result links to John Smith (a typo, the same birthday and
    phone); a John Smyth held at the postcode is listed with him: their names are
    similar, not the same."""
    found = f.PersonFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=dt.date(1980, 1, 1),
        phone="+441144960123",
        postcode=POSTCODE,
    )
    other = f.PersonFactory(
        first_name="John",
        last_name="Smyth",
        date_of_birth=None,
        phone="",
        postcode=POSTCODE,
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="John",
            last_name="Smyth",
            date_of_birth=dt.date(1980, 1, 1),
            phone=LANDLINE,
            postcode=POSTCODE,
        )
    )

    assert (person.pk, created) == (found.pk, False)
    reasons = pair_of(found, other).reasons
    assert "same name" not in reasons
    assert reasons[0] == "date of birth missing on one"
    assert reasons[1].startswith("similar name (")
    assert "same postcode" in reasons


def test_a_name_and_birthday_alone_are_neither_of_two_namesakes_told_apart():
    """Two Amira Khans born the same day, told apart by their NHS numbers: a result
    with only her name and date of birth is not filed on the older at a guess."""
    born = dt.date(1985, 6, 14)
    older = f.PersonFactory(
        first_name="Amira",
        last_name="Khan",
        date_of_birth=born,
        nhs_number="9434765919",
    )
    younger = f.PersonFactory(
        first_name="Amira",
        last_name="Khan",
        date_of_birth=born,
        nhs_number="4010232137",
    )

    person, created = person_find_or_create(
        details=PersonDetails(first_name="Amira", last_name="Khan", date_of_birth=born)
    )

    assert created is True
    assert pair_of(person, older) is not None
    assert pair_of(person, younger) is not None


def test_a_birthday_is_not_written_onto_a_father_by_name_and_phone_alone(supervisor):
    """Jr held on his own mobile, decided not his father: a result with a date of
    birth and the home landline finds only the father, and leaves his date of birth
    blank (it may be Jr's: with it, the father's own results would be someone
    else's)."""
    father = f.PersonFactory(
        first_name="John",
        last_name="Fairbairn",
        date_of_birth=None,
        phone="+441144960123",
        postcode="",
    )
    son = f.PersonFactory(
        first_name="John",
        last_name="Fairbairn",
        date_of_birth=None,
        phone="+447911123457",
        postcode="",
    )
    a, b = sorted((father.pk, son.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a, person_b_id=b, score=0.5, created_at=timezone.now()
    )
    duplicate_not_same(pair=pair, by=supervisor)

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="John",
            last_name="Fairbairn",
            date_of_birth=JUNIOR_BORN,
            phone=LANDLINE,
        )
    )

    assert (person.pk, created) == (father.pk, False)
    father.refresh_from_db()
    assert father.date_of_birth is None
