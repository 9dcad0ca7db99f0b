"""The rules of booking a shift, at their edges: the weekly cap warns and needs a
confirmation, the ceiling refuses; the minimum rest between shifts, either side; the
same rules when a supervisor books for a member (`shift_assign`); and the page's
warning with "Book anyway"."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from staffing.models import Shift
from staffing.services import (
    OverWeeklyCap,
    StaffingRefused,
    min_rest,
    shift_assign,
    shift_book,
)
from tests import factories as f

from .conftest import at, member

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 19)  # the week after NOW (Wednesday 14 January 2026)
TUESDAY, WEDNESDAY = MONDAY + dt.timedelta(days=1), MONDAY + dt.timedelta(days=2)
HOUR, MINUTE = dt.timedelta(hours=1), dt.timedelta(minutes=1)


def open_slot(team, start: dt.datetime, end: dt.datetime) -> Shift:
    return Shift.objects.create(tier=team.tier, team=team, starts_at=start, ends_at=end)


def booked(profile, start: dt.datetime, end: dt.datetime) -> Shift:
    return f.ShiftFactory(staff=profile, starts_at=start, ends_at=end)


def week_of(profile, hours: int) -> None:
    """`hours` booked in the week of MONDAY, as 12-hour days from Monday (and one
    shorter last day), each with a day's rest after it."""
    day = MONDAY
    while hours > 0:
        length = min(12, hours)
        booked(profile, at(day, 8), at(day, 8) + length * HOUR)
        hours -= length
        day += dt.timedelta(days=1)


# --- the weekly cap and the ceiling -------------------------------------------------


def test_past_the_cap_booking_warns_and_says_how_many_hours(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)  # cap 42
    week_of(worker, 36)
    slot = open_slot(
        clinical_team,
        at(MONDAY + dt.timedelta(days=4), 8),
        at(MONDAY + dt.timedelta(days=4), 16),
    )
    with pytest.raises(OverWeeklyCap) as warning:
        shift_book(shift_id=slot.pk, profile=worker)
    assert str(warning.value) == (
        "Booking this 8-hour shift would take you to 44 hours in the week of "
        "19 January, over your weekly cap of 42 hours."
    )
    assert (warning.value.hours, warning.value.total, warning.value.cap) == (8, 44, 42)
    assert isinstance(warning.value, StaffingRefused)
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN


def test_past_the_cap_a_confirmed_booking_is_made(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 36)
    friday = MONDAY + dt.timedelta(days=4)
    slot = open_slot(clinical_team, at(friday, 8), at(friday, 16))
    shift = shift_book(shift_id=slot.pk, profile=worker, confirm_over_cap=True)
    assert (shift.pk, shift.staff, shift.status) == (
        slot.pk,
        worker,
        Shift.Status.BOOKED,
    )


def test_exactly_at_the_cap_needs_no_confirmation(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 36)
    friday = MONDAY + dt.timedelta(days=4)
    slot = open_slot(clinical_team, at(friday, 8), at(friday, 14))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_exactly_at_the_ceiling_is_allowed_once_confirmed(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 52)  # Monday to Thursday 12 hours, Friday 4
    saturday = MONDAY + dt.timedelta(days=5)
    slot = open_slot(clinical_team, at(saturday, 8), at(saturday, 16))  # 60 hours
    with pytest.raises(OverWeeklyCap, match="to 60 hours"):
        shift_book(shift_id=slot.pk, profile=worker)
    assert shift_book(shift_id=slot.pk, profile=worker, confirm_over_cap=True).staff


def test_past_the_ceiling_is_refused_even_when_confirmed(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 52)
    saturday = MONDAY + dt.timedelta(days=5)
    slot = open_slot(clinical_team, at(saturday, 8), at(saturday, 17))  # 61 hours
    with pytest.raises(StaffingRefused) as refusal:
        shift_book(shift_id=slot.pk, profile=worker, confirm_over_cap=True)
    assert not isinstance(refusal.value, OverWeeklyCap)
    assert str(refusal.value) == (
        "Booking this 9-hour shift would take you to 61 hours in the week of "
        "19 January, over the ceiling of 60 hours a week: no one may be booked for "
        "more."
    )
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN


def test_a_minute_past_the_ceiling_is_refused(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 52)
    saturday = MONDAY + dt.timedelta(days=5)
    slot = open_slot(clinical_team, at(saturday, 8), at(saturday, 16, 1))
    with pytest.raises(
        StaffingRefused, match=r"to 60\.02 hours .* over the ceiling of 60 hours"
    ):
        shift_book(shift_id=slot.pk, profile=worker, confirm_over_cap=True)


def test_the_ceiling_follows_the_setting(clock, settings, clinical_team):
    settings.TRACING_WEEKLY_HOURS_CEILING = 44
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 36)
    friday = MONDAY + dt.timedelta(days=4)
    slot = open_slot(clinical_team, at(friday, 8), at(friday, 17))  # 45 hours
    with pytest.raises(StaffingRefused, match="over the ceiling of 44 hours a week"):
        shift_book(shift_id=slot.pk, profile=worker, confirm_over_cap=True)


