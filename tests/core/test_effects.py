"""The after-commit effects of the work core: an assignment run is queued once the
change that freed or added work commits, once per transaction, never for a change rolled
back, and a broker that is down never undoes the change."""

from __future__ import annotations

import datetime as dt
import logging
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from tests.sweep_kill import killed_once_the_sweep_audits
from work.escalation import escalate_unreached
from work.intake import TestResult as LabResult
from work.intake import case_intake_many
from work.tasks import assign_work_task

from .conftest import HOUR, ContactFactory, held_contact


class Boom(Exception):
    """Something failing after the change was made, in the same transaction."""


@pytest.fixture
def queued():
    """assign_work_task.delay, recorded instead of sent to a broker."""
    with mock.patch.object(assign_work_task, "delay") as delay:
        yield delay


def overdue() -> dt.datetime:
    return timezone.now() - 25 * HOUR


def lab_results(n: int) -> list[LabResult]:
    return [
        LabResult(
            lab_reference=f"LAB-EFFECT-{i}",
            person=PersonDetails(
                first_name="Ada",
                last_name=f"Lovelace{i}",
                phone=f"+44114496{i:04d}",  # landlines: phoned, not sent a link
                postcode="S1 1AA",
            ),
            specimen_date=timezone.localdate() - dt.timedelta(days=2),
            result_date=timezone.localdate() - dt.timedelta(days=1),
        )
        for i in range(n)
    ]


# --- within a test transaction: the callbacks run when the capture ends ---------------


@pytest.mark.django_db
def test_sweep_escalating_held_work_queues_one_run_once_the_batch_commits(
    queued, django_capture_on_commit_callbacks
):
    handler = f.StaffProfileFactory().user
    held = [held_contact(handler, created_at=overdue()) for _ in range(3)]
    ContactFactory(created_at=overdue())  # unheld, in the same batch

    with django_capture_on_commit_callbacks(execute=True):
        assert escalate_unreached() == (4, False)
        assert not queued.called  # nothing before the commit

    queued.assert_called_once_with()
    for contact in held:
        contact.refresh_from_db()
        assert (contact.status, contact.assignee_id) == (Status.ESCALATED, None)


@pytest.mark.django_db
def test_sweep_escalating_only_unheld_work_queues_no_run(
    queued, django_capture_on_commit_callbacks
):
    contacts = [ContactFactory(created_at=overdue()) for _ in range(3)]

    with django_capture_on_commit_callbacks(execute=True):
        escalate_unreached()

    queued.assert_not_called()
    assert Escalation.objects.filter(contact__in=contacts).count() == 3


@pytest.mark.django_db
def test_sweep_batch_that_fails_queues_no_run_and_escalates_nothing(
    queued, django_capture_on_commit_callbacks
):
    handler = f.StaffProfileFactory().user
    contact = held_contact(handler, created_at=overdue())

    with (
        django_capture_on_commit_callbacks(execute=True),
        killed_once_the_sweep_audits(Boom),
        pytest.raises(Boom),
    ):
        escalate_unreached()

    queued.assert_not_called()
    contact.refresh_from_db()
    assert (contact.status, contact.assignee_id) == (Status.ASSIGNED, handler.pk)
    assert not Escalation.objects.exists()


@pytest.mark.django_db
def test_intake_of_a_batch_queues_one_run_once_it_commits(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = case_intake_many(results=lab_results(3))
        assert not queued.called

    queued.assert_called_once_with()
    assert [o.created for o in outcomes] == [True, True, True]
    assert Case.objects.filter(status=Status.NEW).count() == 3


@pytest.mark.django_db
def test_intake_rolled_back_queues_no_run(queued, django_capture_on_commit_callbacks):
    @transaction.atomic
    def intake_then_fail() -> None:
        case_intake_many(results=lab_results(3))
        raise Boom  # later in the same transaction

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(Boom):
        intake_then_fail()

    queued.assert_not_called()
    assert not Case.objects.exists()


# --- committed for real: the callbacks run on the actual commit -----------------------


@pytest.fixture
def broker_down(queued):
    queued.side_effect = OperationalError("Error 111 connecting to the broker.")
    return queued


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
def test_sweep_with_the_broker_down_keeps_its_escalation(broker_down, caplog):
    handler = f.StaffProfileFactory().user
    contact = held_contact(handler, created_at=overdue())

    with caplog.at_level(logging.ERROR):
        assert escalate_unreached() == (1, False)

    broker_down.assert_called_once_with()  # it was tried, after the commit
    assert not connection.in_atomic_block  # what follows reads committed rows
    contact.refresh_from_db()
    assert (contact.status, contact.assignee_id) == (Status.ESCALATED, None)
    assert Escalation.objects.filter(contact=contact).count() == 1
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.ESCALATE, object_id=str(contact.pk)
    ).exists()
    assert "Error 111" in caplog.text  # the lost message is logged, not silent


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_db")
def test_intake_with_the_broker_down_keeps_its_cases(broker_down):
    outcomes = case_intake_many(results=lab_results(2))

    broker_down.assert_called_once_with()
    assert [o.error for o in outcomes] == [None, None]
    assert set(Case.objects.values_list("lab_reference", flat=True)) == {
        "LAB-EFFECT-0",
        "LAB-EFFECT-1",
    }
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 2
