"""Who is calling the API: a client through its token, or staff in their session.

Every API view turns the request into a work-core Actor here and asks the same access
modules (work.access) the pages ask, so a door never decides access on its own.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers
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


def staff_user_named(user_id: int | None):
    """The active member of staff an integration names as the one who acted (the
    caller of a call, the clinician of an override); None when none is named.
    Raises a field error when no active member of staff has that id."""
    if user_id is None:
        return None
    user = (
        get_user_model()
        .objects.filter(pk=user_id, is_active=True, staff__isnull=False)
        .first()
    )
    if user is None:
        raise serializers.ValidationError("No active member of staff has that id.")
    return user
