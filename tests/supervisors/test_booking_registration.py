"""A caseworker's registration and the shifts they book: a shift that runs on past the
day it expires is refused (assignment gives them no work from then on, so it would be
no cover), by their own booking and a supervisor's alike; a tier that needs no
registration books as before; and My shifts says ahead of time that it runs out."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from staffing.models import Shift, StaffProfile
from staffing.selectors.members import eligible_staff
from staffing.services import (
    StaffingRefused,
    registration_verify,
    shift_assign,
    shift_book,
)

from .conftest import NOW, at, member

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


# --- a registration verified as running out before shifts already booked -----------
#
# Booked while the registration ran to next year; the supervisor then records what
# the register says, that it runs out on Thursday (a mistyped year put right). The
# shifts past Thursday are what booking now refuses: no work on them, no cover on
# the capacity page. Each not yet begun goes back to being an open slot, however it
# was booked (the cover is needed still, for a colleague to book); the supervisor
# is told which.

NEXT_YEAR = dt.date(2027, 1, 21)
SUNDAY = MONDAY + dt.timedelta(days=6)


def booked_till_next_year(team, **kwargs) -> StaffProfile:
    return runs_out_on(member(team, on_shift=False, **kwargs), NEXT_YEAR)


def verified_until(nurse: StaffProfile, day: dt.date, *, by) -> object:
    return registration_verify(
        profile=nurse,
        body=nurse.registration_body,
        number=nurse.registration_number,
        expires_on=day,
        by=by,
    )


def test_verifying_an_earlier_expiry_releases_a_slot_booked_past_it(
    clock, lead, clinical_team
):
    nurse = booked_till_next_year(clinical_team)
    saturday = open_slot(clinical_team, at(SATURDAY, 8), at(SATURDAY, 16))
    shift_book(shift_id=saturday.pk, profile=nurse)

    verified_until(nurse, THURSDAY, by=lead.user)

    saturday.refresh_from_db()
    assert saturday.status == Shift.Status.OPEN
    assert saturday.staff is None
    assert saturday.booked_at is None
    # Open again for a colleague whose registration runs on.
    colleague = booked_till_next_year(clinical_team)
    assert shift_book(shift_id=saturday.pk, profile=colleague).staff == colleague


def test_a_shift_a_supervisor_booked_past_the_expiry_is_open_for_a_colleague(
    clock, lead, clinical_team
):
    # Made for her by a supervisor, never published: the cover is needed still.
    nurse = booked_till_next_year(clinical_team)
    sunday = shift_assign(
        profile=nurse, starts_at=at(SUNDAY, 8), ends_at=at(SUNDAY, 16), by=lead.user
    )

    verified_until(nurse, THURSDAY, by=lead.user)

    sunday.refresh_from_db()
    assert sunday.status == Shift.Status.OPEN
    assert sunday.staff is None


def test_a_shift_straddling_midnight_of_the_last_day_goes_whole(
    clock, lead, clinical_team
):
    # The booking rule refuses a shift running on past midnight of the last day as a
    # whole; so it goes whole, back to the slot as published, for someone to book,
    # not cut into a booked evening and an open two hours no one published.
    nurse = booked_till_next_year(clinical_team)
    morning = open_slot(clinical_team, at(THURSDAY, 8), at(THURSDAY, 10))
    night = open_slot(
        clinical_team, at(THURSDAY, 22), at(THURSDAY + dt.timedelta(days=1), 2)
    )
    for slot in (morning, night):
        shift_book(shift_id=slot.pk, profile=nurse)

    verified_until(nurse, THURSDAY, by=lead.user)

    morning.refresh_from_db()
    assert (morning.status, morning.staff) == (Shift.Status.BOOKED, nurse)
    night.refresh_from_db()
    assert (night.status, night.staff, night.starts_at, night.ends_at) == (
        Shift.Status.OPEN,
        None,
        at(THURSDAY, 22),
        at(THURSDAY + dt.timedelta(days=1), 2),
    )


def test_a_shift_ending_at_midnight_of_the_last_day_stays_booked(
    clock, lead, clinical_team
):
    nurse = booked_till_next_year(clinical_team)
    evening = open_slot(
        clinical_team, at(THURSDAY, 16), at(THURSDAY + dt.timedelta(days=1), 0)
    )
    shift_book(shift_id=evening.pk, profile=nurse)

    result = verified_until(nurse, THURSDAY, by=lead.user)

    evening.refresh_from_db()
    assert (evening.status, evening.staff) == (Shift.Status.BOOKED, nurse)
    assert result.shifts_said() == ""


def test_a_shift_under_way_past_the_expiry_ends_at_midnight_of_the_last_day(
    clock, lead, clinical_team
):
    # Expiring today, she is registered until midnight: the hours until then stay
    # booked (she is giving cover now), the rest is cancelled, as cutting short does.
    today = NOW.date()
    nurse = booked_till_next_year(clinical_team)
    evening = shift_assign(
        profile=nurse,
        starts_at=at(today, 18),
        ends_at=at(today + dt.timedelta(days=1), 2),
        by=lead.user,
    )
    clock.move_to(at(today, 19))

    result = verified_until(nurse, today, by=lead.user)

    evening.refresh_from_db()
    midnight = at(today + dt.timedelta(days=1), 0)
    assert (evening.status, evening.ends_at) == (Shift.Status.BOOKED, midnight)
    rest = Shift.objects.get(staff=nurse, status=Shift.Status.CANCELLED)
    assert (rest.starts_at, rest.ends_at) == (midnight, at(today + dt.timedelta(1), 2))
    assert rest.cancel_reason == "Registration runs out on Wed 14 Jan"
    assert result.shifts_said() == (
        "The shift under way, Wed 14 Jan 18:00-02:00, now ends at midnight, "
        "when the registration runs out."
    )


def test_each_shift_released_is_audited_with_the_verification(
    clock, lead, clinical_team
):
    nurse = booked_till_next_year(clinical_team)
    saturday = open_slot(clinical_team, at(SATURDAY, 8), at(SATURDAY, 16))
    shift_book(shift_id=saturday.pk, profile=nurse)
    sunday = shift_assign(
        profile=nurse, starts_at=at(SUNDAY, 8), ends_at=at(SUNDAY, 16), by=lead.user
    )

    verified_until(nurse, THURSDAY, by=lead.user)

    def last(obj) -> AuditEvent:
        return AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).latest("at", "id")

    reason = "Registration runs out on Thu 22 Jan"
    verified = last(nurse)
    for shift in (saturday, sunday):
        released = last(shift)
        assert (released.user, released.detail) == (
            lead.user,
            {"shift": "released", "staff": nurse.pk, "reason": reason},
        )
    assert verified.detail["registration"] == "verified"
    assert verified.detail["expires_on"] == "2026-01-22"
    assert verified.detail["shifts_released"] == [saturday.pk, sunday.pk]


def test_the_supervisor_is_told_which_shifts_were_released(
    clock, client, lead, clinical_team
):
    nurse = booked_till_next_year(
        clinical_team, user__first_name="Cara", user__last_name="Nolan"
    )
    for day in (SATURDAY, SUNDAY):
        shift_book(
            shift_id=open_slot(clinical_team, at(day, 8), at(day, 16)).pk,
            profile=nurse,
        )
    shift_assign(
        profile=nurse,
        starts_at=at(MONDAY + dt.timedelta(days=7), 8),
        ends_at=at(MONDAY + dt.timedelta(days=7), 16),
        by=lead.user,
    )
    client.force_login(lead.user)

    response = client.post(
        reverse("staffing:registration_verify", args=[nurse.pk]),
        {
            "registration_body": nurse.registration_body,
            "registration_number": nurse.registration_number,
            "registration_expires_on": THURSDAY.isoformat(),
        },
        follow=True,
    )

    text = unescape(response.text)
    assert "Verified Cara Nolan's registration." in text
    assert (
        "3 shifts booked after Thu 22 Jan, when the registration runs out, were "
        "released as open slots: Sat 24 Jan 08:00-16:00, Sun 25 Jan 08:00-16:00, "
        "Mon 26 Jan 08:00-16:00."
    ) in text


def test_the_nurse_sees_the_released_shift_gone_from_my_shifts(
    clock, client, lead, clinical_team
):
    nurse = booked_till_next_year(clinical_team)
    shift_book(
        shift_id=open_slot(clinical_team, at(SATURDAY, 8), at(SATURDAY, 16)).pk,
        profile=nurse,
    )
    client.force_login(nurse.user)
    before = client.get(reverse("staffing:my_shifts"), WEEK).text
    assert before.count("nhsuk-tag--green") == 1  # Saturday, booked

    verified_until(nurse, THURSDAY, by=lead.user)

    text = unescape(client.get(reverse("staffing:my_shifts"), WEEK).text)
    assert "nhsuk-tag--green" not in text  # nothing booked
    assert (
        "Your registration runs out on Thu 22 Jan: renew it before booking shifts "
        "after that day." in text
    )
