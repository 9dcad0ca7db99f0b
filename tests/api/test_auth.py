"""Who may call the API: tokens, scopes, staff sessions and rate limits."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import ApiClient, Scope
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_request_without_token_is_401_with_bearer_challenge():
    response = APIClient().get("/api/v1/cases/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_request_with_unknown_token_is_401():
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Bearer trc_not-a-real-token")
    assert http.get("/api/v1/cases/").status_code == 401


def test_malformed_authorization_header_is_401():
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    assert http.get("/api/v1/cases/").status_code == 401


def test_deactivated_client_is_401(make_client):
    client, http = make_client()
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert http.get("/api/v1/cases/").status_code == 401


def test_client_without_casework_scope_is_403_on_cases(make_client):
    _, http = make_client(scopes=[Scope.INTAKE])
    response = http.get("/api/v1/cases/")
    assert response.status_code == 403
    assert "casework" in response.json()["detail"]


def test_client_without_intake_scope_is_403_on_intake(make_client):
    _, http = make_client(scopes=[Scope.CASEWORK])
    assert http.post("/api/v1/test-results/", {}, format="json").status_code == 403


def test_client_without_figures_scope_is_403_on_figures(make_client):
    _, http = make_client(scopes=[Scope.INTAKE])
    assert http.get("/api/v1/figures/weekly/").status_code == 403


def test_token_is_stored_only_as_a_hash(make_client):
    client, http = make_client()
    token = http._credentials["HTTP_AUTHORIZATION"].split()[1]
    client.refresh_from_db()
    assert token not in (client.token_hash, client.token_hint)
    assert client.token_hash == ApiClient.objects.for_token(token).token_hash


def test_use_of_a_token_records_when_the_client_was_last_used(make_client):
    client, http = make_client()
    http.get("/api/v1/cases/")
    client.refresh_from_db()
    assert client.last_used_at is not None


def test_client_past_its_rate_gets_429_with_retry_after(make_client):
    _, http = make_client(rate=3)
    codes = [http.get("/api/v1/cases/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = http.get("/api/v1/cases/")
    assert 0 < int(response["Retry-After"]) <= 60


def test_one_clients_rate_does_not_limit_another(make_client):
    _, busy = make_client("Busy", rate=1)
    _, quiet = make_client("Quiet", rate=1)
    busy.get("/api/v1/cases/")
    assert busy.get("/api/v1/cases/").status_code == 429
    assert quiet.get("/api/v1/cases/").status_code == 200


def test_signed_in_caseworker_browses_the_api_in_html(caseworker):
    f.CaseFactory(assignee=caseworker, status="assigned")
    http = APIClient()
    http.force_login(caseworker)
    response = http.get("/api/v1/cases/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert b"Case List" in response.content


def test_staff_session_without_supervisor_role_cannot_post_results(caseworker):
    http = APIClient()
    http.force_login(caseworker)
    response = http.post("/api/v1/test-results/", {}, format="json")
    assert response.status_code == 403


def test_staff_session_post_needs_csrf_token(supervisor):
    http = APIClient(enforce_csrf_checks=True)
    http.force_login(supervisor)
    response = http.post("/api/v1/test-results/", {}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_schema_and_docs_are_served():
    http = APIClient()
    schema = http.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    assert "/api/v1/test-results/" in schema.json()["paths"]
    assert http.get("/api/docs/").status_code == 200
