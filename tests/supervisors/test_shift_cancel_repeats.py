"""The admin's "Cancel the shifts…" carries each chosen shift's holder and status as
drawn: a shift that changed hands since is refused, saying whose it is now, and the
others are cancelled (before, Apply cancelled Gus's booking with the reason meant for
Dan). And a withdrawal sent twice is one withdrawal: the second sending is answered
with the slot the first withdrew (before, once the slot opened had been booked, each
sending withdrew another identical open slot)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from staffing.models import Shift
from tests import factories as f

from .conftest import at, member

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 19)  # the week after NOW
TUESDAY = MONDAY + dt.timedelta(days=1)
REASON = "Dan asked for the day off"
HIDDEN = r'<input type="hidden" name="(shown_\w+)" value="([^"]*)"'


def open_slot(team, day=MONDAY) -> Shift:
    return Shift.objects.create(
        tier=team.tier, team=team, starts_at=at(day, 8), ends_at=at(day, 16)
    )


def named(team, first, last):
    return member(team, on_shift=False, user__first_name=first, user__last_name=last)


def as_user(client, profile):
    client.force_login(profile.user)
    return client


def book(profile, shift):
    """A member books the slot (in their own browser)."""
    response = as_user(Client(), profile).post(
        reverse("staffing:shift_book", args=[shift.pk])
    )
    assert response.status_code == 302


def give_back(profile, shift):
    response = as_user(Client(), profile).post(
        reverse("staffing:shift_release", args=[shift.pk])
    )
    assert response.status_code == 302


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def statuses(*shifts) -> list[str]:
    return [Shift.objects.get(pk=shift.pk).status for shift in shifts]


# --- the admin's action ------------------------------------------------------------


CHANGELIST = "admin:staffing_shift_changelist"


def admin_cancel_form(client, shifts):
    """The administrator ticks the shifts and picks "Cancel the shifts…": the hidden
    fields the form is drawn with, and the administrator."""
    admin = f.UserFactory(username="administrator", is_superuser=True, is_staff=True)
    client.force_login(admin)
    form = client.post(
        reverse(CHANGELIST),
        {
            "action": "cancel_shifts",
            "_selected_action": [str(shift.pk) for shift in shifts],
        },
    )
    assert form.status_code == 200
    assert "reason" in form.text
    return admin, dict(re.findall(HIDDEN, form.text))


def admin_apply(client, shifts, admin, drawn):
    client.force_login(admin)
    return client.post(
        reverse(CHANGELIST),
        {
            "action": "cancel_shifts",
            "_selected_action": [str(shift.pk) for shift in shifts],
            "apply": "Apply",
            "reason": REASON,
            **drawn,
        },
    )


def test_the_admins_cancel_refuses_a_shift_that_changed_hands_and_cancels_the_rest(
    clock, client, calls_team
):
    dan, gus = named(calls_team, "Dan", "Price"), named(calls_team, "Gus", "Hill")
    dans = open_slot(calls_team)
    book(dan, dans)
    tuesday = open_slot(calls_team, TUESDAY)
    admin, drawn = admin_cancel_form(client, [dans, tuesday])
    # While the administrator types the reason, Dan gives it back and Gus books it.
    give_back(dan, dans)
    book(gus, dans)

    response = admin_apply(client, [dans, tuesday], admin, drawn)

    assert response.status_code == 302
    assert said(response) == [
        (
            "warning",
            "Mon 19 Jan 08:00-16:00: This shift has changed hands since you opened "
            "the page: it is now Gus Hill's. Nothing was cancelled.",
        ),
        ("success", "Cancelled 1 shifts."),
    ]
    dans.refresh_from_db()
    assert (dans.status, dans.staff, dans.cancel_reason) == (
        Shift.Status.BOOKED,
        gus,
        "",
    )
    assert statuses(tuesday) == [Shift.Status.CANCELLED]


def test_the_admins_cancel_of_a_slot_booked_meanwhile_withdraws_an_identical_one(
    clock, client, calls_team
):
    gus = named(calls_team, "Gus", "Hill")
    chosen, twin = open_slot(calls_team), open_slot(calls_team)
    admin, drawn = admin_cancel_form(client, [chosen])
    book(gus, chosen)

    response = admin_apply(client, [chosen], admin, drawn)

    assert said(response) == [
        (
            "success",
            "Cancelled 1 shifts. 1 open slots had been booked since you chose them: "
            "they stay booked, and an identical open slot was withdrawn for each "
            "instead.",
        )
    ]
    assert statuses(chosen, twin) == [Shift.Status.BOOKED, Shift.Status.CANCELLED]


# --- "Withdraw one" on the supervisor's page, sent twice ----------------------------


def withdraw_form(client, supervisor, slot) -> dict[str, str]:
    page = as_user(client, supervisor).get(
        reverse("staffing:shift_cancel", args=[slot.pk])
    )
    assert page.status_code == 200
    return dict(re.findall(HIDDEN, page.text))


def send_withdraw(client, supervisor, slot, hidden):
    return as_user(client, supervisor).post(
        reverse("staffing:shift_cancel", args=[slot.pk]),
        {"reason": "Too many slots", **hidden},
    )


WITHDREW_INSTEAD = (
    "Withdrew an open slot Mon 19 Jan 08:00-16:00: the one you opened has been "
    "booked since, so an identical open one was withdrawn instead."
)


def test_a_withdrawal_sent_twice_after_the_slot_was_booked_withdraws_one_slot(
    clock, client, calls_lead, calls_team
):
    gus = named(calls_team, "Gus", "Hill")
    a, b, c = open_slot(calls_team), open_slot(calls_team), open_slot(calls_team)
    hidden = withdraw_form(client, calls_lead, a)
    book(gus, a)

    first = send_withdraw(client, calls_lead, a, hidden)
    # The same form sent again (a double click without JavaScript, a resend).
    again = send_withdraw(client, calls_lead, a, hidden)

    assert first.status_code == again.status_code == 302
    assert said(again)[-1:] == [("success", WITHDREW_INSTEAD)]
    assert statuses(a, b, c) == [
        Shift.Status.BOOKED,
        Shift.Status.CANCELLED,
        Shift.Status.OPEN,
    ]


def test_a_withdrawal_sent_twice_is_told_it_was_done_not_refused(
    clock, client, calls_lead, calls_team
):
    slot, other = open_slot(calls_team), open_slot(calls_team)
    hidden = withdraw_form(client, calls_lead, slot)

    send_withdraw(client, calls_lead, slot, hidden)
    again = send_withdraw(client, calls_lead, slot, hidden)

    assert again.status_code == 302
    assert said(again)[-1:] == [
        ("success", "Withdrew the open slot Mon 19 Jan 08:00-16:00.")
    ]
    assert statuses(slot, other) == [Shift.Status.CANCELLED, Shift.Status.OPEN]


def test_a_second_slot_withdrawn_after_both_were_booked_withdraws_another(
    clock, client, calls_lead, calls_team
):
    """Two withdrawals opened side by side, each slot booked meanwhile: two acts,
    two identical open slots withdrawn."""
    gus, fay = named(calls_team, "Gus", "Hill"), named(calls_team, "Fay", "Lee")
    a, b, c, d = (open_slot(calls_team) for _ in range(4))
    on_a = withdraw_form(client, calls_lead, a)
    on_b = withdraw_form(client, calls_lead, b)
    book(gus, a)
    book(fay, b)

    first = send_withdraw(client, calls_lead, a, on_a)
    second = send_withdraw(client, calls_lead, b, on_b)

    assert said(first)[-1:] == said(second)[-1:] == [("success", WITHDREW_INSTEAD)]
    assert statuses(a, b, c, d) == [
        Shift.Status.BOOKED,
        Shift.Status.BOOKED,
        Shift.Status.CANCELLED,
        Shift.Status.CANCELLED,
    ]
