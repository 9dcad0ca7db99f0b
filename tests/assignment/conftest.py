"""Builders for the assignment and escalation tests: staff on shift, waiting work."""

from __future__ import annotations

import datetime as dt

import factory
import pytest
from django.utils import timezone

from cases.workitem import Status
from tests import factories as f
from tests.conftest import ensure_ons_areas

HOUR = dt.timedelta(hours=1)


# tests/factories.py's CaseFactory reads c.symptom_onset without declaring it.
class CaseFactory(f.CaseFactory):
    symptom_onset = None


class ContactFactory(f.ContactFactory):
    # The case that named them is finished, so it does not join the case pool.
    case = factory.SubFactory(CaseFactory, status=Status.COMPLETED)


def on_shift(profile, *, now=None, hours_left: float = 7):
    """Book `profile` on a shift that started an hour ago and ends in `hours_left`."""
    now = now or timezone.now()
    f.ShiftFactory(staff=profile, starts_at=now - HOUR, ends_at=now + hours_left * HOUR)
    return profile


def caseworker_on_shift(**kwargs):
    """A verified, signed-off tier 2 caseworker on shift now (the user)."""
    return on_shift(f.StaffProfileFactory(clinical=True, **kwargs)).user


def call_handler_on_shift(**kwargs):
    """A signed-off tier 3 call handler on shift now (the user)."""
    return on_shift(f.StaffProfileFactory(**kwargs)).user


def waiting_cases(n: int, **kwargs) -> list:
    return [CaseFactory(**kwargs) for _ in range(n)]


def waiting_contacts(n: int, **kwargs) -> list:
    return [ContactFactory(**kwargs) for _ in range(n)]


def held_by(user, *, kind: str = "case", **kwargs):
    """An item already assigned to `user`."""
    factory_ = CaseFactory if kind == "case" else ContactFactory
    return factory_(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now(), **kwargs
    )


@pytest.fixture
def committed_db(transactional_db):
    """A database whose writes commit, so other threads and a worker see them.

    Flushing after a transactional test empties the areas the migration loaded;
    load them back (idempotent) so every test starts from the same reference data.
    """
    ensure_ons_areas()
    return transactional_db


@pytest.fixture
def urdu():
    return f.LanguageFactory(code="ur", name="Urdu")


@pytest.fixture
def polish():
    return f.LanguageFactory(code="pl", name="Polish")