def test_a_raised_cap_needs_no_confirmation(clock, clinical_team):
    worker = member(clinical_team, on_shift=False, weekly_hours_cap=48)
    week_of(worker, 36)
    friday = MONDAY + dt.timedelta(days=4)
    slot = open_slot(clinical_team, at(friday, 8), at(friday, 20))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


# --- rest between shifts ----------------------------------------------------------


def test_the_minimum_rest_is_eleven_hours_unless_set(settings):
    assert min_rest() == dt.timedelta(hours=11)
    settings.TRACING_MIN_REST_HOURS = 9
    assert min_rest() == dt.timedelta(hours=9)


def test_exactly_eleven_hours_after_a_shift_is_allowed(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 20, 6), at(TUESDAY, 4, 6))
    slot = open_slot(clinical_team, at(TUESDAY, 15, 6), at(TUESDAY, 23))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_ten_hours_fifty_nine_after_a_shift_is_refused_with_the_times(
    clock, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 20, 6), at(TUESDAY, 4, 6))
    slot = open_slot(clinical_team, at(TUESDAY, 15, 5), at(TUESDAY, 23))
    with pytest.raises(StaffingRefused) as refusal:
        shift_book(shift_id=slot.pk, profile=worker)
    assert str(refusal.value) == (
        "That leaves less than 11 hours' rest between shifts. Your shift ends at "
        "04:06 on Tuesday: the next may start at 15:06 at the earliest."
    )
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN


def test_rest_running_into_the_next_day_names_the_day(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 14), at(MONDAY, 22))
    slot = open_slot(clinical_team, at(TUESDAY, 8), at(TUESDAY, 16))
    with pytest.raises(
        StaffingRefused,
        match=re.escape(
            "Your shift ends at 22:00 on Monday: the next may start at 09:00 on "
            "Tuesday at the earliest."
        ),
    ):
        shift_book(shift_id=slot.pk, profile=worker)


def test_exactly_eleven_hours_before_the_next_shift_is_allowed(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(WEDNESDAY, 8), at(WEDNESDAY, 16))
    slot = open_slot(clinical_team, at(TUESDAY, 13), at(TUESDAY, 21))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_ten_hours_fifty_nine_before_the_next_shift_is_refused(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(WEDNESDAY, 8), at(WEDNESDAY, 16))
    slot = open_slot(clinical_team, at(TUESDAY, 13), at(TUESDAY, 21, 1))
    with pytest.raises(StaffingRefused) as refusal:
        shift_book(shift_id=slot.pk, profile=worker)
    assert str(refusal.value) == (
        "That leaves less than 11 hours' rest between shifts. Your next shift starts "
        "at 08:00 on Wednesday: one before it must end by 21:00 on Tuesday at the "
        "latest."
    )


def test_the_rest_follows_the_setting(clock, settings, clinical_team):
    settings.TRACING_MIN_REST_HOURS = 8
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 14), at(MONDAY, 22))
    slot = open_slot(clinical_team, at(TUESDAY, 6), at(TUESDAY, 14))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_cancelled_shifts_need_no_rest(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    f.ShiftFactory(
        staff=worker,
        starts_at=at(MONDAY, 14),
        ends_at=at(MONDAY, 22),
        status=Shift.Status.CANCELLED,
        cancel_reason="Quiet",
    )
    slot = open_slot(clinical_team, at(TUESDAY, 6), at(TUESDAY, 14))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_both_halves_of_a_day_make_one_spell(clock, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 8), at(MONDAY, 14))
    slot = open_slot(clinical_team, at(MONDAY, 14), at(MONDAY, 20))
    assert shift_book(shift_id=slot.pk, profile=worker).staff == worker


def test_a_spell_of_joined_shifts_longer_than_a_day_less_the_rest_is_refused(
    clock, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 8), at(MONDAY, 14))
    booked(worker, at(MONDAY, 14), at(MONDAY, 20))
    longer = open_slot(clinical_team, at(MONDAY, 20), at(MONDAY, 21, 1))
    with pytest.raises(StaffingRefused) as refusal:
        shift_book(shift_id=longer.pk, profile=worker)
    assert str(refusal.value) == (
        "That would make 13.02 hours on shift without a break, from 08:00 on Monday "
        "to 21:01: with 11 hours' rest a day, at most 13 in a row."
    )
    exactly = open_slot(clinical_team, at(MONDAY, 20), at(MONDAY, 21))
    assert shift_book(shift_id=exactly.pk, profile=worker).staff == worker


# --- a supervisor books for a member ------------------------------------------------


