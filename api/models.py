"""Integration clients of the REST API: labs, dashboards, telephony, notifications."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "trc_"


class Scope(models.TextChoices):
    INTAKE = "intake", "Post positive test results"
    READ_FIGURES = "read_figures", "Read the weekly figures"
    CASEWORK = "casework", "Read and write case work"


def token_hash(token: str) -> str:
    """SHA-256 of a token: tokens are 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_generate() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiClientQuerySet(models.QuerySet["ApiClient"]):
    def for_token(self, token: str) -> ApiClient | None:
        """The active client whose current or previous (rotated) token this is,
        whether or not the token has expired: see `ApiClient.token_refusal`."""
        digest = token_hash(token)
        return (
            self.filter(
                models.Q(token_hash=digest) | models.Q(previous_token_hash=digest),
                is_active=True,
            )
            .select_related("user", "local_team")
            .first()
        )


class ApiClient(models.Model):
    """One integration, with its own token, scopes and rate.

    Only the token's hash is kept: the token itself is shown once, when made.
    A client with a local team sees and changes only that team's work.
    """

    name = models.CharField(max_length=100, unique=True)
    # The service account the client acts as: audit events and call records need a
    # user. It has no staff profile, so it can never see the web pages.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        editable=False,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_hint = models.CharField(
        max_length=12, editable=False, help_text="The token's first characters."
    )
    scopes = models.JSONField(default=list, blank=True)
    local_team = models.ForeignKey(
        "areas.LocalTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_clients",
        help_text="Set for a local team's own integration: it then sees only the "
        "team's areas.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(default=120)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The token stops working at this time; empty: it never expires.",
    )
    # After a rotation the previous token keeps working for a grace period
    # (API_TOKEN_ROTATION_GRACE), so the integration can switch to the new one.
    previous_token_hash = models.CharField(
        max_length=64, blank=True, default="", db_index=True, editable=False
    )
    previous_token_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the token replaced by the last rotation stops working.",
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rate_limit_per_minute__gte=1),
                name="api_client_rate_positive",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def previous_token_in_grace(self, now: datetime | None = None) -> bool:
        """Whether a token replaced by a rotation still works (its grace running)."""
        now = now or timezone.now()
        return bool(
            self.previous_token_hash
            and self.previous_token_expires_at is not None
            and self.previous_token_expires_at > now
            and not self._client_expired(now)
        )

    def _client_expired(self, now: datetime) -> bool:
        """Whether the client's expiry has passed: no token of it works after that,
        the one a rotation replaced included, whatever grace it was given."""
        return self.expires_at is not None and self.expires_at <= now

    def token_refusal(self, token: str, now: datetime | None = None) -> str | None:
        """Why this client's token (current or previous) no longer works, or None
        when it does."""
        now = now or timezone.now()
        digest = token_hash(token)
        if digest == self.token_hash:
            return self._expired_refusal(now)
        if self.previous_token_hash and digest == self.previous_token_hash:
            return self._previous_token_refusal(now)
        return "Invalid or inactive token."

    def _expired_refusal(self, now: datetime) -> str | None:
        """Once the client's expiry has passed, no token of it works."""
        ends = self.expires_at
        if ends is not None and ends <= now:
            return f"This token expired on {_when(ends)}; ask for a new one."
        return None

    def _previous_token_refusal(self, now: datetime) -> str | None:
        """The token a rotation replaced works until its grace ends, and never past
        the client's expiry (an administrator may bring it forward after the
        rotation): refused with the moment it stopped, the earlier of the two."""
        ends = self.previous_token_expires_at
        if ends is None:
            return "This token was replaced; use the new one, or ask for one."
        if self.expires_at is not None and self.expires_at < ends:
            return self._expired_refusal(now)
        if ends <= now:
            return (
                f"This token was replaced and expired on {_when(ends)}; use the "
                "new one, or ask for a new one."
            )
        return None


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M %Z")
