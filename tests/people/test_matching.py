"""One person, one record: the matching rules (people/matching.py), their near misses,
the history of contact details and the possible duplicates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from audit.models import AuditEvent
from people import matching
from people.matching import first_names_close, surnames_close, trigram_similarity
from people.models import Person, PersonChange, PossibleDuplicate
from people.selectors import person_history, possible_duplicates
from people.services import PersonDetails, duplicate_not_same, person_find_or_create
from tests import factories as f
from work.intake import TestResult as LabResult
from work.intake import case_intake

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1985, 6, 14)
PHONE = "+447911123456"
SHEFFIELD, BARNSLEY = "E08000019", "E08000016"


@pytest.fixture(params=["database", "python"], ids=["sql-scores", "sqlite-fallback"])
def scoring(request, monkeypatch):
    """Each rule both ways: names scored by PostgreSQL's pg_trgm (when the tests run
    on PostgreSQL), and by the Python fallback SQLite uses."""
    if request.param == "database" and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for pg_trgm")
    if request.param == "python":
        monkeypatch.setattr(matching, "scored_in_sql", lambda: False)
    return request.param


def held(**fields) -> Person:
    """A person we hold: by default born BORN, phone PHONE, postcode S1 1AA."""
    values = {"date_of_birth": BORN, "phone": PHONE, "postcode": "S1 1AA"}
    return f.PersonFactory(**(values | fields))


def arriving(first_name: str, last_name: str, **fields) -> tuple[Person, bool]:
    values = {"date_of_birth": BORN, "phone": "07911 123456", "postcode": "S1 1AA"}
    return person_find_or_create(
        details=PersonDetails(
            first_name=first_name, last_name=last_name, **(values | fields)
        )
    )


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.get(person_a_id=a, person_b_id=b)


# --- linked --------------------------------------------------------------------------


def test_an_nhs_number_links_whatever_else_differs(scoring):
    known = held(first_name="Sarah", last_name="Jones", nhs_number="9434765919")

    person, created = arriving(
        "Sarah",
        "Brown",
        nhs_number="9434765919",
        date_of_birth=dt.date(1950, 1, 1),
        phone="07911 123457",
        postcode="S70 2TA",
    )

    assert (person.pk, created) == (known.pk, False)
    assert not PossibleDuplicate.objects.exists()


def test_a_first_name_a_letter_off_with_the_same_phone_and_birthday_is_listed(scoring):
    """ "Jonathon" may be a typo, but a letter is all that parts twins: it is for a
    person to decide, and nothing of the one is written onto the other."""
    known = held(first_name="Jonathan", last_name="Smith", postcode="")

    person, created = arriving("Jonathon", "Smith", postcode="")

    assert created is True
    assert pair_of(person, known).status == PossibleDuplicate.Status.OPEN


@pytest.mark.parametrize(
    ("sibling", "arrives"),
    [
        ("Francis", "Frances"),
        ("Jesse", "Jessie"),
        ("Marian", "Marion"),
        ("Elise", "Elsie"),
        ("Jaime", "Jamie"),
        ("Adrian", "Adrien"),
    ],
)
def test_twins_whose_names_differ_inside_are_two_people_and_keep_their_numbers(
    scoring, sibling, arrives
):
    """Before, Frances's result went onto Francis's record, and her NHS number with
    it; Francis's own result then made a second "Francis"."""
    twin = held(
        first_name=sibling, last_name="Okafor", date_of_birth=dt.date(2009, 5, 5)
    )

    person, created = arriving(
        arrives, "Okafor", date_of_birth=dt.date(2009, 5, 5), nhs_number="9434765919"
    )

    assert created is True
    twin.refresh_from_db()
    assert twin.nhs_number == ""
    assert person.nhs_number == "9434765919"
    assert pair_of(person, twin).status == PossibleDuplicate.Status.OPEN


@pytest.mark.parametrize(
    ("held_as", "arrives_as", "fields"),
    [
        # The same postcode, no phone: the name scored 0.25 and was never fetched.
        (("Siân", "Llŷr"), ("Sian", "Llyr"), {"phone": ""}),
        # The same phone, another postcode: fetched, but not a "close" name.
        (("Siân", "Llŷr"), ("SIAN", "LLYR"), {"postcode": "S10 2TN"}),
        (("Zoë", "Brontë"), ("Zoe", "Bronte"), {"phone": ""}),
        (("José", "García"), ("Jose", "Garcia"), {"postcode": "S10 2TN"}),
    ],
)
def test_a_name_without_its_accents_is_the_same_name(
    scoring, held_as, arrives_as, fields
):
    known = held(first_name=held_as[0], last_name=held_as[1])

    person, created = arriving(*arrives_as, **fields)

    assert (person.pk, created) == (known.pk, False)


