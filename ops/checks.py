"""Deployment checks of our own (`manage.py check --deploy`, run by .ci/run)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def proxy_count_behind_tls(**_: Any) -> list[Warning]:
    """Served behind a TLS-terminating proxy (SECURE_SSL_REDIRECT) with no proxy
    trusted, every request seems to come from the proxy's address: one person's
    five mistyped passwords lock every member of staff out, and the link pages'
    limit per address is spent by the whole public together."""
    if settings.SECURE_SSL_REDIRECT and settings.TRACING_TRUSTED_PROXY_COUNT < 1:
        return [
            Warning(
                "SECURE_SSL_REDIRECT is on, so the service is behind a proxy, but "
                "TRUSTED_PROXY_COUNT is 0: every client then has the proxy's "
                "address, and the sign-in lockout and the link pages' limit, which "
                "count by address, fall on everyone at once.",
                hint="Set TRUSTED_PROXY_COUNT to the number of proxies in front of "
                "the web processes (1 for one load balancer or TLS proxy).",
                id="tracing.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def proxy_count_without_tls(**_: Any) -> list[Warning]:
    """A proxy trusted (TRUSTED_PROXY_COUNT) while nothing says one is in front
    (SECURE_SSL_REDIRECT off, as for a trial over plain HTTP): if clients reach the
    web processes directly, X-Forwarded-For is their own word, and any of them can
    pass the sign-in lockout by writing a new address there at each guess."""
    if not settings.SECURE_SSL_REDIRECT and settings.TRACING_TRUSTED_PROXY_COUNT > 0:
        return [
            Warning(
                f"TRUSTED_PROXY_COUNT is {settings.TRACING_TRUSTED_PROXY_COUNT} but "
                "SECURE_SSL_REDIRECT is off: if clients can reach the web processes "
                "without the proxy, they write their own address in X-Forwarded-For "
                "and the sign-in lockout by address no longer holds.",
                hint="Set TRUSTED_PROXY_COUNT=0 when no proxy is in front; with one, "
                "make it the only way in (compose publishes web on 127.0.0.1).",
                id="tracing.W002",
            )
        ]
    return []
