"""The caseworker who takes a case back from the pool, its person having entered
more people online than one link takes, is told on the case page how many were not
saved: the person was asked to call 119 about them."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from tests.online.test_link_cap_reopens_case import (
    _fresh_allowance,  # noqa: F401 (a fixture, used by name)
    school_case,
    send_the_year_group,
)
from work.assignment import assign_work

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def test_the_case_page_says_how_many_people_were_not_saved_online(client, caseworker):
    case, url = school_case()
    send_the_year_group(client, url, 7)  # 42 people: 12 past the link's 30
    assign_work()

    client.force_login(caseworker)
    page = unescape(
        client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    )

    assert 'data-testid="online-not-saved"' in page
    assert "12 people they entered online could not be saved" in page
    assert "call 119" in page


def test_the_case_page_says_nothing_of_it_when_all_were_saved(client, supervisor):
    case, url = school_case()
    send_the_year_group(client, url, 1)

    client.force_login(supervisor)
    response = client.get(reverse("cases:detail", args=[case.pk]))

    assert response.status_code == 200
    assert 'data-testid="online-summary"' in response.content.decode()
    assert 'data-testid="online-not-saved"' not in response.content.decode()
