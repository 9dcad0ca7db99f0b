"""Reads of people's records."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Person, PersonChange, PossibleDuplicate


def possible_duplicates() -> QuerySet[PossibleDuplicate]:
    """The open pairs that may be one person, the likeliest first (highest score,
    then the newest)."""
    return (
        PossibleDuplicate.objects.filter(
            status=PossibleDuplicate.Status.OPEN,
            # A merge closes every pair of the merged person; this holds it anyway.
            person_a__merged_into__isnull=True,
            person_b__merged_into__isnull=True,
        )
        .select_related("person_a", "person_b")
        .order_by("-score", "-created_at", "-id")
    )


def people_merged_into(person_id: int) -> list[int]:
    """The ids of every record merged into this person, directly or through another
    merged into it (a chain of merges), in no order."""
    found: list[int] = []
    frontier = [person_id]
    while frontier:
        frontier = list(
            Person.objects.filter(merged_into_id__in=frontier)
            .exclude(pk__in=[person_id, *found])
            .values_list("pk", flat=True)
        )
        found += frontier
    return found


def person_history(person_id: int) -> QuerySet[PersonChange]:
    """A person's replaced contact details, the newest first."""
    return PersonChange.objects.filter(person_id=person_id).order_by("-at", "-id")
