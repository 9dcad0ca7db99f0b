"""Writes for API clients."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from areas.models import LocalTeam
from audit.models import AuditEvent
from audit.services import audit_record

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
    expires_at: datetime | None = None,
) -> tuple[ApiClient, str]:
    """Make a client and its service account; returns the client and its token
    (which expires at `expires_at`; None: never).

    The token is returned once and never stored: only its hash is kept.
    """
    unknown = set(scopes) - set(Scope.values)
    if unknown:
        raise ValueError(f"Unknown scopes: {', '.join(sorted(unknown))}")
    user = get_user_model()(
        username=_free_username(f"api-{slugify(name)[:120]}"),
        first_name=name[:150],
        is_active=True,
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
    token = api_client_set_token(client=client, save=False, expires_at=expires_at)
    client.save()
    return client, token


def _free_username(wanted: str) -> str:
    """`wanted`, or with a number added when an account has it already: names that
    differ only in punctuation or case ("Hunt Lab!", "Hunt-Lab") slugify alike, and
    the second was an IntegrityError (a 500 in the admin)."""
    taken = set(
        get_user_model()
        .objects.filter(username__startswith=wanted)
        .values_list("username", flat=True)
    )
    username, n = wanted, 1
    while username in taken:
        n += 1
        username = f"{wanted}-{n}"
    return username


TOKEN_FIELDS = [
    "token_hash",
    "token_hint",
    "expires_at",
    "previous_token_hash",
    "previous_token_expires_at",
]


class TokenExpiryNeeded(ValueError):
    """A token cannot be given without a new expiry: the client's has passed (a new
    token keeping it would be expired already), or the one given is not ahead."""


def token_expiry_for_new_token(
    *, client: ApiClient, expires_at: datetime | None, now: datetime
) -> datetime | None:
    """The expiry of a token given to `client` now, one policy for every door (the
    admin's actions, rotate_api_token): `expires_at` when one is given (it must be
    ahead); otherwise the client's own, kept while it is ahead (None: never).
    Raises TokenExpiryNeeded when the client's expiry has passed and no new one is
    given, or the one given has passed."""
    if expires_at is not None:
        if expires_at <= now:
            raise TokenExpiryNeeded(
                f"The new expiry ({_when(expires_at)}) has passed already: give one "
                "in the future."
            )
        return expires_at
    if client.expires_at is not None and client.expires_at <= now:
        raise TokenExpiryNeeded(
            f"The token of {client.name} expired on {_when(client.expires_at)}, so "
            "a new token keeping that expiry would not work: give the new token "
            "an expiry in the future."
        )
    return client.expires_at


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")


def api_client_set_token(
    *, client: ApiClient, save: bool = True, expires_at: datetime | None = None
) -> str:
    """Give the client a new token, expiring at `expires_at` (None: never); the old
    one, and any previous one still in its grace, stop working now. Returns the
    token, which is not stored: only its hash is kept."""
    token = token_generate()
    client.token_hash = token_hash(token)
    client.token_hint = token[:10]
    client.expires_at = expires_at
    client.previous_token_hash = ""
    client.previous_token_expires_at = None
    if save:
        client.save(update_fields=TOKEN_FIELDS)
    return token


@transaction.atomic
def api_client_rotate_token(
    *, client: ApiClient, by=None, expires_at: datetime | None = None
) -> str:
    """Give the client a new token (returned once) while the one it uses keeps
    working for API_TOKEN_ROTATION_GRACE, so the integration can switch; never past
    that token's own expiry. Audited.

    The new token expires at `expires_at` when given, else keeps the client's
    expiry (None: never); a client whose expiry has passed must be given a new one
    (TokenExpiryNeeded, nothing changed: see token_expiry_for_new_token).

    Rotated again while the previous token's grace is still running (the new token
    was lost before it was handed over, say), the previous token keeps its grace:
    it is the one the integration still uses. The token the first rotation issued,
    shown once and never put to use, is the one that stops working. One token in
    grace at a time, so at most two tokens work at once.
    """
    # Locked, so two rotations at once cannot both demote the same token.
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    now = timezone.now()
    new_expiry = token_expiry_for_new_token(
        client=locked, expires_at=expires_at, now=now
    )
    if locked.previous_token_in_grace(now):
        previous_hash = locked.previous_token_hash
        grace_ends = locked.previous_token_expires_at
    else:
        previous_hash = locked.token_hash
        grace_ends = now + settings.API_TOKEN_ROTATION_GRACE
        if locked.expires_at is not None:
            grace_ends = min(grace_ends, locked.expires_at)
    token = api_client_set_token(client=locked, save=False, expires_at=new_expiry)
    locked.previous_token_hash = previous_hash
    locked.previous_token_expires_at = grace_ends
    locked.save(update_fields=TOKEN_FIELDS)
    for field in TOKEN_FIELDS:
        setattr(client, field, getattr(locked, field))
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        detail={"token": "rotated"},
    )
    return token


@transaction.atomic
def api_client_reissue_token(
    *, client: ApiClient, by=None, expires_at: datetime | None = None
) -> str:
    """Give the client a new token and stop the old one NOW (a leaked token). The
    new token's expiry follows the rotation's policy: `expires_at` when given, else
    the client's own while it is ahead (TokenExpiryNeeded once it has passed).
    Audited."""
    new_expiry = token_expiry_for_new_token(
        client=client, expires_at=expires_at, now=timezone.now()
    )
    token = api_client_set_token(client=client, expires_at=new_expiry)
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=client,
        detail={"token": "reissued"},
    )
    return token


def api_client_touch(*, client: ApiClient) -> None:
    """Note that the client was just used (at most once a minute)."""
    now = timezone.now()
    if client.last_used_at and now - client.last_used_at < LAST_USED_RESOLUTION:
        return
    client.last_used_at = now
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
