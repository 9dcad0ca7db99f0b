"""Reads about the members of a team: who they are, who may take work now, and the
team page's overview (caps, hours booked, training, reviews)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from ..models import (
    CallReview,
    Shift,
    StaffProfile,
    Tier,
    TrainingCompletion,
    TrainingModule,
)
from .rota import hours_booked


def team_members(supervisor: StaffProfile) -> QuerySet[StaffProfile]:
    """The people a supervisor runs: their team, or everyone of their tier with no team
    when they are not attached to one."""
    qs = StaffProfile.objects.filter(user__is_active=True)
    if supervisor.team_id is not None:
        return qs.filter(team_id=supervisor.team_id)
    return qs.filter(tier=supervisor.tier, team__isnull=True)


def get_member_for_supervisor(supervisor: StaffProfile, pk: int) -> StaffProfile:
    try:
        return team_members(supervisor).select_related("user").get(pk=pk)
    except StaffProfile.DoesNotExist:
        raise Http404("No such member of your team.") from None


def eligible_staff(*, tier: int, now: datetime) -> QuerySet[StaffProfile]:
    """Staff of a tier who may take work right now (before counting their load):
    active, on a booked shift, required training done, and for tier 2 a verified,
    in-date registration."""
    on_shift = Shift.objects.on_now(now).filter(staff=OuterRef("pk"))
    qs = StaffProfile.objects.filter(tier=tier, user__is_active=True).filter(
        Exists(on_shift), ~Exists(missing_training())
    )
    if tier == Tier.CLINICAL:
        qs = qs.filter(
            registration_verified_on__isnull=False,
            registration_expires_on__gte=timezone.localdate(now),
        ).exclude(registration_number="")
    return qs


def missing_training() -> QuerySet[TrainingModule]:
    """Required modules of the outer profile's tier it has not completed (for Exists)."""
    return TrainingModule.objects.filter(tier=OuterRef("tier"), required=True).exclude(
        Exists(
            TrainingCompletion.objects.filter(
                module=OuterRef("pk"), profile=OuterRef(OuterRef("pk"))
            )
        )
    )


def blocked_by(member: Any, today: date) -> list[str]:
    """Why the assignment would pass this person over, in words."""
    reasons = []
    if member.on_shift_until is None:
        reasons.append("not on shift")
    if member.training_missing:
        reasons.append("training not complete")
    if member.tier == Tier.CLINICAL and not member.registration_valid_on(today):
        if member.registration_verified_on is None:
            reasons.append("registration not verified")
        else:
            reasons.append("registration expired")
    return reasons


def team_overview(supervisor: StaffProfile, *, now: datetime) -> list[Any]:
    """Members with their cap, hours booked this week, training and review counts."""
    modules = TrainingModule.objects.filter(tier=OuterRef("tier"), required=True)
    done = TrainingCompletion.objects.filter(
        profile=OuterRef("pk"), module__required=True, module__tier=OuterRef("tier")
    )
    reviews = CallReview.objects.filter(call__caller_id=OuterRef("user_id"))
    # Rows carry the page's annotations (and hours_this_week, set below).
    members: list[Any] = list(
        team_members(supervisor)
        .select_related("user")
        .annotate(
            modules_required=_subcount(modules, "tier"),
            modules_done=_subcount(done, "profile"),
            reviews_pending=_subcount(
                reviews.filter(reviewed_at__isnull=True), "call__caller"
            ),
            reviews_done=_subcount(
                reviews.filter(reviewed_at__isnull=False), "call__caller"
            ),
        )
        .order_by("user__last_name", "user__first_name")
    )
    booked = hours_booked(members, moment=now)
    for m in members:
        m.hours_this_week = booked.get(m.pk, 0.0)
    return members


def _subcount(qs: QuerySet, group: str) -> Coalesce:
    counted = qs.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def supervisor_emails(user) -> list[str]:
    """The email addresses of the active supervisors of a member of staff's team."""
    team_id = StaffProfile.objects.filter(user=user).values_list("team_id", flat=True)
    return sorted(
        email
        for email in StaffProfile.objects.filter(
            team_id__in=team_id,
            team__isnull=False,
            is_supervisor=True,
            user__is_active=True,
        ).values_list("user__email", flat=True)
        if email
    )
