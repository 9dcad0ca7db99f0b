"""Input no page offers (a hand-edited address, a tampered form) answers as a
supervisor expects: the page as for any unreadable input, or a plain error to fix,
never a server error."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.models import Case
from cases.workitem import Status
from staffing.models import Shift
from tests import factories as f

from .conftest import NOW, at, member

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 19)  # the week after NOW

PUBLISH = {
    "first_day": "2026-01-19",
    "last_day": "2026-01-19",
    "weekdays": ["0"],
    "starts": "08:00",
    "ends": "14:00",
    "count": "1",
}


@pytest.mark.parametrize("week", ["9999-12-31", "9999-W52", "0001-01-01", "2040-01-02"])
@pytest.mark.parametrize(
    "page", ["staffing:team_shifts", "staffing:my_shifts", "staffing:utilisation"]
)
def test_a_week_out_of_range_shows_this_week(clock, client, lead, page, week):
    client.force_login(lead.user)
    response = client.get(reverse(page), {"week": week})
    assert response.status_code == 200
    assert "Week of Monday 12 January 2026" in response.text


@pytest.mark.parametrize("week", ["9999-12-31", "9999-W52", "0001-01-01"])
def test_a_week_out_of_range_downloads_this_weeks_utilisation(
    clock, client, lead, week
):
    client.force_login(lead.user)
    response = client.get(reverse("staffing:utilisation_csv"), {"week": week})
    assert response.status_code == 200
    assert "utilisation-2026-01-12.csv" in response["Content-Disposition"]


def test_slots_too_far_ahead_are_a_form_error_and_publish_nothing(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shifts_publish"),
        {**PUBLISH, "first_day": "9999-12-31", "last_day": "9999-12-31"},
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    message = (
        "Slots can be published up to a year ahead: choose a day up to 14 January 2027."
    )
    assert errors["first_day"] == [message]
    assert errors["last_day"] == [message]
    assert message in response.text
    assert not Shift.objects.exists()


def test_slots_up_to_a_year_ahead_are_published(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:shifts_publish"),
        {**PUBLISH, "first_day": "2027-01-11", "last_day": "2027-01-14"},
    )
    assert response.status_code == 302
    assert Shift.objects.filter(team=lead.team).count() == 1


def test_an_empty_publish_shows_what_each_field_needs(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(reverse("staffing:shifts_publish"), {})
    assert response.status_code == 200
    for message in (
        "Enter the first day of the slots",
        "Enter the last day of the slots",
        "Choose at least one day of the week.",
        "Enter the time the shifts start",
        "Enter the time the shifts end",
        "Enter how many people you need on each shift",
    ):
        assert message in response.text
    assert not Shift.objects.exists()


def test_an_empty_cancel_asks_for_a_reason(clock, client, lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift = f.ShiftFactory(
        staff=worker, starts_at=at(MONDAY, 8), ends_at=at(MONDAY, 16)
    )
    client.force_login(lead.user)
    response = client.post(reverse("staffing:shift_cancel", args=[shift.pk]), {})
    assert response.status_code == 200
    assert "Give a reason: the person booked will see it." in response.text
    shift.refresh_from_db()
    assert shift.status == Shift.Status.BOOKED


@pytest.mark.parametrize("item", ["²", "abc"])
def test_an_item_that_is_not_an_id_moves_nothing(
    clock, client, lead, clinical_team, item
):
    held = f.CaseFactory(
        status=Status.ASSIGNED, assignee=member(clinical_team).user, assigned_at=NOW
    )
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:work"), {"items": [item], "to": "pool", "reason": "x"}
    )
    assert response.status_code == 200
    assert "Some of the chosen items are no longer yours to move." in response.text
    assert Case.objects.get(pk=held.pk).assignee == held.assignee


def test_the_work_list_takes_a_unicode_digit_as_it_takes_any_other_text(
    clock, client, lead
):
    # int("²") raised where the search looked for an item's id.
    client.force_login(lead.user)
    assert client.get(reverse("staffing:work"), {"q": "²"}).status_code == 200


def test_a_tampered_gap_plan_is_shown_as_a_changed_gap(clock, client, lead):
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:capacity_slots"),
        {
            "first_day": "2026-01-20",
            "last_day": "2026-01-21",
            "confirm": "on",
            "plan": "0123456789abcdef0123",
        },
    )
    assert response.status_code == 200
    assert "The gap has changed" in response.text
    assert "Ensure this value" not in response.text
    assert not Shift.objects.exists()
