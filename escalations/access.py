"""Who may see which escalations and clusters: every local-team page starts here.

A local team member (tier 1) sees the escalations handed to their team and the
clusters at settings in their team's areas; another team's item is a 404, so its
existence is never confirmed. Superusers see every team's. Cases and contacts are
scoped by staffing.access.scope_work_items (their `visible_to`).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from areas.models import LocalTeam
from staffing.access import profile_of
from staffing.models import StaffProfile, Tier

from .models import Cluster, Escalation


def local_profile_of(user) -> StaffProfile | None:
    """The user's profile when they work for a local team, else None."""
    profile = profile_of(user)
    if profile is None or profile.tier != Tier.LOCAL or not user.is_active:
        return None
    return profile


def require_workspace(user) -> StaffProfile | None:
    """Let local team staff (and superusers) in; refuse everyone else with a 403.

    Returns the local profile (None for a superuser without one).
    """
    profile = local_profile_of(user)
    if profile is None and not user.is_superuser:
        raise PermissionDenied("This workspace is for local public health teams.")
    return profile


def team_of(user) -> LocalTeam | None:
    profile = local_profile_of(user)
    return profile.local_team if profile else None


def is_team_supervisor(user, team_id: int) -> bool:
    """A supervisor of this local team (superusers may act for any team)."""
    if user.is_superuser:
        return True
    profile = local_profile_of(user)
    return bool(profile and profile.is_supervisor and profile.local_team_id == team_id)


def escalations_visible_to(user) -> QuerySet[Escalation]:
    profile = local_profile_of(user)
    if profile is not None:
        return Escalation.objects.filter(local_team_id=profile.local_team_id)
    if user.is_superuser:
        return Escalation.objects.all()
    return Escalation.objects.none()


def get_escalation_for_user(user, pk: int) -> Escalation:
    """The escalation with its item and people loaded, or 404."""
    try:
        return (
            escalations_visible_to(user)
            .select_related(
                "local_team",
                "picked_up_by",
                "created_by",
                "case__person__language",
                "case__area",
                "contact__person__language",
                "contact__area",
                "contact__case",
            )
            .get(pk=pk)
        )
    except Escalation.DoesNotExist:
        raise Http404("No such escalation.") from None


def clusters_visible_to(user) -> QuerySet[Cluster]:
    profile = local_profile_of(user)
    if profile is not None:
        return Cluster.objects.filter(area__local_team_id=profile.local_team_id)
    if user.is_superuser:
        return Cluster.objects.all()
    return Cluster.objects.none()


def get_cluster_for_user(user, pk: int) -> Cluster:
    try:
        return clusters_visible_to(user).select_related("setting", "area").get(pk=pk)
    except Cluster.DoesNotExist:
        raise Http404("No such cluster.") from None
