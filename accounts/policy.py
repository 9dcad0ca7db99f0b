"""Who must sign in with a second factor."""

from __future__ import annotations

from django.conf import settings

from staffing.access import active_profile_of
from staffing.models import Tier


def two_factor_required(user) -> bool:
    """True for the roles named in TRACING_TWO_FACTOR_REQUIRED_FOR ("supervisor",
    "local", "admin", "all")."""
    if user is None or not user.is_authenticated:
        return False
    roles = set(settings.TRACING_TWO_FACTOR_REQUIRED_FOR)
    if "all" in roles:
        return True
    if user.is_superuser and "admin" in roles:
        return True
    profile = active_profile_of(user)
    if profile is None:
        return False
    if profile.is_supervisor and "supervisor" in roles:
        return True
    return profile.tier == Tier.LOCAL and "local" in roles
