"""What an htmx request asks of a page."""

from __future__ import annotations

from django.http import HttpRequest


def part_only(request: HttpRequest) -> bool:
    """An htmx request for part of a page (a search's list, a board's refresh). Back
    and Forward to a page htmx changed ask with htmx's headers too (the site keeps no
    history cache in the browser): they get the whole page, or the page is left
    without its header and menu."""
    return bool(request.htmx) and not request.htmx.history_restore_request
