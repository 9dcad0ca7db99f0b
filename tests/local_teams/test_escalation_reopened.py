"""An escalation closed by mistake ("Reached and advised" for someone never reached)
is reopened by who closed it, or by the team's supervisor, within a week, with a
reason: it comes back picked up, the item escalated again and no longer counted as
reached, the mistaken close kept in its history; then it is closed again with the
right outcome. Before, the page had no form left once closed, a second close did
nothing, and the person counted as reached by the local team for good."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from cases.workitem import Status
from escalations.models import Escalation
from figures.weekly import Period, Scope, weekly_figures
from work.escalation import escalation_claim

from .builders import LONDON, NOW, escalated_contact

pytestmark = pytest.mark.django_db

PROBLEM = "There is a problem"
NOT_SAVED = "This was not saved"
# The week of NOW (Thursday 7 to Wednesday 13 January) is settled from the 17th:
# its figures are cached for a day.
SETTLED = dt.datetime(2021, 1, 17, 12, 0, tzinfo=LONDON)
WEEK = Period.containing(NOW.date())


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def text(response) -> str:
    return response.content.decode()


@pytest.fixture
def claimed(clock, sheffield_member):
    escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=sheffield_member)
    return escalation


def close(client, escalation, outcome: str = "reached", note: str = ""):
    return client.post(url("close", escalation), {"outcome": outcome, "note": note})


def reopen_form(client, escalation) -> dict[str, str]:
    """The reopen form as the escalation's page draws it (its submission hidden)."""
    page = client.get(url("detail", escalation))
    assert f'action="{url("reopen", escalation)}' in text(page)
    return {
        "reason": "Clicked the wrong outcome: nobody was home.",
        "submission": str(page.context["reopen_form"].initial["submission"]),
    }


def test_the_closer_reopens_a_mistaken_close_and_closes_it_again(
    claimed, sheffield_client, sheffield_member
):
    close(sheffield_client, claimed)
    contact = claimed.item
    contact.refresh_from_db()
    assert contact.reached_at is not None

    response = sheffield_client.post(
        url("reopen", claimed), reopen_form(sheffield_client, claimed), follow=True
    )

    assert response.status_code == 200
    page = text(response)
    assert "Reopened" in page
    assert "closed as “Reached and advised” by" in page  # the mistaken close kept
    assert "Clicked the wrong outcome: nobody was home." in page
    assert f'action="{url("close", claimed)}' in page  # to be closed again
    claimed.refresh_from_db()
    contact.refresh_from_db()
    assert claimed.status == Escalation.Status.PICKED_UP
    assert claimed.picked_up_by == sheffield_member
    assert (claimed.closed_at, claimed.outcome) == (None, "")
    assert contact.status == Status.ESCALATED
    assert (contact.closed_at, contact.reached_at, contact.reached_route) == (
        None,
        None,
        "",
    )

    close(sheffield_client, claimed, outcome="not_found", note="Nobody home")

    claimed.refresh_from_db()
    contact.refresh_from_db()
    assert claimed.outcome == Escalation.Outcome.NOT_FOUND
    assert contact.status == Status.CLOSED
    assert contact.reached_at is None


def test_a_reopen_sent_twice_is_done_once(claimed, sheffield_client):
    close(sheffield_client, claimed)
    sent = reopen_form(sheffield_client, claimed)

    sheffield_client.post(url("reopen", claimed), sent)
    again = sheffield_client.post(url("reopen", claimed), sent, follow=True)

    assert PROBLEM not in text(again)
    assert claimed.actions.filter(kind="reopened").count() == 1


def test_a_reason_is_required(claimed, sheffield_client):
    close(sheffield_client, claimed)
    sent = reopen_form(sheffield_client, claimed)
    sent["reason"] = "  "

    response = sheffield_client.post(url("reopen", claimed), sent)

    assert response.status_code == 400
    assert "Say why you are reopening it" in text(response)
    claimed.refresh_from_db()
    assert claimed.status == Escalation.Status.CLOSED


def test_a_colleague_who_did_not_close_it_cannot_reopen_it(
    claimed, client, sheffield_client, sheffield_colleague
):
    close(sheffield_client, claimed)
    client.force_login(sheffield_colleague)

    page = client.get(url("detail", claimed))
    assert url("reopen", claimed) not in text(page)

    response = client.post(
        url("reopen", claimed), {"reason": "Not mine but wrong"}, follow=True
    )

    page = text(response)
    assert "Only who closed it, or the team" in page
    assert NOT_SAVED in page
    assert "Not mine but wrong" in page  # what was typed, kept
    claimed.refresh_from_db()
    assert claimed.status == Escalation.Status.CLOSED


def test_the_teams_supervisor_reopens_a_colleagues_close(
    claimed, client, sheffield_client, sheffield_supervisor
):
    close(sheffield_client, claimed)
    client.force_login(sheffield_supervisor)

    client.post(url("reopen", claimed), reopen_form(client, claimed))

    claimed.refresh_from_db()
    assert claimed.status == Escalation.Status.PICKED_UP
    assert claimed.picked_up_by == sheffield_supervisor


def test_no_reopening_after_a_week(claimed, clock, sheffield_client, sheffield_member):
    close(sheffield_client, claimed)
    clock.shift(dt.timedelta(days=7, minutes=1))
    sheffield_client.force_login(sheffield_member)  # a new day's session

    page = sheffield_client.get(url("detail", claimed))
    assert url("reopen", claimed) not in text(page)

    response = sheffield_client.post(
        url("reopen", claimed), {"reason": "Too late"}, follow=True
    )
    assert "within 7 days" in text(response)
    claimed.refresh_from_db()
    assert claimed.status == Escalation.Status.CLOSED


def test_a_send_back_is_not_reopened(claimed, sheffield_client):
    sheffield_client.post(url("return", claimed), {"note": "New number found"})

    page = sheffield_client.get(url("detail", claimed))
    assert url("reopen", claimed) not in text(page)
    response = sheffield_client.post(
        url("reopen", claimed), {"reason": "Oops"}, follow=True
    )
    assert "sent back" in text(response)
    claimed.refresh_from_db()
    assert claimed.outcome == Escalation.Outcome.RETURNED


def test_the_weekly_figures_no_longer_count_the_reach(
    claimed, clock, sheffield_client, django_capture_on_commit_callbacks
):
    """The week is settled, its figures cached for a day: the reach taken back is
    seen at once, not the next day."""
    clock.move_to(SETTLED)
    england = Scope.england()
    close(sheffield_client, claimed)
    assert weekly_figures(period=WEEK, scope=england).contacts.reached == 1

    sent = reopen_form(sheffield_client, claimed)
    with django_capture_on_commit_callbacks(execute=True):
        sheffield_client.post(url("reopen", claimed), sent)

    assert weekly_figures(period=WEEK, scope=england).contacts.reached == 0
