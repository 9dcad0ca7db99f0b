"""The retention run is due every day even when beat starts afresh every day.

Beat counts an interval entry from its own start when its schedule file is new (a
deploy, a container recreated): with "every 24 hours", a beat restarted daily never
reached the run, and pseudonymisation, purges and purge warnings stopped.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings

UTC = dt.UTC


@pytest.mark.parametrize("hour", range(24))
def test_a_beat_started_afresh_at_any_hour_runs_retention_within_the_day(hour):
    schedule = settings.CELERY_BEAT_SCHEDULE["retention-run"]["schedule"]
    started = dt.datetime(2026, 12, 7, hour, 0, tzinfo=UTC)
    # A new schedule file: the entry's last run is taken as the moment beat started.
    with time_machine.travel(started, tick=False):
        remaining = schedule.remaining_estimate(started)

    # Due before the same hour tomorrow, when the next deploy would start it again.
    assert remaining < dt.timedelta(hours=24), (hour, remaining)
