"""An NHS number alone links no one (people/matching.py, tier 0): with names that do
not agree, the arrival is a new person, the pair a possible duplicate, and nothing of
the person holding the number is shown to the caller or written over. Before, a
contact typed in with another person's NHS number became that person: the caller saw
their name, date of birth and NHS number, and the phone and postcode typed replaced
theirs."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from cases.models import Case
from people.models import Person, PersonChange, PossibleDuplicate
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from work.access.people import people_visible_to
from work.intake import TestResult as LabResult
from work.intake import case_intake, case_intake_many
from work.results_csv import (
    results_file_read,
    results_upload_confirm,
    results_upload_preview,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

NHS, OTHER_NHS = "9434765919", "4010232137"
LEAH_BORN = dt.date(1979, 4, 21)


@pytest.fixture
def leah() -> Person:
    """Leah Clarke, a positive case held by another nurse, with an NHS number."""
    person = f.PersonFactory(
        first_name="Leah",
        last_name="Clarke",
        date_of_birth=LEAH_BORN,
        nhs_number=NHS,
        phone="+447400000003",
        postcode="SW1A 0LA",
    )
    f.CaseFactory(person=person, status="assigned", assignee=f.UserFactory())
    return person


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.get(person_a_id=a, person_b_id=b)


def arriving(first_name: str, last_name: str, **fields) -> tuple[Person, bool]:
    return person_find_or_create(
        details=PersonDetails(first_name=first_name, last_name=last_name, **fields),
        source="intake",
    )


def lab_result(reference: str, first_name: str, last_name: str, **person):
    return LabResult(
        lab_reference=reference,
        person=PersonDetails(first_name=first_name, last_name=last_name, **person),
        specimen_date=dt.date(2021, 1, 10),
        result_date=dt.date(2021, 1, 11),
    )


def test_a_contact_with_another_persons_nhs_number_is_a_new_person_shown_nothing(
    caseworker, leah
):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    http = APIClient()
    http.force_login(caseworker)

    response = http.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        {
            "person": {
                "first_name": "Zed",
                "last_name": "Unknown",
                "nhs_number": "943 476 5919",
                "phone": "07400 123456",
                "postcode": "S1 1AA",
            },
            "exposure_date": (case.specimen_date - dt.timedelta(days=1)).isoformat(),
            "exposure": "household",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    shown = response.json()["person"]
    assert shown["id"] != leah.pk
    assert (shown["first_name"], shown["last_name"]) == ("Zed", "Unknown")
    assert shown["date_of_birth"] is None
    assert shown["nhs_number"] == ""
    assert "Leah" not in response.content.decode()
    # Leah is as she was, and not among the people the nurse may find.
    before = (leah.phone.as_e164, leah.postcode, leah.first_name, leah.date_of_birth)
    leah.refresh_from_db()
    assert (
        leah.phone.as_e164,
        leah.postcode,
        leah.first_name,
        leah.date_of_birth,
    ) == before
    assert leah.nhs_number == NHS
    assert not PersonChange.objects.filter(person=leah).exists()
    assert not people_visible_to(caseworker).filter(pk=leah.pk).exists()
    # For a person to decide.
    zed = Person.objects.get(pk=shown["id"])
    pair = pair_of(zed, leah)
    assert pair.status == PossibleDuplicate.Status.OPEN
    assert "same NHS number" in pair.reasons


@pytest.mark.parametrize(
    ("first_name", "last_name", "born"),
    [
        ("Sarah", "Brown", dt.date(1950, 1, 1)),  # the same first name
        ("Sara", "Jonas", dt.date(1950, 1, 1)),  # a surname one typo apart
        ("Saraah", "Brown", dt.date(1950, 1, 1)),  # a first name one typo apart
        ("Sally", "Brown", dt.date(1985, 6, 14)),  # the same date of birth
    ],
    ids=["first-name", "close-surname", "close-first-name", "birthday"],
)
def test_an_nhs_number_with_names_that_agree_links(first_name, last_name, born):
    known = f.PersonFactory(
        first_name="Sarah",
        last_name="Jones",
        date_of_birth=dt.date(1985, 6, 14),
        nhs_number=NHS,
    )

    person, created = arriving(
        first_name, last_name, nhs_number=NHS, date_of_birth=born
    )

    assert (person.pk, created) == (known.pk, False)
    assert not PossibleDuplicate.objects.exists()


def test_a_lab_result_after_a_marriage_links_by_the_nhs_number_and_birthday():
    known = f.PersonFactory(
        first_name="Sarah",
        last_name="Jones",
        date_of_birth=dt.date(1985, 6, 14),
        nhs_number=NHS,
    )

    case, _ = case_intake(
        result=lab_result(
            "LAB-1",
            "Sarah",
            "Brown",
            nhs_number=NHS,
            date_of_birth=dt.date(1985, 6, 14),
        )
    )

    assert case.person_id == known.pk
    known.refresh_from_db()
    assert known.last_name == "Jones"


def test_a_lab_result_with_another_persons_nhs_number_makes_a_new_person(leah):
    case, _ = case_intake(
        result=lab_result(
            "LAB-1",
            "Zed",
            "Unknown",
            nhs_number=NHS,
            date_of_birth=dt.date(2001, 2, 3),
            phone="07400 123456",
            postcode="S1 1AA",
        )
    )

    assert case.person_id != leah.pk
    zed = case.person
    assert (zed.first_name, zed.nhs_number) == ("Zed", "")
    assert zed.date_of_birth == dt.date(2001, 2, 3)
    leah.refresh_from_db()
    assert (leah.phone.as_e164, leah.postcode) == ("+447400000003", "SW1A 0LA")
    assert pair_of(zed, leah).status == PossibleDuplicate.Status.OPEN


def test_a_person_found_by_another_rule_is_not_given_a_number_held_by_another(leah):
    """Zed is held, found by name, birthday and phone; the number typed is Leah's:
    Zed is not given it (it is Leah's), and the pair is listed."""
    zed = f.PersonFactory(
        first_name="Zed",
        last_name="Unknown",
        date_of_birth=dt.date(2001, 2, 3),
        phone="+447400123456",
        postcode="S1 1AA",
    )

    person, created = arriving(
        "Zed",
        "Unknown",
        nhs_number=NHS,
        date_of_birth=dt.date(2001, 2, 3),
        phone="07400 123456",
    )

    assert (person.pk, created) == (zed.pk, False)
    zed.refresh_from_db()
    assert zed.nhs_number == ""
    assert pair_of(zed, leah).status == PossibleDuplicate.Status.OPEN


def test_with_matching_off_an_nhs_number_with_unlike_names_is_a_new_person(
    settings, leah
):
    settings.TRACING_PERSON_MATCHING = False

    person, created = arriving("Zed", "Unknown", nhs_number=NHS, postcode="S1 1AA")

    assert created is True
    assert person.nhs_number == ""
    leah.refresh_from_db()
    assert leah.postcode == "SW1A 0LA"
    assert pair_of(person, leah).status == PossibleDuplicate.Status.OPEN


def test_a_batch_treats_an_nhs_number_with_unlike_names_as_one_at_a_time(
    requires_postgres, leah
):
    """Set-wise intake (one query matches the batch) answers as results fed one at a
    time: Zed with Leah's number is a new person without it; the same Zed again on a
    later result, with another NHS number, is that new person (the same name, date
    of birth and phone), not a second one."""
    zed = {"date_of_birth": dt.date(2001, 2, 3), "phone": "07400 123456"}
    outcomes = case_intake_many(
        results=[
            lab_result("LAB-1", "Zed", "Unknown", nhs_number=NHS, **zed),
            lab_result("LAB-2", "Zed", "Unknown", nhs_number=OTHER_NHS, **zed),
            lab_result("LAB-3", "Leah", "Clarke", nhs_number=NHS),
        ]
    )

    first, second, third = (outcome.case for outcome in outcomes)
    assert None not in (first, second, third)
    assert first.person_id == second.person_id != leah.pk
    assert third.person_id == leah.pk
    made = Person.objects.get(pk=first.person_id)
    assert (made.first_name, made.nhs_number) == ("Zed", OTHER_NHS)
    assert pair_of(made, leah).status == PossibleDuplicate.Status.OPEN
    leah.refresh_from_db()
    assert (leah.phone.as_e164, leah.postcode) == ("+447400000003", "SW1A 0LA")


def test_a_results_file_preview_says_what_confirming_does_with_a_shared_number(
    requires_postgres, leah
):
    """Two rows with one NHS number and unlike names are two people (the preview
    said row 3 was row 2's new person); Leah's number on Zed's row makes Zed without
    it, so Zed's later row with his own number is that new person."""
    rows = results_file_read(
        "lab_reference,first_name,last_name,date_of_birth,nhs_number,"
        "specimen_date,result_date\r\n"
        f"PRV1,Olu,Adeyemi,1980-01-01,{OTHER_NHS},2021-01-10,2021-01-11\r\n"
        f"PRV2,Kim,Park,1990-05-05,{OTHER_NHS},2021-01-10,2021-01-11\r\n"
        f"PRV3,Zed,Unknown,2001-02-03,{NHS},2021-01-10,2021-01-11\r\n"
        # Months before: another episode, a case of its own (not a further result).
        "PRV4,Zed,Unknown,2001-02-03,9876543210,2020-09-10,2020-09-11\r\n"
    )

    preview = {item.row.number: item for item in results_upload_preview(rows).rows}
    confirmed = {
        outcome.number: outcome
        for outcome in results_upload_confirm(rows=rows, by=None)
    }

    assert [preview[n].same_person_as for n in (2, 3, 4, 5)] == [None, None, None, 4]
    assert preview[4].person is None
    assert leah in [candidate.person for candidate in preview[4].duplicates]
    people = {
        n: Case.objects.get(lab_reference=confirmed[n].lab_reference).person
        for n in (2, 3, 4, 5)
    }
    assert len({people[n].pk for n in (2, 3, 4)} | {leah.pk}) == 4
    assert people[5] == people[4]
    assert (people[2].nhs_number, people[3].nhs_number) == (OTHER_NHS, "")
    assert people[4].nhs_number == "9876543210"
    assert pair_of(people[2], people[3]).status == PossibleDuplicate.Status.OPEN
