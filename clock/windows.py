"""Counting in fixed time windows on the shared cache (Redis), for rate limits, and
the memory of a cache outage, so that a limit fails open: a cache that cannot be
reached lets requests through, is logged at most once an interval, and is not tried
again for a few seconds (monotonic time: a test's moved clock does not move it)."""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache


def window_count(key: str, window: int) -> int:
    """Count one event in `key`'s current window of `window` seconds; the count so
    far, this one included. Raises whatever the cache raises."""
    cache.add(key, 0, window)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window ended between add and incr: open the next one.
        cache.add(key, 0, window)
        count = cache.incr(key)
    if count == 1:
        # Django's Redis incr is EXISTS then INCR: a key that expired between the
        # two is made afresh by INCR with no expiry at all; make sure it has one.
        cache.touch(key, window)
    return count


class CacheOutage:
    """A cache outage as this process saw it: when to try the cache again, and when
    it was last logged (once per interval, however many requests meet it)."""

    def __init__(
        self,
        *,
        retry_after: float,
        log_interval: float,
        logger: logging.Logger,
        message: str,
    ) -> None:
        self.retry_after = retry_after
        self.log_interval = log_interval
        self.logger = logger
        self.message = message  # what is off while the cache is down
        self._lock = threading.Lock()
        self._retry_at: float | None = None
        self._logged_at: float | None = None

    def count(self, key: str, window: int) -> int | None:
        """Count one event in `key`'s window (window_count): the count so far, or
        None while the cache cannot be reached, for the limit to let the request
        through (it fails open)."""
        if self.skip_cache():
            return None
        try:
            return window_count(key, window)
        except Exception as exc:  # any cache failure fails open
            self.failed(exc)
            return None

    def skip_cache(self) -> bool:
        retry_at = self._retry_at
        return retry_at is not None and time.monotonic() < retry_at

    def failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._retry_at = now + self.retry_after
            if (
                self._logged_at is not None
                and now - self._logged_at < self.log_interval
            ):
                return
            self._logged_at = now
        self.logger.warning(
            "%s: the cache cannot be reached (%s: %s). Requests are let through; "
            "this is logged at most once a minute.",
            self.message,
            type(exc).__name__,
            exc,
        )

    def reset(self) -> None:
        with self._lock:
            self._retry_at = self._logged_at = None
