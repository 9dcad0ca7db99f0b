"""Builders for the work core's tests: staff on shift, waiting and held work.

Kept here rather than imported from tests/assignment so this package stands alone.
"""

from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.utils import timezone

from cases.workitem import Status
from tests import factories as f
from tests.conftest import ensure_ons_areas

HOUR = dt.timedelta(hours=1)


class ContactFactory(f.ContactFactory):
    """A waiting contact; the case that named them is finished, so only the contact
    joins a pool."""

    case = factory.SubFactory(f.CaseFactory, status=Status.COMPLETED)


def on_shift(profile, *, now=None):
    """Book `profile` on a shift that started an hour ago and has hours to run."""
    now = now or timezone.now()
    f.ShiftFactory(staff=profile, starts_at=now - HOUR, ends_at=now + 7 * HOUR)
    return profile


def off_shift(profile, *, now=None):
    """Book `profile` on a shift that ended an hour ago."""
    now = now or timezone.now()
    f.ShiftFactory(staff=profile, starts_at=now - 9 * HOUR, ends_at=now - HOUR)
    return profile


def call_handler_on_shift(**kwargs):
    """A signed-off tier 3 call handler on shift now (the user)."""
    return on_shift(f.StaffProfileFactory(**kwargs)).user


def caseworker_on_shift(**kwargs):
    """A verified, signed-off tier 2 caseworker on shift now (the user)."""
    return on_shift(f.StaffProfileFactory(clinical=True, **kwargs)).user


def supervisor_user():
    """A national supervisor (may log calls on any item and move work)."""
    return f.StaffProfileFactory(is_supervisor=True).user


def held_contact(user, **kwargs):
    return ContactFactory(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now(), **kwargs
    )


def held_case(user, **kwargs):
    return f.CaseFactory(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now(), **kwargs
    )


@pytest.fixture
def committed_db(transactional_db):
    """A database whose writes commit, so other threads see them (the ONS areas a
    previous flush emptied are loaded back first)."""
    ensure_ons_areas()
    return transactional_db
