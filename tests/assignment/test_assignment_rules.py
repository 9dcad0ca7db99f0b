"""Each rule of automatic assignment, one behaviour per test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from people.services import PersonDetails
from tests import factories as f
from work.assignment import assign_work, release_stranded_work
from work.intake import TestResult as LabResult
from work.intake import case_intake

from .conftest import (
    HOUR,
    CaseFactory,
    ContactFactory,
    call_handler_on_shift,
    caseworker_on_shift,
    held_by,
    on_shift,
    waiting_cases,
    waiting_contacts,
)

pytestmark = pytest.mark.django_db

CAP = settings.TRACING_OPEN_WORK_CAP


def held(user, model=Case) -> int:
    return model.objects.filter(assignee=user).count()


def test_waiting_case_goes_to_verified_caseworker_on_shift():
    caseworker = caseworker_on_shift()
    case = CaseFactory()

    report = assign_work()

    case.refresh_from_db()
    assert report.assigned["case"] == 1
    assert case.assignee == caseworker
    assert case.status == Status.ASSIGNED
    assert case.assigned_at is not None


def test_waiting_contact_goes_to_call_handler_not_caseworker():
    caseworker_on_shift()
    handler = call_handler_on_shift()
    contact = ContactFactory()

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee == handler


def test_call_handler_never_gets_a_case():
    call_handler_on_shift()
    case = CaseFactory()

    assign_work()

    case.refresh_from_db()
    assert case.assignee is None
    assert case.status == Status.NEW


def test_caseworker_with_expired_registration_gets_no_case():
    caseworker_on_shift(
        registration_expires_on=timezone.localdate() - dt.timedelta(days=1)
    )
    case = CaseFactory()

    assign_work()

    case.refresh_from_db()
    assert case.assignee is None


def test_caseworker_with_unverified_registration_gets_no_case():
    caseworker_on_shift(registration_verified_on=None)
    case = CaseFactory()

    assign_work()

    case.refresh_from_db()
    assert case.assignee is None


def test_caseworker_off_shift_gets_no_case():
    profile = f.StaffProfileFactory(clinical=True)
    now = timezone.now()
    f.ShiftFactory(staff=profile, starts_at=now - 9 * HOUR, ends_at=now - HOUR)
    f.ShiftFactory(staff=profile, starts_at=now + HOUR, ends_at=now + 9 * HOUR)
    case = CaseFactory()

    assign_work()

    case.refresh_from_db()
    assert case.assignee is None


def test_cancelled_shift_gets_no_work():
    profile = f.StaffProfileFactory()
    f.ShiftFactory(staff=profile, status="cancelled")
    contact = ContactFactory()

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee is None


def test_staff_missing_required_training_get_no_work():
    f.TrainingModuleFactory(tier=3, name="Data protection")
    untrained = call_handler_on_shift()
    contact = ContactFactory()

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee is None
    module = f.TrainingModuleFactory._meta.model.objects.get()
    f.TrainingCompletionFactory(profile=untrained.staff, module=module)
    assign_work()
    contact.refresh_from_db()
    assert contact.assignee == untrained


def test_deactivated_user_on_shift_gets_no_work():
    handler = call_handler_on_shift()
    handler.is_active = False
    handler.save()
    contact = ContactFactory()

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee is None


def test_least_loaded_caseworker_gets_the_next_case():
    busy = caseworker_on_shift()
    idle = caseworker_on_shift()
    held_by(busy)
    held_by(busy)
    held_by(idle)
    case = CaseFactory()

    assign_work()

    case.refresh_from_db()
    assert case.assignee == idle


def test_work_is_spread_evenly_over_idle_staff():
    handlers = [call_handler_on_shift() for _ in range(3)]
    waiting_contacts(6)

    assign_work()

    assert [held(h, Contact) for h in handlers] == [2, 2, 2]


def test_nobody_is_given_more_than_their_cap():
    handler = call_handler_on_shift()
    waiting_contacts(CAP["tier3"] + 3)

    report = assign_work()

    assert held(handler, Contact) == CAP["tier3"]
    assert report.assigned["contact"] == CAP["tier3"]
    assert Contact.objects.filter(status=Status.NEW).count() == 3


def test_work_already_held_counts_against_the_cap():
    caseworker = caseworker_on_shift()
    for _ in range(CAP["tier2"] - 1):
        held_by(caseworker)
    waiting_cases(3)

    assign_work()

    assert held(caseworker) == CAP["tier2"]


def test_new_starter_is_held_to_the_lower_cap():
    assert CAP["tier3_new_starter"] < CAP["tier3"]
    new_starter = call_handler_on_shift(new_starter=True)
    waiting_contacts(CAP["tier3"])

    assign_work()

    assert held(new_starter, Contact) == CAP["tier3_new_starter"]


def test_new_caseworker_is_held_to_the_lower_cap():
    new_starter = caseworker_on_shift(new_starter=True)
    waiting_cases(CAP["tier2"])

    assign_work()

    assert held(new_starter) == CAP["tier2_new_starter"]


def test_person_needing_an_interpreter_goes_to_a_speaker_of_their_language(urdu):
    call_handler_on_shift()  # least loaded, but speaks no Urdu
    speaker = call_handler_on_shift()
    speaker.staff.languages.add(urdu)
    held_by(speaker, kind="contact")
    contact = ContactFactory(person__language=urdu, person__needs_interpreter=True)

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee == speaker


def test_person_needing_an_interpreter_waits_when_nobody_on_shift_speaks_it(
    urdu, polish
):
    speaker = call_handler_on_shift()
    speaker.staff.languages.add(polish)
    contact = ContactFactory(person__language=urdu, person__needs_interpreter=True)

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee is None
    assert contact.status == Status.NEW


def test_waiting_interpreter_work_does_not_hold_up_the_queue(urdu):
    handler = call_handler_on_shift()
    now = timezone.now()
    # Older than everything else, and more than the handler could take.
    for i in range(CAP["tier3"] + 2):
        ContactFactory(
            person__language=urdu,
            person__needs_interpreter=True,
            created_at=now - dt.timedelta(hours=5, minutes=i),
        )
    later = ContactFactory()

    assign_work()

    later.refresh_from_db()
    assert later.assignee == handler


def test_language_without_interpreter_need_goes_to_anyone(urdu):
    handler = call_handler_on_shift()
    contact = ContactFactory(person__language=urdu, person__needs_interpreter=False)

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee == handler


def test_most_urgent_then_oldest_work_goes_first():
    caseworker_on_shift(new_starter=True)  # room for two cases
    now = timezone.now()
    newest = CaseFactory(created_at=now - HOUR)
    oldest = CaseFactory(created_at=now - 5 * HOUR)
    urgent = CaseFactory(created_at=now - 0.1 * HOUR, priority=5)

    assign_work()

    assigned = set(Case.objects.filter(assignee__isnull=False))
    assert assigned == {urgent, oldest}
    newest.refresh_from_db()
    assert newest.assignee is None


def test_call_back_time_ahead_keeps_the_item_in_the_pool_until_then():
    handler = call_handler_on_shift()
    now = timezone.now()
    contact = ContactFactory(next_attempt_at=now + 2 * HOUR)

    assign_work(now=now)
    contact.refresh_from_db()
    assert contact.assignee is None

    assign_work(now=now + 2 * HOUR)
    contact.refresh_from_db()
    assert contact.assignee == handler


def test_reached_case_back_in_the_pool_is_given_out_still_reached():
    caseworker = caseworker_on_shift()
    case = CaseFactory(status=Status.REACHED, reached_at=timezone.now())

    assign_work()

    case.refresh_from_db()
    assert case.assignee == caseworker
    assert case.status == Status.REACHED


def test_complex_case_goes_to_the_local_team_not_the_pool(
    django_capture_on_commit_callbacks,
):
    caseworker_on_shift()
    result = LabResult(
        lab_reference="LABCOMPLEX1",
        person=PersonDetails(
            first_name="Ada", last_name="Lovelace", phone="+447911123456"
        ),
        specimen_date=timezone.localdate() - dt.timedelta(days=2),
        result_date=timezone.localdate() - dt.timedelta(days=1),
        complex_setting="care_home",
    )
    with django_capture_on_commit_callbacks():
        case, _ = case_intake(result=result)

    assign_work()

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert case.assignee is None


def test_escalated_and_finished_work_is_never_given_out():
    call_handler_on_shift()
    escalated = ContactFactory(status=Status.ESCALATED)
    completed = ContactFactory(status=Status.COMPLETED)

    report = assign_work()

    assert report.total == 0
    escalated.refresh_from_db()
    completed.refresh_from_db()
    assert escalated.assignee is None
    assert completed.assignee is None


def test_a_second_run_changes_nothing():
    handlers = [call_handler_on_shift() for _ in range(2)]
    waiting_contacts(5)
    assign_work()
    before = dict(Contact.objects.values_list("pk", "assignee_id"))

    report = assign_work()

    assert report.total == 0
    assert dict(Contact.objects.values_list("pk", "assignee_id")) == before
    assert sorted(held(h, Contact) for h in handlers) == [2, 3]


def test_run_limit_reports_more_work_waiting():
    handlers = [call_handler_on_shift() for _ in range(2)]
    waiting_contacts(5)

    first = assign_work(limit=3)
    second = assign_work(limit=3)

    assert (first.assigned["contact"], first.more) == (3, True)
    assert (second.assigned["contact"], second.more) == (2, False)
    assert sum(held(h, Contact) for h in handlers) == 5


# --- work stranded by the end of a shift or a deactivation -----------------------


def test_work_of_someone_whose_shift_ended_goes_back_to_the_pool():
    profile = f.StaffProfileFactory(clinical=True)
    now = timezone.now()
    f.ShiftFactory(staff=profile, starts_at=now - 9 * HOUR, ends_at=now - HOUR)
    case = held_by(profile.user)

    released = release_stranded_work()

    case.refresh_from_db()
    assert released == 1
    assert case.assignee is None
    assert case.status == Status.NEW


def test_work_of_a_deactivated_user_goes_back_to_the_pool():
    handler = call_handler_on_shift()
    contact = held_by(handler, kind="contact")
    handler.is_active = False
    handler.save()

    release_stranded_work()

    contact.refresh_from_db()
    assert contact.assignee is None
    assert contact.status == Status.NEW


def test_reached_case_of_someone_off_shift_returns_to_the_pool_still_reached():
    profile = f.StaffProfileFactory(clinical=True)
    case = CaseFactory(
        status=Status.REACHED, assignee=profile.user, reached_at=timezone.now()
    )

    release_stranded_work()

    case.refresh_from_db()
    assert case.assignee is None
    assert case.status == Status.REACHED


def test_work_of_someone_still_on_shift_stays_with_them():
    handler = call_handler_on_shift()
    contact = held_by(handler, kind="contact")

    assert release_stranded_work() == 0

    contact.refresh_from_db()
    assert contact.assignee == handler


def test_released_work_goes_to_someone_on_shift():
    gone = f.StaffProfileFactory()
    now = timezone.now()
    f.ShiftFactory(staff=gone, starts_at=now - 9 * HOUR, ends_at=now - HOUR)
    contact = held_by(gone.user, kind="contact")
    on_duty = on_shift(f.StaffProfileFactory()).user

    release_stranded_work()
    assign_work()

    contact.refresh_from_db()
    assert contact.assignee == on_duty
