"""Reads for the new starters' review page."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet
from django.http import Http404

from ..models import CallReview, StaffProfile
from .members import _subcount, team_members


def review_queue(supervisor: StaffProfile) -> QuerySet[CallReview]:
    """New starters' calls in the team still waiting for a supervisor, oldest first;
    not the supervisor's own (another supervisor reviews those), nor those queued
    before the caller was moved into this tier (the old tier's work)."""
    return (
        CallReview.objects.filter(
            reviewed_at__isnull=True,
            call__caller_id__in=team_members(supervisor)
            .exclude(pk=supervisor.pk)
            .values("user_id"),
        )
        .as_new_starter()
        .select_related("call__caller", "call__case__person", "call__contact__person")
        .order_by("created_at", "pk")
    )


def get_review_for_supervisor(supervisor: StaffProfile, pk: int) -> CallReview:
    try:
        return review_queue(supervisor).get(pk=pk)
    except CallReview.DoesNotExist:
        raise Http404("No such call waiting for review.") from None


def new_starters(supervisor: StaffProfile) -> list[StaffProfile]:
    """The team's new starters, with how many of their calls in their current tier
    are reviewed or waiting (as sign-off counts them); not the supervisor themself
    (another supervisor signs them off)."""
    reviews = CallReview.objects.filter(
        call__caller_id=OuterRef("user_id")
    ).as_new_starter()
    return list(
        team_members(supervisor)
        .filter(signed_off_at__isnull=True)
        .exclude(pk=supervisor.pk)
        .select_related("user")
        .annotate(
            reviews_pending=_subcount(
                reviews.filter(reviewed_at__isnull=True), "call__caller"
            ),
            reviews_done=_subcount(
                reviews.filter(reviewed_at__isnull=False), "call__caller"
            ),
        )
        .order_by("started_on", "user__last_name")
    )
