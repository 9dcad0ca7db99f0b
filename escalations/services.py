from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.models import Area
from areas.services import fallback_team
from audit.models import AuditEvent
from audit.services import audit_record
from cases.errors import IllegalTransition
from cases.rules import CallRule
from cases.workitem import UNREACHED, Status, WorkItem

from .models import Escalation, EscalationAction

log = logging.getLogger(__name__)

# How long a local team has to pick up and act on an escalation.
DUE_WITHIN = {
    Escalation.Reason.SAFEGUARDING: timedelta(hours=4),
    Escalation.Reason.COMPLEX: timedelta(hours=12),
}
DEFAULT_DUE_WITHIN = timedelta(hours=24)


@transaction.atomic
def item_escalate(
    *,
    item: WorkItem,
    reason: str,
    detail: str = "",
    by=None,
    now: datetime | None = None,
) -> Escalation:
    """Hand an item to the local team of its area (the fallback team if none).

    Exactly once: an item already escalated raises IllegalTransition, and the
    database refuses a second open escalation even under a race.
    """
    now = now or timezone.now()
    locked = item.locked()
    team = locked.area.local_team if locked.area_id else fallback_team()
    locked.mark_escalated(team=team, now=now)
    escalation = Escalation.objects.create(
        **{locked.kind: locked},
        local_team=team,
        reason=reason,
        detail=detail,
        area_unknown=locked.area_id is None,
        created_at=now,
        created_by=by,
        due_at=now + DUE_WITHIN.get(reason, DEFAULT_DUE_WITHIN),
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.ESCALATE,
        obj=locked,
        detail={"team": team.code, "reason": reason},
    )
    item.refresh_from_db()
    return escalation


def _locked(escalation: Escalation) -> Escalation:
    return Escalation.objects.select_for_update().get(pk=escalation.pk)


@transaction.atomic
def escalation_claim(
    *, escalation: Escalation, by, now: datetime | None = None
) -> Escalation:
    """A team member picks the escalation up; only one can."""
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is closed.")
    if locked.status != Escalation.Status.NEW:
        who = _name(locked.picked_up_by) if locked.picked_up_by else "someone"
        raise IllegalTransition(f"This escalation was already picked up by {who}.")
    locked.status = Escalation.Status.PICKED_UP
    locked.picked_up_by = by
    locked.picked_up_at = now or timezone.now()
    locked.save(update_fields=["status", "picked_up_by", "picked_up_at"])
    return locked


def _name(user) -> str:
    return user.get_full_name() or user.username


@transaction.atomic
def escalation_reassign(
    *, escalation: Escalation, to, by, now: datetime | None = None
) -> Escalation:
    """A local team's supervisor hands an open escalation to another team member.

    Only an active tier 1 member of the escalation's own team may hold it; the
    caller checks that `by` supervises the team.
    """
    from staffing.models import StaffProfile, Tier

    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is closed.")
    in_team = StaffProfile.objects.filter(
        user=to,
        user__is_active=True,
        tier=Tier.LOCAL,
        local_team_id=locked.local_team_id,
    ).exists()
    if not in_team:
        raise IllegalTransition(
            f"{_name(to)} is not a member of {locked.local_team.name}."
        )
    previous = locked.picked_up_by_id
    locked.picked_up_by = to
    fields = ["picked_up_by"]
    if locked.status == Escalation.Status.NEW:
        locked.status = Escalation.Status.PICKED_UP
        locked.picked_up_at = now or timezone.now()
        fields += ["status", "picked_up_at"]
    locked.save(update_fields=fields)
    audit_record(
        user=by,
        action=AuditEvent.Action.REASSIGN,
        obj=locked.item,
        detail={"escalation": locked.pk, "from": previous, "to": to.pk},
    )
    return locked


@transaction.atomic
def escalation_record_action(
    *, escalation: Escalation, kind: str, note: str, by, now: datetime | None = None
) -> EscalationAction:
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is closed.")
    return EscalationAction.objects.create(
        escalation=locked, kind=kind, note=note, by=by, at=now or timezone.now()
    )


@transaction.atomic
def escalation_close(
    *,
    escalation: Escalation,
    outcome: str,
    note: str = "",
    by,
    now: datetime | None = None,
) -> Escalation:
    """Close with an outcome; "reached" counts the item reached by the local route."""
    if outcome == Escalation.Outcome.RETURNED:
        raise IllegalTransition(
            "Use 'send back' to return an item to the national queue."
        )
    now = now or timezone.now()
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is already closed.")
    item = locked.item.locked()
    item.mark_closed(reached=outcome == Escalation.Outcome.REACHED, now=now)
    locked.status = Escalation.Status.CLOSED
    locked.outcome = outcome
    locked.outcome_note = note
    locked.closed_at = now
    if locked.picked_up_at is None:
        locked.picked_up_at, locked.picked_up_by = now, by
    locked.save(
        update_fields=[
            "status",
            "outcome",
            "outcome_note",
            "closed_at",
            "picked_up_at",
            "picked_up_by",
        ]
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        detail={"escalation": locked.pk, "outcome": outcome},
    )
    return locked