def test_a_typo_in_the_surname_with_the_same_postcode_links(scoring):
    known = held(first_name="Imran", last_name="Khan", phone="")

    person, created = arriving("Imran", "Kahn", phone="")

    assert (person.pk, created) == (known.pk, False)


def test_the_same_name_and_birthday_with_nothing_to_compare_links(scoring):
    """A contact typed in with only a name and date of birth: nothing disagrees."""
    known = held(first_name="Amira", last_name="Khan")

    person, created = arriving("AMIRA", " khan ", phone="", postcode="")

    assert (person.pk, created) == (known.pk, False)


# --- never the same, and no row --------------------------------------------------------


def test_a_contact_named_twice_by_email_alone_is_one_person(scoring):
    """Named online with only an email, by two cases: two people, and no pair."""
    first, created = person_find_or_create(
        details=PersonDetails(
            first_name="Rhiannon", last_name="Pritchard", email="Rhiannon.P@example.org"
        )
    )
    again, created_again = person_find_or_create(
        details=PersonDetails(
            first_name="Rhiannon",
            last_name="Pritchard",
            email="rhiannon.p@example.org ",
        )
    )

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk


def test_an_email_in_common_with_another_name_is_not_the_same_person(scoring):
    held(first_name="Gwen", last_name="Evans", email="family@example.org", phone="")

    _, created = arriving(
        "Owain", "Evans", email="family@example.org", phone="", date_of_birth=None
    )

    assert created is True


def test_a_family_phone_with_other_names_and_birthdays_neither_links_nor_is_listed(
    scoring,
):
    held(first_name="Ruth", last_name="Okafor", date_of_birth=dt.date(1962, 2, 2))
    held(first_name="Daniel", last_name="Okafor", date_of_birth=dt.date(1994, 9, 30))

    _, created = arriving(
        "Grace", "Okafor", date_of_birth=dt.date(1999, 4, 4), postcode="S70 2TA"
    )

    assert created is True
    assert not PossibleDuplicate.objects.exists()


def test_another_nhs_number_is_someone_else_even_with_all_else_the_same(scoring):
    held(first_name="Amira", last_name="Khan", nhs_number="9434765919")

    _, created = arriving("Amira", "Khan", nhs_number="4010232137")

    assert created is True
    assert not PossibleDuplicate.objects.exists()


def test_names_alone_are_no_evidence(scoring):
    held(first_name="Amira", last_name="Khan", date_of_birth=None, phone="")

    _, created = arriving("Amira", "Khan", date_of_birth=None, phone="", postcode="")

    assert created is True
    assert not PossibleDuplicate.objects.exists()


# --- new, and listed as a possible duplicate ----------------------------------------------


@pytest.mark.parametrize(
    ("sibling", "arrives"),
    [("Amir", "Amira"), ("Amira", "Amir"), ("Mario", "Maria"), ("Louis", "Louise")],
)
def test_twins_with_one_name_the_other_with_an_ending_are_two_people(
    scoring, sibling, arrives
):
    """Twins share a surname, birthday, address and phone: only the first name tells
    them apart, and theirs differ in the ending."""
    twin = held(first_name=sibling, last_name="Khan", address="1 Elm Road")

    person, created = arriving(arrives, "Khan", address="1 Elm Road")

    assert created is True
    assert person.pk != twin.pk
    pair = pair_of(person, twin)
    assert pair.status == PossibleDuplicate.Status.OPEN
    assert "same date of birth" in pair.reasons
    assert "same phone" in pair.reasons
    assert any(reason.startswith("similar name (") for reason in pair.reasons)
    assert 0 < pair.score <= 1
    assert pair.person_a_id < pair.person_b_id


def test_a_name_in_another_script_is_listed_not_linked_when_birthday_and_phone_agree(
    scoring,
):
    known = held(first_name="Мария", last_name="Иванова", postcode="")

    person, created = arriving("Maria", "Ivanova", postcode="")

    assert created is True
    pair = pair_of(person, known)
    assert pair.reasons == [
        "same date of birth",
        "different name (0.00)",
        "same phone",
    ]
    assert pair.score == pytest.approx(0.45)


def test_a_maiden_name_without_an_nhs_number_is_listed_not_linked(scoring):
    known = held(first_name="Sarah", last_name="Jones", postcode="")

    person, created = arriving("Sarah", "Brown", postcode="")

    assert created is True
    reasons = pair_of(person, known).reasons
    assert "same first name" in reasons
    assert "same phone" in reasons


def test_a_maiden_name_with_the_nhs_number_links_and_keeps_the_name_held(scoring):
    known = held(first_name="Sarah", last_name="Jones", nhs_number="9434765919")

    person, created = arriving("Sarah", "Brown", nhs_number="9434765919")

    assert (person.pk, created) == (known.pk, False)
    assert Person.objects.get(pk=known.pk).last_name == "Jones"


