"""An escalation a colleague picked up at 10:00, given by the team's supervisor to
another member at 11:00, tells both in its history: "Picked up 10:00 · the
colleague", then "Given to the member 11:00 · the supervisor". The page's summary,
the API and the export say the member has held it since 11:00. Before, the
escalation kept the colleague's pick-up time beside the new holder's name, and the
history read "Picked up 10:00 · the member", as if they had picked it up then."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from audit.services import audit_record
from escalations.models import Escalation
from work.escalation import escalation_claim, escalation_close

from .builders import escalated_contact

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)


def page(client, escalation: Escalation) -> str:
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def history(client, escalation: Escalation) -> list[str]:
    """The history's rows as the page draws them, each its text in one line."""
    timeline = page(client, escalation).split('id="history"', 1)[1]
    rows = re.findall(r"<li[^>]*>(.*?)</li>", timeline.split("</ol>", 1)[0], re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows]


def holding(rows: list[str]) -> list[str]:
    """The rows that say who had it: pick-ups and hand-overs."""
    return [row for row in rows if row.startswith(("Picked up", "Given to"))]


def name(user) -> str:
    return user.get_full_name() or user.username


def give(client, escalation: Escalation, to) -> None:
    response = client.post(
        reverse("escalations:reassign", args=[escalation.pk]), {"to": to.pk}
    )
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def picked_up(clock, sheffield_member):
    """Picked up by a Sheffield member at 10:00; the clock then at 11:00."""
    escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=sheffield_member)
    clock.shift(HOUR)
    return escalation


def test_the_history_keeps_the_pick_up_and_tells_the_hand_over(
    picked_up, client, sheffield_member, sheffield_colleague, sheffield_supervisor
):
    client.force_login(sheffield_supervisor)

    give(client, picked_up, sheffield_colleague)

    assert holding(history(client, picked_up)) == [
        f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}",
        f"Given to {name(sheffield_colleague)} Tue 12 Jan 11:00 · "
        f"{name(sheffield_supervisor)}",
    ]
    # Held by the colleague since the hand-over, as the summary and the API say.
    assert f"{name(sheffield_colleague)}, Tue 12 Jan 11:00</dd>" in page(
        client, picked_up
    )
    http = APIClient()
    http.force_login(sheffield_colleague)
    given = http.get(f"/api/v1/escalations/{picked_up.pk}/").json()
    assert given["picked_up_by"] == sheffield_colleague.pk
    assert given["picked_up_at"] == "2021-01-12T11:00:00Z"


def test_given_on_again_every_hand_over_is_told_once(
    picked_up,
    clock,
    client,
    sheffield_member,
    sheffield_colleague,
    sheffield_supervisor,
):
    client.force_login(sheffield_supervisor)
    give(client, picked_up, sheffield_colleague)
    clock.shift(HOUR)

    give(client, picked_up, sheffield_member)

    assert holding(history(client, picked_up)) == [
        f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}",
        f"Given to {name(sheffield_colleague)} Tue 12 Jan 11:00 · "
        f"{name(sheffield_supervisor)}",
        f"Given to {name(sheffield_member)} Tue 12 Jan 12:00 · "
        f"{name(sheffield_supervisor)}",
    ]


def test_a_new_escalation_given_to_a_member_was_never_picked_up(
    clock, client, sheffield_colleague, sheffield_supervisor
):
    escalation = escalated_contact()
    client.force_login(sheffield_supervisor)

    give(client, escalation, sheffield_colleague)

    assert holding(history(client, escalation)) == [
        f"Given to {name(sheffield_colleague)} Tue 12 Jan 10:00 · "
        f"{name(sheffield_supervisor)}"
    ]


def test_reopened_after_a_hand_over_each_holder_is_told_once(
    picked_up,
    clock,
    client,
    sheffield_member,
    sheffield_colleague,
    sheffield_supervisor,
):
    client.force_login(sheffield_supervisor)
    give(client, picked_up, sheffield_colleague)
    clock.shift(HOUR)
    escalation_close(
        escalation=picked_up, outcome="reached", note="", by=sheffield_colleague
    )
    clock.shift(HOUR)
    reopen_page = client.get(reverse("escalations:detail", args=[picked_up.pk]))
    submission = reopen_page.context["reopen_form"].initial["submission"]
    response = client.post(
        reverse("escalations:reopen", args=[picked_up.pk]),
        {"reason": "Closed as reached by mistake.", "submission": str(submission)},
    )
    assert response.status_code == 302

    assert holding(history(client, picked_up)) == [
        f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}",
        f"Given to {name(sheffield_colleague)} Tue 12 Jan 11:00 · "
        f"{name(sheffield_supervisor)}",
        f"Picked up on reopening Tue 12 Jan 13:00 · {name(sheffield_supervisor)}",
    ]


def test_a_hand_over_recorded_before_it_kept_the_pick_up_is_told_too(
    picked_up, client, sheffield_member, sheffield_colleague, sheffield_supervisor
):
    """Given before a hand-over restamped the pick-up time and kept the one it
    replaced: the colleague's name beside the member's 10:00, the trail's "from"."""
    Escalation.objects.filter(pk=picked_up.pk).update(picked_up_by=sheffield_colleague)
    audit_record(
        user=sheffield_supervisor,
        action=AuditEvent.Action.REASSIGN,
        obj=picked_up.item,
        detail={
            "escalation": picked_up.pk,
            "from": sheffield_member.pk,
            "to": sheffield_colleague.pk,
        },
    )
    client.force_login(sheffield_supervisor)

    assert holding(history(client, picked_up)) == [
        f"Picked up Tue 12 Jan 10:00 · {name(sheffield_member)}",
        f"Given to {name(sheffield_colleague)} Tue 12 Jan 11:00 · "
        f"{name(sheffield_supervisor)}",
    ]
