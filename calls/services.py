from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cases.workitem import WorkItem

from .models import CallAttempt, Outcome


@transaction.atomic
def call_record(
    *,
    item: WorkItem,
    caller,
    outcome: str,
    call_back_at: datetime | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    now: datetime | None = None,
) -> CallAttempt:
    """Log one call and apply its outcome to the case or contact.

    A safeguarding concern escalates to the local team at once.
    """
    now = now or timezone.now()
    locked = item.locked()
    locked.mark_call(outcome=outcome, now=now, call_back_at=call_back_at)
    call = CallAttempt.objects.create(
        **{locked.kind: locked},
        caller=caller,
        phone=str(locked.person.phone or ""),
        started_at=now,
        duration_seconds=duration_seconds,
        outcome=outcome,
        call_back_at=call_back_at if outcome == Outcome.CALL_BACK else None,
        notes=notes,
    )
    from staffing.services import call_review_queue_if_new_starter

    call_review_queue_if_new_starter(call=call)
    if outcome == Outcome.NEEDS_INTERPRETER and not locked.person.needs_interpreter:
        locked.person.needs_interpreter = True
        locked.person.save(update_fields=["needs_interpreter", "updated_at"])
    if outcome == Outcome.SAFEGUARDING:
        from escalations.models import Escalation
        from escalations.services import item_escalate

        if locked.kind == "case":
            locked.safeguarding_flag = True
            locked.safeguarding_note = notes
            locked.save(update_fields=["safeguarding_flag", "safeguarding_note"])
        item_escalate(
            item=locked,
            reason=Escalation.Reason.SAFEGUARDING,
            detail=notes,
            by=caller,
            now=now,
        )
    item.refresh_from_db()
    return call
