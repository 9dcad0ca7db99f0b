"""The demo's calls look like a real day: made by the staff on shift, inside their
shifts, one after another, lasting minutes, so the supervisor's utilisation and the
weekly figures make sense.

A hunter signed in as sup.clinical after `make run` and found nurse.ada with 146 calls
and 1,450 minutes of talk in an 8-hour shift: every reached demo case was a 25-minute
call by one of two nurses at the same moment.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from clock import monday_of
from figures.utilisation import utilisation
from staffing.models import Shift, StaffProfile


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once for the module (some 5 s a seed), in a transaction
    rolled back after its tests (as tests/test_seed_demo.py's)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            NOTIFY_FILE_DIR=str(tmp_path_factory.mktemp("messages")),
        ),
        transaction.atomic(),
    ):
        call_command("seed_demo", demo_cases=60, stdout=StringIO())
        connection.check_constraints()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def calls(seeded_once, db) -> list[CallAttempt]:
    return list(CallAttempt.objects.select_related("caller").order_by("started_at"))


def ends(call: CallAttempt):
    return call.started_at + timedelta(seconds=call.duration_seconds)


def test_no_one_is_on_two_demo_calls_at_once(calls):
    by_caller = defaultdict(list)
    for call in calls:
        by_caller[call.caller.username].append(call)
    assert len(by_caller) >= 5, "the calls are spread over the staff on shift"
    for username, theirs in by_caller.items():
        for before, after in pairwise(theirs):
            assert ends(before) <= after.started_at, (username, before, after)


def test_every_demo_call_is_made_on_its_callers_shift(calls):
    shifts = defaultdict(list)
    for shift in Shift.objects.filter(status=Shift.Status.BOOKED).select_related(
        "staff"
    ):
        shifts[shift.staff.user_id].append(shift)
    now = timezone.now()
    for call in calls:
        assert ends(call) <= now, call
        assert any(
            s.starts_at <= call.started_at and ends(call) <= s.ends_at
            for s in shifts[call.caller_id]
        ), f"{call.caller.username}'s call at {call.started_at} is off their shift"


def test_demo_calls_last_minutes_not_hours(calls):
    for call in calls:
        if call.outcome == Outcome.REACHED:
            assert 60 <= call.duration_seconds <= 25 * 60, call
        else:
            assert call.duration_seconds < 60, call


def test_the_utilisation_report_has_no_one_talking_longer_than_their_shift(calls):
    """What sup.clinical and sup.calls see at /staff/utilisation/: each person's
    talk, and their time on calls with the write-up of each, fit in their shift."""
    mondays = {monday_of(timezone.localdate(c.started_at)) for c in calls}
    rows = []
    for username in ("sup.clinical", "sup.calls"):
        supervisor = StaffProfile.objects.get(user__username=username)
        for monday in mondays:
            rows += utilisation(supervisor, monday=monday).rows
    worked = [r for r in rows if r.calls]
    assert len({r.profile.pk for r in worked}) >= 5
    for row in worked:
        who = (row.profile.user.username, row.day)
        assert row.talk_seconds / 60 <= row.shift_seconds / 60, who
        assert row.busy_seconds <= row.shift_seconds, who
        assert (row.idle_share or 0) > 0, who


# --- the local teams two hours after `make run` -------------------------------------
