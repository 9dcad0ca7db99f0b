"""GET /api/v1/figures/weekly/: reached, and reached within 24 hours, by route.

(The figures themselves are tested by hand in tests/figures/.)"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases.workitem import Route, Status
from figures.weekly import ISO, Period, Scope, weekly_figures
from tests import factories as f

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
# ISO week 47 of 2026: Monday 16 to Sunday 22 November.
MONDAY = dt.datetime(2026, 11, 16, 9, 0, tzinfo=LONDON)
WEEK_47 = {"weeks": "iso", "week": "2026-W47"}


def reached_case(*, created, after_hours, route=Route.NATIONAL):
    return f.CaseFactory(
        created_at=created,
        status=Status.COMPLETED,
        reached_at=created + dt.timedelta(hours=after_hours),
        reached_route=route,
    )


@pytest.fixture
def week_47():
    reached_case(created=MONDAY, after_hours=3)
    reached_case(created=MONDAY, after_hours=30)
    reached_case(
        created=MONDAY + dt.timedelta(days=2), after_hours=50, route=Route.LOCAL
    )
    f.CaseFactory(created_at=MONDAY + dt.timedelta(days=6, hours=14))  # Sunday night
    f.CaseFactory(created_at=MONDAY - dt.timedelta(hours=10))  # the week before
    contact = f.ContactFactory(
        created_at=MONDAY,
        status=Status.REACHED,
        reached_at=MONDAY + dt.timedelta(hours=1),
        reached_route=Route.ONLINE,
    )
    f.ContactFactory(created_at=MONDAY, case=contact.case)


def test_weekly_figures_count_the_weeks_cases_by_route(api, week_47):
    body = api.get("/api/v1/figures/weekly/", WEEK_47).json()
    assert body["period"]["starts_on"] == "2026-11-16"
    assert body["cases"]["transferred"] == 4
    assert body["cases"]["reached"] == 3
    assert body["cases"]["within_24h"] == 1
    # Reached by the national call centres with no call recorded: tier 2 (cases).
    assert body["cases"]["by_route"]["tier2"] == {"reached": 2, "within_24h": 1}
    assert body["cases"]["by_route"]["tier3"] == {"reached": 0, "within_24h": 0}
    assert body["cases"]["by_route"]["local"] == {"reached": 1, "within_24h": 0}


def test_weekly_figures_count_the_weeks_contacts_by_route(api, week_47):
    body = api.get("/api/v1/figures/weekly/", WEEK_47).json()
    assert body["contacts"]["identified"] == 2
    assert body["contacts"]["by_route"]["online"] == {"reached": 1, "within_24h": 1}


def test_weekly_figures_default_to_the_last_complete_week(api, week_47):
    with time_machine.travel(dt.datetime(2026, 11, 25, 12, tzinfo=LONDON)):
        iso = api.get("/api/v1/figures/weekly/", {"weeks": "iso"}).json()
        thursdays = api.get("/api/v1/figures/weekly/").json()
    assert iso["period"]["key"] == "2026-W47"
    assert iso["cases"]["transferred"] == 4
    # Wednesday 25 November: the last complete Thursday week is 12-18 November.
    assert thursdays["period"]["key"] == "2026-11-12"
    assert thursdays["period"]["kind"] == "thu"


def test_weekly_figures_take_five_queries_whatever_the_volume(
    week_47, django_assert_num_queries
):
    # Cases, contacts, times, the staff's shifts and calls, and the savepoint,
    # set_config and release of the transaction's memory setting; before them the
    # marker of the forgettings the cache missed (forgotten_in_database).
    with django_assert_num_queries(1 + 5 + 3):
        weekly_figures(period=Period.parse("2026-W47", ISO), scope=Scope.england())


@pytest.mark.parametrize(
    "week", ["2026-47", "2026-W54", "soon", "0000-W01", "2026-02-30"]
)
def test_bad_week_is_400(api, week):
    response = api.get("/api/v1/figures/weekly/", {"weeks": "iso", "week": week})
    assert response.status_code == 400
    assert "week" in response.json()


def test_local_team_member_may_read_the_figures(local_team_member):
    from rest_framework.test import APIClient

    http = APIClient()
    http.force_login(local_team_member)
    assert http.get("/api/v1/figures/weekly/").status_code == 200