def test_a_supervisor_booking_past_the_cap_is_warned_then_books(
    clock, lead, clinical_team
):
    worker = member(
        clinical_team,
        on_shift=False,
        user__first_name="Asha",
        user__last_name="Patel",
    )
    week_of(worker, 36)
    friday = MONDAY + dt.timedelta(days=4)
    with pytest.raises(OverWeeklyCap) as warning:
        shift_assign(
            profile=worker,
            starts_at=at(friday, 8),
            ends_at=at(friday, 16),
            by=lead.user,
        )
    assert str(warning.value) == (
        "Booking this 8-hour shift would take Asha Patel to 44 hours in the week of "
        "19 January, over their weekly cap of 42 hours."
    )
    assert not Shift.objects.filter(starts_at=at(friday, 8)).exists()
    shift = shift_assign(
        profile=worker,
        starts_at=at(friday, 8),
        ends_at=at(friday, 16),
        by=lead.user,
        confirm_over_cap=True,
    )
    assert shift.staff == worker
    assert AuditEvent.objects.filter(object_id=str(shift.pk)).exists()


def test_a_supervisor_cannot_book_past_the_ceiling_or_the_rest(
    clock, lead, clinical_team
):
    worker = member(
        clinical_team,
        on_shift=False,
        user__first_name="Asha",
        user__last_name="Patel",
    )
    week_of(worker, 52)
    saturday = MONDAY + dt.timedelta(days=5)
    with pytest.raises(StaffingRefused, match="over the ceiling of 60 hours"):
        shift_assign(
            profile=worker,
            starts_at=at(saturday, 8),
            ends_at=at(saturday, 17),
            by=lead.user,
            confirm_over_cap=True,
        )
    with pytest.raises(
        StaffingRefused,
        match=re.escape(
            "Asha Patel's shift ends at 20:00 on Monday: the next may start at "
            "07:00 on Tuesday at the earliest."
        ),
    ):
        shift_assign(
            profile=worker,
            starts_at=at(TUESDAY, 6),
            ends_at=at(TUESDAY, 7),
            by=lead.user,
            confirm_over_cap=True,
        )


# --- the page: a warning with "Book anyway" -------------------------------------------


def test_the_page_warns_past_the_cap_and_books_on_confirmation(
    clock, client, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 36)
    friday = MONDAY + dt.timedelta(days=4)
    slot = open_slot(clinical_team, at(friday, 8), at(friday, 16))
    client.force_login(worker.user)
    url = reverse("staffing:shift_book", args=[slot.pk])

    warning = client.post(url, {"week": "2026-01-19"})
    assert warning.status_code == 200
    assert "Book a shift past your weekly cap?" in warning.text
    assert "nhsuk-card--warning" in warning.text
    assert (
        "would take you to 44 hours in the week of 19 January, over your weekly cap "
        "of 42 hours." in warning.text
    )
    assert 'name="confirm_over_cap" value="1"' in warning.text
    assert ">Book anyway</button>" in warning.text
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN

    booked_page = client.post(url, {"confirm_over_cap": "1", "week": "2026-01-19"})
    assert booked_page.status_code == 302
    assert booked_page["Location"].endswith("?week=2026-01-19")
    slot.refresh_from_db()
    assert slot.staff == worker
    shifts = client.get(booked_page["Location"])
    assert "Booked: Fri 23 Jan 08:00-16:00. You are booked for 44 hours" in shifts.text
    assert "44 of 42 hours" in shifts.text


def test_the_page_refuses_too_little_rest_with_the_times(clock, client, clinical_team):
    worker = member(clinical_team, on_shift=False)
    booked(worker, at(MONDAY, 14), at(MONDAY, 22))
    slot = open_slot(clinical_team, at(TUESDAY, 8), at(TUESDAY, 16))
    client.force_login(worker.user)
    response = client.post(
        reverse("staffing:shift_book", args=[slot.pk]),
        {"week": "2026-01-19", "confirm_over_cap": "1"},
        follow=True,
    )
    text = unescape(response.text)
    assert "Not booked. That leaves less than 11 hours' rest" in text
    assert "the next may start at 09:00 on Tuesday at the earliest." in text
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN


def test_a_minute_past_the_cap_shows_on_every_page(clock, client, clinical_team):
    # 42 hours booked, then a one-minute slot: the pages said "0.0 hours", "42.0
    # hours" and "42.0 of 42 hours", which reads as within the cap.
    worker = member(clinical_team, on_shift=False)
    week_of(worker, 42)
    friday = MONDAY + dt.timedelta(days=4)
    start = at(friday, 8)
    slot = open_slot(clinical_team, start, start + dt.timedelta(minutes=1))
    client.force_login(worker.user)
    url = reverse("staffing:shift_book", args=[slot.pk])

    warning = client.post(url, {"week": "2026-01-19"}).text
    assert "0.02 hours</dd>" in warning
    assert "42.02 hours</dd>" in warning

    booked_page = client.post(url, {"confirm_over_cap": "1", "week": "2026-01-19"})
    shifts = client.get(booked_page["Location"]).text
    assert "You are booked for 42.02 hours that week" in shifts
    assert "42.02 of 42 hours" in shifts
