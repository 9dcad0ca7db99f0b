"""The capacity page's tables by day list the 14 days the page is about, today to
13 days on, and each day listed opens its hours. Before, the forecast's 336 hours
from the current hour reached ten hours into a 15th day, listed as a day of its own
(its need a fraction of a day's, reading as a quiet day), and its link was refused:
"Choose a day of the next 14 days."."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.conftest import NOW

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # Tuesday 12 January 2021, 10:00
LAST_DAY = TODAY + dt.timedelta(days=13)


def test_each_day_in_full_lists_the_fourteen_days_and_each_opens(client, lead, clock):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"))
    links = sorted(set(re.findall(r'href="\?day=(\d{4}-\d\d-\d\d)', page.text)))
    assert links[0] == TODAY.isoformat()
    assert links[-1] == LAST_DAY.isoformat()
    assert len(links) == 14
    beside = re.findall(r'data-day="(\d{4}-\d\d-\d\d)"', page.text)
    assert len(beside) == 2 * 14  # each tier's table beside its chart
    last = client.get(reverse("staffing:capacity"), {"day": links[-1]})
    assert "Choose a day of the next 14 days." not in last.text
    assert last.context["day"] == LAST_DAY
    assert 'data-hour="2021-01-25T23:00:00+00:00"' in last.text


def test_the_morning_past_the_fourteen_days_is_no_day_to_ask_for(client, lead, clock):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"), {"day": "2021-01-26"})
    assert "Choose a day of the next 14 days." in page.text
    assert 'href="?day=2021-01-26' not in page.text
