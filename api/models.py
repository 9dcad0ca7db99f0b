"""Integration clients of the REST API: labs, dashboards, telephony, notifications."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models

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
        return (
            self.filter(token_hash=token_hash(token), is_active=True)
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

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
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
