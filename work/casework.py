"""The caseworker's operations on a case: the risk assessment, the settings visited,
the contacts named, and completing it.

Each is refused for a case that is no longer open, and, when `by` is given, for
someone who may not work the case (work.access): the case page and the API alike.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone

from areas.services import PostcodeArea, postcode_to_area
from audit.models import AuditEvent
from audit.services import audit_record
from cases.errors import IllegalTransition
from cases.models import (
    COMPLEX_SETTINGS,
    Case,
    ExposureSetting,
    RiskAssessment,
    SettingKind,
    SettingVisit,
)
from cases.workitem import UNREACHED, Status, WorkItem
from clock.written import short_time
from contacts.models import Contact, Exposure, IsolationChange
from escalations.models import Escalation
from people.apps import people_name_fold
from people.matching import Arrival, written_as_themselves
from people.models import Message, Person
from people.services import (
    PersonDetails,
    arrivals_one_at_a_time,
    person_arrival,
    person_find_or_create,
)
from rows.locks import hold_until_commit
from rows.retry import atomic_operation

from .access.actor import Actor
from .access.cases import may_work_case
from .access.items import may_work_item
from .contact_area import contact_follow_person
from .effects import assignment_run_after_commit
from .rules import (
    CallRule,
    calls_from,
    case_isolation_ends_on,
    contact_isolation_ends_on,
    due_to_local_team_at,
    exposure_date_problem,
    isolation_after_fact,
    no_number_to_call_q,
    visit_date_problem,
)

OPEN = (Status.NEW, Status.ASSIGNED, Status.REACHED)


def _check(case: Case, by: Actor | Any | None, action: str) -> None:
    """Refuse a change to a case that is no longer open, or by someone who may not
    work it (`by` None is the service itself: intake, the online route, the seeder)."""
    if by is not None and not may_work_case(by, case):
        raise PermissionDenied("This case is not yours to work.")
    if case.status not in OPEN:
        raise IllegalTransition(
            f"This case is {case.get_status_display().lower()}: "
            f"it can no longer be {action}."
        )


def _user(by: Actor | Any | None):
    return None if by is None else Actor.of(by).user


@atomic_operation
def item_complete(*, item: WorkItem, by, now: datetime | None = None) -> WorkItem:
    """The work on a reached item is finished: for a case, once its risk assessment
    is recorded (the caseworker's "Complete the case")."""
    locked = item.locked()
    if by is not None and not may_work_item(by, locked):
        raise PermissionDenied(f"This {locked.kind} is not yours to work.")
    if (
        isinstance(locked, Case)
        and not RiskAssessment.objects.filter(case=locked).exists()
    ):
        raise IllegalTransition(
            "Record the risk assessment before completing the case."
        )
    locked.mark_completed(now=now or timezone.now())
    audit_record(
        user=_user(by),
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        detail={"status": locked.status},
        at=locked.completed_at,
    )
    return locked


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


# What an assessment holds besides the symptom onset (kept on the case).
ASSESSED = (
    "symptomatic",
    "occupation",
    "works_in",
    "vulnerabilities",
    "household_size",
    "household_notes",
    "clinical_notes",
)


@dataclass(frozen=True)
class DrawnFrom:
    """The saved assessment a change was made from: when it was saved (`saved_at`
    None: there was no assessment yet)."""

    saved_at: datetime | None


class AssessmentSavedSince(IllegalTransition):
    """The assessment was saved by someone (or in another tab) after the version a
    change was made from: saving the change would undo theirs unseen."""

    def __init__(self, assessment: RiskAssessment, *, by_them: bool):
        user = assessment.assessed_by
        self.assessment, self.by_them = assessment, by_them
        self.saved_by = user.get_full_name() or user.get_username()
        at = short_time(assessment.assessed_at)
        if by_them:
            text = f"You saved this assessment at {at} in another tab or window"
        else:
            text = f"{self.saved_by} saved this assessment at {at}"
        super().__init__(
            f"{text}, after the version this change was made from: it is not saved."
        )


def _same_as_saved(
    case: Case, assessment: RiskAssessment, details: AssessmentDetails
) -> bool:
    """The change is what is saved already (a save sent twice): nothing to undo."""
    onset = details.symptom_onset if details.symptomatic else None
    return case.symptom_onset == onset and all(
        getattr(assessment, name) == getattr(details, name) for name in ASSESSED
    )


def _check_drawn_from(
    case: Case, details: AssessmentDetails, drawn_from: DrawnFrom, by
) -> RiskAssessment | None:
    """Refuse a change made from an older assessment than the one saved now
    (AssessmentSavedSince), unless it only repeats what is saved: then that
    assessment, saved once. None: the change was made from the current one."""
    saved = RiskAssessment.objects.filter(case=case).select_related("assessed_by")
    current = saved.first()
    if current is None or current.assessed_at == drawn_from.saved_at:
        return None
    if _same_as_saved(case, current, details):
        return current
    user = _user(by)
    raise AssessmentSavedSince(
        current, by_them=user is not None and current.assessed_by_id == user.pk
    )


def _onset_revised(case: Case, *, by, now: datetime) -> Message | None:
    """The person's contact rows take their case's changed date, and someone told a
    date by message is told the new one (work.isolation.case_onset_revised): the
    message, or None."""
    # Imported here, not above: work.isolation imports work.online, which imports
    # this module.
    from .isolation import case_onset_revised  # noqa: PLC0415

    return case_onset_revised(case=case, by=_user(by), now=now)


def isolation_after_onset(case: Case, onset: date | None) -> date:
    """The case's end date once its symptom onset is `onset` (None: no symptoms,
    counted from the test): the rule's date from it, unless a clinician's override
    stands against it (work.rules.isolation_after_fact). What saving the risk
    assessment gives, for the page to ask about before it saves."""
    return isolation_after_fact(
        current=case.isolation_ends_on,
        computed=case_isolation_ends_on(
            symptom_onset=onset, specimen_date=case.specimen_date
        ),
        overridden=IsolationChange.objects.of_item(case).overrides().exists(),
    )


@atomic_operation
def case_assessment_record(
    *,
    case: Case,
    details: AssessmentDetails,
    by,
    now: datetime | None = None,
    drawn_from: DrawnFrom | None = None,
) -> RiskAssessment:
    """Record (or revise) a case's risk assessment.

    Symptom onset lives on the case: a change recomputes the isolation end date, so
    that date is never typed by anyone (after a clinician's override, only a later
    date than the override's applies: work.rules.isolation_after_fact). The person's
    contact rows follow the new date, earlier or later, so they are told one date;
    someone told the old date by text or email is told the new one, once
    (work.isolation.case_onset_revised). The audit row says what changed: the onset
    it replaced, and the end dates before and after (and the message telling them).

    Given `drawn_from` (the case page's form: the assessment it was drawn from), a
    change made from an older assessment than the one saved now is refused
    (AssessmentSavedSince), so one person's save never silently undoes another's;
    one that repeats what is saved (sent twice) is taken as saved, once.

    A routine case found to work or study in a complex setting (cases.models
    COMPLEX_SETTINGS: the intake's rule for the lab's complex setting) becomes
    complex and goes to its local team as intake sends one the lab marks complex
    (_escalate_as_complex): the caller's `case` then says so (status escalated).
    Once: a case complex already (marked by the lab, or by an earlier assessment,
    and sent back to the phones since) is not escalated again, and a case with its
    local team or closed is not assessed at all.
    """
    now = now or timezone.now()
    locked = case.locked()
    _check(locked, by, "assessed")
    if drawn_from is not None and (
        repeated := _check_drawn_from(locked, details, drawn_from, by)
    ):
        case.symptom_onset, case.isolation_ends_on = (
            locked.symptom_onset,
            locked.isolation_ends_on,
        )
        return repeated
    onset = details.symptom_onset if details.symptomatic else None
    changed: dict[str, Any] = {}
    if onset != locked.symptom_onset:
        was = locked.isolation_ends_on
        changed["replaced_onset"] = str(locked.symptom_onset or "")
        locked.isolation_ends_on = isolation_after_onset(locked, onset)
        locked.symptom_onset = onset
        locked.save(update_fields=["symptom_onset", "isolation_ends_on"])
        changed["isolation_ends_on"] = locked.isolation_ends_on.isoformat()
        changed["replaced"] = was.isoformat()
        if locked.isolation_ends_on != was and (
            told := _onset_revised(locked, by=by, now=now)
        ):
            changed["message"] = told.pk
    # The case's own setting, not a place visited: a visit to a care home is
    # exposure, recorded as a setting visited (case_visit_add), and changes nothing.
    becomes_complex = (
        details.works_in in COMPLEX_SETTINGS
        and locked.complexity == Case.Complexity.ROUTINE
    )
    if becomes_complex:
        if locked.complex_setting:
            changed["replaced_complex_setting"] = locked.complex_setting
        changed["complex_setting"] = details.works_in
        locked.complexity = Case.Complexity.COMPLEX
        locked.complex_setting = details.works_in
        locked.save(update_fields=["complexity", "complex_setting"])
    assessment, created = RiskAssessment.objects.update_or_create(
        case=locked,
        defaults={
            **{name: getattr(details, name) for name in ASSESSED},
            "assessed_by": _user(by),
            "assessed_at": now,
        },
    )
    audit_record(
        user=_user(by),
        action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
        obj=locked,
        detail={
            "assessment": assessment.pk,
            "symptom_onset": str(onset or ""),
            **changed,
        },
    )
    case.symptom_onset, case.isolation_ends_on = onset, locked.isolation_ends_on
    if becomes_complex:
        _escalate_as_complex(locked, by=by, now=now)
        case.refresh_from_db(fields=ESCALATED_FIELDS)
    return assessment


# What escalating a case changes on it (cases.workitem mark_escalated), and its
# complexity: what the caller's copy is told after _escalate_as_complex.
ESCALATED_FIELDS = [
    "status",
    "local_team",
    "assignee",
    "escalated_at",
    "next_attempt_at",
    "escalate_due_at",
    "complexity",
    "complex_setting",
]


def _escalate_as_complex(case: Case, *, by, now: datetime) -> None:
    """To the local team of its area, as intake sends a case the lab marks complex
    (work.intake._case_escalate_if_complex): the same reason, so the same place in
    the team's queue and "Complex cases", and the same due time (the audit row
    alike, by who recorded the assessment)."""
    # Imported here, not above: work.escalation imports this module.
    from .escalation import item_escalate  # noqa: PLC0415

    item_escalate(
        item=case,
        reason=Escalation.Reason.COMPLEX,
        detail=(
            f"Complex setting: {case.get_complex_setting_display()} "
            "(works or studies there: from the risk assessment)"
        ),
        by=_user(by),
        now=now,
    )


@dataclass
class VisitDetails:
    name: str
    kind: str
    visited_on: date
    address: str = ""
    postcode: str = ""


def _shared_in(case: Case, kind: str) -> int | None:
    """The area whose cases share a setting named without a postcode: the case's.
    None when it is shared with no other case: a household (one family's
    "Grandma's house" is not another's), or a case with no area (the fallback
    team's cases live anywhere)."""
    return None if kind == SettingKind.HOUSEHOLD else case.area_id


def setting_name_key(name: str) -> str:
    """A setting's name as a person reads it: no accents, no apostrophes (straight,
    a phone's curly one, none at all), lower case (people_name_fold, as the people
    search folds names), and one space between its words. "St Hilda's  Primary",
    "ST HILDAS PRIMARY" and St Hilda's typed with a curly apostrophe are one
    school."""
    return " ".join((people_name_fold(name) or "").split())


# The spaces people type between words, dropped from a name on the database's side
# (_named): the space, the tab, and the no-break spaces a phone puts in.
_SPACES = (" ", "\t", "\u00a0", "\u202f")


def _named(settings: QuerySet[ExposureSetting], name: str) -> list[ExposureSetting]:
    """Those of `settings` named `name` as a person reads it (setting_name_key),
    first made first. `settings` is narrowed already (by area, through the index
    setting_area_kind, or by a case's visits): the database keeps only the names
    that fold (people_name_fold: PostgreSQL's, or SQLite's own, people/apps.py) to
    the same letters once their spaces are gone, and the words are compared here."""
    key = setting_name_key(name)
    letters: Func | Replace = Func(
        F("name"), function="people_name_fold", output_field=CharField()
    )
    for space in _SPACES:
        letters = Replace(letters, Value(space), Value(""))
    rows = (
        settings.alias(letters=letters)
        .filter(letters=key.replace(" ", ""))
        .order_by("pk")
    )
    found = {setting.pk: setting for setting in rows}  # a case's visits repeat one
    return [s for s in found.values() if setting_name_key(s.name) == key]


def _one_place(found: list[ExposureSetting]) -> ExposureSetting | None:
    """The first of `found` when they are all at one postcode (one place, split by
    kind before this rule); None when there are none, or they are at several."""
    return found[0] if len({s.postcode for s in found}) == 1 else None


def _setting_with_postcode(
    *, name: str, located: PostcodeArea
) -> ExposureSetting | None:
    """The setting a place named with a postcode already has, if any: the first one
    of that name (as a person reads it: setting_name_key) at that postcode, whatever
    kind it was given.

    A pupil's school is a teacher's workplace: matching on the kind too split one
    school into two settings and hid its cluster; so did matching the name as typed
    ("St Hilda's", its curly apostrophe, "St Hildas"). Settings split so before are
    left as they are; the first of them gains the new visits. Two cases naming one
    new place at once go one after the other, so the second finds the first's
    setting (and one naming it without a postcode in its area waits for it too).
    Read by the setting's area (the index setting_area_kind): a setting with a
    postcode was given that postcode's area when it was made (case_visit_add).
    """
    key = setting_name_key(name)
    area_id = located.area.pk if located.area else None
    hold_until_commit(
        [f"setting {key}:{located.postcode}"]
        + ([f"setting {key}::{area_id}"] if area_id is not None else [])
    )
    at = ExposureSetting.objects.filter(area=located.area, postcode=located.postcode)
    found = _named(at, name)
    return found[0] if found else None


def _setting_without_postcode(
    *, name: str, kind: str, case: Case
) -> ExposureSetting | None:
    """The setting a place named without a postcode already has, if any.

    The case's own, when it names the place again (another day, or the same visit
    twice, which is then refused). Otherwise, in the case's area (_shared_in: never
    for a household, never for a case with no area), the one place of that name
    with a postcode, so a case that did not know the school's postcode is in its
    cluster; or else one without a postcode that only cases of that area have
    visited, so a local team's cluster is never made of places of the same name in
    other areas. A setting visited by cases of several areas (shared by name alone
    before this rule) is left as it is: only the cases already at it find it again.
    """
    area_id = _shared_in(case, kind)
    key = setting_name_key(name)
    # Two cases of one area naming one new place at once: one after the other, so
    # the second finds the first's setting. A setting no other case shares needs
    # no hold: the case's row is held already.
    if area_id is not None:
        hold_until_commit([f"setting {key}::{area_id}"])
    own = _named(ExposureSetting.objects.filter(visits__case=case), name)
    if found := [s for s in own if not s.postcode and s.kind == kind]:
        return found[0]
    if place := _one_place([s for s in own if s.postcode]):
        return place
    if area_id is None:
        return None
    # Of that name at several postcodes in the area (two Tescos), the one the case
    # was at is not known: joining either could make a cluster of cases at two
    # places, or hide one. It is kept apart, shared only with the area's other
    # cases naming it without a postcode.
    with_postcode = ExposureSetting.objects.filter(area_id=area_id).exclude(postcode="")
    if place := _one_place(_named(with_postcode, name)):
        return place
    visits = SettingVisit.objects.filter(setting=OuterRef("pk"))
    # Settings without a postcode have no area of their own (index setting_area_kind).
    without = ExposureSetting.objects.filter(area=None, kind=kind, postcode="").filter(
        Exists(visits.filter(case__area_id=area_id)),
        ~Exists(visits.exclude(case__area_id=area_id)),
    )
    found = _named(without, name)
    return found[0] if found else None


@atomic_operation
def case_visit_add(*, case: Case, details: VisitDetails, by) -> SettingVisit:
    """Record that the case was at a setting on a day.

    A place named with a postcode (its name, as a person reads it, and postcode)
    is one setting however many cases name it, however each spells it, whatever
    kind each gives it (_setting_with_postcode): that is what lets clusters be
    found. The setting keeps the name and kind first given; the kind each case gave
    is kept in the audit trail of their visit. Without a postcode the name alone
    says little ("Tesco", "Grandma's house"): the visit joins the one place of that
    name with a postcode in the case's area, or else a setting (name and kind)
    shared only by the cases of one area (_setting_without_postcode): never across
    areas, never for a household, never for a case with no area. The same visit
    twice is refused.
    Raises ValidationError for a malformed postcode, or a day in the future or before
    the days that matter (work.rules.visit_date_problem).
    """
    case = case.locked()
    _check(case, by, "changed")
    if problem := visit_date_problem(
        day=details.visited_on, case=case, today=timezone.localdate()
    ):
        raise ValidationError({"visited_on": problem})
    located = postcode_to_area(details.postcode) if details.postcode else None
    postcode = located.postcode if located else ""
    name = details.name.strip()
    if located is not None and postcode:
        setting = _setting_with_postcode(name=name, located=located)
    else:
        setting = _setting_without_postcode(name=name, kind=details.kind, case=case)
    if setting is None:
        setting = ExposureSetting.objects.create(
            name=name,
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
            f"This visit to {setting.name} on {details.visited_on.day} "
            f"{details.visited_on:%b %Y} "
            "is already recorded."
        )
    visit = SettingVisit.objects.create(
        case=case, setting=setting, visited_on=details.visited_on
    )
    audit_record(
        user=_user(by),
        action=AuditEvent.Action.UPDATE,
        obj=case,
        detail={"visit": visit.pk, "setting": setting.pk, "kind": details.kind},
    )
    return visit


# --- a number to call found later ----------------------------------------------------


def items_back_to_the_phones(
    *,
    people: Collection[int],
    source: str,
    user=None,
    now: datetime,
    only: Mapping[str, Collection[int]] | None = None,
) -> list[WorkItem]:
    """These people had no number to call (no phone, no other phone) and their
    records have just been given one (people.services: `numbers_added`), by a case
    naming them or a result of theirs (`source`, for the audit trail). Their items
    still waiting for it, due to their local team for want of a number (not
    escalated yet, nor reached, nor closed), are the phones' again: their deadline
    is their call rule's counted from now, in calling hours, and a call is due now
    (or at the calling hours' next opening); one told online is still not phoned
    before their wait for an answer ends, if that leaves every attempt its gap. The
    assignment run is asked for, so a call handler or caseworker is given them.
    Each change is audited, as `user`'s (None: the service itself). The items
    moved, locked.

    `only`, when given, names the items that had no number, by kind ("case",
    "contact") and id: the others of these people are left alone (a merge gives
    one record's number to the other's items, not to its own: work.merge)."""
    if not people or (only is not None and not any(only.values())):
        return []
    moved: list[WorkItem] = []
    for model in (Case, Contact):
        waiting = (
            model.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(
                person_id__in=people,
                status__in=UNREACHED,
                reached_at__isnull=True,
                escalate_due_at__isnull=False,
            )
            .exclude(no_number_to_call_q("person__"))
            .order_by("pk")
        )
        if only is not None:
            waiting = waiting.filter(pk__in=only.get(model.kind, ()))
        for item in waiting:
            _back_to_the_phones(item, source=source, user=user, now=now)
            moved.append(item)
    if moved:
        assignment_run_after_commit()
    return moved


def _back_to_the_phones(item: WorkItem, *, source: str, user, now: datetime) -> None:
    """The item's deadline and next call as an item with a number's, from `now`
    (items_back_to_the_phones), audited."""
    rule = CallRule.for_kind(item.kind)
    was_due_at = item.escalate_due_at
    due_at = rule.escalate_due_at(now)
    first_call = calls_from(now)
    if item.next_attempt_at is not None and item.next_attempt_at > first_call:
        # Told online and still waiting for their answer: phoned when the wait
        # ends, but early enough for every attempt before the new deadline.
        first_call = max(
            first_call, min(item.next_attempt_at, rule.latest_first_attempt(due_at))
        )
    item.escalate_due_at, item.next_attempt_at = due_at, first_call
    item.save(update_fields=["escalate_due_at", "next_attempt_at"])
    audit_record(
        user=user,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        detail={
            "phone": "added",  # never the number itself in the trail
            "source": source,
            "escalate_due_at": due_at.isoformat(),
            "was_due_at": was_due_at.isoformat() if was_due_at else "",
            "next_attempt_at": first_call.isoformat(),
        },
        at=now,
    )


# --- contacts ---------------------------------------------------------------------


@dataclass
class ContactDetails:
    person: PersonDetails
    exposure_date: date
    exposure: str


class DuplicateContact(IllegalTransition):
    """The same person is already a contact of this case."""


OWN_CONTACT = "A case cannot be their own contact."
# Where a person's details came from, in their history and the audit trail.
NAMED = "named as a contact"


# Not reached yet: a further naming joins the contact, and the call tells them the
# latest date.
WAITING = (Status.NEW, Status.ASSIGNED, Status.ESCALATED)


def _contact_to_join(person: Person, *, ends_on: date) -> Contact | None:
    """The person's contact a new naming joins, locked: their contact still to be
    reached, or one already told to isolate at least until `ends_on` (reached,
    completed, or closed by a local team that reached them). None: a new contact,
    to tell them a later date."""
    contacts = (
        Contact.objects.select_for_update()
        .filter(person=person)
        .order_by("-isolation_ends_on", "-pk")
    )
    waiting = contacts.filter(status__in=WAITING).first()
    if waiting is not None:
        return waiting
    told = Q(status__in=(Status.REACHED, Status.COMPLETED)) | Q(
        status=Status.CLOSED, reached_at__isnull=False
    )
    return contacts.filter(told, isolation_ends_on__gte=ends_on).first()


def _own_case_isolating(person: Person, *, today: date) -> Case | None:
    """The person's own case still isolating (the one ending last): a positive test
    settles whether they were infected, so a contact of theirs is told the case's
    date, not a later one from a new exposure (work.isolation.contacts_become_cases,
    the same rule when the contact comes first)."""
    return (
        Case.objects.filter(person=person, isolation_ends_on__gte=today)
        .order_by("-isolation_ends_on", "-pk")
        .first()
    )


def _told_later_date(
    contact: Contact, exposure: Exposure, *, now: datetime
) -> Message | None:
    """Someone told their date by message already is told the later one
    (work.isolation.contact_told_later_date)."""
    # Imported here, not above: work.isolation imports work.online, which imports
    # this module.
    from .isolation import contact_told_later_date  # noqa: PLC0415

    return contact_told_later_date(contact=contact, exposure_id=exposure.pk, now=now)


def _contact_join(
    *,
    contact: Contact,
    case: Case,
    details: ContactDetails,
    user,
    now: datetime,
    own_case: Case | None = None,
) -> Contact:
    """Record a further naming of `contact` by `case`; their isolation moves to the
    latest exposure's end (by the rule of that exposure's day), never earlier: after
    a clinician's override too, which stands unless this lengthens it. A person who is
    a case isolating now (`own_case`) keeps the date they have. Someone told the
    date it replaces by message is told the later one, once (_told_later_date).

    A contact nobody has reached yet, not with a local team, follows the person's
    address as this naming gives it: its area (whose local team it would go to) is
    theirs now."""
    exposure = Exposure.objects.create(
        contact=contact,
        case=case,
        exposure_date=details.exposure_date,
        exposure=details.exposure,
        identified_by=user,
        created_at=now,
    )
    ends_on = contact.isolation_ends_on
    if own_case is None:
        ends_on = max(
            ends_on, contact_isolation_ends_on(last_exposure=details.exposure_date)
        )
    fields = []
    detail: dict[str, Any] = {
        "exposure": exposure.pk,
        "named_by_case": case.pk,
        "isolation_ends_on": ends_on.isoformat(),
    }
    replaced = contact.isolation_ends_on
    if ends_on != replaced:
        contact.isolation_ends_on = ends_on
        fields.append("isolation_ends_on")
        detail["replaced"] = replaced.isoformat()
    fields += contact_follow_person(contact, contact.person)
    if fields:
        contact.save(update_fields=fields)
    if ends_on > replaced and (told := _told_later_date(contact, exposure, now=now)):
        detail["message"] = told.pk
    audit_record(
        user=user,
        action=AuditEvent.Action.UPDATE,
        obj=contact,
        detail=detail,
        at=now,
    )
    contact.joined = exposure
    return contact


def namesake_named_before(case: Case, arrival: Arrival) -> Person | None:
    """The person this case named already as its own namesake that `arrival` is
    written as (a son of his father's name on the family's mobile, named a second
    time): the arrival has the case's own name and one of their phones or their
    email, and that person's name and phone or email too. Matching cannot find them
    (listed with the case, they are namesakes we know to be two), so a second naming
    would make a third person of one row.

    None when the arrival is not so written, is the case by their NHS number or date
    of birth (refused as the case, not as this), or gives an NHS number or date of
    birth other than the one held for the person named before (someone else of the
    name: a grandson). At most two queries: the case's person, and, for an arrival
    so written, the people the case named."""
    own = case.person
    if not written_as_themselves(arrival, own) or _same_held(arrival, own):
        return None
    named = Person.objects.filter(
        pk__in=Contact.objects.named_by(case.pk).values("person_id")
    ).exclude(pk=own.pk)
    return next(
        (
            person
            for person in named.order_by("pk")
            if written_as_themselves(arrival, person)
            and not _other_held(arrival, person)
        ),
        None,
    )


def _same_held(arrival: Arrival, person: Person) -> bool:
    """The arrival gives the person's own NHS number or date of birth."""
    return bool(
        (arrival.nhs_number and arrival.nhs_number == person.nhs_number)
        or (arrival.date_of_birth and arrival.date_of_birth == person.date_of_birth)
    )


def _other_held(arrival: Arrival, person: Person) -> bool:
    """The arrival and the person each have an NHS number or date of birth, and they
    differ."""
    return bool(
        (
            arrival.nhs_number
            and person.nhs_number
            and arrival.nhs_number != person.nhs_number
        )
        or (
            arrival.date_of_birth
            and person.date_of_birth
            and arrival.date_of_birth != person.date_of_birth
        )
    )


@atomic_operation
def contact_add(
    *, case: Case, details: ContactDetails, by=None, now: datetime | None = None
) -> Contact:
    """Record that a case names someone as a contact.

    One person is one contact to call however many cases name them. A person the
    case is, or has named already (as its own contact or as a further exposure), is
    refused; so is a namesake of the case whom the case named before (the son of
    the father's name on the family's mobile added again: namesake_named_before),
    rather than made a third person of the name. A person whose contact of another
    case is still to be reached joins it (an Exposure row; no new work item), its
    end date moving later if the new exposure's is (someone texted or emailed the
    earlier date is told the later one); so does one already told to isolate until
    at least the new exposure's end. A person told an earlier date becomes a new
    contact, to be told the later one. A new contact with no number to call (no
    phone, no other phone) is due to their local team at once: the sweep takes it,
    and no call handler is handed it. Named with a number when they had none, their
    items waiting for their local team for want of one are the phones' again
    (items_back_to_the_phones). Returns the contact made or joined; on a joined
    one, `joined` is the new Exposure row.
    """
    now = now or timezone.now()
    case = case.locked()
    _check(case, by, "changed")
    if problem := exposure_date_problem(
        day=details.exposure_date, case=case, today=timezone.localdate(now)
    ):
        raise ValidationError({"exposure_date": problem})
    arrival = person_arrival(details.person, postcode="")
    if (namesake := namesake_named_before(case, arrival)) is not None:
        raise DuplicateContact(
            f"{namesake.full_name} is already a contact of this case."
        )
    # Named by their case, they are not the case found by name and phone alone (a
    # son of his father's name on the home phone); found by NHS number or date of
    # birth, they are, and refused.
    numbers_added: set[int] = set()
    for _ in range(2):
        person, _ = person_find_or_create(
            details=details.person,
            source=NAMED,
            now=now,
            not_person=case.person_id,
            numbers_added=numbers_added,
        )
        if person.pk == case.person_id:
            raise DuplicateContact(OWN_CONTACT)
        # Two cases naming the same person at once: one after the other, so that the
        # second joins the first's contact rather than making another.
        if Person.objects.select_for_update(no_key=True).filter(pk=person.pk).exists():
            break
        # Erased (on request) while this waited for them: found again, a new person.
    else:
        raise ValidationError(
            "That person's record was changed as this was saved: add them again."
        )
    if (
        Contact.objects.filter(case=case, person=person).exists()
        or Exposure.objects.filter(case=case, contact__person=person).exists()
    ):
        raise DuplicateContact(f"{person.full_name} is already a contact of this case.")
    user = _user(by)
    # Named with a number when they had none: their items due to their local team
    # for want of one (the contact this joins, their own case) are the phones'.
    items_back_to_the_phones(people=numbers_added, source=NAMED, user=user, now=now)
    exposure_ends_on = contact_isolation_ends_on(last_exposure=details.exposure_date)
    own_case = _own_case_isolating(person, today=timezone.localdate(now))
    ends_on = own_case.isolation_ends_on if own_case else exposure_ends_on
    joining = _contact_to_join(person, ends_on=ends_on)
    if joining is not None:
        return _contact_join(
            contact=joining,
            case=case,
            details=details,
            user=user,
            now=now,
            own_case=own_case,
        )
    contact = Contact(
        case=case,
        person=person,
        exposure_date=details.exposure_date,
        exposure=details.exposure,
        area=person.area,
        area_unknown=person.area_id is None,
        identified_by=user,
        created_at=now,
        isolation_ends_on=ends_on,
    )
    contact.mark_arrived(
        now=now,
        # Told online with no number to call (named with an email, say), not
        # before their wait for an answer ends (work.online).
        escalate_due_at=due_to_local_team_at(
            person, CallRule.for_kind("contact").escalate_due_at(now), now
        ),
        first_call_at=calls_from(now),
    )
    contact.save()
    detail: dict[str, Any] = {"case": case.pk}
    if own_case is not None:
        # Told their case's date: recorded as the switch a positive test makes.
        change = IsolationChange.objects.create(
            contact=contact,
            kind=IsolationChange.Kind.BECAME_CASE,
            became_case=own_case,
            ends_on=ends_on,
            replaced=exposure_ends_on,
            by=user,
            at=now,
        )
        detail["isolation_change"] = change.pk
        detail["became_case"] = own_case.pk
    audit_record(
        user=user,
        action=AuditEvent.Action.CREATE,
        obj=contact,
        detail=detail,
        at=now,
    )
    assignment_run_after_commit()
    return contact


class ContactRowsRefused(Exception):
    """Some rows of a batch of contacts could not be added; none were saved.

    `errors` maps the row's position in the batch to the reason, in words.
    """

    def __init__(self, errors: dict[int, str]):
        super().__init__(f"{len(errors)} contact(s) could not be added.")
        self.errors = errors


@atomic_operation
def contacts_add_many(
    *, case: Case, rows: list[ContactDetails], by=None, now: datetime | None = None
) -> list[Contact]:
    """Add several contacts of a case at once: all of them, or none.

    Every row is tried (each in its own savepoint) so every bad row is reported, not
    just the first; then, if any was refused, the whole batch is rolled back. The same
    person twice in the batch is refused like a person already on the case. Returns
    the contacts made or joined (see contact_add), in the rows' order.
    """
    now = now or timezone.now()
    errors: dict[int, str] = {}
    # Every row's person held at once, in one order (people.services): taken row
    # by row, two batches sharing a postcode or a phone in other orders would
    # each wait for the other.
    arrivals_one_at_a_time(
        person_arrival(details.person, postcode=details.person.postcode)
        for details in rows
    )
    added = []
    for index, details in enumerate(rows):
        try:
            with transaction.atomic():
                added.append(contact_add(case=case, details=details, by=by, now=now))
        except DuplicateContact as exc:
            errors[index] = str(exc)
        except ValidationError as exc:
            errors[index] = " ".join(exc.messages)
    if errors:
        # Raising inside the block rolls back the rows that did go in.
        raise ContactRowsRefused(errors)
    return added


# --- drafts: typing on the case page not saved yet -------------------------------------


def case_draft_save(*, case: Case, by, section: str, data: dict[str, Any]) -> None:
    """Keep what `by` has typed in a section of the case page (the risk assessment,
    the contacts) and not saved yet, so that it is there again when the page is drawn
    again. The latest typing replaces the last; saving the section clears it.

    A draft is its writer's own: only someone who may work the case keeps one, and
    only while the case is open. Not audited: a draft is not a record until the
    section is saved, and that save is audited.
    """
    if section not in case.drafts.model.Section.values:
        raise ValueError(f"No section {section!r} of the case page keeps a draft.")
    _check(case, by, "changed")
    case.drafts.update_or_create(
        user=Actor.of(by).user, section=section, defaults={"data": data}
    )


def case_draft_clear(*, case: Case, by, section: str | None = None) -> int:
    """Forget `by`'s draft of a section of the case (once it is saved, or they clear
    it), or all of their drafts of the case (section None). Returns how many went."""
    if not may_work_case(by, case):
        raise PermissionDenied("This case is not yours to work.")
    drafts = case.drafts.filter(user=Actor.of(by).user)
    if section is not None:
        drafts = drafts.filter(section=section)
    deleted, _ = drafts.delete()
    return deleted
