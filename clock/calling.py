"""The calling hours (settings.TRACING_CALLING_HOURS), read in one place for the call
rules (work.rules.CallingHours) and the capacity forecast (figures.capacity)."""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def calling_hours() -> tuple[time, time]:
    """When calls open and close, local time, every day (the same time for both: at
    any hour). ImproperlyConfigured when they close before they open."""
    hours = settings.TRACING_CALLING_HOURS
    opens, closes = (
        time.fromisoformat(hours["opens"]),
        time.fromisoformat(hours["closes"]),
    )
    if closes < opens:
        raise ImproperlyConfigured(
            "TRACING_CALLING_HOURS: calls close before they open "
            f"({hours['opens']} to {hours['closes']})."
        )
    return opens, closes
