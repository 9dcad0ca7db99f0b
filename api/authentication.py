"""Token authentication for integration clients: `Authorization: Bearer <token>`.

Only the database is read here (never the cache), so a Redis outage cannot stop
an integration: an expired token, or a rotated one past its grace, is a 401 that
says so.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .models import ApiClient
from .services import api_client_touch

KEYWORDS = ("bearer", "token")


class ApiClientAuthentication(authentication.BaseAuthentication):
    """Authenticates as the client's service account; `request.auth` is the client."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid Authorization header: give 'Bearer <token>'."
            )
        try:
            token = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("Invalid token.") from None
        client = ApiClient.objects.for_token(token)
        if client is None or not client.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or inactive token.")
        refusal = client.token_refusal(token)
        if refusal is not None:
            raise exceptions.AuthenticationFailed(refusal, code="token_expired")
        api_client_touch(client=client)
        return client.user, client

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when no credentials were given.
        return 'Bearer realm="api"'
