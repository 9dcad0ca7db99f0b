"""Publishing the open slots the capacity page showed for a gap: once, however often
the confirm is sent."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from staffing.models import Shift, Team
from staffing.services import shifts_publish_many

from . import capacity_selectors
from . import capacity_slots as slots_of


def gap_slots_now(
    tier: int, *, first_day: date, last_day: date, now: datetime
) -> list[slots_of.GapSlot]:
    """The open slots that would cover the tier's short hours on those days, against
    England's rota as it is now."""
    plan = capacity_selectors.capacity(now=now)
    return slots_of.gap_slots(
        plan.tiers[tier],
        first_day=first_day,
        last_day=last_day,
        now=now,
        tolerance=plan.tolerance,
    )


def gap_slots_publish(
    *,
    team: Team,
    tier: int,
    first_day: date,
    last_day: date,
    digest: str,
    by,
    now: datetime,
    reason: str = "",
) -> list[Shift] | None:
    """The slots for the tier's gap on those days, as the supervisor saw them (their
    `digest`), published through the shift service; None when the gap is no longer
    the one shown. The team's row is locked and the gap worked out again under the
    lock: two confirms sent at once (a double click, two tabs) publish once, the
    second finding the gap covered by the first (before, both published)."""
    with transaction.atomic():
        Team.objects.select_for_update().get(pk=team.pk)
        slots = gap_slots_now(tier, first_day=first_day, last_day=last_day, now=now)
        if not slots or slots_of.slots_digest(slots) != digest:
            return None
        return shifts_publish_many(
            team=team,
            plans=slots_of.slot_plans(slots),
            by=by,
            now=now,
            reason=reason,
        )
