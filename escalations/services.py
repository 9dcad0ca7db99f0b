from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from areas.services import fallback_team
from audit.models import AuditEvent
from audit.services import audit_record
from cases.errors import IllegalTransition
from cases.workitem import WorkItem

from .models import Escalation, EscalationAction

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


def escalate_unreached(
    *, now: datetime | None = None, batch: int = 500
) -> tuple[int, bool]:
    """One batch of the sweep: escalate unreached items whose rule is spent.

    Each item is claimed with SKIP LOCKED and escalated in the same transaction, so two
    sweeps at once never escalate one item twice. Returns (escalated, more_waiting).
    """
    from calls.models import CallAttempt
    from cases.models import Case
    from contacts.models import Contact

    now = now or timezone.now()
    done = 0
    more = False
    for model in (Case, Contact):
        with transaction.atomic():
            last_outcome = (
                CallAttempt.objects.filter(**{model.kind: OuterRef("pk")})
                .order_by("-started_at")
                .values("outcome")[:1]
            )
            items = list(
                model.objects.due_for_escalation(now)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("area__local_team", "person")
                .annotate(last_outcome=Subquery(last_outcome))
                .order_by("escalate_due_at")[:batch]
            )
            more = more or len(items) == batch
            for item in items:
                outcome = item.last_outcome or ""
                reason = REASON_FOR_LAST_OUTCOME.get(
                    outcome, Escalation.Reason.UNREACHED
                )
                attempts = item.attempts
                item_escalate(
                    item=item,
                    reason=reason,
                    detail=f"{attempts} call attempt{'s' if attempts != 1 else ''}; "
                    f"last outcome: {outcome or 'never called'}.",
                    now=now,
                )
                done += 1
    return done, more
