"""The caseworker's operations on a case: the risk assessment, the settings visited,
the contacts named, and completing it.

Each is refused for a case that is no longer open, and, when `by` is given, for
someone who may not work the case (work.access): the case page and the API alike.
The contacts a case names are taken from its local team too while the case is with
them (its escalation open): the escalation's page and the team's integration alike.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from areas.models import LocalTeam
from areas.services import fallback_team, postcode_to_area
from audit.models import AuditEvent
from audit.services import audit_record
from cases.errors import IllegalTransition
from cases.models import (
    COMPLEX_SETTINGS,
    Case,
    ExposureSetting,
    RiskAssessment,
    SettingVisit,
)
from cases.workitem import UNREACHED, Status, WorkItem
from clock.written import short_time
from contacts.models import Contact, Exposure, IsolationChange
from escalations.models import Escalation
from people.matching import Arrival, written_as_themselves
from people.models import Message, Person, PersonChange
from people.services import (
    PersonDetails,
    PersonFound,
    arrivals_one_at_a_time,
    person_arrival,
    person_find_or_create,
)
from rows.retry import atomic_operation

from .access.actor import Actor
from .access.cases import contacts_refusal, may_work_case
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
from .setting_names import setting_with_postcode as _setting_with_postcode
from .setting_names import setting_without_postcode as _setting_without_postcode

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


def _check_naming(case: Case, by: Actor | Any | None) -> None:
    """_check for naming contacts (contact_add): a case with the phones takes them
    from whoever may work it, and a case with its local team from whoever may work
    its open escalation there (work.access.cases.contacts_refusal); the service
    itself (`by` None) names them to an open case only."""
    if by is None:
        _check(case, None, "changed")
    elif (refusal := contacts_refusal(by, case)) is not None:
        raise refusal


def _user(by: Actor | Any | None):
    return None if by is None else Actor.of(by).user


@atomic_operation
def item_complete(*, item: WorkItem, by, now: datetime | None = None) -> WorkItem:
    """The work on a reached item is finished: for a case, once its risk assessment
    is recorded (the caseworker's "Complete the case").

    A case its risk assessment found works or studies in a complex setting
    (case_owes_complex) is not completed but goes to its local team as a complex
    case, as intake sends one the lab marks complex (_escalate_as_complex): once the
    caseworker has finished the call it was found on (logged it, added the contacts
    named on it), not mid-call. It is returned escalated."""
    now = now or timezone.now()
    locked = item.locked()
    if by is not None and not may_work_item(by, locked):
        raise PermissionDenied(f"This {locked.kind} is not yours to work.")
    if isinstance(locked, Case):
        if not RiskAssessment.objects.filter(case=locked).exists():
            raise IllegalTransition(
                "Record the risk assessment before completing the case."
            )
        if locked.status == Status.REACHED and case_owes_complex(locked):
            _escalate_as_complex(locked, by=by, now=now)
            return locked
    locked.mark_completed(now=now)
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
    complex (_complexity_assessed), and stays with the caseworker to finish the
    call; completing it sends it to its local team (item_complete). Until then a
    revised assessment revises the mark too (a care home picked by mistake and put
    right on the call). A case sent as complex already (by the lab on arrival, or
    completed so and sent back to the phones since) keeps its mark, and a case with
    its local team or closed is not assessed at all.
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
    changed |= _complexity_assessed(locked, details.works_in)
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
    case.complexity, case.complex_setting = locked.complexity, locked.complex_setting
    return assessment


def case_owes_complex(case: Case) -> bool:
    """Complex, and not yet sent to its local team as a complex case: marked so by
    its risk assessment, to go when the caseworker completes it (item_complete). A
    case the lab marks complex went on arrival (work.intake)."""
    return (
        case.complexity == Case.Complexity.COMPLEX
        and not Escalation.objects.filter(
            case=case, reason=Escalation.Reason.COMPLEX
        ).exists()
    )


def case_complex_team(case: Case) -> LocalTeam:
    """The team a case owing its complex escalation goes to (item_escalate's): its
    area's, or the fallback team for a case in no area."""
    area = case.area
    return area.local_team if area is not None else fallback_team()


def _complexity_assessed(case: Case, works_in: str) -> dict[str, str]:
    """The case's complexity as its risk assessment's "Works or studies in" makes
    it: what changed, for the audit row. Only the case's own setting counts: a visit
    to a care home is exposure, recorded as a setting visited (case_visit_add), and
    changes nothing. A routine case working in a complex setting becomes complex. One
    marked so and not sent yet (case_owes_complex) follows a revised assessment: the
    new complex setting, or routine again, with the setting it had before it was
    marked (the marking's audit row)."""
    now_complex = works_in in COMPLEX_SETTINGS
    if case.complexity == Case.Complexity.ROUTINE:
        if not now_complex:
            return {}
        complexity, setting = Case.Complexity.COMPLEX, works_in
    elif works_in == case.complex_setting or not case_owes_complex(case):
        return {}
    elif now_complex:
        complexity, setting = Case.Complexity.COMPLEX, works_in
    else:
        complexity, setting = Case.Complexity.ROUTINE, _setting_before_marked(case)
    changed = {"complexity": complexity, "complex_setting": setting}
    if case.complex_setting:
        changed["replaced_complex_setting"] = case.complex_setting
    if complexity == case.complexity:
        del changed["complexity"]
    case.complexity, case.complex_setting = complexity, setting
    case.save(update_fields=["complexity", "complex_setting"])
    return changed


def _setting_before_marked(case: Case) -> str:
    """The setting a case had (from the lab, not a complex one) before its risk
    assessment marked it complex, as that assessment's audit row keeps it."""
    marked = (
        AuditEvent.objects.filter(
            object_type=Case._meta.label_lower,
            object_id=str(case.pk),
            detail__complexity=Case.Complexity.COMPLEX,
        )
        .order_by("-at", "-pk")
        .first()
    )
    return marked.detail.get("replaced_complex_setting", "") if marked else ""


def _escalate_as_complex(case: Case, *, by, now: datetime) -> None:
    """To the local team of its area, as intake sends a case the lab marks complex
    (work.intake._case_escalate_if_complex): the same reason, so the same place in
    the team's queue and "Complex cases", and the same due time (the audit row
    alike, by who completed the case)."""
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


@atomic_operation
def case_visit_add(*, case: Case, details: VisitDetails, by) -> SettingVisit:
    """Record that the case was at a setting on a day.

    A place named with a postcode (its name, as a person reads it, and postcode)
    is one setting however many cases name it, however each spells it, whatever
    kind each gives it (_setting_with_postcode): that is what lets clusters be
    found. The setting keeps the name and kind first given; the kind each case gave
    is kept in the audit trail of their visit. Without a postcode the name alone
    says little ("Tesco", "Grandma's house"): the visit joins the one place of that
    name with a postcode in the case's area (never another case's household), or
    else a setting (name and kind) shared only by the cases of one area
    (_setting_without_postcode): never across areas, never for a household, never
    for a case with no area. A name is read as work.setting_names reads it (its
    letters and numbers: no case, accents, punctuation or spaces). The same visit
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


def contact_told_as_case(contact: Contact, *, now: datetime) -> Case | None:
    """The contact's person's own case isolating now (_own_case_isolating): their
    positive test told them to stay at home, and until when (the date the contact
    took: contact_add). Such a contact is sent nothing as a contact, no link and no
    advice ("you have been near someone who has coronavirus"): one person, told
    once. None for anyone else."""
    return _own_case_isolating(contact.person, today=timezone.localdate(now))


def _given_the_home(
    person: Person, *, case: Case, details: ContactDetails
) -> dict[str, str]:
    """A contact named as living with the case (a household contact) with no
    address held lives at the case's: given its address, and its postcode (with its
    area) when they hold none, so that their local team's page shows the door, and
    the door links them to the others escalated at it (escalations/household.py).
    Never an address they hold; nor anyone whose postcode is not the case's (the
    case's address at another postcode would be no address at all). What was
    given, as an audit event says it ({"address": "added"}): never the values."""
    home = case.person
    if (
        details.exposure != Contact.Exposure.HOUSEHOLD
        or person.address.strip()
        or not home.address.strip()
        or (person.postcode and person.postcode != home.postcode)
    ):
        return {}
    person.address = home.address
    fields, given = ["address"], {"address": "added"}
    if not person.postcode and home.postcode:
        person.postcode, person.area_id = home.postcode, home.area_id
        person.easting, person.northing = home.easting, home.northing
        fields += ["postcode", "area", "easting", "northing"]
        given["postcode"] = "added"
    person.save(update_fields=[*fields, "updated_at"])
    return given


def household_addresses_follow(
    found: PersonFound, *, case: Case, source: str, by, now: datetime
) -> set[int]:
    """The household contacts of a person whose address was just corrected
    (`found`, written: its history holds the old values) that were given it
    (_given_the_home) follow it: each named as living with them by the case whose
    result corrected it (`case`: a household named by an earlier case may have
    stayed where it was) and holding the old address at the old postcode is given
    the new address and postcode (whichever changed; the postcode with its area),
    so the door still links them (escalations/household.py). Read by the case's
    contacts, never the people table. An address of their own since (another
    value) is never replaced; a copy is known by a non-empty address. Each change is
    kept in their history, from `source`, and audited as intake audits a person it
    changes: which details, never the values. The ids of those given a new postcode
    (their contacts follow them, work.contact_area)."""
    old = {change.field: change.old_value for change in found.history}
    home = found.person
    if found.created or ("address" not in old and "postcode" not in old):
        return set()
    old_address = old.get("address", home.address)
    old_postcode = old.get("postcode", home.postcode)
    if not old_address:
        return set()
    named = Contact.objects.filter(
        case=case, exposure=Contact.Exposure.HOUSEHOLD
    ).values("person_id")
    named_again = Exposure.objects.filter(
        case=case, exposure=Contact.Exposure.HOUSEHOLD
    ).values("contact__person_id")
    copies = (
        Person.objects.select_for_update(no_key=True)
        .filter(Q(pk__in=named) | Q(pk__in=named_again))
        .filter(address=old_address, postcode=old_postcode)
        .exclude(pk=home.pk)
        .order_by("pk")
    )
    moved: set[int] = set()
    for person in copies:
        history: list[PersonChange] = []
        fields: list[str] = []
        said: dict[str, str] = {}
        if person.address != home.address:
            history.append(
                PersonChange(
                    person=person,
                    field="address",
                    old_value=person.address,
                    new_value=home.address,
                    source=source,
                    at=now,
                )
            )
            person.address = home.address
            fields.append("address")
            said["address"] = "changed"
        if person.postcode != home.postcode:
            history.append(
                PersonChange(
                    person=person,
                    field="postcode",
                    old_value=person.postcode,
                    new_value=home.postcode,
                    source=source,
                    at=now,
                )
            )
            person.postcode, person.area_id = home.postcode, home.area_id
            person.easting, person.northing = home.easting, home.northing
            fields += ["postcode", "area", "easting", "northing"]
            said["postcode"] = "changed"
            moved.add(person.pk)
        if not fields:
            continue
        person.save(update_fields=[*fields, "updated_at"])
        PersonChange.objects.bulk_create(history)
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=person,
            person=person,
            detail={"source": source, "household_of": home.pk, **said},
            at=now,
        )
    return moved


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
    """Record that a case names someone as a contact: by its caseworker while the
    case is with the phones, or by its local team while it is with them, the person
    naming them to the team (work.access.cases.contacts_refusal); contacts alike,
    for the phones, whoever named them.

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

    A household contact with no address held is given the case's (and its postcode,
    with none held: _given_the_home), whichever door names them. What the naming
    changed or filled in of a person held is audited on the person. A person who is
    a case isolating now takes their case's date, and is told nothing as a contact
    (contact_told_as_case); the contact is held back from the phones while that
    case is being worked (work.queues).
    """
    now = now or timezone.now()
    case = case.locked()
    _check_naming(case, by)
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
    # What this naming changed or filled in of a person held, by person (audited).
    person_changes: dict[int, dict[str, str]] = {}
    for _ in range(2):
        person, created = person_find_or_create(
            details=details.person,
            source=NAMED,
            now=now,
            not_person=case.person_id,
            numbers_added=numbers_added,
            changes=person_changes,
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
    home = _given_the_home(person, case=case, details=details)
    if not created and (said := {**person_changes.get(person.pk, {}), **home}):
        # As intake audits a person it changes (work.intake): which details, never
        # their values (a value replaced is kept in the person's history).
        audit_record(
            user=user,
            action=AuditEvent.Action.UPDATE,
            obj=person,
            person=person,
            detail={"source": NAMED, "case": case.pk, **said},
            at=now,
        )
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
    if created and home:
        detail["address"] = "the case's"  # where a new person's address came from
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
