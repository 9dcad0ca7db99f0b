"""What the page says after a call is what the call did."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_needs_an_interpreter_on_a_case_reached_says_it_stays_theirs(
    client, caseworker
):
    """Before, it said the case had gone back to the pool, while it stayed reached
    and held by them."""
    case = f.CaseFactory(status=Status.REACHED, assignee=caseworker)
    client.force_login(caseworker)

    page = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "needs_interpreter"},
        follow=True,
    ).content.decode()

    assert "It is noted on their record." in page
    assert "gone back to the pool" not in page
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.REACHED, caseworker)
