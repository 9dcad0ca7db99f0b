"""Intake: positive test results arriving (through the API, an upload or the demo
seeder), each becoming one case, once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from areas.services import PostcodeLookup
from audit.models import AuditEvent
from audit.services import audit_event, audit_record_many
from cases.models import COMPLEX_SETTINGS, Case
from escalations.models import Escalation
from people.services import PersonDetails, person_find_or_create

from .effects import assignment_run_after_commit
from .escalation import item_escalate
from .online import online_case_wait, online_cases_invite
from .rules import CallRule, case_isolation_ends_on


@dataclass
class TestResult:
    """One positive result as a lab sends it."""

    lab_reference: str
    person: PersonDetails
    specimen_date: date
    result_date: date
    symptom_onset: date | None = None
    complex_setting: str = ""


@dataclass
class IntakeOutcome:
    """What became of one result of a batch: its case, or why it was refused."""

    case: Case | None = None
    created: bool = False
    # A ValidationError (a bad postcode, phone, ...) or the DatabaseError refusing it.
    error: Exception | None = None


def case_intake(
    *,
    result: TestResult,
    source: str = Case.Source.API,
    by=None,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Make the case for a positive result, once: the same lab reference again
    returns the existing case unchanged (created is then False).

    A complex setting sends the case straight to the local team of its area.
    Raises ValidationError for a malformed postcode or phone. A batch of one: the
    same code as case_intake_many, whose transaction it runs in.
    """
    [outcome] = case_intake_many(results=[result], source=source, by=by, now=now)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.case is not None
    return outcome.case, outcome.created


@transaction.atomic
def case_intake_many(
    *,
    results: Sequence[TestResult],
    source: str = Case.Source.API,
    by=None,
    now: datetime | None = None,
) -> list[IntakeOutcome]:
    """case_intake for a batch, one outcome per result in order.

    Each result is written in its own savepoint: one that fails (ValidationError, or
    a DatabaseError) leaves nothing of itself behind and is reported in its outcome,
    and the others are saved. A lab reference already received, before or earlier in
    this batch, is its existing case unchanged. The lab references already known are
    found in one query, and areas are fetched once per batch.
    """
    now = now or timezone.now()
    known = {
        case.lab_reference: case
        for case in Case.objects.filter(
            lab_reference__in={result.lab_reference for result in results}
        )
    }
    postcodes = PostcodeLookup()
    outcomes = []
    arrived = False
    events = []
    invited: list[Case] = []
    for result in results:
        existing = known.get(result.lab_reference)
        if existing is not None:
            outcomes.append(IntakeOutcome(case=existing))
            continue
        try:
            with transaction.atomic():
                case, invite = _case_create(
                    result=result, source=source, now=now, postcodes=postcodes
                )
        except IntegrityError as exc:
            # A concurrent intake of the same result got there first: a lookup, not
            # an error (this item's savepoint is undone, its person fill-ins too).
            existing = Case.objects.filter(lab_reference=result.lab_reference).first()
            if existing is None:
                outcomes.append(IntakeOutcome(error=exc))
            else:
                known[result.lab_reference] = existing
                outcomes.append(IntakeOutcome(case=existing))
        except (ValidationError, DatabaseError) as exc:
            outcomes.append(IntakeOutcome(error=exc))
        else:
            known[result.lab_reference] = case
            if invite:
                invited.append(case)
            # Due for a call now (not escalated, not waiting for an answer online).
            arrived = arrived or (
                case.complexity == Case.Complexity.ROUTINE and not invite
            )
            outcomes.append(IntakeOutcome(case=case, created=True))
            events.append(
                audit_event(
                    user=by,
                    action=AuditEvent.Action.CREATE,
                    obj=case,
                    detail={"source": source},
                    at=now,
                )
            )
    audit_record_many(events)
    online_cases_invite(cases=invited, now=now)
    if arrived:
        assignment_run_after_commit()
    return outcomes


def _case_create(
    *, result: TestResult, source: str, now: datetime, postcodes: PostcodeLookup
) -> tuple[Case, bool]:
    """The new case and its person; a complex setting escalates it at once."""
    person, _ = person_find_or_create(details=result.person, postcodes=postcodes)
    # Route by the address on this result: the person may have moved since we last
    # heard of them.
    area = (
        postcodes(result.person.postcode).area
        if result.person.postcode
        else person.area
    )
    case = Case(
        person=person,
        lab_reference=result.lab_reference,
        specimen_date=result.specimen_date,
        result_date=result.result_date,
        symptom_onset=result.symptom_onset,
        source=source,
        area=area,
        area_unknown=area is None,
        complex_setting=result.complex_setting,
        complexity=Case.Complexity.COMPLEX
        if result.complex_setting in COMPLEX_SETTINGS
        else Case.Complexity.ROUTINE,
        created_at=now,
    )
    case.isolation_ends_on = case_isolation_ends_on(
        symptom_onset=case.symptom_onset, specimen_date=case.specimen_date
    )
    case.mark_arrived(
        now=now, escalate_due_at=CallRule.for_kind("case").escalate_due_at(now)
    )
    # A link to enter their contacts online, if they can be messaged (sent for the
    # whole batch at the end); phoned if they do not answer in time.
    invite = case.complexity == Case.Complexity.ROUTINE and online_case_wait(case, now)
    case.save()
    if case.complexity == Case.Complexity.COMPLEX:
        item_escalate(
            item=case,
            reason=Escalation.Reason.COMPLEX,
            detail=f"Complex setting: {case.get_complex_setting_display()}",
            by=None,
            now=now,
        )
    return case, invite
