"""Who a signed-in person is on the staff, and the staffing pages' access rules.

Work items (cases, contacts, escalations) have their own access modules in the work
core (`work.access`); these answer only "whose profile is this" and "may they run a
team".
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied

from .models import StaffProfile, Tier


def profile_of(user) -> StaffProfile | None:
    """The user's staff profile (None for anonymous users and accounts without one)."""
    if user is None or not user.is_authenticated:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def active_profile_of(user) -> StaffProfile | None:
    """The profile of an active user, else None."""
    profile = profile_of(user)
    return profile if profile is not None and user.is_active else None


def is_national_supervisor(user) -> bool:
    """A supervisor of a national team (tier 2 or 3), or an administrator."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser and user.is_active:
        return True
    profile = active_profile_of(user)
    return profile is not None and profile.is_supervisor and profile.tier != Tier.LOCAL


def supervisor_profile(user) -> StaffProfile:
    """The user's profile if they supervise a national team (tier 2 or 3); else 403."""
    profile = active_profile_of(user)
    if profile is None or not profile.is_supervisor or profile.tier == Tier.LOCAL:
        raise PermissionDenied("Only supervisors of a national team may do this.")
    return profile


def staff_profile(user) -> StaffProfile:
    """The user's own profile; 403 for an account without one."""
    profile = active_profile_of(user)
    if profile is None:
        raise PermissionDenied("Your account has no staff profile.")
    return profile
