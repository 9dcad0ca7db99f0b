"""A child and a parent of one name on the parent's mobile are two people.

A child's test is registered with a parent's mobile, and fathers and sons share
names. Before, 7-year-old Jack Brown's positive result held his date of birth and his
father's mobile; a colleague then named his father, Jack Brown, as a contact with
that mobile (a contact is named without a date of birth), and matching linked the
father to the son's record by the same name and a shared phone: the call handler
read "born 4 April 2013", the father was told to isolate to his son's date instead
of ten days from his own exposure, and he was counted as his son in the figures.

Found only by name and a shared phone, a person whose date of birth makes them a
child (under 16 on the day) is not someone arriving without one, nor is a record
without one a child arriving with theirs: a new person, listed with the other as a
possible duplicate for a caseworker to merge if they are one (people/matching.py).
"""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from contacts.models import Contact
from people import matching
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.rules import contact_isolation_ends_on

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# The test clock stands at 12 January 2021.
TODAY = dt.date(2021, 1, 12)
SON_BORN = dt.date(2013, 4, 4)
FATHERS_MOBILE = "07911 100501"
POSTCODE = "S1 1AA"


@pytest.fixture(params=["database", "python"], ids=["sql-scores", "sqlite-fallback"])
def scoring(request, monkeypatch):
    """Names scored by PostgreSQL's pg_trgm, and by the Python fallback SQLite uses."""
    if request.param == "python":
        monkeypatch.setattr(matching, "scored_in_sql", lambda: False)
    return request.param


def positive(reference: str, first: str, last: str, *, days_ago: int, **person):
    case, created = case_intake(
        result=LabResult(
            lab_reference=reference,
            person=PersonDetails(first_name=first, last_name=last, **person),
            specimen_date=TODAY - dt.timedelta(days=days_ago),
            result_date=TODAY - dt.timedelta(days=days_ago - 1),
        )
    )
    assert created is True
    return case


def named(case: Case, first: str, last: str, *, exposed: dt.date, **person):
    """A contact as the case page or the API adds one: no date of birth."""
    return contact_add(
        case=case,
        details=ContactDetails(
            person=PersonDetails(first_name=first, last_name=last, **person),
            exposure_date=exposed,
            exposure=Contact.Exposure.FACE_TO_FACE,
        ),
    )


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.get(person_a_id=a, person_b_id=b)


def sons_result() -> Case:
    return positive(
        "KID-JB-1",
        "Jack",
        "Brown",
        days_ago=8,
        date_of_birth=SON_BORN,
        phone=FATHERS_MOBILE,
        postcode=POSTCODE,
    )


def colleagues_result() -> Case:
    return positive(
        "ADULT-CO-1",
        "Priya",
        "Shah",
        days_ago=1,
        date_of_birth=dt.date(1979, 1, 1),
        phone="07911 100502",
        postcode=POSTCODE,
    )


def test_a_father_named_with_his_sons_mobile_is_not_his_son():
    son = sons_result()
    colleague = colleagues_result()
    exposed = TODAY - dt.timedelta(days=1)

    father = named(
        colleague,
        "Jack",
        "Brown",
        exposed=exposed,
        phone=FATHERS_MOBILE,
        postcode=POSTCODE,
    )

    # What the call handler reads out: his own date, ten days from his exposure.
    assert father.isolation_ends_on == contact_isolation_ends_on(last_exposure=exposed)
    assert father.isolation_ends_on != son.isolation_ends_on
    assert father.person_id != son.person_id
    assert Person.objects.get(pk=father.person_id).date_of_birth is None
    assert Person.objects.get(pk=son.person_id).date_of_birth == SON_BORN
    # For a caseworker to merge, should they be one after all.
    pair = pair_of(father.person, son.person)
    assert pair.status == PossibleDuplicate.Status.OPEN
    assert "date of birth missing on one" in pair.reasons
    assert "same phone" in pair.reasons


def test_a_sons_result_is_not_filed_on_his_father_named_without_a_birthday():
    """The other way round: the father named first, without a date of birth, then
    his son's positive result with his date of birth and the father's mobile."""
    colleague = colleagues_result()
    father = named(
        colleague,
        "Jack",
        "Brown",
        exposed=TODAY - dt.timedelta(days=1),
        phone=FATHERS_MOBILE,
        postcode=POSTCODE,
    )

    son = positive(
        "KID-JB-2",
        "Jack",
        "Brown",
        days_ago=1,
        date_of_birth=SON_BORN,
        phone=FATHERS_MOBILE,
        postcode=POSTCODE,
    )

    assert son.person_id != father.person_id
    assert Person.objects.get(pk=father.person_id).date_of_birth is None
    assert Person.objects.get(pk=son.person_id).date_of_birth == SON_BORN
    assert pair_of(father.person, son.person).status == PossibleDuplicate.Status.OPEN


