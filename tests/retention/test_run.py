"""The daily task: batches that resume where a lost worker stopped, the same result
when run twice, and nothing done by a second task beside a running one."""

from __future__ import annotations

import datetime as dt

import psycopg2
import pytest
from django.db import connection

from contacts.models import Contact
from people.models import Person
from retention import pseudonymise, services
from retention.models import Pseudonymisation, RetentionAction, RetentionRun, Rule
from retention.services import RUN_LOCK, retention_run_start
from retention.tasks import retention_run_task
from tests import factories as f

from .builders import CLOSED, PSEUDONYMISE_DAYS, PURGE_CONTACTS_DAYS, every_row
from .builders import reached_contact as contact_closed

pytestmark = pytest.mark.django_db

DUE = CLOSED + dt.timedelta(days=PSEUDONYMISE_DAYS)


@pytest.fixture
def small_batches(settings):
    settings.TRACING_RETENTION = {**settings.TRACING_RETENTION, "batch_size": 2}


def names() -> dict[int, str]:
    return dict(Person.objects.values_list("pk", "first_name"))


def test_the_task_twice_gives_the_same_result(clock, warned, small_batches):
    for _ in range(3):
        contact_closed()
    purged = contact_closed(CLOSED - dt.timedelta(days=PURGE_CONTACTS_DAYS))
    warned(DUE)  # of the one contact due for purge (overdue: told of for DUE)
    assert Contact.objects.filter(pk=purged.pk).exists()
    clock.move_to(DUE)
    first = retention_run_task()
    rows, people = every_row(), names()

    second = retention_run_task()

    assert first["more"] is second["more"] is False
    assert second["run"] != first["run"]
    for kind in (
        "people.person",
        "contacts.contact",
        "cases.case",
        "calls.callattempt",
    ):
        assert every_row()[kind] == rows[kind]
    assert names() == people
    assert not RetentionAction.objects.filter(run_id=second["run"]).exists()
    done = dict(
        RetentionAction.objects.filter(run_id=first["run"])
        .values_list("rule", "count")
        .filter(kind="contacts.contact")
    )
    assert done == {Rule.PURGE_CONTACTS: 1}


def test_a_run_is_taken_up_where_its_lost_worker_stopped(
    clock, small_batches, monkeypatch
):
    people = [contact_closed().person_id for _ in range(5)]
    clock.move_to(DUE)
    run = retention_run_start()
    real = pseudonymise.people_pseudonymise
    calls = []

    def dies_on_the_second_batch(**kwargs):
        calls.append(kwargs["family"])
        changed = real(**kwargs)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return changed

    monkeypatch.setattr(services, "people_pseudonymise", dies_on_the_second_batch)
    assert services.retention_run_batch(run_id=run.pk)  # warn
    assert services.retention_run_batch(run_id=run.pk)  # the first two people
    with pytest.raises(RuntimeError):
        services.retention_run_batch(run_id=run.pk)
    # The batch that died left nothing of itself.
    assert sorted(
        Pseudonymisation.objects.values_list("person_id", flat=True)
    ) == sorted(calls[0])
    monkeypatch.undo()

    result = retention_run_task()

    assert result == {"run": run.pk, "more": False}
    assert Pseudonymisation.objects.filter(person_id__in=people).count() == 5
    run.refresh_from_db()
    assert run.finished_at is not None
    assert not run.running
    # Ten people: the five contacts' and their five cases'.
    assert (
        RetentionAction.objects.get(
            run=run, rule=Rule.PSEUDONYMISE, kind="people.person"
        ).count
        == 10
    )


def test_a_second_task_beside_a_running_one_does_nothing(clock, requires_postgres):
    contact_closed()
    clock.move_to(DUE)
    other = psycopg2.connect(
        dbname=connection.settings_dict["NAME"],
        user=connection.settings_dict["USER"],
        host=connection.settings_dict["HOST"],
        port=connection.settings_dict["PORT"] or 5432,
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [RUN_LOCK])

        assert retention_run_task() == {"busy": True}
    finally:
        other.close()

    assert not RetentionRun.objects.exists()
    assert not Pseudonymisation.objects.exists()


def test_one_run_is_unfinished_at_a_time(clock):
    f.PersonFactory()
    first = retention_run_start()

    assert retention_run_start() == first