@transaction.atomic
def escalation_return(
    *,
    escalation: Escalation,
    note: str,
    by,
    new_phone: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Send the item back to the national queue (e.g. the team found a new number)."""
    now = now or timezone.now()
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is already closed.")
    item = locked.item.locked()
    if new_phone:
        item.person.phone = new_phone
        item.person.full_clean(exclude=["area", "language"])
        item.person.save(update_fields=["phone", "updated_at"])
    item.mark_returned(now=now)
    locked.status = Escalation.Status.CLOSED
    locked.outcome = Escalation.Outcome.RETURNED
    locked.outcome_note = note
    locked.closed_at = now
    locked.save(update_fields=["status", "outcome", "outcome_note", "closed_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        detail={"escalation": locked.pk, "outcome": "returned"},
    )
    from staffing.assignment import work_arrived

    work_arrived()  # back in the pool: ask for an assignment run once committed
    return locked


REASON_FOR_LAST_OUTCOME = {
    "wrong_number": Escalation.Reason.WRONG_NUMBER,
    "refused": Escalation.Reason.REFUSED,
}
# Items escalated per transaction by one sweep batch.
SWEEP_BATCH = 2000


def _call_history(kind: str, pks: list[int]) -> dict[int, list[tuple]]:
    """Every call to each item, oldest first, in one query."""
    from calls.models import CallAttempt

    history: dict[int, list[tuple]] = defaultdict(list)
    for item_id, started_at, outcome, call_back_at in (
        CallAttempt.objects.filter(**{f"{kind}_id__in": pks})
        .order_by(f"{kind}_id", "started_at", "pk")
        .values_list(f"{kind}_id", "started_at", "outcome", "call_back_at")
    ):
        history[item_id].append((started_at, outcome, call_back_at))
    return history


def _unreached_detail(attempts: int, calls: list[tuple], rule: CallRule) -> str:
    """Why it was escalated, then the whole call history, for the local team."""
    from calls.models import Outcome

    hours = int(rule.window.total_seconds() // 3600)
    plural = "s" if attempts != 1 else ""
    if not calls:
        lines = [f"Not reached within {hours} hours: never called."]
    elif attempts >= rule.max_attempts:
        lines = [f"Not reached after {attempts} call attempt{plural}."]
    else:
        lines = [f"Not reached within {hours} hours ({attempts} call attempt{plural})."]
    lines.append("Call history:" if calls else "No calls were made.")
    for started_at, outcome, call_back_at in calls:
        line = (
            f"{timezone.localtime(started_at):%a %d %b %H:%M}: {Outcome(outcome).label}"
        )
        if call_back_at:
            line += f", asked for a call back at {timezone.localtime(call_back_at):%a %d %b %H:%M}"
        lines.append(line)
    return "\n".join(lines)


def escalate_unreached(
    *, now: datetime | None = None, batch: int | None = None
) -> tuple[int, bool]:
    """One batch of the sweep: escalate unreached items whose rule is spent.

    Each kind's batch is one transaction: the due items are claimed with SKIP LOCKED,
    marked escalated by one conditional update (WorkItem.mark_escalated for many rows),
    and given their Escalation and audit rows by one insert each. Two sweeps at once
    never take the same row, and the one-open-escalation constraint refuses a double
    even if they did; a sweep killed midway rolls back its batch whole. Items whose
    postcode found no area go to the fallback team, flagged. Returns
    (escalated, more_waiting).
    """
    from cases.models import Case
    from contacts.models import Contact

    now = now or timezone.now()
    batch = batch or SWEEP_BATCH
    done = 0
    more = False
    for model in (Case, Contact):
        kind = model.kind
        rule = CallRule.for_kind(kind)
        with transaction.atomic():
            rows = list(
                model.objects.due_for_escalation(now)
                .order_by("escalate_due_at", "pk")
                .select_for_update(skip_locked=True, of=("self",))
                .values_list(
                    "pk",
                    "person_id",
                    "attempts",
                    "area__local_team_id",
                    "area__local_team__code",
                )[:batch]
            )
            if not rows:
                continue
            more = more or len(rows) == batch
            pks = [row[0] for row in rows]
            fallback = None
            if any(row[3] is None for row in rows):
                fallback = fallback_team()
            team_of = Coalesce(
                Subquery(
                    Area.objects.filter(pk=OuterRef("area_id")).values("local_team_id")[
                        :1
                    ]
                ),
                Value(fallback.pk if fallback else None),
            )
            updated = model.objects.filter(pk__in=pks, status__in=UNREACHED).update(
                status=Status.ESCALATED,
                local_team_id=team_of,
                assignee=None,
                escalated_at=now,
                next_attempt_at=None,
                escalate_due_at=None,
            )
            if updated != len(pks):
                # Only possible where rows cannot be locked (SQLite): another sweep got
                # there first; undo this batch rather than risk a double.
                raise IllegalTransition("Another sweep escalated some of these items.")
            history = _call_history(kind, pks)
            escalations, events = [], []
            for pk, person_id, attempts, team_id, team_code in rows:
                calls = history.get(pk, [])
                last = calls[-1][1] if calls else ""
                reason = REASON_FOR_LAST_OUTCOME.get(last, Escalation.Reason.UNREACHED)
                area_unknown = team_id is None  # no area, so no team of its own
                if area_unknown:
                    team_id, team_code = fallback.pk, fallback.code
                escalations.append(
                    Escalation(
                        **{f"{kind}_id": pk},
                        local_team_id=team_id,
                        reason=reason,
                        detail=_unreached_detail(attempts, calls, rule),
                        area_unknown=area_unknown,
                        created_at=now,
                        due_at=now + DUE_WITHIN.get(reason, DEFAULT_DUE_WITHIN),
                    )
                )
                events.append(
                    AuditEvent(
                        at=now,
                        action=AuditEvent.Action.ESCALATE,
                        person_id=person_id,
                        object_type=model._meta.label_lower,
                        object_id=str(pk),
                        detail={"team": team_code, "reason": reason},
                    )
                )
            Escalation.objects.bulk_create(escalations)
            AuditEvent.objects.bulk_create(events)
            done += len(rows)
    if done:
        log.info("escalated %s unreached items", done)
    return done, more
