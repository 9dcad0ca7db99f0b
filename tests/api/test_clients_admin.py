"""Making API clients: the admin shows the token once; the command prints it."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiClient
from api.services import api_client_create

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


def test_two_names_that_read_alike_make_two_clients_in_the_admin(admin_client):
    # "Hunt Lab!" and "Hunt-Lab" make the same account name: the second was a 500.
    for name in ("Hunt Lab!", "Hunt-Lab"):
        response = admin_client.post(
            "/admin/integrations/apiclient/add/",
            {
                "name": name,
                "scopes": ["intake"],
                "rate_limit_per_minute": 60,
                "is_active": "on",
            },
        )
        assert response.status_code == 302, name

    users = ApiClient.objects.order_by("pk").values_list("user__username", flat=True)
    assert list(users) == ["api-hunt-lab", "api-hunt-lab-2"]


def test_the_commands_refuse_a_long_name_and_a_lifetime_past_ten_years():
    with pytest.raises(CommandError, match="at most 100 characters"):
        call_command("create_api_client", "x" * 101, stdout=io.StringIO())
    call_command(
        "create_api_client", "Feed", stdout=io.StringIO(), stderr=io.StringIO()
    )
    with pytest.raises(CommandError, match="from 1 to 3650"):
        call_command(
            "rotate_api_token",
            "Feed",
            "--expires-in-days",
            "999999999",
            stdout=io.StringIO(),
        )


def test_rotating_in_the_admin_keeps_the_clients_expiry(admin_client):
    expires = timezone.now() + dt.timedelta(days=30)
    client, _ = api_client_create(name="Lab", scopes=["intake"], expires_at=expires)

    admin_client.post(
        "/admin/integrations/apiclient/",
        {"action": "rotate_token", "_selected_action": [client.pk]},
    )

    client.refresh_from_db()
    assert client.expires_at == expires


def test_the_admin_index_names_them_as_the_readme_does(admin_client):
    # README: "made in the admin (API integrations > API clients ...)".
    page = admin_client.get("/admin/").content.decode()
    assert "API integrations" in page
    assert ">API clients<" in page
