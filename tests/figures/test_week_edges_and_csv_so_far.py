"""The figures' first week and a week not over, as a user meets them.

- The weeks run from 1900 to 9000, whole weeks: the first week offers no Previous
  link (the week before starts in 1899), and a week out of range is refused on the
  page with the same reason the API gives.
- A CSV of a week not over says how far its figures run (`figures_until`, local
  time, ISO 8601): the figures page's and the utilisation page's alike. A week
  that is over runs to its end. The new column comes last: the others keep their
  places.

The test clock stands at Tuesday 12 January 2021, 10:00 GMT (tests/conftest.py).
"""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import Scope as ApiScope
from api.services import api_client_create
from figures.weekly import ISO, Period
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("figures:weekly")
CSV_URL = reverse("figures:weekly_csv")
API_URL = "/api/v1/figures/weekly/"

# The columns the figures CSV had before `figures_until`, in their order: a
# spreadsheet built on them keeps working.
FIRST_COLUMNS = ["weeks", "week", "starts_on", "ends_on", "scope", "cases_transferred"]
UTILISATION_COLUMNS = [
    "date",
    "username",
    "name",
    "hours_on_shift",
    "calls",
    "talk_minutes",
    "items_completed",
    "idle_share",
]


@pytest.fixture
def page(supervisor) -> Client:
    client = Client()
    client.force_login(supervisor)
    return client


@pytest.fixture
def api(db) -> APIClient:
    _, token = api_client_create(
        name="Dashboard national",
        scopes=[ApiScope.READ_FIGURES],
        local_team=None,
        rate_limit_per_minute=10_000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def rows_of(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def header_of(response) -> list[str]:
    return next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- the first week ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("week", "kind", "starts_on"),
    [("1900-01-04", "thu", "1900-01-04"), ("1900-W01", ISO, "1900-01-01")],
)
def test_the_first_week_shows_with_no_previous_link(clock, page, week, kind, starts_on):
    response = page.get(URL, {"week": week, "weeks": kind})

    assert response.status_code == 200
    assert response.context["period"].starts_on.isoformat() == starts_on
    html = response.content.decode()
    assert 'rel="prev"' not in html
    assert 'rel="next"' in html
    # Its trend starts with it: no week of 1899 in the charts or the CSV.
    assert response.context["trend_first"].starts_on.isoformat() == starts_on
    export = page.get(CSV_URL, {"week": week, "weeks": kind})
    assert [row["starts_on"] for row in rows_of(export)] == [starts_on]


def test_the_second_week_links_back_to_the_first(clock, page):
    html = page.get(URL, {"week": "1900-01-11"}).content.decode()

    assert 'href="?week=1900-01-04&amp;weeks=thu&amp;scope=england" rel="prev"' in html


@pytest.mark.parametrize(
    ("week", "kind"),
    [
        ("1900-01-01", "thu"),  # a Monday: its Thursday week starts in 1899
        ("1899-12-28", "thu"),
        ("1899-W52", ISO),
        ("0001-01-01", "thu"),
    ],
)
def test_a_week_before_1900_is_refused_with_the_apis_reason(
    clock, page, api, week, kind
):
    answer = api.get(API_URL, {"week": week, "weeks": kind})
    response = page.get(URL, {"week": week, "weeks": kind})

    assert (answer.status_code, response.status_code) == (400, 400)
    (reason,) = answer.json()["week"]
    assert "between 1900 and 9000" in reason
    assert response.context["form"].errors["week"] == [reason]


def test_the_week_before_the_first_is_out_of_range_in_words():
    first = Period.parse("1900-01-04")

    assert first.out_of_range() == ""
    assert "between 1900 and 9000" in first.previous().out_of_range()
    with pytest.raises(ValueError, match="starts on Thursday 28 December 1899"):
        Period.parse("1900-01-01")


# --- the CSVs of a week not over ------------------------------------------------------


def test_the_figures_csv_of_the_week_under_way_runs_to_now(clock, page):
    response = page.get(CSV_URL, {"week": "2021-01-12"})  # Thursday 7 to Wed 13

    header = header_of(response)
    assert header[: len(FIRST_COLUMNS)] == FIRST_COLUMNS
    assert header[-1] == "figures_until"
    rows = rows_of(response)
    assert rows[-1]["week"] == "2021-01-07"
    assert rows[-1]["figures_until"] == "2021-01-12T10:00:00+00:00"
    # The weeks over run to their end: local midnight after their last day.
    assert rows[-2]["week"] == "2020-12-31"
    assert rows[-2]["figures_until"] == "2021-01-07T00:00:00+00:00"
    assert rows[0]["figures_until"] == "2020-11-26T00:00:00+00:00"


def test_the_utilisation_csv_of_the_week_under_way_runs_to_now(clock, client):
    team = f.TeamFactory(name="Clinical North", tier=2)
    lead = f.StaffProfileFactory(
        clinical=True, is_supervisor=True, team=team, organisation=team.organisation
    )
    client.force_login(lead.user)

    now = client.get(reverse("staffing:utilisation_csv"), {"week": "2021-01-12"})
    before = client.get(reverse("staffing:utilisation_csv"), {"week": "2021-01-05"})

    assert header_of(now) == [*UTILISATION_COLUMNS, "figures_until"]
    assert {row["figures_until"] for row in rows_of(now)} == {
        "2021-01-12T10:00:00+00:00"
    }
    assert {row["figures_until"] for row in rows_of(before)} == {
        "2021-01-11T00:00:00+00:00"
    }
