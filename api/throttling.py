"""Rate limits per API client: each client's own requests per minute.

A fixed one-minute window per client, counted atomically in the shared cache (Redis
in production, so every web process sees the same count): `cache.add(key, 0, 60)`
opens the window (SET NX EX) and `cache.incr(key)` counts the request (INCRBY), so
however many requests arrive at once, at most the client's rate get through. The
window's end is kept beside the count and read only to answer a refusal's
Retry-After.

When the cache cannot be reached the throttle fails OPEN: the request goes on (the
database, not the cache, is what the work needs) and a warning is logged, at most
once a minute per process. For a few seconds after a failure the process does not
try the cache again, so an outage (a Redis that does not answer at all, say) costs
one slow request every few seconds, not every request.
"""

from __future__ import annotations

import logging
import math
import time

from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from clock.windows import CacheOutage, window_count

from .models import ApiClient

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
# After a cache failure, requests skip the cache this long (per process).
OUTAGE_RETRY_SECONDS = 5.0
# A cache outage is logged at most this often per process.
OUTAGE_LOG_INTERVAL = 60.0


outage = CacheOutage(
    retry_after=OUTAGE_RETRY_SECONDS,
    log_interval=OUTAGE_LOG_INTERVAL,
    logger=logger,
    message="API rate limits are off",
)


def _count_key(client_pk: int) -> str:
    return f"throttle:api_client:{client_pk}"


def _ends_key(client_pk: int) -> str:
    return f"throttle:api_client:{client_pk}:ends"


def count_request(client_pk: int, window: int = WINDOW_SECONDS) -> int:
    """Count one request in the client's current window; returns the count so far,
    this request included. Raises whatever the cache raises."""
    count = window_count(_count_key(client_pk), window)
    if count == 1:
        # The window's first request notes when it ends.
        cache.set(_ends_key(client_pk), time.time() + window, window)
    return count


def seconds_left(client_pk: int, window: int = WINDOW_SECONDS) -> int:
    """Whole seconds until the client's window ends (at least 1)."""
    ends = cache.get(_ends_key(client_pk))
    if not isinstance(ends, int | float):
        return window
    return max(1, min(window, math.ceil(ends - time.time())))


class ApiClientRateThrottle(BaseThrottle):
    """A one-minute window per client, at the client's own rate.

    Staff sessions are not limited here. Past the rate DRF answers 429 with
    Retry-After (seconds until the window ends).
    """

    scope = "api_client"

    def __init__(self) -> None:
        self._wait: int | None = None

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        if outage.skip_cache():
            return True
        try:
            count = count_request(client.pk)
        except Exception as exc:  # any cache failure fails open
            outage.failed(exc)
            return True
        if count <= client.rate_limit_per_minute:
            return True
        try:
            self._wait = seconds_left(client.pk)
        except Exception:  # refused all the same
            self._wait = WINDOW_SECONDS
        return False

    def wait(self) -> int | None:
        return self._wait
