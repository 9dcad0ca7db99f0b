"""An escalation reopened by the team's supervisor, when a colleague had picked it up
and closed it, is the supervisor's to close again: but the colleague's pick-up stays
in its history, when and by whom, beside the supervisor's picking it up on
reopening. Before, the reopening overwrote the pick-up and the history showed only
the supervisor's, as if the colleague had never had it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from escalations.models import Escalation
from work.escalation import escalation_claim, escalation_close

from .builders import escalated_contact

pytestmark = pytest.mark.django_db

REASON = "Closed as reached by mistake: nobody was home."


def history(client, escalation: Escalation) -> list[str]:
    """The history's rows as the page draws them, each its text in one line."""
    page = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert page.status_code == 200
    timeline = page.content.decode().split('id="history"', 1)[1].split("</ol>", 1)[0]
    rows = re.findall(r"<li[^>]*>(.*?)</li>", timeline, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def name(user) -> str:
    return user.get_full_name() or user.username


def reopen(client, escalation: Escalation) -> None:
    page = client.get(reverse("escalations:detail", args=[escalation.pk]))
    submission = page.context["reopen_form"].initial["submission"]
    response = client.post(
        reverse("escalations:reopen", args=[escalation.pk]),
        {"reason": REASON, "submission": str(submission)},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def closed_by_member(clock, sheffield_member):
    """Picked up by a Sheffield member at 10:00, closed by them at 11:00."""
    escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=sheffield_member)
    clock.shift(dt.timedelta(hours=1))
    escalation_close(
        escalation=escalation, outcome="reached", note="", by=sheffield_member
    )
    clock.shift(dt.timedelta(hours=1))
    return escalation


def test_a_supervisors_reopening_keeps_the_colleagues_pick_up_in_the_history(
    closed_by_member, client, sheffield_member, sheffield_supervisor
):
    client.force_login(sheffield_supervisor)

    reopen(client, closed_by_member)

    rows = history(client, closed_by_member)
    assert f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}" in rows
    picked_up = [row for row in rows if row.startswith("Picked up")]
    assert picked_up == [
        f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}",
        f"Picked up on reopening Tue 12 Jan 12:00 · {name(sheffield_supervisor)}",
    ]
    # In that order, the reopening before the pick-up it made.
    reopened = next(i for i, row in enumerate(rows) if row.startswith("Reopened"))
    assert rows[reopened + 1].startswith("Picked up on reopening")
    # The supervisor holds it now, as the page's summary says.
    closed_by_member.refresh_from_db()
    assert closed_by_member.picked_up_by == sheffield_supervisor
    # Closed again, and seen by the colleague: both pick-ups still there.
    client.post(
        reverse("escalations:close", args=[closed_by_member.pk]),
        {"outcome": "not_found", "note": "Nobody home"},
    )
    client.force_login(sheffield_member)
    assert [
        row for row in history(client, closed_by_member) if row.startswith("Picked up")
    ] == picked_up


def test_reopened_by_who_picked_it_up_the_pick_up_is_told_once(
    closed_by_member, sheffield_client, sheffield_member
):
    reopen(sheffield_client, closed_by_member)

    rows = history(sheffield_client, closed_by_member)
    assert [row for row in rows if row.startswith("Picked up")] == [
        f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}"
    ]
