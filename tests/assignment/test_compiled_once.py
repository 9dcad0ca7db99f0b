"""A run's fixed queries are composed once per process (work.compiled) and sent with
each run's own time: runs at different times, in one process, each see the staff,
registrations and call-back times as they stand at their own time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from cases.models import Case
from staffing.models import Tier
from tests import factories as f
from tests.sqlite_backend import sqlite_backend
from work.assignment import _staff_locked, assign_work
from work.compiled import compiled_once, rows_compiled_once

from .conftest import HOUR, CaseFactory

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# 23:30 on 5 January in London: the local date is the 5th; an hour on, the 6th.
NIGHT = dt.datetime(2021, 1, 5, 23, 30, tzinfo=LONDON)


def test_a_shift_starting_later_takes_work_at_the_later_run():
    caseworker = f.StaffProfileFactory(clinical=True)
    f.ShiftFactory(staff=caseworker, starts_at=NIGHT + HOUR, ends_at=NIGHT + 8 * HOUR)
    case = CaseFactory(created_at=NIGHT - HOUR)
    assert assign_work(now=NIGHT).total == 0  # the shift has not begun
    assert assign_work(now=NIGHT + 2 * HOUR).assigned["case"] == 1
    case.refresh_from_db()
    assert case.assignee == caseworker.user


def test_a_registration_runs_out_at_the_end_of_its_local_day():
    caseworker = f.StaffProfileFactory(
        clinical=True, registration_expires_on=dt.date(2021, 1, 5)
    )
    f.ShiftFactory(staff=caseworker, starts_at=NIGHT - HOUR, ends_at=NIGHT + 8 * HOUR)
    CaseFactory(created_at=NIGHT - HOUR)
    CaseFactory(created_at=NIGHT - HOUR)
    # 23:30 on the 5th: in date. Half an hour later it is the 6th: expired.
    assert assign_work(now=NIGHT, limit=1).assigned["case"] == 1
    assert assign_work(now=NIGHT + HOUR, limit=1).total == 0
    assert Case.objects.filter(assignee__isnull=True).count() == 1


def test_a_call_back_time_waits_for_the_run_after_it():
    caseworker = f.StaffProfileFactory(clinical=True)
    f.ShiftFactory(staff=caseworker, starts_at=NIGHT - HOUR, ends_at=NIGHT + 8 * HOUR)
    case = CaseFactory(created_at=NIGHT - HOUR, next_attempt_at=NIGHT + HOUR)
    assert assign_work(now=NIGHT).total == 0
    assert assign_work(now=NIGHT + 2 * HOUR).assigned["case"] == 1
    case.refresh_from_db()
    assert case.assignee == caseworker.user


def test_the_sql_is_composed_once_per_query(django_assert_num_queries):
    built = []

    def build(now):
        built.append(now)
        return Case.objects.filter(created_at__lte=now).values_list("pk")

    CaseFactory(created_at=NIGHT - HOUR)
    with django_assert_num_queries(2):
        before = rows_compiled_once(("test", "once"), build, NIGHT - 2 * HOUR)
        after = rows_compiled_once(("test", "once"), build, NIGHT)
    assert (len(before), len(after)) == (0, 1)
    assert len(built) == 1  # composed for the first run only


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
def test_each_run_sends_its_own_time_as_the_database_takes_it(backend):
    """A caseworker's registration is checked against the run's local date and their
    shift against the run's time, on PostgreSQL and on the embedded SQLite (which
    takes both as text)."""
    # SQLite, the embedded default: unconnected, only its compiler and its way of
    # writing values are used.
    database = connection if backend == "postgresql" else sqlite_backend(":memory:")
    staff = _staff_locked(Tier.CLINICAL)
    with transaction.atomic():
        compiled_once(("test staff", backend), staff, NIGHT, database)
        sql, values = compiled_once(
            ("test staff", backend), staff, NIGHT + HOUR, database
        )
        # What the ORM itself writes for the later run.
        expected = staff(NIGHT + HOUR).query.get_compiler(connection=database).as_sql()
    assert (sql, values) == (expected[0], list(expected[1]))
