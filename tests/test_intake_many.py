"""case_intake_many: a lab's batch of results in one transaction, item by item."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from people.models import Person
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from work.intake import TestResult as LabResult
from work.intake import case_intake_many
from work.tasks import assign_work_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SPECIMEN = dt.date(2021, 1, 10)
RESULT = dt.date(2021, 1, 11)


def result(ref: str, **person) -> LabResult:
    """A Sheffield result for a person of their own (named after the reference)."""
    details = {
        "first_name": "Amira",
        "last_name": f"Khan-{ref}",
        "date_of_birth": dt.date(1980, 5, 1),
        "phone": "07911 123456",
        "postcode": "S1 1AA",
    }
    return LabResult(
        lab_reference=ref,
        person=PersonDetails(**(details | person)),
        specimen_date=SPECIMEN,
        result_date=RESULT,
    )


def test_batch_makes_one_new_case_per_result_in_order():
    outcomes = case_intake_many(results=[result("LAB-1"), result("LAB-2")])

    assert [(o.case.lab_reference, o.created) for o in outcomes] == [
        ("LAB-1", True),
        ("LAB-2", True),
    ]
    assert Case.objects.get(lab_reference="LAB-2").area.code == "E08000019"


def test_same_reference_twice_in_a_batch_is_created_then_existing():
    first, second = case_intake_many(
        results=[result("LAB-1"), result("LAB-1", last_name="Other", phone="")]
    )

    assert (first.created, second.created) == (True, False)
    assert second.case.pk == first.case.pk
    assert Case.objects.count() == 1
    assert not Person.objects.filter(last_name="Other").exists()


def test_reference_already_received_is_existing_and_changes_nothing():
    [before] = case_intake_many(results=[result("LAB-1")])

    [again] = case_intake_many(
        results=[result("LAB-1", last_name="Other", postcode="S70 2TA")]
    )

    assert (again.case.pk, again.created) == (before.case.pk, False)
    assert Case.objects.get().area.code == "E08000019"
    assert not Person.objects.filter(last_name="Other").exists()


def test_bad_item_midway_is_reported_and_the_others_saved():
    outcomes = case_intake_many(
        results=[result("LAB-1"), result("LAB-2", phone="12345"), result("LAB-3")]
    )

    assert isinstance(outcomes[1].error, ValidationError)
    assert outcomes[1].case is None
    assert set(Case.objects.values_list("lab_reference", flat=True)) == {
        "LAB-1",
        "LAB-3",
    }


def test_item_failing_after_its_person_was_written_leaves_nothing_of_itself(
    monkeypatch,
):
    real_save = Case.save

    def failing_save(self, *args, **kwargs):
        if self.lab_reference == "LAB-2":
            raise IntegrityError("simulated failure after the person was written")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Case, "save", failing_save)
    outcomes = case_intake_many(
        results=[result("LAB-1"), result("LAB-2"), result("LAB-3")]
    )

    assert isinstance(outcomes[1].error, IntegrityError)
    assert not Person.objects.filter(last_name="Khan-LAB-2").exists()
    assert (
        Person.objects.filter(last_name__in=["Khan-LAB-1", "Khan-LAB-3"]).count() == 2
    )


def test_failed_item_leaves_its_reference_free_for_a_later_item_of_the_batch():
    outcomes = case_intake_many(
        results=[result("LAB-1", phone="12345"), result("LAB-1")]
    )

    assert outcomes[0].error is not None
    assert outcomes[1].created is True


def test_complex_setting_in_a_batch_escalates_to_the_local_team():
    complex_result = result("LAB-2")
    complex_result.complex_setting = "care_home"

    case_intake_many(results=[result("LAB-1"), complex_result])

    escalation = Escalation.objects.get()
    assert escalation.case.lab_reference == "LAB-2"
    assert escalation.case.status == Status.ESCALATED
    assert escalation.local_team.code == "E08000019"
    assert Case.objects.get(lab_reference="LAB-1").status == Status.NEW


def test_batch_queues_one_assignment_run_once_it_commits(
    django_capture_on_commit_callbacks,
):
    with (
        mock.patch.object(assign_work_task, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        # Phoned (a landline): a case with a mobile waits for its answer online.
        case_intake_many(
            results=[result(f"LAB-{n}", phone="0114 496 0123") for n in range(3)]
        )

    queued.assert_called_once_with()


def test_batch_of_known_results_queues_no_assignment(
    django_capture_on_commit_callbacks,
):
    f.CaseFactory(lab_reference="LAB-1")
    with (
        mock.patch.object(assign_work_task, "delay") as queued,
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_intake_many(results=[result("LAB-1")])

    queued.assert_not_called()


def test_people_in_one_batch_are_matched_to_each_other():
    outcomes = case_intake_many(
        results=[result("LAB-1", last_name="Khan"), result("LAB-2", last_name="Khan")]
    )

    assert outcomes[0].case.person_id == outcomes[1].case.person_id


# --- matching, one query for the rules tried in turn -----------------------------------


def test_nhs_number_wins_over_an_older_name_and_birthday_match():
    f.PersonFactory(first_name="Amira", last_name="Khan", date_of_birth=RESULT)
    # Her married name and another date of birth on file: the same first name.
    by_number = f.PersonFactory(
        first_name="Amira", last_name="Patel", nhs_number="9434765919"
    )

    person, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Amira",
            last_name="Khan",
            date_of_birth=RESULT,
            nhs_number="9434765919",
        )
    )

    assert person.pk == by_number.pk


def test_name_and_birthday_win_over_an_older_name_and_phone_match():
    f.PersonFactory(
        first_name="Amira", last_name="Khan", date_of_birth=None, phone="+447911123456"
    )
    by_birthday = f.PersonFactory(
        first_name="Amira", last_name="Khan", date_of_birth=RESULT, phone=""
    )

    person, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Amira",
            last_name="Khan",
            date_of_birth=RESULT,
            phone="07911 123456",
        )
    )

    assert person.pk == by_birthday.pk


def test_of_two_people_matching_one_rule_the_oldest_is_found():
    oldest = f.PersonFactory(first_name="Amira", last_name="Khan", date_of_birth=RESULT)
    f.PersonFactory(first_name="Amira", last_name="Khan", date_of_birth=RESULT)

    person, _ = person_find_or_create(
        details=PersonDetails(
            first_name="Amira", last_name="Khan", date_of_birth=RESULT
        )
    )

    assert person.pk == oldest.pk


def test_names_alone_match_nobody():
    f.PersonFactory(first_name="Amira", last_name="Khan", date_of_birth=None, phone="")

    _, created = person_find_or_create(
        details=PersonDetails(first_name="Amira", last_name="Khan")
    )

    assert created is True
