"""Fixtures for the API tests: integration clients and their HTTP clients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from tests import factories as f
from tests.conftest import clear_own_cache_keys

ALL_SCOPES = list(Scope.values)


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Rate-limit counts live in the shared cache: start each test from none."""
    clear_own_cache_keys()
    yield
    clear_own_cache_keys()


@pytest.fixture
def make_client(db):
    """Make an integration client; returns (client, APIClient carrying its token)."""

    def make(name: str = "Lab", scopes=None, local_team=None, rate: int = 1000):
        client, token = api_client_create(
            name=name,
            scopes=ALL_SCOPES if scopes is None else scopes,
            local_team=local_team,
            rate_limit_per_minute=rate,
        )
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client, http

    return make


@pytest.fixture
def api(make_client):
    """An HTTP client for a national integration with every scope."""
    return make_client("National integration")[1]


@pytest.fixture
def sheffield_api(make_client):
    """An HTTP client for Sheffield's local team's own integration."""
    return make_client(
        "Sheffield dashboard", scopes=[Scope.CASEWORK], local_team=f.area().local_team
    )[1]


def result_payload(ref: str = "LAB-1", **overrides) -> dict:
    """A valid positive result as a lab posts it (a Sheffield postcode)."""
    today = timezone.localdate()
    payload = {
        "lab_reference": ref,
        "person": {
            "first_name": "Asha",
            "last_name": f"Patel-{ref}",
            "date_of_birth": "1984-03-02",
            "phone": "07911 123456",
            "postcode": "s1 2he",
        },
        "specimen_date": (today - dt.timedelta(days=2)).isoformat(),
        "result_date": (today - dt.timedelta(days=1)).isoformat(),
    }
    payload.update(overrides)
    return payload
