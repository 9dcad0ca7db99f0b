"""Review of 67b702a: the caseworker's page of a case completed before a
safeguarding concern was raised on it, while the concern is open with the team."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

OFFER = "A concern you heard on the call goes to their local team at once"


def test_the_case_page_says_the_open_concern_is_with_the_team(
    concern, completed_case, caseworker, client
):
    """What the caseworker sees on their completed case once the concern is with
    Sheffield's team: nothing saying where it is (only the note), and the form
    "Raise a safeguarding concern ... goes to their local team at once", which can
    only be refused while the first is open ("is with Sheffield Public Health
    already ... Nothing was logged"). Before 67b702a the case was "With local
    team"; now it reads "Completed" with no trace of the open escalation. Should:
    the page says the concern is with Sheffield Public Health (open, since when),
    and does not offer a form that will be refused. Fix in pages/desk/cases.py
    (_case_page: the case's open escalation) and templates/calls/_call_panel.html."""
    client.force_login(caseworker)

    page = client.get(reverse("cases:detail", args=[completed_case.pk]))

    body = page.content.decode()
    assert "Sheffield Public Health" in body
    assert OFFER not in body
