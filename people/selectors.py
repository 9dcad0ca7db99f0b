"""Reads of people's records."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import PersonChange, PossibleDuplicate


def possible_duplicates() -> QuerySet[PossibleDuplicate]:
    """The open pairs that may be one person, the likeliest first (highest score,
    then the newest)."""
    return (
        PossibleDuplicate.objects.filter(status=PossibleDuplicate.Status.OPEN)
        .select_related("person_a", "person_b")
        .order_by("-score", "-created_at", "-id")
    )


def person_history(person_id: int) -> QuerySet[PersonChange]:
    """A person's replaced contact details, the newest first."""
    return PersonChange.objects.filter(person_id=person_id).order_by("-at", "-id")
