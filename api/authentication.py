"""Token authentication for integration clients: `Authorization: Bearer <token>`.

Only the database is read here (never the cache), so a Redis outage cannot stop
an integration: an expired token, or a rotated one past its grace, is a 401 that
says so. So is a token sent another way (bare, or as "Basic"), which was told no
credentials were given at all.
"""

from __future__ import annotations

from rest_framework import authentication, exceptions

from .models import ApiClient
from .services import api_client_touch

KEYWORDS = ("bearer", "token")
SEND_AS_BEARER = (
    "Send the token as “Authorization: Bearer <token>”: this Authorization header "
    "gives another scheme, or none."
)
MALFORMED = "Invalid Authorization header: send “Authorization: Bearer <token>”."


class ApiClientAuthentication(authentication.BaseAuthentication):
    """Authenticates as the client's service account; `request.auth` is the client."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower().decode(errors="replace") not in KEYWORDS:
            # Signed-in staff are left to their session, whatever else their
            # browser sends (a proxy's Basic credentials, say).
            user = getattr(request._request, "user", None)
            if user is not None and user.is_authenticated:
                return None
            raise exceptions.AuthenticationFailed(SEND_AS_BEARER, code="not_bearer")
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(MALFORMED)
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
