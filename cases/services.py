"""Writes for cases, and the transitions every kind of work item shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from people.services import PersonDetails, person_find_or_create
from staffing.assignment import work_arrived

from .errors import IllegalTransition
from .models import COMPLEX_SETTINGS, Case
from .workitem import WorkItem


@dataclass
class TestResult:
    """One positive result as a lab sends it."""

    lab_reference: str
    person: PersonDetails
    specimen_date: date
    result_date: date
    symptom_onset: date | None = None
    complex_setting: str = ""


@transaction.atomic
def case_intake(
    *, result: TestResult, source: str = Case.Source.API, now: datetime | None = None
) -> tuple[Case, bool]:
    """Make the case for a positive result, once: the same lab reference again
    returns the existing case unchanged (created is then False).

    A complex setting sends the case straight to the local team of its area.
    Raises ValidationError for a malformed postcode or phone.
    """
    existing = Case.objects.filter(lab_reference=result.lab_reference).first()
    if existing is not None:
        return existing, False
    now = now or timezone.now()
    person, _ = person_find_or_create(details=result.person)
    case = Case(
        person=person,
        lab_reference=result.lab_reference,
        specimen_date=result.specimen_date,
        result_date=result.result_date,
        symptom_onset=result.symptom_onset,
        source=source,
        area=person.area,
        area_unknown=person.area_id is None,
        complex_setting=result.complex_setting,
        complexity=Case.Complexity.COMPLEX
        if result.complex_setting in COMPLEX_SETTINGS
        else Case.Complexity.ROUTINE,
        created_at=now,
    )
    case.refresh_isolation()
    case.start_clock(now)
    try:
        # A savepoint, so a concurrent intake of the same result is a lookup, not an error.
        with transaction.atomic():
            case.save()
    except IntegrityError:
        existing = Case.objects.filter(lab_reference=result.lab_reference).first()
        if existing is None:
            raise
        return existing, False
    if case.complexity == Case.Complexity.COMPLEX:
        from escalations.models import Escalation
        from escalations.services import item_escalate

        item_escalate(
            item=case,
            reason=Escalation.Reason.COMPLEX,
            detail=f"Complex setting: {case.get_complex_setting_display()}",
            by=None,
            now=now,
        )
    else:
        work_arrived()
    return case, True


# --- transitions shared by cases and contacts -----------------------------------------


@transaction.atomic
def item_assign(
    *, item: WorkItem, to, by=None, now: datetime | None = None
) -> WorkItem:
    """Give an item to a person (a supervisor's reassignment when it had one)."""
    locked = item.locked()
    previous = locked.assignee_id
    locked.mark_assigned(to=to, now=now or timezone.now())
    if by is not None:
        audit_record(
            user=by,
            action=AuditEvent.Action.REASSIGN if previous else AuditEvent.Action.ASSIGN,
            obj=locked,
            detail={"from": previous, "to": to.pk},
        )
    return locked


@transaction.atomic
def item_release(*, item: WorkItem, by=None, reason: str = "") -> WorkItem:
    """Put an item back in the pool."""
    locked = item.locked()
    previous = locked.assignee_id
    locked.mark_released()
    if by is not None:
        audit_record(
            user=by,
            action=AuditEvent.Action.REASSIGN,
            obj=locked,
            detail={"from": previous, "to": None, "reason": reason},
        )
    return locked


@transaction.atomic
def item_complete(*, item: WorkItem, by, now: datetime | None = None) -> WorkItem:
    locked = item.locked()
    if isinstance(locked, Case) and not hasattr(locked, "assessment"):
        raise IllegalTransition(
            "Record the risk assessment before completing the case."
        )
    locked.mark_completed(now=now or timezone.now())
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        detail={"status": locked.status},
    )
    return locked
