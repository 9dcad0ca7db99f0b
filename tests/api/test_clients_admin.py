"""Making API clients: the admin shows the token once; the command prints it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from api.models import ApiClient

pytestmark = pytest.mark.django_db


def test_admin_creates_a_client_and_shows_its_token_once(admin_client):
    response = admin_client.post(
        "/admin/integrations/apiclient/add/",
        {
            "name": "Lab feed",
            "scopes": ["intake"],
            "rate_limit_per_minute": 60,
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    client = ApiClient.objects.get(name="Lab feed")
    assert client.scopes == ["intake"]
    shown = [str(m) for m in response.context["messages"]]
    token = shown[0].split("<code>")[1].split("</code>")[0]
    assert ApiClient.objects.for_token(token) == client
    again = admin_client.get(f"/admin/integrations/apiclient/{client.pk}/change/")
    assert token.encode() not in again.content


def test_create_api_client_command_prints_a_working_token():
    out = io.StringIO()
    call_command(
        "create_api_client",
        "Dashboard",
        "--scope",
        "read_figures",
        stdout=out,
        stderr=io.StringIO(),
    )
    token = out.getvalue().strip()
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert ApiClient.objects.get(name="Dashboard").scopes == ["read_figures"]
    assert http.get("/api/v1/cases/").status_code == 403


def test_create_api_client_command_refuses_an_unknown_team():
    with pytest.raises(CommandError, match="No local team"):
        call_command(
            "create_api_client", "X", "--local-team", "NOPE", stdout=io.StringIO()
        )