def test_a_close_name_and_birthday_with_nothing_shared_is_listed(scoring):
    known = held(first_name="Jonathan", last_name="Smith")

    person, created = arriving(
        "Jonathon", "Smith", phone="07911 123457", postcode="S70 2TA"
    )

    assert created is True
    reasons = pair_of(person, known).reasons
    assert reasons[0] == "same date of birth"
    assert reasons[1].startswith("similar name (")
    assert "same phone" not in reasons


def test_the_same_name_and_birthday_with_phone_and_postcode_both_different_is_listed(
    scoring,
):
    """Moved and changed number, or a namesake born the same day: a person decides."""
    known = held(first_name="John", last_name="Smith")

    person, created = arriving(
        "John", "Smith", phone="07911 123457", postcode="S70 2TA"
    )

    assert created is True
    assert pair_of(person, known).reasons == ["same date of birth", "same name"]


def test_a_shared_phone_and_a_close_name_without_a_birthday_is_listed(scoring):
    known = held(first_name="Jonathan", last_name="Smith", date_of_birth=None)

    person, created = arriving("Jonathon", "Smith", date_of_birth=None, postcode="")

    assert created is True
    assert "date of birth missing on one" not in pair_of(person, known).reasons
    assert "same phone" in pair_of(person, known).reasons


def test_names_differing_only_in_their_ending_numbers_are_two_people(scoring):
    """As test fixtures name people after their lab reference."""
    held(first_name="Amira", last_name="Khan-LAB-1")

    _, created = arriving("Amira", "Khan-LAB-2")

    assert created is True


# --- the pieces -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("jonathan", "jonathon", True),
        ("jonathan", "johnathan", True),
        ("michael", "micheal", True),
        ("amir", "amira", False),
        ("mario", "maria", False),
        ("louis", "louise", False),
        ("alexander", "alexandra", False),
        ("lena", "lina", False),
        ("john", "jane", False),
    ],
)
def test_first_names_close(a, b, close):
    assert first_names_close(a, b) is close
    assert first_names_close(b, a) is close


@pytest.mark.parametrize(
    ("a", "b", "close"),
    [
        ("Smith", "Smyth", True),
        ("Khan", "Kahn", True),
        ("Khan", "Khan-Ali", True),
        ("Ivanov", "Ivanova", False),
        ("Jones", "Brown", False),
        ("Khan-LAB-1", "Khan-LAB-2", False),
    ],
)
def test_surnames_close(a, b, close):
    assert surnames_close(a, b) is close


def test_the_python_trigrams_score_as_postgresql_does(requires_postgres):
    pairs = [
        ("amir khan", "amira khan"),
        ("jonathon smith", "jonathan smith"),
        ("sarah jones", "sarah brown"),
        ("amira khan-lab-1", "amira khan-lab-2"),
        ("maria ivanova", "мария иванова"),
    ]
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            [(in_sql,)] = cursor.fetchall()
            assert trigram_similarity(a, b) == pytest.approx(in_sql, abs=1e-6), (a, b)


def test_the_migrations_made_the_trigram_index_of_folded_names(requires_postgres):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'person_name_fold_trgm'"
        )
        [(definition,)] = cursor.fetchall()
    assert "gin_trgm_ops" in definition
    assert "people_name_fold" in definition


def test_one_query_finds_and_scores_the_candidates(scoring, django_assert_num_queries):
    held(first_name="Amir", last_name="Khan")
    held(first_name="Jonathan", last_name="Smith")
    # The lock holding other arrivals of them (people.services), the candidates,
    # then the new person, then the possible duplicates.
    with django_assert_num_queries(4):
        arriving("Amira", "Khan", postcode="")


# --- the history of contact details --------------------------------------------------------


def test_new_contact_details_replace_the_held_ones_and_the_old_go_to_history(clock):
    known = held(first_name="Amira", last_name="Khan", email="amira@example.org")

    arriving("Amira", "Khan", phone="07911 123457", email="AMIRA@example.org")
    clock.shift(dt.timedelta(hours=1))
    arriving("Amira", "Khan", phone="07911 123457", address="2 Oak Lane")
    clock.shift(dt.timedelta(hours=1))
    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Amira",
            last_name="Khan",
            date_of_birth=BORN,
            phone="07911 123458",
            postcode="S1 1AA",
            address="3 Ash Close",
            email="amira.khan@example.org",
        ),
        source="case page",
    )

    assert (person.pk, created) == (known.pk, False)
    known.refresh_from_db()
    assert str(known.phone) == "+447911123458"
    assert known.email == "amira.khan@example.org"
    assert known.address == "3 Ash Close"
    history = [
        (c.field, c.old_value, c.new_value, c.source) for c in person_history(known.pk)
    ]
    # Newest first (the last arrival's changes in reverse order of writing). An email
    # differing only in case is no change, nor is a blank filled in (the address).
    assert history == [
        ("address", "2 Oak Lane", "3 Ash Close", "case page"),
        ("email", "amira@example.org", "amira.khan@example.org", "case page"),
        ("phone", "+447911123457", "+447911123458", "case page"),
        ("phone", PHONE, "+447911123457", ""),
    ]
    ats = [c.at for c in person_history(known.pk)]
    assert ats == sorted(ats, reverse=True)
    assert ats[0] > ats[-1]


