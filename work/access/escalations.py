"""Who may see and act on escalations: the local teams' side of the service.

A local team member (tier 1) sees the escalations handed to their team and may work
them (pick up, act, close, send back); the team's supervisor may also give one to
another member. Administrators may do all of that for any team. An API client sees
and works its team's escalations (every team's, for a national client). National
supervisors and their staff see none: the case and contact pages show that an item
went to a local team, and which; what the team does with it is the team's (see
docs/access.md). Another team's escalation is a 404, so its existence is never told.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import F, QuerySet
from django.http import Http404

from escalations.models import Escalation
from staffing.models import StaffProfile, Tier

from .actor import Actor


def latest_escalation(item: Any) -> Escalation | None:
    """The item's (a case's or a contact's) open escalation, else its latest closed
    one; None if it never went to a local team: whose team's rule stands for it
    (contacts_refusal, details_correct_refusal)."""
    return (
        Escalation.objects.filter(**{f"{item.kind}_id": item.pk})
        .order_by(F("closed_at").desc(nulls_first=True), "-created_at", "-pk")
        .first()
    )


def local_profile_of(who: Actor | Any) -> StaffProfile | None:
    """The profile when the actor works for a local team, else None."""
    actor = Actor.of(who)
    if actor.profile is None or actor.profile.tier != Tier.LOCAL:
        return None
    return actor.profile


def require_local_workspace(who: Actor | Any) -> StaffProfile | None:
    """Let local team staff (and administrators) into the local pages; 403 others.

    Returns the local profile (None for an administrator without one).
    """
    actor = Actor.of(who)
    profile = local_profile_of(actor)
    if profile is None and not actor.is_admin:
        raise PermissionDenied("This workspace is for local public health teams.")
    return profile


def escalations_visible_to(who: Actor | Any) -> QuerySet[Escalation]:
    actor = Actor.of(who)
    if actor.sees_everything:
        return Escalation.objects.all()
    team_id = actor.local_team_id
    if team_id is not None:
        return Escalation.objects.filter(local_team_id=team_id)
    return Escalation.objects.none()


def get_escalation_for(who: Actor | Any, pk: Any) -> Escalation:
    """The escalation with its item and people loaded, or 404."""
    try:
        return (
            escalations_visible_to(who)
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
    except (Escalation.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such escalation.") from None


def may_work_escalation(who: Actor | Any, escalation: Escalation) -> bool:
    """Pick up, record an action, close, send back: the escalation's team (a member
    or its bound client), a national client, or an administrator."""
    actor = Actor.of(who)
    if actor.sees_everything:
        return True
    return actor.local_team_id == escalation.local_team_id


def may_reassign_escalation(who: Actor | Any, escalation: Escalation) -> bool:
    """Giving an escalation to another member: the team's supervisor, or an
    administrator."""
    actor = Actor.of(who)
    if actor.is_admin:
        return True
    profile = local_profile_of(actor)
    return bool(
        profile
        and profile.is_supervisor
        and profile.local_team_id == escalation.local_team_id
    )
