"""The figures' beat tasks: what readers ask for most, computed ahead of them, so no
page view (the figures, the supervisor dashboard, the capacity page) waits for the
scans behind it."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .capacity_selectors import work_forecast
from .replica import replica_reads
from .weekly_refresh import weekly_figures_refresh


@shared_task(name="figures.tasks.capacity_forecast_task")
def capacity_forecast_task() -> dict[str, str]:
    """England's forecast made afresh and cached. Idempotent: a second run makes the
    same forecast and caches it again."""
    forecast = work_forecast(now=timezone.now(), refresh=True)
    return {"from": forecast.start.isoformat(), "cases": str(forecast.history.cases)}


@shared_task(
    name="figures.tasks.weekly_figures_refresh_task",
    soft_time_limit=240,
    time_limit=270,
)
def weekly_figures_refresh_task() -> dict[str, int]:
    """Recompute the open week, and the closed weeks kept warm that are missing
    from the cache or cached for half a day (weekly_refresh.RECOMPUTE_AFTER).
    Safe to run twice: each run writes the same figures under the same keys. Read
    from the replica when there is one, as the figures pages are: these are the
    heaviest scans the service makes."""
    with replica_reads():
        report = weekly_figures_refresh()
    return {"computed": report.computed, "kept": report.kept}