def test_an_adult_named_without_a_birthday_is_still_found_by_name_and_phone(scoring):
    """The rule the child's is kept out of: a contact named by name and phone, no
    date of birth, is the adult we hold of that name and phone."""
    held, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Jack",
            last_name="Brown",
            date_of_birth=dt.date(1985, 6, 14),
            phone=FATHERS_MOBILE,
        )
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Jack", last_name="Brown", phone=FATHERS_MOBILE
        )
    )

    assert created is False
    assert person.pk == held.pk


def test_an_adults_result_is_still_filed_on_their_record_without_a_birthday(scoring):
    held, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Jack", last_name="Brown", phone=FATHERS_MOBILE
        )
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Jack",
            last_name="Brown",
            date_of_birth=dt.date(1985, 6, 14),
            phone=FATHERS_MOBILE,
        )
    )

    assert created is False
    assert person.pk == held.pk
    assert Person.objects.get(pk=held.pk).date_of_birth == dt.date(1985, 6, 14)


@pytest.mark.parametrize(
    ("born", "linked"),
    [
        # 16 today: no longer a child.
        (dt.date(2005, 1, 12), True),
        # 16 tomorrow: still a child today.
        (dt.date(2005, 1, 13), False),
    ],
    ids=["sixteen-today", "sixteen-tomorrow"],
)
def test_a_child_is_under_sixteen_on_the_day_of_the_arrival(scoring, born, linked):
    held, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Jack",
            last_name="Brown",
            date_of_birth=born,
            phone="07911 100501",
        )
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Jack", last_name="Brown", phone=FATHERS_MOBILE
        )
    )

    assert (person.pk == held.pk) is linked
    assert created is not linked
    if not linked:
        assert pair_of(person, held).status == PossibleDuplicate.Status.OPEN


@pytest.mark.parametrize(
    ("today", "linked"),
    [(dt.date(2024, 2, 28), False), (dt.date(2024, 3, 1), True)],
    ids=["28-february", "1-march"],
)
def test_a_child_born_on_29_february_turns_sixteen_on_1_march(
    clock, scoring, today, linked
):
    clock.move_to(dt.datetime.combine(today, dt.time(10), tzinfo=dt.UTC))
    leapling, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Jack",
            last_name="Brown",
            date_of_birth=dt.date(2008, 2, 29),
            phone=FATHERS_MOBILE,
        )
    )

    person, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Jack", last_name="Brown", phone=FATHERS_MOBILE
        )
    )

    assert (person.pk == leapling.pk) is linked


def test_a_record_merged_into_a_childs_counts_as_the_childs(scoring):
    """The son named once without a date of birth, that record merged into his own:
    his father named with the mobile is not found through it."""

    son = f.PersonFactory(
        first_name="Jack",
        last_name="Brown",
        date_of_birth=SON_BORN,
        phone="+447911100501",
        postcode="",
    )
    f.PersonFactory(
        first_name="Jack",
        last_name="Brown",
        date_of_birth=None,
        phone="+447911100501",
        postcode="",
        merged_into=son,
    )

    father, created = person_find_or_create(
        details=PersonDetails(
            first_name="Jack", last_name="Brown", phone=FATHERS_MOBILE
        )
    )

    assert created is True
    assert father.pk != son.pk
    assert pair_of(father, son).status == PossibleDuplicate.Status.OPEN


def test_keeping_a_child_apart_costs_no_query_more(scoring, django_assert_num_queries):
    f.PersonFactory(
        first_name="Jack",
        last_name="Brown",
        date_of_birth=SON_BORN,
        phone="+447911100501",
        postcode="",
    )
    # As any new person with a possible duplicate (test_matching's count): the lock
    # holding other arrivals of them, the candidates, the new person, the pair.
    with django_assert_num_queries(4):
        person_find_or_create(
            details=PersonDetails(
                first_name="Jack", last_name="Brown", phone=FATHERS_MOBILE
            )
        )
