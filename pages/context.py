"""What every page's layout needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from .accounts.middleware import same_site_path


def layout(request: HttpRequest) -> dict[str, Any]:
    return {
        # The idle timeout, for the warning before a session ends.
        "session_seconds": settings.SESSION_COOKIE_AGE,
        # Where signing in again brings the browser back (static/js/app.js).
        "page_url": page_url(request),
    }


def page_url(request: HttpRequest) -> str:
    """The address of the page on screen: the request's own for a GET; for a form
    refused and drawn at the address it posts to (which answers no GET), the page
    it was sent from, else home."""
    if request.method == "GET":
        return request.get_full_path()
    return same_site_path(request, request.headers.get("Referer", "")) or "/"
