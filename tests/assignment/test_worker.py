"""The tasks under a real Celery worker, consuming from Redis (not eager mode).

The worker runs in a thread with its own database connection, so these tests commit
their data (transactional database) for the worker to see.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from tracing.celery import app
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.tasks import assign_work_task, escalate_unreached_task

from .conftest import HOUR, ContactFactory, caseworker_on_shift, held_by, on_shift

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUES = ["default", "assignment", "escalation"]
# How long to wait for the worker before giving up (a hang guard, not an assertion).
PATIENCE = 60


class Finished:
    """Counts the tasks the worker has finished, by name."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.changed = threading.Condition()

    def __call__(self, sender=None, **kwargs) -> None:
        with self.changed:
            self.counts[sender.name] += 1
            self.changed.notify_all()

    def wait_for(self, name: str, count: int) -> None:
        with self.changed:
            if not self.changed.wait_for(
                lambda: self.counts[name] >= count, timeout=PATIENCE
            ):
                pytest.fail(
                    f"the worker finished {self.counts[name]} of {count} {name}"
                )


@pytest.fixture
def worker(redis_url, committed_db, worker_id) -> Iterator[Finished]:
    """A real worker thread on every queue, with the app's broker pointed at Redis.

    Keys carry the xdist worker's name, so parallel test processes (each with its own
    test database) never take each other's tasks.
    """
    saved = {
        key: app.conf[key]
        for key in ("broker_url", "broker_transport_options", "task_always_eager")
    }
    app.conf.update(
        broker_url=redis_url,
        broker_transport_options={
            "visibility_timeout": 900,
            "global_keyprefix": f"tests-{worker_id}:",
        },
        task_always_eager=False,
    )
    app._pool = None  # connections made for another broker must not be reused
    app.amqp._producer_pool = None
    app.control.purge()
    finished = Finished()
    task_postrun.connect(finished, weak=False)
    try:
        with start_worker(
            app,
            pool="solo",
            queues=QUEUES,
            perform_ping_check=False,
            shutdown_timeout=30,
            loglevel="WARNING",
        ):
            yield finished
    finally:
        task_postrun.disconnect(finished)
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None


def test_case_arriving_is_assigned_by_the_worker_to_a_caseworker_on_shift(worker):
    caseworker = caseworker_on_shift()

    case, _ = case_intake(
        result=LabResult(
            lab_reference="LAB-WORKER-1",
            person=PersonDetails(
                # A landline: phoned at once (a mobile is sent a link first).
                first_name="Rosalind",
                last_name="Franklin",
                phone="+441144960123",
            ),
            specimen_date=timezone.localdate() - dt.timedelta(days=2),
            result_date=timezone.localdate() - dt.timedelta(days=1),
        )
    )

    worker.wait_for(assign_work_task.name, 1)
    case.refresh_from_db()
    assert case.assignee == caseworker
    assert case.status == Status.ASSIGNED


def test_worker_escalates_a_due_contact_exactly_once(worker):
    contact = ContactFactory(created_at=timezone.now() - 25 * HOUR)

    escalate_unreached_task.delay()
    escalate_unreached_task.delay()

    worker.wait_for(escalate_unreached_task.name, 2)
    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert Escalation.objects.filter(contact=contact).count() == 1


def test_worker_hands_work_of_an_ended_shift_to_someone_on_shift(worker):
    gone = f.StaffProfileFactory()
    now = timezone.now()
    f.ShiftFactory(staff=gone, starts_at=now - 9 * HOUR, ends_at=now - HOUR)
    contact = held_by(gone.user, kind="contact")
    on_duty = on_shift(f.StaffProfileFactory()).user

    assign_work_task.delay()

    worker.wait_for(assign_work_task.name, 1)
    contact.refresh_from_db()
    assert contact.assignee == on_duty


def test_worker_keeps_assigning_until_the_backlog_is_placed(worker, monkeypatch):
    monkeypatch.setattr("work.assignment.DEFAULT_LIMIT", 2)
    handlers = [on_shift(f.StaffProfileFactory()).user for _ in range(2)]
    for _ in range(5):
        ContactFactory()

    assign_work_task.delay()

    # 2 + 2 + 1: the task re-queued itself while a full batch was found.
    worker.wait_for(assign_work_task.name, 3)
    assert Contact.objects.filter(assignee__in=handlers).count() == 5
    assert not Contact.objects.filter(status=Status.NEW).exists()
    assert not Case.objects.filter(assignee__isnull=False).exists()
