"""A supervisor's cancel page sends the holder and status it showed: a shift that
changed hands since is not cancelled from under its new holder (before, Dan's
"Cancel Dan Price's shift" cancelled Gus's booking of the same slot, and "Withdraw
one" of two open slots cancelled the one Gus had just booked). And the rota's
changes each write an audit event, as the README says: a booking, a shift given
back, a new starter's call reviewed, a training module made or marked required in
the admin (before, none of them did)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEvent
from calls.models import Outcome
from cases.workitem import Status
from staffing.models import CallReview, Shift, Tier, TrainingModule
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin
from work.calls import call_record

from .conftest import NOW, at, member

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 1, 19)  # the week after NOW
REASON = "Dan asked for the day off"


def open_slot(team) -> Shift:
    start = at(MONDAY, 8)
    return Shift.objects.create(
        tier=team.tier, team=team, starts_at=start, ends_at=at(MONDAY, 16)
    )


def dan_and_gus(team):
    dan = member(team, on_shift=False, user__first_name="Dan", user__last_name="Price")
    gus = member(team, on_shift=False, user__first_name="Gus", user__last_name="Hill")
    return dan, gus


def as_user(client, profile):
    client.force_login(profile.user)
    return client


def cancel_form_as_drawn(client, supervisor, shift) -> tuple[str, dict[str, str]]:
    """The supervisor opens the cancel page: its text and the fields it will send."""
    page = as_user(client, supervisor).get(
        reverse("staffing:shift_cancel", args=[shift.pk])
    )
    assert page.status_code == 200
    hidden = dict(
        re.findall(
            r'<input type="hidden" name="(shown_\w+)" value="([^"]*)"', page.text
        )
    )
    return page.text, hidden


def send_cancel(client, supervisor, shift, hidden):
    return as_user(client, supervisor).post(
        reverse("staffing:shift_cancel", args=[shift.pk]),
        {"reason": REASON, **hidden},
    )


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def text_of(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_a_shift_given_back_and_booked_by_another_is_not_cancelled(
    clock, client, calls_lead, calls_team
):
    dan, gus = dan_and_gus(calls_team)
    slot = open_slot(calls_team)
    as_user(client, dan).post(reverse("staffing:shift_book", args=[slot.pk]))
    page, hidden = cancel_form_as_drawn(client, calls_lead, slot)
    assert "Cancel Dan Price's shift" in text_of(page)
    # Dan gives it back and Gus books it while the supervisor types the reason.
    as_user(client, dan).post(reverse("staffing:shift_release", args=[slot.pk]))
    as_user(client, gus).post(reverse("staffing:shift_book", args=[slot.pk]))

    response = send_cancel(client, calls_lead, slot, hidden)

    assert response.status_code == 200
    shown = text_of(response.text)
    assert (
        "This shift has changed hands since you opened the page: it is now Gus "
        "Hill's. Nothing was cancelled." in shown
    )
    assert "Cancel Gus Hill's shift" in shown  # drawn again as it now stands
    assert REASON in shown  # the reason typed is kept
    slot.refresh_from_db()
    assert (slot.status, slot.staff) == (Shift.Status.BOOKED, gus)
    mine = as_user(client, gus).get(reverse("staffing:my_shifts"), {"week": MONDAY})
    assert REASON not in text_of(mine.text)


def test_withdrawing_a_slot_booked_meanwhile_withdraws_its_open_twin(
    clock, client, calls_lead, calls_team
):
    _, gus = dan_and_gus(calls_team)
    first, second = open_slot(calls_team), open_slot(calls_team)
    page, hidden = cancel_form_as_drawn(client, calls_lead, first)
    assert "Withdraw an open slot" in page
    as_user(client, gus).post(reverse("staffing:shift_book", args=[first.pk]))

    response = send_cancel(client, calls_lead, first, hidden)

    assert response.status_code == 302
    assert said(response)[-1:] == [
        "Withdrew an open slot Mon 19 Jan 08:00-16:00: the one you opened has been "
        "booked since, so an identical open one was withdrawn instead."
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.staff) == (Shift.Status.BOOKED, gus)
    assert (second.status, second.staff) == (Shift.Status.CANCELLED, None)


def test_withdrawing_a_slot_booked_meanwhile_with_no_twin_open_is_refused(
    clock, client, calls_lead, calls_team
):
    _, gus = dan_and_gus(calls_team)
    slot = open_slot(calls_team)
    _, hidden = cancel_form_as_drawn(client, calls_lead, slot)
    as_user(client, gus).post(reverse("staffing:shift_book", args=[slot.pk]))

    response = send_cancel(client, calls_lead, slot, hidden)

    assert response.status_code == 200
    assert (
        "This slot has been booked since you opened the page: it is now Gus Hill's, "
        "and no identical slot is left open. Nothing was withdrawn."
        in text_of(response.text)
    )
    slot.refresh_from_db()
    assert (slot.status, slot.staff) == (Shift.Status.BOOKED, gus)


def events_on(obj) -> list[tuple[str, object, dict]]:
    return [
        (e.action, e.user, e.detail)
        for e in AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk)
        ).order_by("at", "pk")
    ]


def test_booking_and_giving_back_a_slot_are_audited(clock, client, calls_team):
    _, gus = dan_and_gus(calls_team)
    slot = open_slot(calls_team)
    as_user(client, gus).post(reverse("staffing:shift_book", args=[slot.pk]))
    as_user(client, gus).post(reverse("staffing:shift_release", args=[slot.pk]))

    assert events_on(slot) == [
        ("update", gus.user, {"shift": "booked", "staff": gus.pk}),
        ("update", gus.user, {"shift": "given back", "staff": gus.pk}),
    ]


def test_a_new_starters_call_reviewed_is_audited(clock, client, calls_lead, calls_team):
    starter = member(calls_team, new_starter=True)
    contact = f.ContactFactory(
        case__status=Status.COMPLETED,
        status=Status.ASSIGNED,
        assignee=starter.user,
        assigned_at=NOW,
    )
    call_record(
        item=contact,
        caller=starter.user,
        outcome=Outcome.NO_ANSWER,
        duration_seconds=60,
        now=NOW,
    )
    review = CallReview.objects.get()
    as_user(client, calls_lead).post(
        reverse("staffing:review", args=[review.pk]),
        {f"r{review.pk}-verdict": "needs_support", f"r{review.pk}-note": "Pace"},
    )

    assert events_on(review) == [
        (
            "update",
            calls_lead.user,
            {
                "reviewed": True,
                "verdict": "needs_support",
                "call": review.call_id,
                "caller": starter.user.pk,
            },
        )
    ]


def test_a_training_module_made_and_marked_required_in_the_admin_is_audited(
    client, django_user_model
):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    client.force_login(admin)
    response = client.post(
        reverse("admin:staffing_trainingmodule_add"),
        {"name": "Safeguarding refresher", "tier": str(Tier.CALL_HANDLER)},
    )
    assert response.status_code == 302
    module = TrainingModule.objects.get(name="Safeguarding refresher")
    assert module.required is False

    save_in_admin(client, module, required="on")

    assert events_on(module) == [
        (
            "create",
            admin,
            {
                "training_module": "created",
                "name": "Safeguarding refresher",
                "tier": Tier.CALL_HANDLER,
                "tier_name": Tier.CALL_HANDLER.label,
                "required": False,
            },
        ),
        (
            "update",
            admin,
            {
                "training_module": "Safeguarding refresher",
                "required": {"from": False, "to": True},
            },
        ),
    ]
