"""Fixtures shared by the retention tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from retention.models import RetentionRun
from retention.services import retention_run


@pytest.fixture
def warned(clock, settings) -> Callable[[dt.datetime], RetentionRun]:
    """The run a warning's days before `due` (the moment records become due for
    purge): it tells the local teams of them. The purge takes only records a warning
    told of, for a day that has come, so a test of what a run at `due` purges has
    this run first; the clock is left at the warning's run."""
    days = dt.timedelta(days=int(settings.TRACING_RETENTION["warn_days_before_purge"]))

    def run(due: dt.datetime) -> RetentionRun:
        clock.move_to(due - days)
        return retention_run()

    return run
