"""Booked cover is only the people who may take the tier's work: a caseworker whose
registration has lapsed, or who has required training to do, is booked but takes
no work, so the capacity page does not count them as staff on shift; and the room
the weekly caps leave for new slots is theirs who may fill them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from figures import capacity as cap
from figures import capacity_selectors as reads
from figures import capacity_slots as slots_of
from staffing.models import Tier
from tests import factories as f
from tests.conftest import NOW

from .builders import at
from .conftest import supervisor_of

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)


def caseworker_on_shift(starts_at: dt.datetime, ends_at: dt.datetime, **profile):
    worker = f.StaffProfileFactory(clinical=True, **profile)
    f.ShiftFactory(staff=worker, starts_at=starts_at, ends_at=ends_at)
    return worker


@pytest.fixture
def three_booked_tomorrow(clock):
    """Three caseworkers booked tomorrow 08:00 to 12:00: one in order, one whose
    registration expired yesterday, one with a required module not done."""
    starts, ends = at(TOMORROW, 8), at(TOMORROW, 12)
    in_order = caseworker_on_shift(starts, ends)
    lapsed = caseworker_on_shift(
        starts, ends, registration_expires_on=TODAY - dt.timedelta(days=1)
    )
    caseworker_on_shift(starts, ends)  # has not done the new module
    module = f.TrainingModuleFactory(tier=Tier.CLINICAL, required=True)
    for profile in (in_order, lapsed):
        f.TrainingCompletionFactory(profile=profile, module=module)


def booked_tomorrow_at_nine() -> float:
    hours = cap.hour_starts(at(TOMORROW, 9), 1)
    booked, _ = reads.rota_by_hour(hours, now=NOW)[Tier.CLINICAL]
    return booked[0]


def test_lapsed_registration_or_training_due_is_no_cover(three_booked_tomorrow):
    assert booked_tomorrow_at_nine() == pytest.approx(1.0)


def test_a_registration_expiring_before_the_shift_is_no_cover_from_then(clock):
    caseworker_on_shift(
        at(TOMORROW, 8), at(TOMORROW, 12), registration_expires_on=TODAY
    )
    assert booked_tomorrow_at_nine() == pytest.approx(0.0)
    # Today's shift is still theirs to work: the registration runs to the day's end.
    hours = cap.hour_starts(at(TODAY, 11), 1)
    caseworker_on_shift(at(TODAY, 11), at(TODAY, 12), registration_expires_on=TODAY)
    booked, _ = reads.rota_by_hour(hours, now=NOW)[Tier.CLINICAL]
    assert booked[0] == pytest.approx(1.0)


def test_the_capacity_page_books_only_staff_who_may_take_the_work(
    client, lead, three_booked_tomorrow
):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"), {"day": TOMORROW.isoformat()})
    (nine,) = [
        h
        for h in page.context["plan"].tiers[Tier.CLINICAL].hours
        if h.hour == at(TOMORROW, 9).astimezone(dt.UTC)
    ]
    assert nine.booked == pytest.approx(1.0)


def test_the_caps_room_leaves_out_the_supervisor_and_staff_who_cannot_work(clock, lead):
    team = lead.team
    f.StaffProfileFactory(clinical=True, team=team, weekly_hours_cap=20)
    f.StaffProfileFactory(
        clinical=True,
        team=team,
        weekly_hours_cap=30,
        registration_expires_on=TODAY - dt.timedelta(days=1),
    )
    lead.weekly_hours_cap = 10
    lead.save()
    slot = slots_of.GapSlot(at(TOMORROW, 20), at(TOMORROW, 22), 1)
    (check,) = reads.cap_checks(lead, [slot])
    assert check.cap_room == pytest.approx(20)


def test_the_room_to_book_leaves_out_a_registration_lapsing_before_the_slot(clock):
    """Booked cover stopped counting a caseworker the day their registration lapsed,
    while the room for new slots counted their whole week's cap (found by review)."""
    team = f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)
    lead = supervisor_of(team)
    today = NOW.date()  # Tuesday 12 January 2021
    f.StaffProfileFactory(
        clinical=True,
        team=team,
        weekly_hours_cap=30,
        registration_expires_on=today + dt.timedelta(days=1),
    )
    friday = today + dt.timedelta(days=3)

    (check,) = reads.cap_checks(
        lead, [slots_of.GapSlot(at(friday, 9), at(friday, 17), 1)], now=NOW
    )

    assert check.cap_room == 0
