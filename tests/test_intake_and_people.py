"""Intake of positive results, the people behind them, and adding contacts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from cases.models import Case, SettingKind
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from tests.conftest import NOW
from work.casework import ContactDetails, DuplicateContact, contact_add
from work.escalation import item_escalate
from work.intake import IntakeConflict, case_intake
from work.intake import TestResult as LabResult

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
HOUR = dt.timedelta(hours=1)
SPECIMEN = dt.date(2021, 1, 10)
RESULT = dt.date(2021, 1, 11)
SHEFFIELD = "E08000019"


CaseFactory = f.CaseFactory
ContactFactory = f.ContactFactory


def amira(**overrides) -> PersonDetails:
    details = {
        "first_name": "Amira",
        "last_name": "Khan",
        "date_of_birth": dt.date(1980, 5, 1),
        "phone": "07911 123456",
        "postcode": "S1 1AA",
    }
    details.update(overrides)
    return PersonDetails(**details)


def lab_result(lab_reference: str = "LAB-0001", **overrides) -> LabResult:
    fields = {
        "lab_reference": lab_reference,
        "person": amira(),
        "specimen_date": SPECIMEN,
        "result_date": RESULT,
    }
    fields.update(overrides)
    return LabResult(**fields)


def sheffield_team():
    return f.area(SHEFFIELD).local_team


# --- intake ------------------------------------------------------------------------------


def test_intake_creates_a_waiting_case_with_its_clock(clock):
    case, created = case_intake(result=lab_result())

    assert created is True
    case = Case.objects.get(pk=case.pk)
    assert case.lab_reference == "LAB-0001"
    assert case.status == Status.NEW
    assert case.assignee is None
    assert case.area.code == SHEFFIELD
    assert case.area_unknown is False
    assert case.complexity == Case.Complexity.ROUTINE
    assert case.source == Case.Source.API
    assert case.created_at == NOW
    # A mobile number: texted a link, no call due for the hours set (4).
    assert case.next_attempt_at == NOW + 4 * HOUR
    assert case.escalate_due_at == NOW + 24 * HOUR
    assert case.isolation_ends_on == SPECIMEN + dt.timedelta(days=10)


def test_intake_creates_the_person_with_normalised_details(clock):
    case, _ = case_intake(
        result=lab_result(person=amira(postcode=" s11aa ", phone="07911123456"))
    )

    person = Person.objects.get(pk=case.person_id)
    assert person.first_name == "Amira"
    assert person.last_name == "Khan"
    assert person.postcode == "S1 1AA"
    assert str(person.phone) == "+447911123456"
    assert person.area.code == SHEFFIELD
    assert person.easting is not None
    assert person.northing is not None


def test_intake_twice_for_one_lab_reference_returns_the_case_unchanged(clock):
    first, _ = case_intake(result=lab_result())
    clock.shift(HOUR)

    again, created = case_intake(
        result=lab_result(
            person=amira(postcode="LS1 4DY"), complex_setting=SettingKind.CARE_HOME
        )
    )
    # Another person or test under the reference is a conflict: nothing written.
    with pytest.raises(IntakeConflict):
        case_intake(
            result=lab_result(
                person=amira(first_name="Someone", last_name="Else"),
                specimen_date=dt.date(2021, 1, 1),
                result_date=dt.date(2021, 1, 2),
                complex_setting=SettingKind.CARE_HOME,
            )
        )

    assert created is False
    assert again.pk == first.pk
    assert Case.objects.count() == 1
    assert Person.objects.count() == 1
    assert not Escalation.objects.exists()
    case = Case.objects.get(pk=first.pk)
    assert case.specimen_date == SPECIMEN
    assert case.result_date == RESULT
    assert case.status == Status.NEW
    assert case.created_at == NOW
    assert case.complex_setting == ""
    assert case.area.code == SHEFFIELD


def test_intake_from_csv_records_its_source(clock):
    case, _ = case_intake(result=lab_result(), source=Case.Source.CSV)

    assert Case.objects.get(pk=case.pk).source == Case.Source.CSV


def test_intake_with_symptoms_counts_isolation_from_onset(clock):
    case, _ = case_intake(result=lab_result(symptom_onset=dt.date(2021, 1, 8)))

    assert Case.objects.get(pk=case.pk).isolation_ends_on == dt.date(2021, 1, 18)


def test_intake_in_a_care_home_escalates_straight_to_sheffield_team(clock):
    case, created = case_intake(
        result=lab_result(complex_setting=SettingKind.CARE_HOME)
    )

    assert created is True
    case = Case.objects.get(pk=case.pk)
    assert case.complexity == Case.Complexity.COMPLEX
    assert case.complex_setting == SettingKind.CARE_HOME
    assert case.status == Status.ESCALATED
    assert case.escalated_at == NOW
    assert case.local_team == sheffield_team()
    assert case.next_attempt_at is None
    assert case.escalate_due_at is None
    escalation = Escalation.objects.get(case=case)
    assert escalation.reason == Escalation.Reason.COMPLEX
    assert escalation.local_team == sheffield_team()
    assert escalation.area_unknown is False
    assert escalation.created_by is None
    assert escalation.due_at == NOW + 12 * HOUR
    assert escalation.detail == "Complex setting: Care home"


@pytest.mark.parametrize(
    "setting", [SettingKind.SCHOOL, SettingKind.HOSPITAL, SettingKind.PRISON]
)
def test_intake_in_other_complex_settings_escalates_to_the_local_team(clock, setting):
    case, _ = case_intake(result=lab_result(complex_setting=setting))

    case = Case.objects.get(pk=case.pk)
    assert case.complexity == Case.Complexity.COMPLEX
    assert case.status == Status.ESCALATED
    assert Escalation.objects.get(case=case).reason == Escalation.Reason.COMPLEX


def test_intake_in_a_workplace_stays_routine_in_the_pool(clock):
    case, _ = case_intake(result=lab_result(complex_setting=SettingKind.WORKPLACE))

    case = Case.objects.get(pk=case.pk)
    assert case.complexity == Case.Complexity.ROUTINE
    assert case.status == Status.NEW
    assert case.local_team is None
    assert not Escalation.objects.filter(case=case).exists()


def test_intake_with_unknown_postcode_has_no_area_and_flags_it(clock):
    case, _ = case_intake(result=lab_result(person=amira(postcode="zz99zz")))

    case = Case.objects.get(pk=case.pk)
    assert case.area is None
    assert case.area_unknown is True
    assert case.person.postcode == "ZZ9 9ZZ"
    assert case.person.area is None


def test_complex_intake_with_unknown_postcode_goes_to_the_fallback_team(clock):
    case, _ = case_intake(
        result=lab_result(
            person=amira(postcode="ZZ9 9ZZ"), complex_setting=SettingKind.CARE_HOME
        )
    )

    case = Case.objects.get(pk=case.pk)
    escalation = Escalation.objects.get(case=case)
    assert case.status == Status.ESCALATED
    assert case.local_team.is_fallback is True
    assert escalation.local_team.is_fallback is True
    assert escalation.area_unknown is True


def test_unknown_area_case_escalated_later_goes_to_the_fallback_team(clock):
    case, _ = case_intake(result=lab_result(person=amira(postcode="ZZ9 9ZZ")))

    escalation = item_escalate(item=case, reason=Escalation.Reason.UNREACHED)

    escalation.refresh_from_db()
    case.refresh_from_db()
    assert escalation.local_team.is_fallback is True
    assert escalation.area_unknown is True
    assert case.local_team.is_fallback is True


def test_intake_with_malformed_postcode_is_refused_and_creates_nothing(clock):
    with pytest.raises(ValidationError):
        case_intake(result=lab_result(person=amira(postcode="NOT A CODE")))

    assert not Case.objects.exists()
    assert not Person.objects.exists()


def test_intake_with_invalid_phone_is_refused_and_creates_nothing(clock):
    with pytest.raises(ValidationError):
        case_intake(result=lab_result(person=amira(phone="12345")))

    assert not Case.objects.exists()
    assert not Person.objects.exists()


# --- the database's guards ---------------------------------------------------------------


def test_database_refuses_a_duplicate_lab_reference(clock):
    CaseFactory(lab_reference="LAB-DUP")

    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(lab_reference="LAB-DUP")

    assert Case.objects.filter(lab_reference="LAB-DUP").count() == 1


def test_database_refuses_a_specimen_taken_after_the_result(clock):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(specimen_date=RESULT + dt.timedelta(days=1), result_date=RESULT)

    assert not Case.objects.exists()


def test_database_accepts_a_specimen_on_the_result_day(clock):
    CaseFactory(specimen_date=RESULT, result_date=RESULT)

    assert Case.objects.filter(specimen_date=RESULT, result_date=RESULT).exists()


def test_database_refuses_an_assigned_case_without_assignee(clock):
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseFactory(status=Status.ASSIGNED, assignee=None)

    assert not Case.objects.exists()


def test_database_refuses_a_person_twice_on_one_case(clock):
    contact = ContactFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(case=contact.case, person=contact.person)

    assert Contact.objects.filter(case=contact.case).count() == 1


def test_database_refuses_one_nhs_number_on_two_people(clock):
    f.PersonFactory(nhs_number="9434765919")

    with pytest.raises(IntegrityError), transaction.atomic():
        f.PersonFactory(nhs_number="9434765919")

    assert Person.objects.filter(nhs_number="9434765919").count() == 1


# --- finding people ----------------------------------------------------------------------


def test_person_found_by_nhs_number_despite_other_details(clock):
    # The names must agree (here the first name): the number alone links no one
    # (people/matching.py; tests/people/test_nhs_number_alone.py).
    known = f.PersonFactory(
        first_name="Amira", last_name="Khan", nhs_number="9434765919"
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Amira",
            last_name="Spelling",
            date_of_birth=dt.date(1950, 1, 1),
            nhs_number="9434765919",
        )
    )

    assert created is False
    assert person.pk == known.pk
    assert Person.objects.count() == 1


def test_person_found_by_name_and_date_of_birth_ignoring_case(clock):
    known = f.PersonFactory(
        first_name="Amira", last_name="Khan", date_of_birth=dt.date(1980, 5, 1)
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name=" amira ", last_name="KHAN", date_of_birth=dt.date(1980, 5, 1)
        )
    )

    assert created is False
    assert person.pk == known.pk
    assert Person.objects.count() == 1


def test_person_found_by_name_and_phone_in_national_format(clock):
    known = f.PersonFactory(
        first_name="Amira", last_name="Khan", date_of_birth=None, phone="+447911123456"
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Amira", last_name="Khan", phone="07911 123456"
        )
    )

    assert created is False
    assert person.pk == known.pk
    assert Person.objects.count() == 1


def test_same_name_with_another_date_of_birth_is_a_new_person(clock):
    f.PersonFactory(
        first_name="Amira", last_name="Khan", date_of_birth=dt.date(1980, 5, 1)
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="Amira", last_name="Khan", date_of_birth=dt.date(1990, 5, 1)
        )
    )

    assert created is True
    assert Person.objects.filter(first_name="Amira", last_name="Khan").count() == 2
    assert Person.objects.get(pk=person.pk).date_of_birth == dt.date(1990, 5, 1)


def test_same_name_with_another_phone_is_a_new_person(clock):
    f.PersonFactory(
        first_name="Amira", last_name="Khan", date_of_birth=None, phone="+447911123456"
    )

    _, created = person_find_or_create(
        details=PersonDetails(
            first_name="Amira", last_name="Khan", phone="07911 123457"
        )
    )

    assert created is True
    assert Person.objects.count() == 2


def test_found_person_gets_blanks_filled_and_a_new_phone_keeping_the_old(clock):
    """A new phone replaces theirs, the old one kept in their history (it used to be
    ignored: people/matching.py, one person, one record)."""
    known = f.PersonFactory(
        first_name="Amira",
        last_name="Khan",
        date_of_birth=dt.date(1980, 5, 1),
        phone="+447911123456",
        email="",
    )

    person_find_or_create(
        details=amira(phone="07911 123457", email="amira@example.org")
    )

    known.refresh_from_db()
    assert known.email == "amira@example.org"
    assert str(known.phone) == "+447911123457"
    assert [(c.field, c.old_value) for c in known.changes.all()] == [
        ("phone", "+447911123456")
    ]


def test_new_person_with_an_invalid_nhs_number_is_refused(clock):
    with pytest.raises(ValidationError):
        person_find_or_create(details=amira(nhs_number="9434765918"))

    assert not Person.objects.exists()


# --- contacts ----------------------------------------------------------------------------


def test_contact_add_creates_a_waiting_contact_with_its_clock(clock, caseworker):
    case = CaseFactory(status=Status.ASSIGNED, assignee=caseworker)

    contact = contact_add(
        case=case,
        details=ContactDetails(
            person=amira(),
            exposure_date=dt.date(2021, 1, 9),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
        by=caseworker,
    )

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.case == case
    assert contact.person.full_name == "Amira Khan"
    assert contact.status == Status.NEW
    assert contact.area.code == SHEFFIELD
    assert contact.area_unknown is False
    assert contact.identified_by == caseworker
    assert contact.isolation_ends_on == dt.date(2021, 1, 19)
    assert contact.created_at == NOW
    assert contact.next_attempt_at == NOW
    assert contact.escalate_due_at == NOW + 24 * HOUR


def test_contact_add_refuses_the_same_person_twice_on_a_case(clock):
    case = CaseFactory()
    details = ContactDetails(
        person=amira(), exposure_date=dt.date(2021, 1, 9), exposure="household"
    )
    contact_add(case=case, details=details)

    with pytest.raises(DuplicateContact):
        contact_add(case=case, details=details)

    assert Contact.objects.filter(case=case).count() == 1
    assert Person.objects.filter(last_name="Khan").count() == 1


def test_contact_add_refuses_the_same_person_found_by_nhs_number(clock):
    case = CaseFactory()
    contact_add(
        case=case,
        details=ContactDetails(
            person=amira(nhs_number="9434765919"),
            exposure_date=dt.date(2021, 1, 9),
            exposure="household",
        ),
    )

    with pytest.raises(DuplicateContact):
        contact_add(
            case=case,
            details=ContactDetails(
                person=PersonDetails(
                    first_name="Amyra", last_name="Kahn", nhs_number="9434765919"
                ),
                exposure_date=dt.date(2021, 1, 10),
                exposure="face_to_face",
            ),
        )

    assert Contact.objects.filter(case=case).count() == 1


def test_contact_add_refuses_the_cases_own_person(clock):
    case = CaseFactory()
    own = case.person

    with pytest.raises(DuplicateContact):
        contact_add(
            case=case,
            details=ContactDetails(
                person=PersonDetails(
                    first_name=own.first_name,
                    last_name=own.last_name,
                    date_of_birth=own.date_of_birth,
                ),
                exposure_date=dt.date(2021, 1, 9),
                exposure="household",
            ),
        )

    assert not Contact.objects.filter(case=case).exists()


def test_one_person_named_by_two_cases_is_one_contact(clock):
    details = ContactDetails(
        person=amira(), exposure_date=dt.date(2021, 1, 9), exposure="household"
    )
    first = contact_add(case=CaseFactory(), details=details)

    second = contact_add(case=CaseFactory(), details=details)

    assert second.pk == first.pk
    assert Contact.objects.filter(person_id=first.person_id).count() == 1
    assert first.further_exposures.count() == 1


def test_contact_with_unknown_postcode_flags_area_unknown(clock):
    contact = contact_add(
        case=CaseFactory(),
        details=ContactDetails(
            person=amira(postcode="ZZ9 9ZZ"),
            exposure_date=dt.date(2021, 1, 9),
            exposure="household",
        ),
    )

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.area is None
    assert contact.area_unknown is True


def test_same_name_and_birthday_with_another_nhs_number_is_a_new_person(clock):
    """An NHS number is decisive: a different one is someone else."""
    known = f.PersonFactory(
        first_name="Amira",
        last_name="Khan",
        date_of_birth=dt.date(1980, 5, 1),
        nhs_number="9434765919",
    )

    person, created = person_find_or_create(
        details=amira(nhs_number="4010232137", phone="")
    )

    assert created is True
    assert person.pk != known.pk
    assert Person.objects.get(pk=person.pk).nhs_number == "4010232137"
    known.refresh_from_db()
    assert known.nhs_number == "9434765919"


def test_same_name_and_phone_with_another_birthday_is_a_new_person(clock):
    """A parent and child of one name sharing the home phone are two people."""
    known = f.PersonFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=dt.date(1960, 3, 1),
        phone="+447911123456",
    )

    person, created = person_find_or_create(
        details=PersonDetails(
            first_name="John",
            last_name="Smith",
            date_of_birth=dt.date(1990, 3, 1),
            phone="07911 123456",
        )
    )

    assert created is True
    assert person.pk != known.pk
    assert Person.objects.filter(last_name="Smith").count() == 2
