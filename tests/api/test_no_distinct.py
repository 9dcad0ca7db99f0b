"""The API's lists never add DISTINCT where no join can repeat a row: every list
endpoint, with each of its filters, reads its page without sorting every row first."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.filters import IdFilter, LocalDayFilter
from api.urls import root
from escalations.models import Escalation
from tests import factories as f
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db

LISTS = [(prefix, viewset) for prefix, viewset, _ in root.registry]


def filter_values(filter_) -> list[str]:
    """Values a client might send for a filter: each one its form accepts."""
    if isinstance(filter_, filters.MultipleChoiceFilter):
        first, second = (value for value, _ in list(filter_.extra["choices"])[:2])
        return [first, f"{first}&{filter_.field_name}={second}"]
    if isinstance(filter_, filters.ChoiceFilter):
        return [next(iter(filter_.extra["choices"]))[0]]
    if isinstance(filter_, IdFilter):
        return ["1"]
    if isinstance(filter_, LocalDayFilter):
        return ["2021-01-12"]
    if isinstance(filter_, filters.BooleanFilter):
        return ["true", "false"]
    if isinstance(filter_, filters.CharFilter):
        return ["E08000019"]
    raise AssertionError(f"no value to try for {type(filter_).__name__}")


def every_filter_query() -> list[tuple[str, str]]:
    queries = []
    for prefix, viewset in LISTS:
        filterset = viewset.filterset_class
        assert filterset is not None, prefix
        queries.append((prefix, ""))
        for name, filter_ in filterset.base_filters.items():
            for value in filter_values(filter_):
                queries.append((prefix, f"{name}={value}"))
        everything = "&".join(
            f"{name}={filter_values(filter_)[0]}"
            for name, filter_ in filterset.base_filters.items()
        )
        queries.append((prefix, everything))
    return queries


@pytest.fixture
def sheffield_work():
    """One of each kind of row in Sheffield, so each list has a page to read."""
    contact = f.ContactFactory()
    f.CallAttemptFactory(contact=contact)
    item_escalate(item=f.ContactFactory(), reason=Escalation.Reason.UNREACHED)


def test_every_list_endpoint_is_covered():
    assert {prefix for prefix, _ in LISTS} == {
        "cases",
        "contacts",
        "calls",
        "escalations",
    }


@pytest.mark.parametrize(("prefix", "query"), every_filter_query())
def test_list_with_each_filter_has_no_distinct(
    api, sheffield_api, sheffield_work, prefix, query
):
    # The national integration reads every row; Sheffield's, its team's rows only
    # (the escalations are a local team's).
    for client in (api, sheffield_api):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/{prefix}/?{query}")
        assert response.status_code == 200, response.content
        listing = [
            q["sql"]
            for q in queries
            if q["sql"].lstrip().upper().startswith("SELECT")
            and f"_{prefix.rstrip('s')}" in q["sql"].split(" FROM ")[1][:60]
        ]
        assert listing, f"no list query for /{prefix}/?{query}"
        for sql in listing:
            assert "DISTINCT" not in sql.upper(), sql


def test_status_filter_still_picks_the_rows(api):
    waiting = f.CaseFactory()
    f.CaseFactory(status="assigned", assignee=f.UserFactory())
    body = api.get("/api/v1/cases/?status=new").json()
    assert [c["id"] for c in body["results"]] == [waiting.pk]


def test_two_statuses_list_each_row_once(api):
    cases = [f.CaseFactory() for _ in range(3)]
    body = api.get("/api/v1/cases/?status=new&status=assigned").json()
    ids = [c["id"] for c in body["results"]]
    assert sorted(ids) == sorted(c.pk for c in cases)
    assert len(ids) == len(set(ids))


def test_a_date_filter_is_a_range_on_the_column(api):
    with CaptureQueriesContext(connection) as queries:
        api.get("/api/v1/cases/?created_from=2021-01-12&created_to=2021-01-12")
    listing = [q["sql"] for q in queries if 'FROM "cases_case"' in q["sql"]]
    assert listing
    assert '"cases_case"."created_at" >=' in listing[-1]
    assert dt.date(2021, 1, 12).isoformat() in listing[-1]
