"""Id filters and call-back times as /api/schema/ publishes them: an id is an
integer (1.5 is a 400), and a date-time is RFC 3339's, lower-case t and z too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db

ID_FILTERS = {
    "/api/v1/calls/": {"caller", "case", "contact"},
    "/api/v1/cases/": {"assignee"},
    "/api/v1/contacts/": {"assignee", "case"},
    "/api/v1/escalations/": {"case", "contact", "picked_up_by"},
}


def parameters(schema: dict, path: str) -> dict[str, dict]:
    return {p["name"]: p for p in schema["paths"][path]["get"]["parameters"]}


@pytest.mark.parametrize("path", sorted(ID_FILTERS))
def test_id_filters_are_published_as_integers_and_refuse_a_fraction(api, path):
    published = parameters(api.get("/api/schema/", {"format": "json"}).json(), path)

    for name in ID_FILTERS[path]:
        assert published[name]["schema"]["type"] == "integer", (path, name)
        for written in ["1.5", "1e0"]:
            response = api.get(path, {name: written})
            assert response.status_code == 400, (path, name, written)
            assert name in response.json()


def test_an_id_filter_keeps_its_description(api):
    published = parameters(
        api.get("/api/schema/", {"format": "json"}).json(), "/api/v1/cases/"
    )

    assert published["assignee"]["description"] == "User id of the holder."


def test_a_call_back_time_in_lower_case_rfc_3339_is_taken(api, caseworker):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    day = timezone.localdate() + dt.timedelta(days=1)

    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {
            "outcome": "call_back",
            "call_back_at": f"{day}t10:30:00z",
            "caller": caseworker.pk,
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    case.refresh_from_db()
    at = case.next_attempt_at.astimezone(dt.UTC)
    assert (at.date(), at.hour, at.minute) == (day, 10, 30)


def test_the_call_back_time_is_published_as_a_date_time(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()

    call_in = schema["components"]["schemas"]["CallInRequest"]
    assert call_in["properties"]["call_back_at"]["format"] == "date-time"
