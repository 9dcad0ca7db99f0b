"""Writes for cases, and the transitions every kind of work item shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from areas.services import PostcodeLookup, postcode_to_area
from audit.models import AuditEvent
from audit.services import audit_record
from people.services import PersonDetails, person_find_or_create
from staffing.assignment import work_arrived

from .errors import IllegalTransition
from .models import (
    COMPLEX_SETTINGS,
    Case,
    ExposureSetting,
    RiskAssessment,
    SettingVisit,
)
from .workitem import Status, WorkItem


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
    *, result: TestResult, source: str = Case.Source.API, now: datetime | None = None
) -> tuple[Case, bool]:
    """Make the case for a positive result, once: the same lab reference again
    returns the existing case unchanged (created is then False).

    A complex setting sends the case straight to the local team of its area.
    Raises ValidationError for a malformed postcode or phone. A batch of one: the
    same code as case_intake_many, whose transaction it runs in.
    """
    [outcome] = case_intake_many(results=[result], source=source, now=now)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.case is not None
    return outcome.case, outcome.created


@transaction.atomic
def case_intake_many(
    *,
    results: Sequence[TestResult],
    source: str = Case.Source.API,
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
    for result in results:
        existing = known.get(result.lab_reference)
        if existing is not None:
            outcomes.append(IntakeOutcome(case=existing))
            continue
        try:
            with transaction.atomic():
                case = _case_create(
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
            arrived = arrived or case.complexity == Case.Complexity.ROUTINE
            outcomes.append(IntakeOutcome(case=case, created=True))
    if arrived:
        work_arrived()
    return outcomes


def _case_create(
    *, result: TestResult, source: str, now: datetime, postcodes: PostcodeLookup
) -> Case:
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
    case.refresh_isolation()
    case.start_clock(now)
    case.save()
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
    return case


# --- transitions shared by cases and contacts -----------------------------------------


@transaction.atomic
def item_assign(
    *, item: WorkItem, to, by=None, now: datetime | None = None, reason: str = ""
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
            detail={
                "from": previous,
                "to": to.pk,
                **({"reason": reason} if reason else {}),
            },
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


# --- the caseworker's entries on the case page ------------------------------------


@dataclass
class AssessmentDetails:
    """The public health risk assessment as the caseworker enters it."""

    symptomatic: bool
    symptom_onset: date | None
    occupation: str = ""
    works_in: str = ""
    vulnerabilities: str = ""
    household_size: int | None = None
    household_notes: str = ""
    clinical_notes: str = ""


@transaction.atomic
def case_assessment_record(
    *, case: Case, details: AssessmentDetails, by, now: datetime | None = None
) -> RiskAssessment:
    """Record (or revise) a case's risk assessment.

    Symptom onset lives on the case: a change recomputes the isolation end date, so
    that date is never typed by anyone.
    """
    now = now or timezone.now()
    locked = case.locked()
    if locked.status not in (Status.NEW, Status.ASSIGNED, Status.REACHED):
        raise locked._refuse("assessed")
    onset = details.symptom_onset if details.symptomatic else None
    if onset != locked.symptom_onset:
        locked.symptom_onset = onset
        locked.refresh_isolation()
        locked.save(update_fields=["symptom_onset", "isolation_ends_on"])
    assessment, created = RiskAssessment.objects.update_or_create(
        case=locked,
        defaults={
            "symptomatic": details.symptomatic,
            "occupation": details.occupation,
            "works_in": details.works_in,
            "vulnerabilities": details.vulnerabilities,
            "household_size": details.household_size,
            "household_notes": details.household_notes,
            "clinical_notes": details.clinical_notes,
            "assessed_by": by,
            "assessed_at": now,
        },
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=locked,
        detail={"assessment": assessment.pk, "symptom_onset": str(onset or "")},
    )
    case.symptom_onset, case.isolation_ends_on = onset, locked.isolation_ends_on
    return assessment


@dataclass
class VisitDetails:
    name: str
    kind: str
    visited_on: date
    address: str = ""
    postcode: str = ""


@transaction.atomic
def case_visit_add(*, case: Case, details: VisitDetails, by) -> SettingVisit:
    """Record that the case was at a setting on a day.

    The same place (name, kind and postcode) is one setting however many cases name
    it, which is what lets clusters be found. The same visit twice is refused.
    Raises ValidationError for a malformed postcode.
    """
    located = postcode_to_area(details.postcode) if details.postcode else None
    postcode = located.postcode if located else ""
    setting = (
        ExposureSetting.objects.filter(
            name__iexact=details.name.strip(), kind=details.kind, postcode=postcode
        )
        .order_by("pk")
        .first()
    )
    if setting is None:
        setting = ExposureSetting.objects.create(
            name=details.name.strip(),
            kind=details.kind,
            address=details.address,
            postcode=postcode,
            area=located.area if located else None,
            easting=located.easting if located else None,
            northing=located.northing if located else None,
        )
    if SettingVisit.objects.filter(
        case=case, setting=setting, visited_on=details.visited_on
    ).exists():
        raise IllegalTransition(
            f"This visit to {setting.name} on {details.visited_on:%d %b %Y} "
            "is already recorded."
        )
    visit = SettingVisit.objects.create(
        case=case, setting=setting, visited_on=details.visited_on
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=case,
        detail={"visit": visit.pk, "setting": setting.pk},
    )
    return visit
