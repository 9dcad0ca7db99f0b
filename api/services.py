"""Writes for API clients."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from areas.models import LocalTeam

from .models import ApiClient, Scope, token_generate, token_hash

# last_used_at is written at most this often, so a busy client is not a write per call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str],
    local_team: LocalTeam | None = None,
    rate_limit_per_minute: int = 120,
) -> tuple[ApiClient, str]:
    """Make a client and its service account; returns the client and its token.

    The token is returned once and never stored: only its hash is kept.
    """
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    user = get_user_model()(
        username=f"api-{slugify(name)[:120]}", first_name=name[:150], is_active=True
    )
    user.set_unusable_password()
    user.save()
    client = ApiClient(
        name=name,
        user=user,
        scopes=sorted(set(scopes)),
        local_team=local_team,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    token = api_client_set_token(client=client, save=False)
    client.save()
    return client, token


def api_client_set_token(*, client: ApiClient, save: bool = True) -> str:
    """Give the client a new token (the old one stops working); returns it."""
    token = token_generate()
    client.token_hash = token_hash(token)
    client.token_hint = token[:10]
    if save:
        client.save(update_fields=["token_hash", "token_hint"])
    return token


def api_client_touch(*, client: ApiClient) -> None:
    """Note that the client was just used (at most once a minute)."""
    now = timezone.now()
    if client.last_used_at and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    client.last_used_at = now
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
