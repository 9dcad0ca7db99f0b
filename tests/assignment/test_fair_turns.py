"""Equal staff take equal turns. Work that arrives in batches (several contacts in one
assignment run) goes round everyone on shift, not to the same few every time.

Before, every person given work in a run was stamped with the same time, so at the
next run the tie among the equally loaded fell back to the lowest id: with five call
handlers and batches of seven, the first two took a second contact from every batch
and ended with 20 each to the others' 10."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest

from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.conftest import LONDON
from work.assignment import assign_work

from .conftest import ContactFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 1, 12)  # a Tuesday at the winter peak, GMT
MINUTE = dt.timedelta(minutes=1)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=LONDON)


def handlers_on_shift(n: int) -> list[int]:
    """`n` trained tier 3 call handlers booked 08:00-16:00 (their user ids)."""
    users = []
    for _ in range(n):
        profile = f.StaffProfileFactory()
        f.ShiftFactory(staff=profile, starts_at=at(8), ends_at=at(16))
        users.append(profile.user_id)
    return users


def shares(clock, *, handlers: int, batches: int, batch: int) -> list[int]:
    """Batches of contacts arriving ten minutes apart, one assignment run each, every
    contact reached before the next batch arrives: how many each handler was given."""
    clock.move_to(at(8))
    users = handlers_on_shift(handlers)
    given: Counter[int] = Counter()
    for n in range(batches):
        arrived = at(8) + 10 * n * MINUTE
        clock.move_to(arrived)
        contacts = [ContactFactory() for _ in range(batch)]
        assign_work(now=arrived)
        for contact in contacts:
            contact.refresh_from_db()
            assert contact.assignee_id is not None
            given[contact.assignee_id] += 1
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(
            status=Status.REACHED
        )
    return [given[user] for user in users]


def test_five_handlers_and_batches_of_seven_share_the_work_equally(clock):
    """Seventy contacts, five handlers: fourteen each (before, 20/20/10/10/10)."""
    assert shares(clock, handlers=5, batches=10, batch=7) == [14] * 5


def test_three_handlers_and_batches_of_two_end_within_one_of_each_other(clock):
    """Eighteen contacts in twos, three handlers: six each (before, 9/5/4)."""
    given = shares(clock, handlers=3, batches=9, batch=2)
    assert sum(given) == 18
    assert max(given) - min(given) <= 1
