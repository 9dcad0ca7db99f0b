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
import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from clock.windows import CacheOutage

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 10 * 60
OUTAGE_RETRY_SECONDS = 5.0
OUTAGE_LOG_INTERVAL = 60.0


outage = CacheOutage(
    retry_after=OUTAGE_RETRY_SECONDS,
    log_interval=OUTAGE_LOG_INTERVAL,
    logger=logger,
    message="The link pages' rate limit is off",
)


def client_address(request: HttpRequest) -> str:
    """The address the request came from: behind TRACING_TRUSTED_PROXY_COUNT
    proxies, the one the nearest of them saw (what the client wrote itself comes
    earlier in X-Forwarded-For, and is not taken); else, or when that entry is not
    an address, the socket's. The one reading for the sign-in lockout, the password
    reset limit and the link pages' limit."""
    return _forwarded_address(request) or request.META.get("REMOTE_ADDR") or "unknown"


def sign_in_address(request: HttpRequest) -> str | None:
    """client_address for django-axes (settings.AXES_CLIENT_IP_CALLABLE), which
    keeps it in an address column: None when there is none."""
    address = client_address(request)
    return address if _is_address(address) else None


def _forwarded_address(request: HttpRequest) -> str | None:
    proxies = getattr(settings, "TRACING_TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return None
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return None
    return _address_in(forwarded[-proxies])


def _address_in(entry: str) -> str | None:
    """The address a proxy wrote, with the port some proxies add taken off
    ("203.0.113.5:40001", "[2001:db8::5]:40001", "[2001:db8::5]"), written the one
    way (so one client is one count however it was written); None when it is none."""
    text = entry.strip()
    if text.startswith("["):
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:
        text = text.partition(":")[0]  # IPv4 with a port (IPv6 has more colons)
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _is_address(text: str) -> bool:
    return _address_in(text) == text


def rate_key(address: str) -> str:
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return f"throttle:online:{digest}"


def allowed(request: HttpRequest) -> bool:
    """This request is within its address's allowance (or the cache is down)."""
    count = outage.count(rate_key(client_address(request)), WINDOW_SECONDS)
    return count is None or count <= settings.TRACING_ONLINE_RATE


def forget(address: str) -> None:
    """Start the address's count again (for tests)."""
    cache.delete(rate_key(address))
