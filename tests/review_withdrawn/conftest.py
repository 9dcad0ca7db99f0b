"""Review of f64e756 (escalations closed by a withdrawal, chains leaving withdrawn
cases out). The local teams' people are those of tests/local_teams, Sheffield's
integration that of tests/api; the clock stands at 10:00 on Tuesday 12 January
2021."""

from __future__ import annotations

from tests.api.conftest import _fresh_rate_counts, make_client, sheffield_api
from tests.local_teams.conftest import (
    ons_areas,
    sessions_outlast_the_clock,
    sheffield_client,
    sheffield_member,
)

__all__ = [
    "_fresh_rate_counts",
    "make_client",
    "ons_areas",
    "sessions_outlast_the_clock",
    "sheffield_api",
    "sheffield_client",
    "sheffield_member",
]
