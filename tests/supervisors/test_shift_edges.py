"""Shifts at their edges: cancelled once under way, published over the spring clock
change; a past week's figures after someone leaves; work moved to someone who has
just left."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from cases.models import Case
from cases.workitem import Status
from figures.utilisation import utilisation
from staffing.models import Shift
from staffing.selectors.rota import booked_hours_in_week
from staffing.services import SlotPlan, StaffingRefused, shifts_publish
from tests import factories as f

from .conftest import NOW, at, member

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # Wednesday 14 January 2026
WORKED = 2 + 4 / 60  # 03:00 to 05:04


def night_shift(profile) -> Shift:
    """Booked 03:00 to 11:00 today."""
    return f.ShiftFactory(staff=profile, starts_at=at(TODAY, 3), ends_at=at(TODAY, 11))


def utilisation_csv(client, week: str) -> list[dict[str, str]]:
    response = client.get(reverse("staffing:utilisation_csv"), {"week": week})
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- a shift cancelled once under way ------------------------------------------------


def test_cancelling_a_shift_under_way_cuts_it_short_and_keeps_the_hours_worked(
    clock, client, lead, clinical_team
):
    clock.move_to(at(TODAY, 5, 4))
    worker = member(
        clinical_team, on_shift=False, user__username="ada", user__first_name="Ada"
    )
    shift = night_shift(worker)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shift_cancel", args=[shift.pk]),
        {"reason": "Sent home unwell"},
        follow=True,
    )
    assert "it was cut short at 05:04" in response.text
    shift.refresh_from_db()
    assert (shift.status, shift.starts_at, shift.ends_at) == (
        Shift.Status.BOOKED,
        at(TODAY, 3),
        at(TODAY, 5, 4),
    )
    rest = Shift.objects.get(staff=worker, status=Shift.Status.CANCELLED)
    assert (rest.starts_at, rest.ends_at) == (at(TODAY, 5, 4), at(TODAY, 11))
    assert (rest.cancel_reason, rest.cancelled_by) == ("Sent home unwell", lead.user)
    # The hours worked still count: the utilisation CSV, the week's booked hours
    # (the team page and the weekly cap).
    ada = next(
        r for r in utilisation_csv(client, "2026-01-12") if r["username"] == "ada"
    )
    assert (ada["date"], ada["hours_on_shift"]) == ("2026-01-14", f"{WORKED:.2f}")
    assert booked_hours_in_week(profile=worker, moment=NOW) == pytest.approx(WORKED)
    team = client.get(reverse("staffing:team"))
    assert next(
        m.hours_this_week for m in team.context["members"] if m.pk == worker.pk
    ) == pytest.approx(WORKED)
    # They are off shift from now, and see that the rest was cancelled, and why.
    assert not Shift.objects.on_now(at(TODAY, 5, 4)).filter(staff=worker).exists()
    client.force_login(worker.user)
    mine = client.get(reverse("staffing:my_shifts"))
    assert "Sent home unwell" in mine.text
    assert "Cancelled" in mine.text


def test_the_admins_cancel_action_says_a_shift_under_way_was_cut_short(
    clock, client, clinical_team
):
    clock.move_to(at(TODAY, 5, 4))
    worker = member(clinical_team, on_shift=False)
    shift = night_shift(worker)
    client.force_login(
        f.UserFactory(username="administrator", is_superuser=True, is_staff=True)
    )
    response = client.post(
        reverse("admin:staffing_shift_changelist"),
        {
            "action": "cancel_shifts",
            "_selected_action": [str(shift.pk)],
            "apply": "Apply",
            "reason": "Sent home unwell",
        },
        follow=True,
    )
    assert "Cancelled 0 shifts. 1 under way ended now" in response.text
    shift.refresh_from_db()
    assert (shift.status, shift.ends_at) == (Shift.Status.BOOKED, at(TODAY, 5, 4))


def test_the_cancel_page_says_a_shift_under_way_ends_now(
    clock, client, lead, clinical_team
):
    clock.move_to(at(TODAY, 5, 4))
    shift = night_shift(member(clinical_team, on_shift=False))
    client.force_login(lead.user)
    page = client.get(reverse("staffing:shift_cancel", args=[shift.pk]))
    assert "Cancelling it now ends it at 05:04" in page.text
    assert "End the shift now" in page.text


def test_a_shift_not_yet_started_is_cancelled_whole(clock, client, lead, clinical_team):
    clock.move_to(at(TODAY, 2, 30))
    shift = night_shift(member(clinical_team, on_shift=False))
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shift_cancel", args=[shift.pk]),
        {"reason": "Quiet night"},
        follow=True,
    )
    assert "Cancelled Wed 14 Jan 03:00-11:00." in response.text
    shift.refresh_from_db()
    assert (shift.status, shift.ends_at) == (Shift.Status.CANCELLED, at(TODAY, 11))
    assert Shift.objects.count() == 1


def test_staff_cannot_give_back_their_own_shift_once_under_way(
    clock, client, clinical_team
):
    """Only a supervisor ends a shift under way (so the hours worked are kept)."""
    clock.move_to(at(TODAY, 5, 4))
    worker = member(clinical_team, on_shift=False)
    shift = night_shift(worker)
    client.force_login(worker.user)
    response = client.post(
        reverse("staffing:shift_release", args=[shift.pk]), follow=True
    )
    assert "That shift has already started: ask your supervisor" in response.text
    shift.refresh_from_db()
    assert (shift.status, shift.ends_at) == (Shift.Status.BOOKED, at(TODAY, 11))


# --- slots over the spring clock change --------------------------------------------


def publish(client, **data):
    return client.post(
        reverse("staffing:shifts_publish"),
        {"weekdays": ["6"], "count": "1", **data},
    )


def test_a_slot_in_the_hour_the_clocks_skip_is_refused_with_a_form_error(
    clock, client, lead
):
    client.force_login(lead.user)
    response = publish(
        client,
        first_day="2026-03-29",
        last_day="2026-03-29",
        starts="01:30",
        ends="02:30",
    )
    assert response.status_code == 200
    assert (
        "The clocks go forward on Sunday 29 March 2026, from 01:00 to 02:00, so "
        "there is no 01:30 that night." in response.text
    )
    assert not Shift.objects.exists()


def test_several_weeks_over_the_clock_change_are_refused_not_a_server_error(
    clock, client, lead
):
    client.force_login(lead.user)
    response = publish(
        client,
        first_day="2026-03-09",
        last_day="2026-04-05",
        weekdays=["5"],  # Saturday nights, the last ending in the skipped hour
        starts="22:00",
        ends="01:30",
    )
    assert response.status_code == 200
    assert "The clocks go forward on Sunday 29 March 2026" in response.text
    assert not Shift.objects.exists()


def test_the_service_refuses_the_skipped_hour(clock, lead):
    plan = SlotPlan(
        first_day=dt.date(2027, 3, 28),
        last_day=dt.date(2027, 3, 28),
        weekdays=frozenset({6}),
        starts=dt.time(1, 30),
        ends=dt.time(2, 30),
        count=1,
    )
    with pytest.raises(StaffingRefused, match="Sunday 28 March 2027"):
        shifts_publish(team=lead.team, plan=plan, by=lead.user)


def test_a_slot_starting_as_the_clocks_go_forward_is_published(clock, client, lead):
    client.force_login(lead.user)
    response = publish(
        client,
        first_day="2026-03-29",
        last_day="2026-03-29",
        starts="02:00",
        ends="08:00",
    )
    assert response.status_code == 302
    slot = Shift.objects.get()
    assert slot.starts_at == dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC)
    assert slot.hours == 6


# --- a past week's figures after someone leaves ------------------------------------


def test_a_past_weeks_utilisation_keeps_someone_since_deactivated(
    clock, client, lead, clinical_team
):
    monday = dt.date(2026, 1, 5)
    worker = member(
        clinical_team, on_shift=False, user__username="bilal", user__last_name="Rahman"
    )
    f.ShiftFactory(staff=worker, starts_at=at(monday, 8), ends_at=at(monday, 16))
    f.CallAttemptFactory(
        caller=worker.user,
        started_at=at(monday, 9),
        duration_seconds=600,
        contact__case__status=Status.COMPLETED,
    )
    before = utilisation(lead, monday=monday)
    worker.user.is_active = False
    worker.user.save(update_fields=["is_active"])
    after = utilisation(lead, monday=monday)
    assert (after.team.hours_on_shift, after.team.calls) == (8, 1)
    assert (after.team.hours_on_shift, after.team.calls) == (
        before.team.hours_on_shift,
        before.team.calls,
    )
    client.force_login(lead.user)
    bilal = [
        r for r in utilisation_csv(client, "2026-01-05") if r["username"] == "bilal"
    ]
    assert [(r["date"], r["hours_on_shift"], r["calls"]) for r in bilal] == [
        ("2026-01-05", "8.00", "1"),
        ("week of 2026-01-05", "8.00", "1"),
    ]


def test_someone_deactivated_who_did_nothing_that_week_is_not_listed(
    clock, lead, clinical_team
):
    monday = dt.date(2026, 1, 5)
    gone = member(clinical_team, on_shift=False)
    f.ShiftFactory(staff=gone, starts_at=at(monday - dt.timedelta(days=7), 8))
    gone.user.is_active = False
    gone.user.save(update_fields=["is_active"])
    assert utilisation(lead, monday=monday).people == []


# --- moving work to someone who has just left --------------------------------------


def test_moving_work_to_someone_deactivated_since_the_page_loaded_says_so(
    clock, client, lead, clinical_team
):
    giver, taker = member(clinical_team), member(clinical_team)
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=giver.user, assigned_at=NOW)
    client.force_login(lead.user)
    assert str(taker.pk) in client.get(reverse("staffing:work")).text
    taker.user.is_active = False
    taker.user.save(update_fields=["is_active"])
    response = client.post(
        reverse("staffing:work"),
        {"items": [case.pk], "to": str(taker.pk), "reason": "Balance the load"},
    )
    assert "That person can no longer take work: choose someone else." in response.text
    assert "is not one of the available choices" not in response.text
    assert Case.objects.get(pk=case.pk).assignee == giver.user
