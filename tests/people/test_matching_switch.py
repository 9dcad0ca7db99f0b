"""The person-matching switch (settings.TRACING_PERSON_MATCHING): on, a result for a
person we hold links to them; off, it makes a second person, lists no possible
duplicates, and only a held NHS number (a unique key) still finds someone."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from work.intake import TestResult as LabResult
from work.intake import case_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1985, 6, 14)


def result(reference: str, **person) -> LabResult:
    details = {
        "first_name": "Amira",
        "last_name": "Khan",
        "date_of_birth": BORN,
        "phone": "07911 123456",
        "postcode": "S1 1AA",
    } | person
    return LabResult(
        lab_reference=reference,
        person=PersonDetails(**details),
        specimen_date=dt.date(2021, 1, 10),
        result_date=dt.date(2021, 1, 11),
    )


@pytest.fixture
def known() -> Person:
    """Amira Khan, held from an earlier case, with no NHS number."""
    return f.PersonFactory(
        first_name="Amira",
        last_name="Khan",
        date_of_birth=BORN,
        phone="+447911123456",
        postcode="S1 1AA",
    )


def test_with_matching_on_a_known_person_arriving_again_is_linked(settings, known):
    settings.TRACING_PERSON_MATCHING = True

    case, created = case_intake(result=result("LAB-1"))

    assert created is True
    assert case.person_id == known.pk
    assert Person.objects.count() == 1


def test_with_matching_off_a_known_person_arriving_again_is_a_second_person(
    settings, known
):
    settings.TRACING_PERSON_MATCHING = False

    case, created = case_intake(result=result("LAB-1"))

    assert created is True
    assert case.person_id != known.pk
    second = Person.objects.get(pk=case.person_id)
    assert (second.first_name, second.last_name, second.date_of_birth) == (
        "Amira",
        "Khan",
        BORN,
    )
    assert Person.objects.count() == 2
    assert not PossibleDuplicate.objects.exists()


def test_with_matching_off_a_near_miss_is_not_listed_as_a_possible_duplicate(
    settings, known
):
    """On, a twin (same birthday, phone and postcode, another first name) is a new
    person listed beside the one held; off, nobody is listed."""
    settings.TRACING_PERSON_MATCHING = True
    on_case, _ = case_intake(result=result("LAB-1", first_name="Amir"))
    settings.TRACING_PERSON_MATCHING = False
    off_case, _ = case_intake(result=result("LAB-2", first_name="Amir"))

    assert {on_case.person_id, off_case.person_id}.isdisjoint({known.pk})
    assert on_case.person_id != off_case.person_id
    assert list(
        PossibleDuplicate.objects.values_list("person_a_id", "person_b_id")
    ) == [tuple(sorted((known.pk, on_case.person_id)))]


def test_with_matching_off_a_held_nhs_number_still_finds_the_person(settings):
    """The NHS number is unique: a second person with it would be refused, and the
    result lost."""
    settings.TRACING_PERSON_MATCHING = False
    held = f.PersonFactory(
        first_name="Sarah", last_name="Jones", nhs_number="9434765919"
    )

    case, created = case_intake(
        result=result(
            "LAB-1", first_name="Sarah", last_name="Brown", nhs_number="9434765919"
        )
    )

    assert created is True
    assert case.person_id == held.pk
    assert Person.objects.count() == 1
    assert Case.objects.get(lab_reference="LAB-1").person_id == held.pk
