"""Review of 67b702a: a safeguarding concern on a case its own answers completed
online (nobody held it), then the case's link sends more people than one link
takes, which reopens it (reached, in the pool: work.online.online_case_submit)
while the concern is still with the local team."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests.online.test_link_cap_reopens_case import (  # noqa: F401 (fixture)
    _fresh_allowance,
    pupils,
    school_case,
)
from work.assignment import item_assign
from work.calls import call_record

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def _completed_online_with_a_concern_then_reopened(client, supervisor):
    case, url = school_case()
    assert client.post(url, pupils(0)).status_code == 200
    case.refresh_from_db()
    assert case.status == Status.COMPLETED  # by its own answer, nobody holding it
    concern = call_record(
        item=case, caller=supervisor, outcome=Outcome.SAFEGUARDING, notes="Shouting"
    ).escalation
    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    # The rest of the year group, past the 30 one link takes: "Please call 119".
    for sending in range(1, 7):
        assert client.post(url, pupils(sending * 6)).status_code == 200
    case.refresh_from_db()
    return case, concern


def test_a_second_concern_on_the_reopened_case_is_refused_not_a_server_error(
    client, supervisor, caseworker
):
    """What a caseworker sees: the case completed online had a concern raised on it
    (with its local team, open); the person then sent more people than the link
    takes, which reopened the case to the pool; the caseworker who takes it hears a
    second concern and raises it on the case page. The page fails with a server
    error (IntegrityError: one_open_escalation_per_case): item_escalate refuses a
    second open concern only for a case still completed (tracing_over), and the
    reopen made the case "reached" under an open concern. Should: the second
    concern refused on the page saying which team has the first (as for a completed
    case), or the case not reopened under its concern. Fix in work/escalation.py
    item_escalate (_refuse_a_second_concern for any item with an open escalation)
    and/or work/online.py (case_takes_answers / mark_reopened_online while a
    concern is open)."""
    case, concern = _completed_online_with_a_concern_then_reopened(client, supervisor)
    assert concern.status == Escalation.Status.NEW
    item_assign(item=case, to=caseworker)
    page = Client(raise_request_exception=False)
    page.force_login(caseworker)

    response = page.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": Outcome.SAFEGUARDING, "notes": "More shouting"},
        follow=True,
    )

    assert response.status_code == 200
    body = response.content.decode()
    assert f"is with {concern.local_team.name} already" in body
    assert Escalation.objects.filter(case=case).count() == 1
