"""A withdrawn contact's page, as a supervisor opening it from a history sees it.

Before, its isolation card read "Their time to stay at home ended on <yesterday>...
Log the call as reached", as if their time had simply run out, for someone whose
only reason to stay at home was a result sent in error. Now it says the result
behind the contact was withdrawn and not to call them about it."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

from work.withdraw import case_withdraw

from .conftest import BEN, DECEMBER_7, named, positive

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(
        r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    )


def test_a_withdrawn_contacts_page_says_why_it_ended(client, supervisor):
    case = positive()
    ben = named(case, BEN)
    case_withdraw(case=case, reason="Sample mix-up", by=supervisor)
    client.force_login(supervisor)

    response = client.get(reverse("contacts:detail", args=[ben.pk]))
    page = text(response)

    assert "the positive result behind this contact was withdrawn" in page
    assert "Do not call them about it" in page
    assert "Log the call as reached" not in page
    assert 'name="outcome"' not in response.content.decode()  # no call to log
