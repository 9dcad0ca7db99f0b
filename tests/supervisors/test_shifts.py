"""Publishing, booking under the weekly hours cap, clashes, cancelling, cap changes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from staffing.models import HoursCapChange, Shift
from staffing.selectors.rota import booked_hours_in_week
from staffing.services import (
    SlotPlan,
    StaffingRefused,
    shift_book,
    shifts_publish,
)
from tests import factories as f

from .conftest import at, member

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 19)  # the week after NOW


def open_slot(team, start: dt.datetime, hours: float = 8) -> Shift:
    return Shift.objects.create(
        tier=team.tier,
        team=team,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
    )


def booked(profile, start: dt.datetime, hours: float = 8) -> Shift:
    return f.ShiftFactory(
        staff=profile, starts_at=start, ends_at=start + dt.timedelta(hours=hours)
    )


def test_supervisor_publishes_slots_for_each_chosen_day(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shifts_publish"),
        {
            "first_day": "2026-01-19",
            "last_day": "2026-01-25",
            "weekdays": ["0", "2", "5"],
            "starts": "08:00",
            "ends": "14:00",
            "count": "3",
        },
    )
    assert response.status_code == 302
    slots = Shift.objects.filter(team=lead.team, status=Shift.Status.OPEN)
    assert slots.count() == 9
    assert sorted({s.starts_at for s in slots}) == [
        at(dt.date(2026, 1, 19), 8),
        at(dt.date(2026, 1, 21), 8),
        at(dt.date(2026, 1, 24), 8),
    ]


def test_the_publish_form_sent_twice_opens_its_slots_once(clock, client, lead):
    """A double click, or the browser sending the form again: the same form's
    sending is the slots already published, not as many again."""
    client.force_login(lead.user)
    page = client.get(reverse("staffing:shifts_publish"))
    submission = page.context["form"].initial["submission"]
    assert f'value="{submission}"' in page.content.decode()
    sent = {
        "first_day": "2026-01-19",
        "last_day": "2026-01-20",
        "weekdays": ["0", "1"],
        "starts": "08:00",
        "ends": "14:00",
        "count": "3",
        "submission": str(submission),
    }
    first = client.post(reverse("staffing:shifts_publish"), sent)
    again = client.post(reverse("staffing:shifts_publish"), sent)
    assert first.status_code == again.status_code == 302
    assert Shift.objects.filter(team=lead.team).count() == 6
    # A new form (a new page) publishes again.
    client.post(reverse("staffing:shifts_publish"), {**sent, "submission": ""})
    assert Shift.objects.filter(team=lead.team).count() == 12


def test_a_slot_ending_before_it_starts_runs_past_midnight(clock, lead):
    plan = SlotPlan(
        first_day=MONDAY,
        last_day=MONDAY,
        weekdays=frozenset({0}),
        starts=dt.time(22),
        ends=dt.time(6),
        count=1,
    )
    (slot,) = shifts_publish(team=lead.team, plan=plan, by=lead.user)
    assert slot.ends_at == at(MONDAY + dt.timedelta(days=1), 6)
    assert slot.hours == 8


def test_publish_form_keeps_input_and_explains_a_backwards_range(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shifts_publish"),
        {
            "first_day": "2026-01-25",
            "last_day": "2026-01-19",
            "weekdays": ["0"],
            "starts": "08:00",
            "ends": "14:00",
            "count": "2",
        },
    )
    assert response.status_code == 200
    assert "The last day must be on or after the first." in response.text
    assert 'value="2026-01-25"' in response.text
    assert not Shift.objects.exists()


def test_publishing_in_the_past_is_refused(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shifts_publish"),
        {
            "first_day": "2026-01-13",
            "last_day": "2026-01-13",
            "weekdays": ["1"],
            "starts": "08:00",
            "ends": "14:00",
            "count": "1",
        },
    )
    assert "Slots must start in the future" in response.text
    assert not Shift.objects.exists()


def test_a_first_day_in_the_past_is_told_beside_it_with_the_other_problems(
    clock, client, lead
):
    """Before, a past first day was told only in the summary, and only once the
    other fields were right."""
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shifts_publish"),
        {
            "first_day": "2026-01-13",
            "last_day": "2026-01-13",
            "weekdays": ["1"],
            "starts": "08:00",
            "ends": "",
            "count": "1",
        },
    )
    form = response.context["form"]
    assert form.errors["first_day"] == [
        "Slots must start in the future: choose today or a later day."
    ]
    assert "ends" in form.errors
    assert not Shift.objects.exists()


def test_staff_books_an_open_slot(clock, client, clinical_team):
    worker = member(clinical_team, on_shift=False)
    slot = open_slot(clinical_team, at(MONDAY, 8))
    client.force_login(worker.user)
    response = client.post(reverse("staffing:shift_book", args=[slot.pk]), follow=True)
    assert "Booked: Mon 19 Jan 08:00-16:00." in response.text
    slot.refresh_from_db()
    assert (slot.status, slot.staff) == (Shift.Status.BOOKED, worker)


def test_booking_past_the_weekly_cap_asks_first_and_books_when_confirmed(
    clock, client, clinical_team
):
    """The cap used to refuse; now it warns, and "Book anyway" books."""
    worker = member(clinical_team, on_shift=False)
    for day in range(3):  # 36 hours booked, cap 42
        booked(worker, at(MONDAY + dt.timedelta(days=day), 8), hours=12)
    slot = open_slot(clinical_team, at(MONDAY + dt.timedelta(days=4), 8), hours=8)
    client.force_login(worker.user)
    url = reverse("staffing:shift_book", args=[slot.pk])
    response = client.post(url)
    assert response.status_code == 200
    assert (
        "Booking this 8-hour shift would take you to 44 hours in the week of "
        "19 January, over your weekly cap of 42 hours." in response.text
    )
    assert "Book anyway" in response.text
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN
    client.post(url, {"confirm_over_cap": "1"})
    slot.refresh_from_db()
    assert (slot.status, slot.staff) == (Shift.Status.BOOKED, worker)


def test_booking_exactly_to_the_cap_is_allowed(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    for day in range(3):
        booked(worker, at(MONDAY + dt.timedelta(days=day), 8), hours=12)
    slot = open_slot(clinical_team, at(MONDAY + dt.timedelta(days=4), 8), hours=6)
    assert shift_book(shift_id=slot.pk, profile=worker).status == Shift.Status.BOOKED


def test_cancelled_shifts_do_not_count_towards_the_cap(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    for day in range(3):
        booked(worker, at(MONDAY + dt.timedelta(days=day), 8), hours=12)
    Shift.objects.filter(staff=worker).update(status=Shift.Status.CANCELLED)
    slot = open_slot(clinical_team, at(MONDAY + dt.timedelta(days=4), 8), hours=12)
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_the_cap_counts_the_local_week_monday_to_sunday(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    # Sunday 18 Jan belongs to the week before; a Sunday-night shift counts where it starts.
    booked(worker, at(dt.date(2026, 1, 18), 8), hours=12)
    booked(worker, at(dt.date(2026, 1, 25), 22), hours=10)
    booked(worker, at(MONDAY, 8), hours=12)
    assert booked_hours_in_week(profile=worker, moment=at(MONDAY, 12)) == 22
    assert (
        booked_hours_in_week(profile=worker, moment=at(dt.date(2026, 1, 26), 12)) == 0
    )


def test_booking_a_clashing_slot_is_refused(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 8), hours=8)
    slot = open_slot(clinical_team, at(MONDAY, 14), hours=6)
    with pytest.raises(
        StaffingRefused, match="overlaps your shift Mon 19 Jan 08:00-16:00"
    ):
        shift_book(shift_id=slot.pk, profile=worker)


def test_back_to_back_shifts_do_not_clash(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 8), hours=6)
    slot = open_slot(clinical_team, at(MONDAY, 14), hours=6)
    assert shift_book(shift_id=slot.pk, profile=worker).status == Shift.Status.BOOKED


def test_a_taken_slot_books_an_identical_open_twin(clock, clinical_team):
    first, second = (member(clinical_team, on_shift=False) for _ in range(2))
    slot, twin = (open_slot(clinical_team, at(MONDAY, 8)) for _ in range(2))
    shift_book(shift_id=slot.pk, profile=first)
    got = shift_book(shift_id=slot.pk, profile=second)
    assert got.pk == twin.pk
    assert got.staff == second


def test_a_taken_slot_without_a_twin_is_refused(clock, clinical_team):
    first, second = (member(clinical_team, on_shift=False) for _ in range(2))
    slot = open_slot(clinical_team, at(MONDAY, 8))
    shift_book(shift_id=slot.pk, profile=first)
    with pytest.raises(StaffingRefused, match="Someone else has just booked that slot"):
        shift_book(shift_id=slot.pk, profile=second)


def test_another_teams_slot_cannot_be_booked(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    slot = open_slot(f.TeamFactory(tier=clinical_team.tier), at(MONDAY, 8))
    with pytest.raises(StaffingRefused, match="another team"):
        shift_book(shift_id=slot.pk, profile=worker)


def test_staff_cancel_their_own_shift_and_the_slot_reopens(
    clock, client, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    shift = booked(worker, at(MONDAY, 8))
    client.force_login(worker.user)
    client.post(reverse("staffing:shift_release", args=[shift.pk]))
    shift.refresh_from_db()
    assert (shift.status, shift.staff) == (Shift.Status.OPEN, None)


def test_staff_cannot_cancel_someone_elses_shift(clock, client, clinical_team):
    worker, other = member(clinical_team, on_shift=False), member(clinical_team)
    shift = booked(other, at(MONDAY, 8))
    client.force_login(worker.user)
    response = client.post(reverse("staffing:shift_release", args=[shift.pk]))
    assert response.status_code == 404
    shift.refresh_from_db()
    assert shift.staff == other


def test_supervisor_cancels_a_shift_and_the_staff_member_sees_why(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    shift = booked(worker, at(MONDAY, 8))
    client.force_login(lead.user)
    client.post(
        reverse("staffing:shift_cancel", args=[shift.pk]),
        {"reason": "Demand has dropped on Monday"},
    )
    shift.refresh_from_db()
    assert (shift.status, shift.cancelled_by) == (Shift.Status.CANCELLED, lead.user)
    client.force_login(worker.user)
    page = client.get(reverse("staffing:my_shifts"), {"week": "2026-01-19"})
    assert "Demand has dropped on Monday" in page.text
    assert "cancelled" in page.text.lower()


def test_cancelling_without_a_reason_is_refused(clock, client, lead, clinical_team):
    shift = booked(member(clinical_team, on_shift=False), at(MONDAY, 8))
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shift_cancel", args=[shift.pk]), {"reason": ""}
    )
    assert "Give a reason: the person booked will see it." in response.text
    shift.refresh_from_db()
    assert shift.status == Shift.Status.BOOKED


def test_supervisor_cannot_cancel_another_teams_shift(clock, client, lead):
    shift = booked(f.StaffProfileFactory(clinical=True), at(MONDAY, 8))
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shift_cancel", args=[shift.pk]), {"reason": "x"}
    )
    assert response.status_code == 404


def test_supervisor_raises_a_cap_with_a_reason(clock, client, lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    client.post(
        reverse("staffing:hours_cap", args=[worker.pk]),
        {"new_cap": "55", "reason": "Surge in cases", "shown_version": "0"},
    )
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 55
    change = HoursCapChange.objects.get(profile=worker)
    assert (change.old_cap, change.new_cap, change.reason, change.changed_by) == (
        42,
        55,
        "Surge in cases",
        lead.user,
    )


def test_a_cap_sent_twice_is_saved_once_and_said_so(clock, client, lead, clinical_team):
    """A double click without JavaScript. Before, the second sending said "There is
    a problem: The cap is already 55 hours" although the first had saved it; the
    same cap sent again later, or with another reason, is still refused."""
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    url = reverse("staffing:hours_cap", args=[worker.pk])
    sent = {"new_cap": "55", "reason": "Surge in cases", "shown_version": "0"}

    client.post(url, sent)
    again = client.post(url, sent, follow=True)

    assert "weekly cap is now 55 hours (it was sent twice, and saved once)." in (
        again.text
    )
    assert HoursCapChange.objects.filter(profile=worker).count() == 1
    other = client.post(url, {"new_cap": "55", "reason": "Another"})
    assert other.context["form"].errors["new_cap"] == ["The cap is already 55 hours."]
    clock.shift(dt.timedelta(minutes=12))  # past the ten minutes of a re-send
    later = client.post(url, sent)
    assert later.context["form"].errors["new_cap"] == ["The cap is already 55 hours."]


def test_a_cap_above_the_ceiling_is_refused(clock, client, lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:hours_cap", args=[worker.pk]),
        {"new_cap": "61", "reason": "Surge"},
    )
    assert "61 hours is above the ceiling of 60 hours a week" in response.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 42
    assert not HoursCapChange.objects.exists()


def test_a_raised_cap_lets_the_booking_through_unasked(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    for day in range(3):
        booked(worker, at(MONDAY + dt.timedelta(days=day), 8), hours=12)
    slot = open_slot(clinical_team, at(MONDAY + dt.timedelta(days=4), 8), hours=12)
    client.force_login(lead.user)
    client.post(
        reverse("staffing:hours_cap", args=[worker.pk]),
        {"new_cap": "48", "reason": "Surge", "shown_version": "0"},
    )
    worker.refresh_from_db()
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_my_shifts_week_view_lists_seven_days_and_open_slots(
    clock, client, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    open_slot(clinical_team, at(MONDAY + dt.timedelta(days=2), 8))
    open_slot(clinical_team, at(MONDAY + dt.timedelta(days=2), 8))
    client.force_login(worker.user)
    page = client.get(reverse("staffing:my_shifts"), {"week": "2026-01-21"})
    assert "Week of Monday 19 January 2026" in page.text
    for day in ("Mon 19 Jan", "Sun 25 Jan"):
        assert day in page.text
    assert "2 open" in page.text


def test_a_bad_week_parameter_shows_this_week(clock, client, clinical_team):
    worker = member(clinical_team, on_shift=False)
    client.force_login(worker.user)
    page = client.get(reverse("staffing:my_shifts"), {"week": "not-a-date"})
    assert page.status_code == 200
    assert "Week of Monday 12 January 2026" in page.text


@pytest.mark.django_db(transaction=True)
def test_two_people_booking_the_last_slot_at_once_get_one_booking(requires_postgres):
    """Each booking runs in its own thread and connection; the row lock lets one in."""
    import threading

    from django.db import connection

    team = f.TeamFactory(tier=3)
    people = [member(team, on_shift=False) for _ in range(2)]
    slot = open_slot(team, at(dt.date(2030, 1, 7), 8))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def book(profile):
        try:
            barrier.wait()
            shift_book(shift_id=slot.pk, profile=profile)
            results.append("booked")
        except StaffingRefused as exc:
            results.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["Someone else has just booked that slot.", "booked"]
    slot.refresh_from_db()
    assert slot.staff in people
