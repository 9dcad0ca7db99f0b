"""Publishing the open slots the capacity page showed for a gap: once, however often
the confirm is sent."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction

from rows.locks import hold_until_commit
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


def gap_lock_key(tier: int) -> str:
    """The key held while a tier's gap is worked out and its slots published."""
    return f"capacity-gap:tier-{int(tier)}"


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
    the one shown. The gap is the tier's in England, whichever of its teams covers
    it, so the tier is locked (a key held until commit, rows.locks) and the gap
    worked out again under the lock: two confirms sent at once, from one supervisor
    (a double click, two tabs) or from two teams of the tier, publish once, the
    second finding the gap covered by the first. Before, only the team's row was
    locked, and two teams each published the whole gap."""
    with transaction.atomic():
        hold_until_commit([gap_lock_key(tier)])
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
