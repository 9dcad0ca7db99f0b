"""The beat's capacity task: England's forecast made afresh and cached, so no page
view (the supervisor dashboard, the capacity page) waits for its scans."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .capacity_selectors import work_forecast


@shared_task(name="figures.tasks.capacity_forecast_task")
def capacity_forecast_task() -> dict[str, str]:
    """Idempotent: a second run makes the same forecast and caches it again."""
    forecast = work_forecast(now=timezone.now(), refresh=True)
    return {"from": forecast.start.isoformat(), "cases": str(forecast.history.cases)}
