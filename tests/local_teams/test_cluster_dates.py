"""A cluster's visits across the turn of a year say both years.

Before, the cluster page gave the year once, the last visit's: visits from 28
December 2020 to 3 January 2021 read "28 December to 3 January 2021", as if the
first were in 2021 too. Now the first visit's year is said when it differs; within
one year the range reads as before.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f

from .builders import SHEFFIELD

pytestmark = pytest.mark.django_db


def visits_shown(client, first: dt.date, last: dt.date) -> str:
    setting = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="The Leadmill")
    cluster = f.ClusterFactory(
        setting=setting, first_visit_on=first, last_visit_on=last
    )
    page = client.get(reverse("escalations:cluster", args=[cluster.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    start = body.index(">Visits</dt>")
    return body[start:].split('value">', 1)[1].split("</dd>", 1)[0].strip()


def test_visits_across_the_new_year_say_both_years(clock, sheffield_client):
    shown = visits_shown(sheffield_client, dt.date(2020, 12, 28), dt.date(2021, 1, 3))

    assert shown == "28 December 2020 to 3 January 2021"


def test_visits_within_one_year_say_it_once(clock, sheffield_client):
    shown = visits_shown(sheffield_client, dt.date(2021, 1, 3), dt.date(2021, 1, 9))

    assert shown == "3 January to 9 January 2021"


def test_the_list_of_clusters_says_both_years_too(clock, sheffield_client):
    setting = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="The Leadmill")
    f.ClusterFactory(
        setting=setting,
        first_visit_on=dt.date(2020, 12, 28),
        last_visit_on=dt.date(2021, 1, 3),
    )

    listing = sheffield_client.get(reverse("escalations:clusters")).content.decode()

    assert "28 Dec 2020 to 3 Jan 2021" in listing
