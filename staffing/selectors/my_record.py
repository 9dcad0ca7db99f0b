"""Reads for a member's own training page: what supervisors recorded about them (the
reviews of their calls, the changes to their weekly hours cap), and only theirs."""

from __future__ import annotations

from ..models import CallReview, HoursCapChange, StaffProfile


def my_call_reviews(profile: StaffProfile) -> list[CallReview]:
    """The reviews of the member's own calls, reviewed or still waiting, each with its
    call and reviewer: newest call first. A new starter has a handful at most."""
    return list(
        CallReview.objects.filter(call__caller_id=profile.user_id)
        .select_related("call", "reviewer")
        .order_by("-call__started_at", "-pk")
    )


def my_cap_changes(profile: StaffProfile) -> list[HoursCapChange]:
    """Every change to the member's own weekly hours cap, with who made it and why:
    newest first."""
    return list(
        HoursCapChange.objects.filter(profile=profile)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
    )