def test_a_bad_new_phone_for_a_known_person_is_refused_and_theirs_kept():
    from django.core.exceptions import ValidationError

    known = held(first_name="Amira", last_name="Khan")

    with pytest.raises(ValidationError):
        arriving("Amira", "Khan", phone="12345")

    known.refresh_from_db()
    assert str(known.phone) == PHONE
    assert not PersonChange.objects.exists()


def test_an_nhs_number_filled_in_by_a_match_is_in_the_history(clock):
    """It was written onto the person found with no trace of where it came from (a
    twin's number on the other twin could not be traced)."""
    known = held(first_name="Gwen", last_name="Evans")

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Gwen",
            last_name="Evans",
            date_of_birth=BORN,
            phone="07911 123456",
            nhs_number="9434765919",
        ),
        source="intake",
    )

    assert (person.pk, created) == (known.pk, False)
    (change,) = PersonChange.objects.filter(person=known, field="nhs_number")
    assert (change.old_value, change.new_value, change.source) == (
        "",
        "9434765919",
        "intake",
    )


def test_intake_with_a_new_postcode_moves_the_person_and_keeps_the_old_in_history():
    details = {
        "first_name": "Amira",
        "last_name": "Khan",
        "date_of_birth": BORN,
        "phone": "07911 123456",
    }
    first, _ = case_intake(
        result=LabResult(
            lab_reference="LAB-A",
            person=PersonDetails(**details, postcode="S1 1AA"),
            specimen_date=dt.date(2021, 1, 5),
            result_date=dt.date(2021, 1, 6),
        )
    )

    second, created = case_intake(
        result=LabResult(
            lab_reference="LAB-B",
            person=PersonDetails(**details, postcode="s70 2ta"),
            # A new episode (a further result within 90 days is kept with the case).
            specimen_date=dt.date(2021, 6, 10),
            result_date=dt.date(2021, 6, 11),
        )
    )

    assert created is True
    assert second.person_id == first.person_id
    person = Person.objects.get(pk=first.person_id)
    assert (person.postcode, person.area.code) == ("S70 2TA", BARNSLEY)
    assert person.easting is not None
    [change] = PersonChange.objects.filter(person=person)
    assert (change.field, change.old_value, change.new_value) == (
        "postcode",
        "S1 1AA",
        "S70 2TA",
    )
    assert second.area.code == BARNSLEY


# --- deciding ----------------------------------------------------------------------------


def test_not_the_same_person_is_remembered_for_good(supervisor):
    twin = held(first_name="Amir", last_name="Khan")
    amira, _ = arriving("Amira", "Khan")
    pair = pair_of(amira, twin)
    assert list(possible_duplicates()) == [pair]

    duplicate_not_same(pair=pair, by=supervisor)

    # Amira again (now found, the twin a possible duplicate of her once more): the
    # decided pair stays decided.
    again, created = arriving("Amira", "Khan")
    assert (again.pk, created) == (amira.pk, False)
    pair.refresh_from_db()
    assert pair.status == PossibleDuplicate.Status.NOT_SAME
    assert pair.decided_by == supervisor
    assert pair.decided_at is not None
    assert pair not in possible_duplicates()
    events = AuditEvent.objects.filter(object_type="people.possibleduplicate")
    assert {(e.person_id, e.detail["other_person"]) for e in events} == {
        (pair.person_a_id, pair.person_b_id),
        (pair.person_b_id, pair.person_a_id),
    }
    assert {e.user for e in events} == {supervisor}


def test_possible_duplicates_are_the_open_pairs_likeliest_first():
    held(first_name="Мария", last_name="Иванова", postcode="")
    arriving("Maria", "Ivanova", postcode="")
    held(first_name="Amir", last_name="Khan", phone="+447911123459")
    strong, _ = arriving("Amira", "Khan", phone="07911 123459")

    scores = [pair.score for pair in possible_duplicates()]

    assert len(scores) == 2
    assert scores == sorted(scores, reverse=True)
    assert possible_duplicates()[0].person_b_id == strong.pk
