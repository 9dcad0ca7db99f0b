"""The link pages' rate limit: at most TRACING_ONLINE_RATE requests from one address
in ten minutes, whatever the token (so tokens cannot be tried in bulk).

The pattern of the API's throttle (api/throttling.py), which the doors may not
share: a fixed window per address, counted atomically in the shared cache (Redis in
production, so every web process sees one count): `cache.add(key, 0, window)` opens
the window (SET NX EX) and `cache.incr(key)` counts (INCRBY), so however many
requests arrive at once at most the allowance get through. When the cache cannot be
reached the limit fails OPEN (a person told to isolate must not be turned away by an
outage), logged at most once a minute per process, and the cache is not tried again
for a few seconds.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 10 * 60
OUTAGE_RETRY_SECONDS = 5.0
OUTAGE_LOG_INTERVAL = 60.0


class _Outage:
    """A cache outage as this process saw it (monotonic time: a test's moved clock
    does not move it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._retry_at: float | None = None
        self._logged_at: float | None = None

    def skip_cache(self) -> bool:
        retry_at = self._retry_at
        return retry_at is not None and time.monotonic() < retry_at

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._retry_at = now + OUTAGE_RETRY_SECONDS
            if self._logged_at is not None and now - self._logged_at < (
                OUTAGE_LOG_INTERVAL
            ):
                return
            self._logged_at = now
        logger.warning(
            "The link pages' rate limit is off: the cache cannot be reached (%s: %s). "
            "Requests are let through; this is logged at most once a minute.",
            type(exc).__name__,
            exc,
        )

    def reset(self) -> None:
        with self._lock:
            self._retry_at = self._logged_at = None


outage = _Outage()


def client_address(request: HttpRequest) -> str:
    """The address the request came from: behind trusted proxies (the count sign-in
    lockouts use too), the one the nearest of them saw; else the socket's."""
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", None) or 0
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_key(address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"throttle:online:{digest}"


def count_request(address: str, window: int = WINDOW_SECONDS) -> int:
    """Count one request in the address's window; the count so far, this one
    included. Raises whatever the cache raises."""
    key = rate_key(address)
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window ended between add and incr: open the next one.
        cache.add(key, 0, window)
        count = cache.incr(key)
    if count == 1:
        # Django's Redis incr is EXISTS then INCR: a key that expired between the
        # two is made afresh by INCR with no expiry; make sure it has one.
        cache.touch(key, window)
    return count


def allowed(request: HttpRequest) -> bool:
    """This request is within its address's allowance (or the cache is down)."""
    if outage.skip_cache():
        return True
    try:
        count = count_request(client_address(request))
    except Exception as exc:  # any cache failure fails open
        outage.failed(exc)
        return True
    return count <= settings.TRACING_ONLINE_RATE


def forget(address: str) -> None:
    """Start the address's count again (for tests)."""
    cache.delete(rate_key(address))
