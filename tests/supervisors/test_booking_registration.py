"""A caseworker's registration and the shifts they book: a shift that runs on past the
day it expires is refused (assignment gives them no work from then on, so it would be
no cover), by their own booking and a supervisor's alike; a tier that needs no
registration books as before; and My shifts says ahead of time that it runs out."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from staffing.models import Shift, StaffProfile
from staffing.selectors.members import eligible_staff
from staffing.services import StaffingRefused, shift_assign, shift_book

from .conftest import at, member

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 19)  # the week after NOW (Wednesday 14 January 2026)
THURSDAY = MONDAY + dt.timedelta(days=3)
SATURDAY = MONDAY + dt.timedelta(days=5)
WEEK = {"week": "2026-01-19"}


def open_slot(team, start: dt.datetime, end: dt.datetime) -> Shift:
    return Shift.objects.create(tier=team.tier, team=team, starts_at=start, ends_at=end)


def runs_out_on(profile: StaffProfile, day: dt.date) -> StaffProfile:
    StaffProfile.objects.filter(pk=profile.pk).update(registration_expires_on=day)
    profile.refresh_from_db()
    return profile


def test_booking_a_slot_after_the_registration_runs_out_is_refused_with_the_date(
    clock, client, clinical_team
):
    nurse = runs_out_on(member(clinical_team, on_shift=False), THURSDAY)
    slot = open_slot(clinical_team, at(SATURDAY, 19), at(SATURDAY, 21))
    # Were it booked, assignment would give her no work on it.
    assert not eligible_staff(tier=2, now=at(SATURDAY, 19, 30)).filter(pk=nurse.pk)
    client.force_login(nurse.user)

    response = client.post(
        reverse("staffing:shift_book", args=[slot.pk]),
        {**WEEK, "confirm_over_cap": "1"},
        follow=True,
    )

    text = unescape(response.text)
    assert "Booked:" not in text
    assert (
        "Not booked. Your registration runs out on Thu 22 Jan: renew it before "
        "booking shifts after that day." in text
    )
    slot.refresh_from_db()
    assert slot.status == Shift.Status.OPEN
    assert slot.staff is None


def test_a_shift_within_the_last_day_of_the_registration_is_booked(
    clock, clinical_team
):
    nurse = runs_out_on(member(clinical_team, on_shift=False), THURSDAY)
    evening = open_slot(clinical_team, at(THURSDAY, 16), at(THURSDAY, 20))
    to_midnight = open_slot(
        clinical_team, at(THURSDAY, 20), at(THURSDAY + dt.timedelta(days=1), 0)
    )

    assert shift_book(shift_id=evening.pk, profile=nurse).staff == nurse
    assert shift_book(shift_id=to_midnight.pk, profile=nurse).staff == nurse


def test_a_shift_running_on_past_midnight_of_the_last_day_is_refused(
    clock, clinical_team
):
    nurse = runs_out_on(member(clinical_team, on_shift=False), THURSDAY)
    night = open_slot(
        clinical_team, at(THURSDAY, 22), at(THURSDAY + dt.timedelta(days=1), 2)
    )

    with pytest.raises(StaffingRefused, match="registration runs out on Thu 22 Jan"):
        shift_book(shift_id=night.pk, profile=nurse)


def test_a_registration_already_run_out_is_said_in_the_past(clock, clinical_team):
    nurse = runs_out_on(member(clinical_team, on_shift=False), dt.date(2026, 1, 12))
    slot = open_slot(clinical_team, at(MONDAY, 8), at(MONDAY, 16))

    with pytest.raises(StaffingRefused) as refused:
        shift_book(shift_id=slot.pk, profile=nurse)
    assert str(refused.value) == (
        "Your registration ran out on Mon 12 Jan: renew it before booking shifts."
    )


def test_a_supervisor_cannot_book_a_member_past_their_registration(
    clock, lead, clinical_team
):
    nurse = runs_out_on(
        member(
            clinical_team,
            on_shift=False,
            user__first_name="Cara",
            user__last_name="Nolan",
        ),
        THURSDAY,
    )

    with pytest.raises(StaffingRefused) as refused:
        shift_assign(
            profile=nurse,
            starts_at=at(SATURDAY, 19),
            ends_at=at(SATURDAY, 21),
            by=lead.user,
            confirm_over_cap=True,
        )
    assert str(refused.value) == (
        "Cara Nolan's registration runs out on Thu 22 Jan: they must renew it "
        "before being booked for shifts after that day."
    )
    assert not Shift.objects.filter(staff=nurse).exists()
    # Up to the day it runs out, as before.
    shift = shift_assign(
        profile=nurse,
        starts_at=at(THURSDAY, 8),
        ends_at=at(THURSDAY, 16),
        by=lead.user,
    )
    assert shift.staff == nurse


def test_a_call_handler_needs_no_registration_to_book(clock, calls_team):
    handler = runs_out_on(member(calls_team, on_shift=False), THURSDAY)
    slot = open_slot(calls_team, at(SATURDAY, 8), at(SATURDAY, 16))

    assert shift_book(shift_id=slot.pk, profile=handler).staff == handler


def test_my_shifts_says_the_registration_runs_out_within_the_week(
    clock, client, clinical_team
):
    nurse = runs_out_on(member(clinical_team, on_shift=False), THURSDAY)
    open_slot(clinical_team, at(SATURDAY, 19), at(SATURDAY, 21))
    client.force_login(nurse.user)

    text = unescape(client.get(reverse("staffing:my_shifts"), WEEK).text)

    assert 'id="registration-runs-out"' in text
    assert (
        "Your registration runs out on Thu 22 Jan: renew it before booking shifts "
        "after that day." in text
    )
    # Not a hold-up yet: she may be given work until then.
    assert 'id="not-ready"' not in text


def test_my_shifts_says_nothing_of_a_registration_running_out_after_the_week(
    clock, client, clinical_team
):
    nurse = runs_out_on(
        member(clinical_team, on_shift=False), MONDAY + dt.timedelta(days=7)
    )
    client.force_login(nurse.user)

    text = client.get(reverse("staffing:my_shifts"), WEEK).text

    assert 'id="registration-runs-out"' not in text


def test_a_registration_not_yet_verified_is_left_to_its_hold_up(clock, clinical_team):
    # My shifts already says it holds them up, and a supervisor may verify it before
    # the shift: booking ahead stays open to them.
    nurse = runs_out_on(member(clinical_team, on_shift=False), THURSDAY)
    StaffProfile.objects.filter(pk=nurse.pk).update(registration_verified_on=None)
    nurse.refresh_from_db()
    slot = open_slot(clinical_team, at(SATURDAY, 19), at(SATURDAY, 21))

    assert shift_book(shift_id=slot.pk, profile=nurse).staff == nurse
