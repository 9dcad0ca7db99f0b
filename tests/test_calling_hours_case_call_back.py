"""A case's call back: never after their own isolation ends (as a contact's), and
never holding their local team off for long: by a day past the deadline at most."""

from __future__ import annotations

import datetime as dt
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.workitem import Status
from tests import factories as f
from work.escalation import escalate_unreached

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def call_back(client, case, when: str):
    return client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "call_back", "call_back_at": when},
        follow=True,
    )


@pytest.fixture
def held_case(clock, caseworker):
    """Result in at 10:00 on Tue 12 Jan; isolation to the end of Wed 20 Jan; to the
    local team if not reached by 10:00 on Wed 13 Jan."""
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    assert case.isolation_ends_on == dt.date(2021, 1, 20)
    assert case.escalate_due_at == at(2021, 1, 13, 10, 0)
    return case


def test_a_call_back_after_a_cases_isolation_ends_is_refused_on_the_form(
    client, caseworker, held_case
):
    """Before, a call back on 2 Feb was taken, and the local team held off till
    then: nobody traced their contacts for three weeks."""
    client.force_login(caseworker)

    page = call_back(client, held_case, "2021-02-02T09:00")

    said = unescape(page.content.decode())
    assert "That is after their isolation ends (at the end of" in said
    held_case.refresh_from_db()
    assert held_case.attempts == 0
    assert not held_case.calls.exists()
    assert held_case.escalate_due_at == at(2021, 1, 13, 10, 0)


def test_the_api_refuses_a_cases_call_back_after_isolation_on_the_field(
    caseworker, held_case
):
    api = APIClient()
    api.force_authenticate(caseworker)

    answer = api.post(
        f"/api/v1/cases/{held_case.pk}/calls/",
        {"outcome": "call_back", "call_back_at": "2021-02-02T09:00:00Z"},
        format="json",
    )

    assert answer.status_code == 400
    assert "after their isolation ends" in answer.json()["call_back_at"][0]


def test_a_call_back_holding_the_local_team_off_past_a_day_is_refused(
    client, caseworker, held_case
):
    """Within their isolation, but days after their deadline: before, taken, and
    the local team held off till then."""
    client.force_login(caseworker)

    page = call_back(client, held_case, "2021-01-17T10:00")

    said = unescape(page.content.decode())
    assert "10:00 on Thu 14 Jan" in said
    held_case.refresh_from_db()
    assert not held_case.calls.exists()

    # Nothing held them back: the sweep sends them at their deadline.
    escalate_unreached(now=at(2021, 1, 13, 10, 1))
    held_case.refresh_from_db()
    assert held_case.status == Status.ESCALATED


def test_a_call_back_within_a_day_of_the_deadline_is_taken_and_tried(
    client, caseworker, held_case
):
    client.force_login(caseworker)

    page = call_back(client, held_case, "2021-01-14T09:00")

    said = unescape(page.content.decode())
    assert "Next attempt 09:00 on Thu 14 Jan" in said
    held_case.refresh_from_db()
    assert held_case.next_attempt_at == at(2021, 1, 14, 9, 0)
    assert held_case.escalate_due_at == at(2021, 1, 14, 11, 0)
