"""New work queues an assignment run on commit; the Celery set-up that keeps work safe."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from people.services import PersonDetails
from tracing.celery import app
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.tasks import assign_work_task, escalate_unreached_task

from .conftest import CaseFactory, call_handler_on_shift

pytestmark = pytest.mark.django_db


def lab_result(reference: str = "LAB-ARRIVAL-1", **kwargs) -> LabResult:
    return LabResult(
        lab_reference=reference,
        person=PersonDetails(
            # A landline: phoned at once (a mobile is sent a link first).
            first_name="Grace",
            last_name="Hopper",
            phone="+441144960123",
        ),
        specimen_date=timezone.localdate() - dt.timedelta(days=2),
        result_date=timezone.localdate() - dt.timedelta(days=1),
        **kwargs,
    )


def contact_details(n: int) -> ContactDetails:
    return ContactDetails(
        person=PersonDetails(
            first_name="Contact", last_name=f"Number{n}", phone=f"+44791112{n:04d}"
        ),
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure="household",
    )


@pytest.fixture
def queued():
    with mock.patch.object(assign_work_task, "delay") as delay:
        yield delay


def test_case_intake_queues_an_assignment_run_once_it_commits(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        case_intake(result=lab_result())
        assert not queued.called  # nothing before the commit

    for callback in callbacks:
        callback()
    queued.assert_called_once_with()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
def test_repeated_intake_of_the_same_result_queues_nothing(queued):
    case_intake(result=lab_result())
    queued.reset_mock()

    case_intake(result=lab_result())

    queued.assert_not_called()


def test_complex_case_intake_queues_no_assignment(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_intake(result=lab_result(complex_setting="school"))

    queued.assert_not_called()


def test_contact_add_queues_an_assignment_run(
    queued, django_capture_on_commit_callbacks
):
    case = CaseFactory()

    with django_capture_on_commit_callbacks(execute=True):
        contact_add(case=case, details=contact_details(1))

    queued.assert_called_once_with()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
def test_several_contacts_in_one_transaction_queue_one_run(queued):
    case = CaseFactory()

    with transaction.atomic():
        for n in range(3):
            contact_add(case=case, details=contact_details(n))

    assert Contact.objects.filter(case=case).count() == 3
    queued.assert_called_once_with()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
def test_contacts_added_in_separate_transactions_each_queue_a_run(queued):
    case = CaseFactory()

    for n in range(2):
        contact_add(case=case, details=contact_details(n))

    assert queued.call_count == 2


def test_broker_down_does_not_undo_or_fail_the_intake(
    queued, django_capture_on_commit_callbacks
):
    queued.side_effect = ConnectionError("broker unreachable")

    with django_capture_on_commit_callbacks(execute=True):
        case, created = case_intake(result=lab_result())

    assert created
    case.refresh_from_db()  # still saved: the beat's next run assigns it


def test_contact_added_and_committed_is_assigned_by_the_queued_run(
    django_capture_on_commit_callbacks,
):
    handler = call_handler_on_shift()
    case = CaseFactory()

    with (
        mock.patch.object(
            assign_work_task, "delay", side_effect=lambda: assign_work_task.apply()
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        contact = contact_add(case=case, details=contact_details(7))

    contact.refresh_from_db()
    assert contact.assignee == handler


# --- Celery configuration -----------------------------------------------------------


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        (assign_work_task, "assignment"),
        (escalate_unreached_task, "escalation"),
    ],
)
def test_each_task_is_routed_to_its_own_queue(task, queue):
    route = app.amqp.router.route({}, task.name)

    assert route["queue"].name == queue


def test_an_unrouted_task_goes_to_the_default_queue():
    assert app.amqp.router.route({}, "calls.tasks.other_task")["queue"].name == (
        "default"
    )


def test_a_worker_without_queue_options_consumes_every_queue():
    assert set(app.amqp.queues) == {"default", "assignment", "escalation"}


def test_beat_schedule_names_registered_tasks_at_their_intervals():
    schedule = settings.CELERY_BEAT_SCHEDULE

    assert schedule["assign-work"]["task"] == assign_work_task.name
    assert schedule["assign-work"]["schedule"] == dt.timedelta(minutes=1)
    assert schedule["escalate-unreached"]["task"] == escalate_unreached_task.name
    assert schedule["escalate-unreached"]["schedule"] <= dt.timedelta(minutes=10)
    assert {assign_work_task.name, escalate_unreached_task.name} <= set(app.tasks)


def test_tasks_are_acknowledged_late_and_handed_back_when_a_worker_dies():
    conf = app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert 0 < conf.task_soft_time_limit < conf.task_time_limit
    for task in (assign_work_task, escalate_unreached_task):
        assert 0 < task.soft_time_limit < task.time_limit
