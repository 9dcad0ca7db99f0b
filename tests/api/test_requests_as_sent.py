"""Requests as clients really send them: no final slash, a filter the list does not
have, a token without "Bearer".

Each was answered as if something else were wrong: a POST without its slash met
Django's APPEND_SLASH (a 500 in development; in production a 301 that clients follow
with a GET, answered 405, and the result never recorded); an unknown filter was
ignored and the whole list answered, which a client reads as filtered; a token sent
as "Basic" or bare was told no credentials were given.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.api.conftest import result_payload
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db

SHEFFIELD = "E08000019"


# --- no final slash ---------------------------------------------------------------------


def test_a_result_posted_without_the_final_slash_is_taken(api):
    response = api.post(
        "/api/v1/test-results", result_payload("LAB-NOSLASH"), format="json"
    )

    assert response.status_code == 201, response.content[:300]
    assert Case.objects.filter(lab_reference="LAB-NOSLASH").exists()


def test_a_call_posted_without_the_final_slash_is_logged(api, supervisor):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=supervisor)

    response = api.post(
        f"/api/v1/cases/{case.pk}/calls",
        {"outcome": "no_answer", "caller": supervisor.pk},
        format="json",
    )

    assert response.status_code == 201, response.content[:300]
    assert case.calls.count() == 1


@pytest.mark.parametrize(
    "url", ["/api/v1/cases", "/api/v1/contacts", "/api/v1/escalations"]
)
def test_lists_and_items_answer_without_the_final_slash(api, url):
    assert api.get(url).status_code == 200
    assert api.get(f"{url}/999999").status_code == 404


def test_figures_answer_without_the_final_slash(api):
    assert api.get("/api/v1/figures/weekly").status_code == 200


def test_links_and_the_schema_keep_the_slashed_paths(api, supervisor):
    root = api.get("/api/v1/").json()
    assert root["cases"].endswith("/api/v1/cases/")

    http = APIClient()
    http.force_login(supervisor)
    paths = http.get("/api/schema/", {"format": "json"}).json()["paths"]
    assert "/api/v1/test-results/" in paths
    assert "/api/v1/cases/{id}/calls/" in paths
    assert not [path for path in paths if not path.endswith("/")]


def test_pages_still_add_their_slash(client, supervisor):
    client.force_login(supervisor)

    response = client.get("/work")

    assert response.status_code == 301
    assert response["Location"] == "/work/"


# --- filters a list does not have ---------------------------------------------------------


def test_a_filter_the_cases_list_does_not_have_is_a_400_naming_it(api):
    f.CaseFactory()

    response = api.get("/api/v1/cases/", {"local_team": SHEFFIELD})

    assert response.status_code == 400
    [reason] = response.json()["local_team"]
    assert "local_team" in reason
    assert (
        "It takes: area, assignee, complexity, created_from, created_to, cursor"
        in reason
    )
    assert "page_size" in reason


@pytest.mark.parametrize("name", ["area", "lab_reference"])
def test_a_filter_the_escalations_list_does_not_have_is_a_400(api, name):
    case = f.CaseFactory()
    item_escalate(item=case, reason=Escalation.Reason.UNREACHED)

    response = api.get("/api/v1/escalations/", {name: SHEFFIELD})

    assert response.status_code == 400
    assert name in response.json()
    assert "local_team" in response.json()[name][0]


def test_a_filter_of_the_calls_list_it_does_not_have_is_a_400(api):
    assert api.get("/api/v1/calls/", {"status": "new"}).status_code == 400


def test_every_unknown_parameter_is_named(api):
    response = api.get("/api/v1/contacts/", {"local_team": "x", "sort": "name"})

    assert response.status_code == 400
    assert set(response.json()) == {"local_team", "sort"}


@pytest.mark.parametrize(
    "query",
    [
        {"status": "new", "page_size": "2", "format": "json"},
        {"area": SHEFFIELD, "unassigned": "true", "created_from": "2021-01-01"},
        {"complexity": "routine", "lab_reference": "LAB-1", "assignee": "1"},
    ],
)
def test_the_parameters_the_cases_list_has_are_taken(api, query):
    assert api.get("/api/v1/cases/", query).status_code == 200


def test_a_cursor_is_a_parameter_of_every_list(api):
    f.CaseFactory.create_batch(2)
    first = api.get("/api/v1/cases/", {"page_size": 1}).json()

    assert api.get(first["next"]).status_code == 200


# --- a token without "Bearer" ---------------------------------------------------------


@pytest.mark.parametrize("header", ["trc_abc123", "Basic dXNlcjpwYXNz", "Token"])
def test_a_token_sent_another_way_is_told_how_to_send_it(make_client, header):
    _, http = make_client(scopes=[Scope.CASEWORK])
    token = http._credentials["HTTP_AUTHORIZATION"].split()[1]
    http.credentials(HTTP_AUTHORIZATION=header.replace("trc_abc123", token))

    response = http.get("/api/v1/cases/")

    assert response.status_code == 401
    assert "Authorization: Bearer <token>" in response.json()["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_no_authorization_header_is_still_told_none_was_given():
    response = APIClient().get("/api/v1/cases/")

    assert response.status_code == 401
    assert "not provided" in response.json()["detail"]


def test_a_signed_in_member_of_staff_is_not_refused_for_another_scheme(supervisor):
    http = APIClient()
    http.force_login(supervisor)
    http.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")

    assert http.get("/api/v1/cases/").status_code == 200
