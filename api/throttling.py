"""Rate limits per API client: each client's own requests per minute."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    """A sliding one-minute window per client, at the client's own rate.

    Staff sessions are not limited here. Past the rate DRF answers 429 with
    Retry-After (seconds until the oldest request leaves the window).
    """

    scope = "api_client"

    def get_rate(self) -> str | None:
        return None  # set per request from the client

    def allow_request(self, request, view) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        self.rate = f"{client.rate_limit_per_minute}/min"
        self.num_requests, self.duration = client.rate_limit_per_minute, 60
        return super().allow_request(request, view)

    def get_cache_key(self, request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": request.auth.pk}
