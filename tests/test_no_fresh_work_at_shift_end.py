"""Nobody is handed fresh work in the last minutes of their spell of shifts: a call
and its write-up would run past the end, and the release of work held off shift
(release_stranded_work) would put it back in the pool minutes later, untouched.
They keep what they hold; back-to-back shifts are one spell, and someone going
straight on into their next shift is given work as before."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Q
from django.urls import reverse

from cases.workitem import Status
from contacts.models import Contact
from staffing.models import (
    StaffProfile,
    Team,
    Tier,
    TrainingCompletion,
    TrainingModule,
)
from tests import factories as f
from tests.assignment.conftest import ContactFactory
from tests.conftest import NOW
from work.assignment import assign_work, items_reassign, release_stranded_work
from work.errors import WorkRefused

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def team(db) -> Team:
    return f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)


def handler(team: Team, name: str, *shifts: tuple[dt.datetime, dt.datetime]):
    """A trained call handler of the team, booked on `shifts` (start, end)."""
    profile = f.StaffProfileFactory(
        team=team,
        organisation=team.organisation,
        tier=Tier.CALL_HANDLER,
        user__first_name=name,
        user__last_name="Handler",
    )
    for module in TrainingModule.objects.filter(tier=Tier.CALL_HANDLER, required=True):
        TrainingCompletion.objects.create(
            profile=profile, module=module, completed_on=NOW.date()
        )
    for starts_at, ends_at in shifts:
        f.ShiftFactory(staff=profile, starts_at=starts_at, ends_at=ends_at)
    return profile


def leaving(team: Team) -> StaffProfile:
    """Three minutes from the end of an eight-hour shift, nothing booked after it."""
    return handler(team, "Lee", (NOW - 8 * HOUR + 3 * MINUTE, NOW + 3 * MINUTE))


def starting(team: Team) -> StaffProfile:
    """Two minutes into an eight-hour shift."""
    return handler(team, "Sam", (NOW - 2 * MINUTE, NOW + 8 * HOUR))


def held_by(profile: StaffProfile):
    return ContactFactory(
        status=Status.ASSIGNED,
        assignee=profile.user,
        assigned_at=NOW - MINUTE,
        next_attempt_at=NOW + HOUR,
    )


def waiting():
    return ContactFactory(created_at=NOW - MINUTE, next_attempt_at=NOW - MINUTE)


def test_new_work_goes_to_the_colleague_staying_on_not_the_one_leaving(clock, team):
    lee, sam = leaving(team), starting(team)
    held_by(sam)  # Sam holds more than Lee: least loaded first would pick Lee
    contact = waiting()

    assign_work(now=NOW)

    contact.refresh_from_db()
    assert contact.assignee == sam.user
    assert not Contact.objects.filter(assignee=lee.user).exists()


def test_nobody_is_given_work_minutes_before_their_shift_ends(clock, team):
    leaving(team)
    contact = waiting()

    assert assign_work(now=NOW).total == 0

    contact.refresh_from_db()
    assert (contact.status, contact.assignee) == (Status.NEW, None)


def test_a_shift_running_straight_into_the_next_is_one_spell(clock, team):
    ends = NOW + 3 * MINUTE
    carrying_on = handler(team, "Kit", (ends - 8 * HOUR, ends), (ends, ends + 8 * HOUR))
    contact = waiting()

    assign_work(now=NOW)

    contact.refresh_from_db()
    assert contact.assignee == carrying_on.user


def test_a_gap_between_shifts_ends_the_spell(clock, team):
    ends = NOW + 3 * MINUTE
    handler(team, "Gus", (ends - 8 * HOUR, ends), (ends + 30 * MINUTE, ends + 8 * HOUR))
    contact = waiting()

    assert assign_work(now=NOW).total == 0

    contact.refresh_from_db()
    assert contact.assignee is None


def test_each_run_weighs_the_margin_from_its_own_time(clock, team):
    """The run's query is composed once and sent with each run's time: the end of
    the margin is the run's, not the first run's."""
    ends = NOW + 30 * MINUTE
    kit = handler(team, "Kit", (ends - 8 * HOUR, ends))
    first, second = waiting(), waiting()

    assert assign_work(now=NOW, limit=1).total == 1  # 30 minutes left: given work
    assert assign_work(now=NOW + 20 * MINUTE).total == 0  # 10 minutes left: none

    for contact in (first, second):
        contact.refresh_from_db()
    assert {first.assignee, second.assignee} == {kit.user, None}


def test_the_one_leaving_keeps_what_they_hold_until_the_end(clock, team):
    lee = leaving(team)
    held = held_by(lee)

    assign_work(now=NOW)
    assert release_stranded_work(now=NOW + 2 * MINUTE) == 0

    held.refresh_from_db()
    assert held.assignee == lee.user


def test_a_supervisors_move_to_someone_about_to_leave_is_refused(clock, team):
    lee, sam = leaving(team), starting(team)
    held = held_by(sam)

    with pytest.raises(WorkRefused, match="Lee Handler cannot take"):
        items_reassign(
            model=type(held),
            item_ids=[held.pk],
            scope=Q(),
            to=lee.user,
            reason="Sam is busy",
            by=sam.user,
            now=NOW,
        )

    held.refresh_from_db()
    assert held.assignee == sam.user


def test_the_refusal_says_when_their_shift_ends(clock, team):
    lee, sam = leaving(team), starting(team)
    held = held_by(sam)

    with pytest.raises(WorkRefused) as refused:
        items_reassign(
            model=type(held),
            item_ids=[held.pk],
            scope=Q(),
            to=lee.user,
            reason="Sam is busy",
            by=sam.user,
            now=NOW,
        )

    assert str(refused.value) == (
        "Lee Handler cannot take new work now: their shift ends at 10:03, and no "
        "new work is given in the last 15 minutes of a shift. Choose someone whose "
        "shift runs on."
    )


def test_the_dashboard_does_not_call_someone_leaving_idle(clock, client, team):
    supervisor = f.StaffProfileFactory(
        is_supervisor=True,
        team=team,
        organisation=team.organisation,
        tier=Tier.CALL_HANDLER,
    )
    leaving(team)
    starting(team)
    waiting()
    client.force_login(supervisor.user)

    page = client.get(reverse("staffing:dashboard"))

    alarm = page.text.split('id="idle-warning"')[1].split("</div>")[0]
    assert "1 on shift holds nothing" in " ".join(alarm.split())
    assert "Sam Handler" in alarm
    assert "Lee Handler" not in alarm
    row = " ".join(page.text.split("Lee Handler</")[1].split("</tr>")[0].split())
    assert "shift ends at 10:03" in row
