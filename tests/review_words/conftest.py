"""Fixtures for the review of the words and contact-key commits: the API suite's."""

from __future__ import annotations

from tests.api.conftest import _fresh_rate_counts, api, make_client  # noqa: F401
