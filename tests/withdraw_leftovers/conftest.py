"""What a withdrawal (work/withdraw.py) left wrong: the escalations it closed had no
outcome of their own, and the chains of transmission still ran through the case.

The local teams' people and their two teams (Sheffield's, Leeds's) are those of
tests/local_teams; the clock stands at 10:00 on Tuesday 12 January 2021."""

from __future__ import annotations

from tests.local_teams.conftest import (
    ons_areas,
    sessions_outlast_the_clock,
    sheffield_client,
    sheffield_member,
)

__all__ = [
    "ons_areas",
    "sessions_outlast_the_clock",
    "sheffield_client",
    "sheffield_member",
]
