"""The weekly-caps warning on "Slots for the gap" counts the team's open slots
already published that week: the gap counts them as filled, and whoever books them
draws on the same caps. Before, only the new slots were set against the room, and the
page said "3 hours short" where 20 open hours competed for 5 hours of room."""

from __future__ import annotations

import datetime as dt

import pytest

from figures import capacity_selectors as reads
from figures import capacity_slots as slots_of
from staffing.models import Shift, Tier
from tests import factories as f
from tests.conftest import NOW

from .builders import at
from .test_pages import (  # noqa: F401 (fixtures)
    TODAY,
    TOMORROW,
    _calls_at_any_hour,
    fortnight,
    preview,
    rota_tomorrow,
)

pytestmark = pytest.mark.django_db

FRIDAY = TODAY + dt.timedelta(days=3)  # the same week as tomorrow's gap
MONDAY = TODAY - dt.timedelta(days=1)


def open_slot(team, starts: dt.datetime, ends: dt.datetime) -> Shift:
    return Shift.objects.create(
        tier=team.tier,
        team=team,
        starts_at=starts,
        ends_at=ends,
        status=Shift.Status.OPEN,
    )


@pytest.mark.usefixtures("rota_tomorrow")
def test_the_caps_warning_counts_the_open_slots_already_published_that_week(
    client, lead
):
    f.StaffProfileFactory(clinical=True, team=lead.team, weekly_hours_cap=5)
    # Published before, not booked yet: twelve hours on Friday.
    open_slot(lead.team, at(FRIDAY, 9), at(FRIDAY, 15))
    open_slot(lead.team, at(FRIDAY, 9), at(FRIDAY, 15))
    client.force_login(lead.user)
    page = preview(client)
    assert page.status_code == 200
    assert "Publish 4 slots" in page.text  # tomorrow's gap: eight hours
    warning = page.text.split('id="caps-2021-01-11"')[1].split("</div>")[0]
    assert (
        "These slots and the 2 open slots already published that week "
        "(12 hours, not yet booked) need 20 hours" in warning
    )
    assert "your team's weekly caps leave 5" in warning
    assert "<strong>15 hours short</strong>" in warning


@pytest.mark.usefixtures("rota_tomorrow")
def test_open_slots_alone_past_the_room_warn_of_new_slots_that_would_fit(client, lead):
    f.StaffProfileFactory(clinical=True, team=lead.team, weekly_hours_cap=10)
    open_slot(lead.team, at(FRIDAY, 9), at(FRIDAY, 15))
    client.force_login(lead.user)
    warning = preview(client).text.split('id="caps-2021-01-11"')[1].split("</div>")[0]
    # Eight new hours fit in ten; with six already open, four do not.
    assert "<strong>4 hours short</strong>" in warning


def test_the_room_is_set_against_only_the_teams_open_slots_still_to_start(clock, lead):
    team = lead.team
    f.StaffProfileFactory(clinical=True, team=team, weekly_hours_cap=30)
    open_slot(team, at(FRIDAY, 9), at(FRIDAY, 17))  # counts: 8 hours
    open_slot(team, NOW - dt.timedelta(hours=1), NOW + dt.timedelta(hours=3))
    open_slot(
        team,
        at(MONDAY + dt.timedelta(days=7), 9),
        at(MONDAY + dt.timedelta(days=7), 17),
    )
    open_slot(f.TeamFactory(tier=Tier.CLINICAL), at(FRIDAY, 9), at(FRIDAY, 17))
    cancelled = open_slot(team, at(FRIDAY, 18), at(FRIDAY, 22))
    cancelled.status = Shift.Status.CANCELLED
    cancelled.save()
    slot = slots_of.GapSlot(at(TOMORROW, 20), at(TOMORROW, 22), 11)

    (check,) = reads.cap_checks(lead, [slot], now=NOW)

    assert check.monday == MONDAY
    assert (check.slot_hours, check.open_count, check.open_hours) == (22, 1, 8)
    assert check.needed_hours == 30
    assert check.cap_room == 30
    assert check.short_by == 0
    (tight,) = reads.cap_checks(
        lead, [slots_of.GapSlot(at(TOMORROW, 20), at(TOMORROW, 23), 8)], now=NOW
    )
    assert tight.short_by == pytest.approx(24 + 8 - 30)
