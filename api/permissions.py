"""Who may call which endpoint: a client by its scopes, staff by their role."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from staffing.access import is_national_supervisor, profile_of
from staffing.models import Tier

from .models import ApiClient, Scope


def _staff_may(user, scope: str) -> bool:
    """What a signed-in member of staff may do through the API, as on the web."""
    if user.is_superuser:
        return True
    profile = profile_of(user)
    if profile is None or not user.is_active:
        return False
    if scope == Scope.INTAKE:
        # National supervisors take results in for labs with no feed of their own.
        return is_national_supervisor(user)
    if scope == Scope.READ_FIGURES:
        return profile.is_supervisor or profile.tier == Tier.LOCAL
    return True  # case work: the lists are scoped by visible_to()


def request_has_scope(request, scope: str) -> bool:
    """Whether the caller holds `scope`: a client by its scopes, staff by their
    role. For an endpoint that shows more to a caller holding a second scope (the
    intake shows the case to a client that may also read case work)."""
    if not (request.user and request.user.is_authenticated):
        return False
    if isinstance(request.auth, ApiClient):
        return request.auth.has_scope(scope)
    return _staff_may(request.user, scope)


def requires_scope(scope: str) -> type[BasePermission]:
    """A permission class: an API client needs `scope`, staff the matching role."""

    class HasScope(BasePermission):
        message = f"This needs the '{scope}' scope."

        def has_permission(self, request, view) -> bool:
            return request_has_scope(request, scope)

    HasScope.__name__ = f"HasScope_{scope}"
    return HasScope


IntakeScope = requires_scope(Scope.INTAKE)
FiguresScope = requires_scope(Scope.READ_FIGURES)
CaseworkScope = requires_scope(Scope.CASEWORK)
