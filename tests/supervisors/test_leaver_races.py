"""Turning an account off while its person books or gives back a shift: a booking
made meanwhile is ended with the rest or refused, never left booked to a leaver; a
give-back meanwhile is no deadlock (the admin's page answered 500)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from unittest import mock

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from staffing import services as staffing_services
from staffing.models import Shift
from tests import factories as f
from tests.core.conftest import committed_db  # noqa: F401
from tests.threads import side_by_side

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]


def _hold_until_blocking(other_done: threading.Event) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (me,) = cursor.fetchone()
        deadline = time.time() + 10
        while not other_done.is_set() and time.time() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE %s = ANY (pg_blocking_pids(pid))",
                [me],
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)


def _race(first, then):
    first_done, then_done = threading.Event(), threading.Event()
    out = {}

    def hold():
        try:
            with transaction.atomic():
                out["first"] = first()
                first_done.set()
                _hold_until_blocking(then_done)
        finally:
            first_done.set()

    def follow():
        first_done.wait()
        try:
            out["then"] = then()
        finally:
            then_done.set()

    errors = side_by_side(hold, follow)
    assert not errors, errors
    return out


def test_a_shift_booked_while_the_account_is_turned_off_is_not_left_booked():
    admin = User.objects.create_superuser("admin", "a@example.org", "x")
    profile = f.StaffProfileFactory()
    start = timezone.now() + dt.timedelta(days=2)
    slot = f.ShiftFactory(
        staff=None,
        tier=profile.tier,
        team=profile.team,
        starts_at=start,
        status=Shift.Status.OPEN,
        booked_at=None,
    )

    def turn_off():
        user = User.objects.get(pk=profile.user_id)
        user.is_active = False
        return staffing_services.account_save(user=user, by=admin)

    def book():
        try:
            return staffing_services.shift_book(shift_id=slot.pk, profile=profile)
        except staffing_services.StaffingRefused as refused:
            return refused  # the account turned off first: nothing booked

    _race(turn_off, book)
    slot.refresh_from_db()
    profile.user.refresh_from_db()
    assert not profile.user.is_active
    assert slot.status != Shift.Status.BOOKED, (
        "a turned-off account keeps a shift booked to come"
    )


def test_turning_off_an_account_while_its_person_gives_back_a_shift_is_no_deadlock():
    admin = User.objects.create_superuser("admin", "a@example.org", "x")
    dan = f.StaffProfileFactory()
    start = timezone.now() + dt.timedelta(days=2)
    s = f.ShiftFactory(staff=dan, starts_at=start)

    go = threading.Event()
    b_done = threading.Event()
    real_cancel = staffing_services.shift_cancel

    def slow_cancel(**kw):
        go.set()
        # until Dan's give-back waits for this transaction's lock on his account
        _hold_until_blocking(b_done)
        return real_cancel(**kw)

    def turn_off():  # as the admin's change form: inside its transaction.atomic
        user = User.objects.get(pk=dan.user_id)
        user.is_active = False
        with (
            mock.patch.object(staffing_services, "shift_cancel", slow_cancel),
            transaction.atomic(),
        ):
            return staffing_services.account_save(user=user, by=admin)

    def give_back():
        go.wait(10)
        try:
            staffing_services.shift_release_own(shift=s, profile=dan)
        except staffing_services.StaffingRefused:
            pass  # given back after the shifts ended: refused, fine
        finally:
            b_done.set()

    errors = side_by_side(turn_off, give_back)
    assert not errors, errors
    s.refresh_from_db()
    assert s.status != Shift.Status.BOOKED  # given back, or cancelled with the rest
