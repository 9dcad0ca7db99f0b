""" "On shift until" is the end of the spell of booked shifts someone is on, touching
or overlapping, as assignment sees them: not the end of the first of two back to back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from staffing.models import Shift, StaffProfile
from staffing.selectors.members import eligible_staff, readiness_annotations
from tests import factories as f

from .conftest import NOW, member

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def fred(team, *spells, status=Shift.Status.BOOKED):
    profile = member(
        team, on_shift=False, user__first_name="Fred", user__last_name="Back"
    )
    for starts, ends in spells:
        f.ShiftFactory(
            staff=profile, starts_at=NOW + starts * HOUR, ends_at=NOW + ends * HOUR
        )
    return profile


def until(profile):
    return (
        StaffProfile.objects.annotate(**readiness_annotations(NOW))
        .get(pk=profile.pk)
        .on_shift_until
    )


def test_the_dashboard_shows_the_end_of_back_to_back_shifts(
    clock, client, lead, clinical_team
):
    back_to_back = fred(clinical_team, (-1, 1), (1, 5))
    client.force_login(lead.user)

    page = client.get(reverse("staffing:dashboard"))

    row = page.text.split("Fred Back")[1].split("</tr>")[0]
    assert "On shift</strong> until 15:00" in row
    # As assignment sees him, on shift throughout: given new work until the last
    # minutes of the spell (staffing.selectors.members.NEW_WORK_MARGIN), past the
    # end of the first shift.
    for hours in (0, 2, 4.7):
        moment = NOW + hours * HOUR
        assert (
            eligible_staff(tier=lead.tier, now=moment)
            .filter(pk=back_to_back.pk)
            .exists()
        )


def test_a_spell_runs_through_every_touching_shift(clock, clinical_team):
    assert until(fred(clinical_team, (-1, 1), (1, 3), (3, 5))) == NOW + 5 * HOUR


def test_overlapping_shifts_are_one_spell(clock, clinical_team):
    assert until(fred(clinical_team, (-1, 2), (1, 4))) == NOW + 4 * HOUR


def test_a_gap_ends_the_spell(clock, clinical_team):
    assert until(fred(clinical_team, (-1, 1), (1.5, 5))) == NOW + HOUR


def test_a_cancelled_shift_does_not_join_the_spell(clock, clinical_team):
    profile = fred(clinical_team, (-1, 1))
    f.ShiftFactory(
        staff=profile,
        starts_at=NOW + HOUR,
        ends_at=NOW + 5 * HOUR,
        status=Shift.Status.CANCELLED,
    )
    assert until(profile) == NOW + HOUR


def test_off_shift_now_is_off_shift_whatever_is_booked_later(clock, clinical_team):
    assert until(fred(clinical_team, (1, 3), (3, 5))) is None


def test_one_query_for_the_whole_team(clock, clinical_team):
    for _ in range(5):
        fred(clinical_team, (-1, 1), (1, 5))
    with CaptureQueriesContext(connection) as queries:
        rows = list(
            StaffProfile.objects.filter(team=clinical_team).annotate(
                **readiness_annotations(NOW)
            )
        )
    assert len(queries) == 1
    assert {m.on_shift_until for m in rows} == {NOW + 5 * HOUR}


def test_a_spell_ending_on_a_later_day_says_which(clock, client, lead, clinical_team):
    """At 10:00 on Wednesday, shifts run on to 11:00 on Thursday: "until 11:00"
    alone read as an hour away."""
    fred(clinical_team, (-1, 7), (7, 15), (15, 25))
    client.force_login(lead.user)

    page = client.get(reverse("staffing:dashboard"))

    row = " ".join(page.text.split("Fred Back")[1].split("</tr>")[0].split())
    assert "On shift</strong> until 11:00 tomorrow" in row
