"""Work a supervisor takes from someone and puts back in the pool ("Cara off sick",
"too much on") is not handed straight back to them by the next assignment run while
someone else on shift may take it. Before, the run gave it back within seconds: she now
held the least, and the page's "Moved 1 case back to the pool" had achieved nothing.
With nobody else on shift who may take it, it goes back to them like any other work
(tests/test_taken_from_alone.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q

from cases.models import Case
from cases.workitem import Status
from staffing.models import Tier, open_work_cap
from tests import factories as f
from tests.conftest import LONDON
from work.assignment import (
    assign_work,
    item_assign,
    items_reassign,
    release_stranded_work,
)

from .conftest import CaseFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2021, 1, 12)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(DAY.year, DAY.month, DAY.day, hour, minute, tzinfo=LONDON)


def caseworker_on_shift():
    profile = f.StaffProfileFactory(clinical=True)
    f.ShiftFactory(staff=profile, starts_at=at(8), ends_at=at(16))
    return profile.user


@pytest.fixture
def lead(db):
    return f.StaffProfileFactory(clinical=True, is_supervisor=True).user


def back_to_the_pool(cases, lead) -> None:
    items_reassign(
        model=Case,
        item_ids=[c.pk for c in cases],
        scope=Q(),
        to=None,
        reason="Cara off sick",
        by=lead,
    )


def holder(case):
    case.refresh_from_db()
    return case.assignee


def test_work_taken_from_someone_goes_to_someone_else(clock, lead):
    clock.move_to(at(9))
    cara, dan = caseworker_on_shift(), caseworker_on_shift()
    taken = CaseFactory()
    item_assign(item=taken, to=cara)
    for _ in range(2):  # Dan holds more than Cara will
        item_assign(item=CaseFactory(), to=dan)

    back_to_the_pool([taken], lead)
    assign_work(now=at(9))

    assert holder(taken) == dan


def fill_queue(user) -> None:
    """`user` holds as many cases as they may."""
    for _ in range(open_work_cap(Tier.CLINICAL, new_starter=False)):
        item_assign(item=CaseFactory(), to=user)


def test_with_a_full_colleague_on_shift_it_waits_and_the_rest_still_go_to_her(
    clock, lead
):
    """Dan is on shift with no room: the case waits for him, not for Cara."""
    clock.move_to(at(9))
    cara, dan = caseworker_on_shift(), caseworker_on_shift()
    taken = CaseFactory()
    item_assign(item=taken, to=cara)
    back_to_the_pool([taken], lead)
    fill_queue(dan)
    behind = CaseFactory()  # arrived after: behind it in the pool

    assign_work(now=at(9))

    assert holder(taken) is None
    assert taken.status == Status.NEW
    assert holder(behind) == cara


def test_with_only_them_on_shift_it_goes_back_to_them(clock, lead):
    clock.move_to(at(9))
    cara = caseworker_on_shift()
    taken = CaseFactory()
    item_assign(item=taken, to=cara)
    back_to_the_pool([taken], lead)

    assign_work(now=at(9))

    assert holder(taken) == cara


def test_once_someone_else_held_it_it_may_go_back_to_them_later(clock, lead):
    """Given to Dan by the run, then back in the pool when his shift ends: with only
    Cara on shift, she is given it (the supervisor's move is behind it)."""
    clock.move_to(at(9))
    cara = caseworker_on_shift()
    dan = f.StaffProfileFactory(clinical=True)
    f.ShiftFactory(staff=dan, starts_at=at(8), ends_at=at(10))
    taken = CaseFactory()
    item_assign(item=taken, to=cara)
    back_to_the_pool([taken], lead)
    assign_work(now=at(9))
    assert holder(taken) == dan.user

    clock.move_to(at(10, 5))
    release_stranded_work(now=at(10, 5))
    assign_work(now=at(10, 5))

    assert holder(taken) == cara


def test_a_supervisor_may_still_give_it_back_to_them_by_hand(clock, lead):
    clock.move_to(at(9))
    cara = caseworker_on_shift()
    taken = CaseFactory()
    item_assign(item=taken, to=cara)
    back_to_the_pool([taken], lead)

    items_reassign(
        model=Case,
        item_ids=[taken.pk],
        scope=Q(),
        to=cara,
        reason="Back from the doctor",
        by=lead,
    )

    assert holder(taken) == cara
    taken.refresh_from_db()
    assert taken.taken_from_id is None


def test_many_taken_from_the_only_one_with_room_do_not_hold_up_the_rest(clock, lead):
    """More items taken from her at the head of the pool than a run reads beyond its
    room, kept for a colleague on shift with no room: the new case behind them still
    goes to her. Before, the run read only those, gave out nothing, and she sat idle
    while work waited."""
    clock.move_to(at(9))
    cara, dan = caseworker_on_shift(), caseworker_on_shift()
    fill_queue(dan)
    cap = open_work_cap(Tier.CLINICAL, new_starter=False)
    for _ in range(3):
        batch = [CaseFactory() for _ in range(cap)]
        for case in batch:
            item_assign(item=case, to=cara)
        back_to_the_pool(batch, lead)
    newcomer = CaseFactory()

    assign_work(now=at(9))

    assert holder(newcomer) == cara
