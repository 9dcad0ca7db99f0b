"""Fixtures for help to stay at home asked on a call: a Sheffield contact held by a
call handler, and the people who read what became of it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import (
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    local_member,
    person_in,
)


@pytest.fixture(autouse=True)
def ons_areas(db):
    """The areas and teams the data migration loads (gone after a flush)."""
    ensure_ons_areas()


@pytest.fixture
def handler(db):
    """A call handler on shift, with a name the local team reads."""
    profile = f.StaffProfileFactory(
        user__username="handler", user__first_name="Hana", user__last_name="Dell"
    )
    f.ShiftFactory(staff=profile)
    return profile.user


def held_by(item, user):
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


@pytest.fixture
def contact(handler) -> Contact:
    """A Sheffield contact, held by the handler."""
    person = person_in(SHEFFIELD)
    return held_by(ContactFactory(person=person, area=person.area), handler)


@pytest.fixture
def case(caseworker):
    """A Sheffield case, held by a caseworker (tier 2)."""
    person = person_in(SHEFFIELD)
    return held_by(CaseFactory(person=person, area=person.area), caseworker)


@pytest.fixture
def sheffield_member(db):
    return local_member(SHEFFIELD, "sheffield_member")
