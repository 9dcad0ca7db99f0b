"""The interactive API docs work on a closed network: their assets are our own."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_api_docs_load_their_assets_from_this_server(client, supervisor, path):
    client.force_login(supervisor)

    page = client.get(path).content.decode()

    assert "cdn.jsdelivr.net" not in page
    assert "/static/drf_spectacular_sidecar/" in page
