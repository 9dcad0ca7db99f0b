"""Reads for the training pages."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery

from ..models import StaffProfile, TrainingCompletion, TrainingModule


def training_for(profile: StaffProfile) -> list[TrainingModule]:
    """The modules of a person's tier, each with `completed_on` (or None)."""
    done = TrainingCompletion.objects.filter(
        profile=profile, module=OuterRef("pk")
    ).values("completed_on")[:1]
    return list(
        TrainingModule.objects.filter(tier=profile.tier)
        .annotate(completed_on=Subquery(done))
        .order_by("-required", "name")
    )
