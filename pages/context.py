"""What every page's layout needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def layout(request: HttpRequest) -> dict[str, int]:
    # The idle timeout, for the warning before a session ends.
    return {"session_seconds": settings.SESSION_COOKIE_AGE}
