"""GET /api/v1/figures/weekly/: the week, the kind of week, the scope, and who may
ask for which."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope as ApiScope
from api.services import api_client_create
from cases.workitem import Route, Status
from tests import factories as f

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
URL = "/api/v1/figures/weekly/"
# Wednesday 20 January 2021: the last complete Thursday week is 7-13 January.
AFTER = dt.datetime(2021, 1, 20, 12, 0, tzinfo=LONDON)


def client_for(*, local_team=None, scopes=(ApiScope.READ_FIGURES,)) -> APIClient:
    _, token = api_client_create(
        name=f"Dashboard {local_team.code if local_team else 'national'}",
        scopes=list(scopes),
        local_team=local_team,
        rate_limit_per_minute=10_000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


@pytest.fixture
def national(db):
    return client_for()


@pytest.fixture
def sheffield(db):
    return f.area()


@pytest.fixture
def cases(sheffield):
    """Thursday 7 January: a Sheffield case reached online in an hour, and its
    contact; a case elsewhere, not reached; Monday 4 January (ISO week 1, the
    Thursday week before): one more in Sheffield."""
    thursday = dt.datetime(2021, 1, 7, 9, tzinfo=LONDON)
    reached = f.CaseFactory(
        created_at=thursday,
        status=Status.COMPLETED,
        reached_at=thursday + dt.timedelta(hours=1),
        reached_route=Route.ONLINE,
    )
    f.ContactFactory(case=reached, created_at=thursday)
    other = f.AreaFactory()
    f.CaseFactory(created_at=thursday, person=f.PersonFactory(area=other))
    f.CaseFactory(created_at=dt.datetime(2021, 1, 4, 9, tzinfo=LONDON))
    return other


@pytest.mark.now(AFTER)
def test_by_default_the_last_complete_thursday_week_for_england(clock, national, cases):
    response = national.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["period"] == {
        "key": "2021-01-07",
        "label": "Thursday 7 January to Wednesday 13 January 2021",
        "starts_on": "2021-01-07",
        "ends_on": "2021-01-13",
        "kind": "thu",
        "closed": True,
    }
    assert body["scope"] == {
        "kind": "england",
        "id": None,
        "label": "England",
        "code": "",
    }
    assert body["cases"]["transferred"] == 2
    assert body["cases"]["reached"] == 1
    assert body["cases"]["reached_pct"] == 50.0
    assert body["cases"]["spread"] == {
        "under_24h": 1,
        "24_48h": 0,
        "48_72h": 0,
        "over_72h": 0,
    }
    assert body["cases"]["by_route"] == {
        "online": {"reached": 1, "within_24h": 1},
        "tier2": {"reached": 0, "within_24h": 0},
        "tier3": {"reached": 0, "within_24h": 0},
        "local": {"reached": 0, "within_24h": 0},
    }
    assert body["contacts"]["identified"] == 1
    assert body["contacts"]["merged"] == 0
    assert body["contacts"]["per_case"] == 0.5
    assert body["times"]["result_to_case_reached"] == {
        "median": 1.0,
        "p90": 1.0,
        "n": 1,
    }
    assert body["staff"] == []
    assert set(body) == {
        "period",
        "scope",
        "cases",
        "contacts",
        "times",
        "staff",
        "computed_at",
    }


@pytest.mark.now(AFTER)
def test_a_date_in_the_week_picks_the_week(clock, national, cases):
    body = national.get(URL, {"week": "2021-01-05"}).json()
    assert body["period"]["key"] == "2020-12-31"
    assert body["cases"]["transferred"] == 1  # Monday 4 January


@pytest.mark.now(AFTER)
def test_iso_weeks(clock, national, cases):
    by_week = national.get(URL, {"weeks": "iso", "week": "2021-W01"}).json()
    by_day = national.get(URL, {"weeks": "iso", "week": "2021-01-07"}).json()
    default = national.get(URL, {"weeks": "iso"}).json()
    assert by_week["period"]["key"] == by_day["period"]["key"] == "2021-W01"
    assert by_week["period"]["kind"] == "iso"
    assert by_week["period"]["starts_on"] == "2021-01-04"
    assert by_week["cases"]["transferred"] == 3  # Monday 4 and Thursday 7 January
    assert default["period"]["key"] == "2021-W02"


@pytest.mark.now(AFTER)
def test_a_team_or_an_area(clock, national, cases, sheffield):
    team = national.get(URL, {"week": "2021-01-07", "team": sheffield.local_team.code})
    area = national.get(URL, {"week": "2021-01-07", "area": cases.code})
    assert team.status_code == area.status_code == 200
    assert team.json()["scope"] == {
        "kind": "team",
        "id": sheffield.local_team_id,
        "label": sheffield.local_team.name,
        "code": sheffield.local_team.code,
    }
    assert team.json()["cases"]["transferred"] == 1
    assert area.json()["scope"]["kind"] == "area"
    assert area.json()["cases"]["transferred"] == 1
    assert area.json()["cases"]["reached"] == 0


@pytest.mark.now(AFTER)
def test_a_client_bound_to_a_team_sees_its_team_and_its_areas_only(
    clock, cases, sheffield
):
    bound = client_for(local_team=sheffield.local_team)
    default = bound.get(URL)
    assert default.status_code == 200
    assert default.json()["scope"]["id"] == sheffield.local_team_id
    own_area = bound.get(URL, {"area": sheffield.code})
    assert own_area.status_code == 200

    other_team = bound.get(URL, {"team": cases.local_team.code})
    other_area = bound.get(URL, {"area": cases.code})
    assert other_team.status_code == other_area.status_code == 403
    assert "your own local team" in other_team.json()["detail"]


def test_a_local_team_member_sees_their_team_by_default(local_team_member, sheffield):
    http = APIClient()
    http.force_login(local_team_member)
    body = http.get(URL).json()
    assert body["scope"]["kind"] == "team"
    assert body["scope"]["id"] == sheffield.local_team_id
    assert http.get(URL, {"team": f.LocalTeamFactory().code}).status_code == 403


def test_a_national_supervisor_may_ask_for_any_team(supervisor):
    http = APIClient()
    http.force_login(supervisor)
    assert http.get(URL).json()["scope"]["kind"] == "england"
    team = f.LocalTeamFactory()
    assert http.get(URL, {"team": team.code}).json()["scope"]["id"] == team.pk


def test_a_caseworker_may_not_read_the_figures(caseworker):
    http = APIClient()
    http.force_login(caseworker)
    assert http.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"week": "2021-13-01"}, "week"),
        ({"week": "2021-W01"}, "week"),  # an ISO week, Thursday weeks asked for
        ({"week": "soon", "weeks": "iso"}, "week"),
        ({"week": "2021-W54", "weeks": "iso"}, "week"),
        ({"week": "0000-W01", "weeks": "iso"}, "week"),
        ({"weeks": "month"}, "weeks"),
        ({"team": "NOSUCH"}, "team"),
        ({"area": "E99999999"}, "area"),
        ({"team": "x" * 17}, "team"),
        ({"team": "NOSUCH", "area": "E08000019"}, "area"),
    ],
)
def test_a_bad_query_is_400_with_the_reason_at_its_field(national, query, field):
    response = national.get(URL, query)
    assert response.status_code == 400
    reasons = response.json()[field]
    assert isinstance(reasons, list)
    assert reasons
    assert all(isinstance(r, str) for r in reasons)


def test_an_unknown_team_is_400_even_for_a_bound_client(sheffield):
    bound = client_for(local_team=sheffield.local_team)
    response = bound.get(URL, {"team": "NOSUCH"})
    assert response.status_code == 400
    assert response.json() == {"team": ["No local team has the code NOSUCH."]}


@pytest.mark.now(AFTER)
def test_a_week_not_started_is_400_as_on_the_page(clock, national, supervisor):
    ahead = (timezone.localdate() + dt.timedelta(days=14)).isoformat()

    answer = national.get(URL, {"week": ahead})
    client = Client()
    client.force_login(supervisor)
    page = client.get("/figures/", {"week": ahead})

    assert (answer.status_code, page.status_code) == (400, 400)
    (reason,) = answer.json()["week"]
    assert "that week has not started" in reason
    assert reason in page.content.decode()
