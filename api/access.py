"""Who is calling the API: a client through its token, or staff in their session.

Every API view turns the request into a work-core Actor here and asks the same access
modules (work.access) the pages ask, so a door never decides access on its own.
"""

from __future__ import annotations

from rest_framework.request import Request

from work.access.actor import Actor

from .models import ApiClient


def api_client_of(request: Request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


def actor_of(request: Request) -> Actor:
    client = api_client_of(request)
    if client is not None:
        return Actor.for_client(user=client.user, team_id=client.local_team_id)
    return Actor.of(request.user)
