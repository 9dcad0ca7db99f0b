"""Fixtures for isolation advice sent again to a person's new number or email: a
contact on a mobile and an email, integrations to log calls and close escalations."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from tests import factories as f
from tests.conftest import ensure_ons_areas

SHEFFIELD = "E08000019"
OLD_MOBILE = "+447911100001"
NEW_MOBILE = "+447911100002"
EMAIL = "jo.bloggs@example.org"
LANDLINE = "0114 496 0000"


@pytest.fixture(autouse=True)
def ons_areas(db):
    """The areas and teams the data migration loads (gone after a flush)."""
    ensure_ons_areas()


def api(*, local_team=None) -> APIClient:
    """An integration with the case work scope (bound to `local_team`, if given)."""
    _, token = api_client_create(
        name="Telephony" if local_team is None else "Team dashboard",
        scopes=[Scope.CASEWORK],
        local_team=local_team,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


@pytest.fixture
def jo(db):
    """Jo Bloggs, on her old mobile, with an email."""
    return f.PersonFactory(
        first_name="Jo", last_name="Bloggs", phone=OLD_MOBILE, email=EMAIL
    )
