"""A positive result withdrawn: sent in error (a lab's mix-up, a void test).

One operation for every door (the lab's integration through the API, a tier 2
supervisor on the case page): case_withdraw. In one transaction, under the case's
lock:

- the case ends as withdrawn (its own status, never "completed"), with when, who
  and why; nobody holds it, no call or deadline is due, no local team has it, its
  open escalations are closed as "withdrawn" (an outcome only this sets: the team
  looked for nobody) with a note saying why, its links stop working and its texts
  not yet sent never go;
- each contact only this case named (no other case, not itself withdrawn, named
  them) is withdrawn likewise; a contact another case named too stays open, its end
  date worked out again from the namings left (unless a clinician overrode it, or
  it follows their own case), never later than it was;
- a contact row of the case's own person that followed this case (they were a
  contact, then tested positive) follows their other case isolating now, or goes
  back to its own date as a contact;
- a withdrawn case or contact no longer isolates: its end date becomes yesterday at
  the latest (the date before is in its audit row), so every rule that reads "the
  person's records isolating now" (work.isolation, work.casework) leaves it out;
- each person whose date in force changed, and who had been told to stay at home
  (reached by a call, online or by their local team; or sent a text or email giving
  their date that went or is going), is told by text or email, once: that they no
  longer need to stay at home because of it, or, still isolating for another
  reason (another case of theirs, or a contact of another case), the date in force
  now. Someone whose date in force did not change (another record ends later and
  stands) is told nothing, as is someone never told to stay at home;
- every change is audited.

Withdrawn once: sent again (a lab's retry, a second click), it is answered as
already withdrawn and nothing is done or sent twice (`Withdrawn.already`).

The weekly figures leave withdrawn cases and contacts out (figures/weekly.py), and
no queue or assignment hands them out: their status is in none of the queues'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from cases.errors import IllegalTransition
from cases.models import Case, FurtherResult
from cases.workitem import Status, WorkItem
from contacts.models import Contact, Exposure, IsolationChange
from escalations.models import Escalation
from notify.services import messages_withdraw
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message
from rows.retry import atomic_operation

from .access.actor import Actor
from .access.withdraw import withdraw_refusal
from .effects import assignment_run_after_commit
from .isolation import OPEN_OR_TOLD, person_rows_isolating, told_a_date
from .online import person_told
from .pool_counts import forget_pool_count
from .rules import contact_isolation_ends_on

REASON_MAX = 1000
REASON_REQUIRED = "Say why the result is withdrawn (the lab's words, or yours)."
REASON_TOO_LONG = f"Keep the reason to {REASON_MAX} characters or fewer."

# The note an escalation closed by a withdrawal carries, before the reason.
ESCALATION_NOTE = "Closed: the positive result behind it was withdrawn (sent in error)"
NOT_SENT = "Not sent: the positive result was withdrawn"

# What a person is told, in parts, in English and Welsh: an opening by what they
# were told before (their own result, or advice as a contact), then what is true for
# them now (the phrases of online.texts' messages).
_OPENING = {
    "case": {
        "en": (
            "NHS Test and Trace: the positive coronavirus test result we told you "
            "about has been withdrawn. It was sent to us in error."
        ),
        "cy": (
            "GIG Profi ac Olrhain: mae'r canlyniad prawf coronafeirws positif y "
            "dywedon ni wrthych amdano wedi'i dynnu'n ôl. Cafodd ei anfon atom mewn "
            "camgymeriad."
        ),
    },
    "contact": {
        "en": (
            "NHS Test and Trace: we asked you to stay at home because you had been "
            "near someone with coronavirus. The test result behind that advice has "
            "been withdrawn. It was sent to us in error."
        ),
        "cy": (
            "GIG Profi ac Olrhain: gofynnon ni i chi aros gartref oherwydd eich bod "
            "wedi bod yn agos at rywun sydd â coronafeirws. Mae'r canlyniad prawf "
            "y tu ôl i'r cyngor hwnnw wedi'i dynnu'n ôl. Cafodd ei anfon atom mewn "
            "camgymeriad."
        ),
    },
}
_FREE = {
    "en": (
        " You no longer need to stay at home because of it. If you have symptoms of "
        "coronavirus, call 119 to get a test."
    ),
    "cy": (
        " Nid oes angen i chi aros gartref mwyach oherwydd hynny. Os oes gennych "
        "symptomau coronafeirws, ffoniwch 119 i gael prawf."
    ),
}
_STILL = {
    # Their date in force now comes from a contact row (another case named them).
    "contact": {
        "en": (
            " But you have also been near someone else who has coronavirus, so stay "
            "at home and isolate until the end of {until}. This replaces the date we "
            "gave you before."
        ),
        "cy": (
            " Ond rydych hefyd wedi bod yn agos at rywun arall sydd â coronafeirws, "
            "felly arhoswch gartref a hunanynysu tan ddiwedd {until}. Mae hyn yn "
            "disodli'r dyddiad a roesom i chi o'r blaen."
        ),
    },
    # From a case of their own that stands.
    "case": {
        "en": (
            " But your own positive test result still stands, so stay at home and "
            "isolate until the end of {until}. This replaces the date we gave you "
            "before."
        ),
        "cy": (
            " Ond mae canlyniad positif eich prawf eich hun yn dal i sefyll, felly "
            "arhoswch gartref a hunanynysu tan ddiwedd {until}. Mae hyn yn disodli'r "
            "dyddiad a roesom i chi o'r blaen."
        ),
    },
}


def withdrawn_text(
    told_as: str, language: str = "en", *, still: tuple[date, str] | None
) -> str:
    """The message to someone told to stay at home as `told_as` ("case": their own
    result; "contact"), in their language ("en" or "cy"): free of it (`still`
    None), or still isolating until a date because of a record of theirs of a kind
    ("case", "contact")."""
    language = language if language in _FREE else "en"
    text = _OPENING[told_as][language]
    if still is None:
        return text + _FREE[language]
    until, because = still
    return text + _STILL[because][language].format(until=long_date(until, language))


class FurtherResultsStand(IllegalTransition):
    """The case holds further positive results of the same episode (work.intake):
    withdrawing its own result would free the person though those stand."""

    def __init__(self, references: list[str]) -> None:
        self.references = references
        super().__init__(
            "Further positive results of this episode are kept with this case ("
            + ", ".join(references)
            + "): they stand, so the person still isolates. Withdraw the result only "
            "once those have been withdrawn too, or ask a clinician to check the "
            "isolation date instead."
        )


def further_results_standing(case: Case) -> list[str]:
    """The lab references of the further results kept with the case."""
    return list(
        FurtherResult.objects.filter(case=case)
        .order_by("specimen_date", "pk")
        .values_list("lab_reference", flat=True)
    )


@dataclass
class Withdrawn:
    """What a withdrawal did, for the page or the API to say."""

    case: Case
    # It was withdrawn before: nothing was done now.
    already: bool = False
    contacts_withdrawn: list[int] = field(default_factory=list)
    # Named by another case too: left open (their date worked out again).
    contacts_kept: list[int] = field(default_factory=list)
    escalations_closed: list[int] = field(default_factory=list)
    # The texts and emails telling people, one per person told.
    messages: list[Message] = field(default_factory=list)


def withdraw_reason_problems(reason: Any) -> dict[str, list[str]]:
    """The reason's problems, by field, as the page and the API say them."""
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        return {"reason": [REASON_REQUIRED]}
    if len(text) > REASON_MAX:
        return {"reason": [REASON_TOO_LONG]}
    return {}


def _in_force(person_id: int, today: date) -> tuple[date, str] | None:
    """The person's date in force (the latest end of their cases and contact rows
    isolating now, work.isolation.person_rows_isolating: a withdrawn one ends
    yesterday at the latest) and the kind of record giving it ("case" first, on a
    tie); None when nothing of theirs isolates now."""
    cases, contacts = person_rows_isolating(person_id, today)
    ends = [
        *(
            (ends_on, "case")
            for ends_on in cases.values_list("isolation_ends_on", flat=True)
        ),
        *(
            (ends_on, "contact")
            for ends_on in contacts.values_list("isolation_ends_on", flat=True)
        ),
    ]
    # The latest date; of two the same day, the case's ("case" < "contact").
    return min(ends, key=lambda end: (-end[0].toordinal(), end[1]), default=None)


def _told_to_stay_home(item: WorkItem) -> bool:
    """Reached (by a call, online or by their local team), or sent a text or email
    giving their date that went or is going (not one replaced or failed)."""
    return item.reached_at is not None or told_a_date(item)


def _end_isolation(item: WorkItem, today: date) -> dict[str, str]:
    """A withdrawn item isolates no more: its end date yesterday at the latest. The
    audit detail of the move ({} when it had ended already)."""
    yesterday = today - timedelta(days=1)
    replaced = item.isolation_ends_on
    if replaced <= yesterday:
        return {}
    item.isolation_ends_on = yesterday
    item.save(update_fields=["isolation_ends_on"])
    return {
        "isolation_ends_on": yesterday.isoformat(),
        "replaced": replaced.isoformat(),
    }


def _close_escalations(
    item: WorkItem, *, reason: str, user, now: datetime
) -> list[int]:
    """Close the item's open escalation (at most one) as "withdrawn", with a note
    saying why. Not a safeguarding concern: it is about the person, not the test,
    and stays with its team (who close it as any other: work.escalation
    .escalation_close, with an outcome of theirs)."""
    open_ = (
        Escalation.objects.select_for_update()
        .filter(**{item.kind: item}, closed_at__isnull=True)
        .exclude(reason=Escalation.Reason.SAFEGUARDING)
    )
    ids = list(open_.values_list("pk", flat=True))
    if ids:
        Escalation.objects.filter(pk__in=ids).update(
            status=Escalation.Status.CLOSED,
            closed_at=now,
            closed_by=user,
            outcome=Escalation.Outcome.WITHDRAWN,
            outcome_note=f"{ESCALATION_NOTE}: {reason}",
        )
    return ids


def _stop_messaging(item: WorkItem, now: datetime) -> None:
    """Its links stop working, and its texts and emails not yet sent never go."""
    OnlineLink.objects.filter(**{item.kind: item}, revoked_at__isnull=True).update(
        revoked_at=now
    )
    messages_withdraw(Message.objects.filter(**{item.kind: item}), reason=NOT_SENT)


def _withdraw_item(
    item: WorkItem, *, reason: str, user, now: datetime, today: date
) -> dict[str, Any]:
    """The item withdrawn: its status, queues, escalation, links, texts and end
    date (a case's who, when and why). Its audit detail so far."""
    if isinstance(item, Case):
        item.mark_withdrawn(
            now=now, withdrawn_at=now, withdrawn_by=user, withdrawn_reason=reason
        )
    else:
        item.mark_withdrawn(now=now)
    detail: dict[str, Any] = {"status": Status.WITHDRAWN}
    if closed := _close_escalations(item, reason=reason, user=user, now=now):
        detail["escalations_closed"] = closed
    _stop_messaging(item, now)
    detail.update(_end_isolation(item, today))
    return detail


def withdrawn_case_ids(case_ids: set[int]) -> set[int]:
    """Those of the cases whose positive result was withdrawn (sent in error)."""
    return set(
        Case.objects.filter(pk__in=case_ids, status=Status.WITHDRAWN).values_list(
            "pk", flat=True
        )
    )


def _namings(contact: Contact) -> list[tuple[int, date]]:
    """Each case that named the contact, with the exposure date it gave: its first
    naming (the contact's own case), and the further ones (Exposure rows)."""
    further = Exposure.objects.filter(contact=contact).values_list(
        "case_id", "exposure_date"
    )
    return [(contact.case_id, contact.exposure_date), *further]


def _follows_own_case(contact: Contact, today: date) -> bool:
    """The contact follows a case of its own person isolating now (its last switch,
    work.isolation): its date is that case's, not its namings'."""
    last = (
        IsolationChange.objects.filter(
            contact=contact, kind=IsolationChange.Kind.BECAME_CASE
        )
        .order_by("-pk")
        .values_list("became_case_id", flat=True)
        .first()
    )
    return (
        last is not None
        and Case.objects.filter(pk=last, isolation_ends_on__gte=today)
        .exclude(status=Status.WITHDRAWN)
        .exists()
    )


def _overridden(contact: Contact) -> bool:
    return IsolationChange.objects.filter(contact=contact).overrides().exists()


def _kept_date(contact: Contact, *, left: list[date], today: date) -> date | None:
    """A contact named by another case too: its end date from the namings left
    (`left`), by the contact rule; None to leave it as it is (a clinician overrode
    it, or it follows their own case), and never later than it is."""
    if not left or _overridden(contact) or _follows_own_case(contact, today):
        return None
    ends_on = contact_isolation_ends_on(last_exposure=max(left))
    return ends_on if ends_on < contact.isolation_ends_on else None


def _own_rows_back(
    case: Case, *, withdrawn: set[int], user, now: datetime, today: date
) -> list[Contact]:
    """The case's person's contact rows that followed this case (they were named,
    then this result came): each follows their other case isolating now, ending
    last, or goes back to its own date as a contact: the later of the date it had
    when it first followed this case and its namings' (those of withdrawn cases
    left out). A clinician's override since stands. Recorded and audited; the rows
    moved."""
    rows = list(
        Contact.objects.select_for_update(of=("self",))
        .filter(OPEN_OR_TOLD, person_id=case.person_id)
        .exclude(status=Status.WITHDRAWN)
        .exclude(pk__in=withdrawn)
        .order_by("pk")
    )
    other_case = (
        Case.objects.filter(person_id=case.person_id, isolation_ends_on__gte=today)
        .exclude(pk=case.pk)
        .exclude(status=Status.WITHDRAWN)
        .order_by("-isolation_ends_on", "-pk")
        .first()
    )
    moved = []
    for contact in rows:
        changes = list(IsolationChange.objects.filter(contact=contact).order_by("pk"))
        became = [c for c in changes if c.kind == IsolationChange.Kind.BECAME_CASE]
        if not became or became[-1].became_case_id != case.pk:
            continue
        first = next(c for c in became if c.became_case_id == case.pk)
        if any(
            c.kind == IsolationChange.Kind.OVERRIDE and c.pk > first.pk for c in changes
        ):
            continue  # a clinician's date since stands
        if other_case is not None:
            ends_on = other_case.isolation_ends_on
        else:
            namings = _namings(contact)
            gone = withdrawn_case_ids({case_id for case_id, _ in namings})
            left = [day for case_id, day in namings if case_id not in gone]
            ends_on = first.replaced
            if left:
                own = contact_isolation_ends_on(last_exposure=max(left))
                ends_on = max(ends_on, own)
        replaced = contact.isolation_ends_on
        detail: dict[str, Any] = {
            "withdrawn_case": case.pk,
            "isolation_ends_on": ends_on.isoformat(),
            "replaced": replaced.isoformat(),
        }
        if other_case is not None:
            change = IsolationChange.objects.create(
                contact=contact,
                kind=IsolationChange.Kind.BECAME_CASE,
                became_case=other_case,
                ends_on=ends_on,
                replaced=replaced,
                by=user,
                at=now,
            )
            detail.update(isolation_change=change.pk, became_case=other_case.pk)
        elif ends_on == replaced:
            continue
        contact.isolation_ends_on = ends_on
        contact.save(update_fields=["isolation_ends_on"])
        audit_record(
            user=user,
            action=AuditEvent.Action.UPDATE,
            obj=contact,
            detail=detail,
            at=now,
        )
        moved.append(contact)
    return moved


def _same_date(one: tuple[date, str] | None, other: tuple[date, str] | None) -> bool:
    return (one[0] if one else None) == (other[0] if other else None)


@atomic_operation
def case_withdraw(
    *, case: Case, reason: str, by, now: datetime | None = None
) -> Withdrawn:
    """Withdraw the case's positive result, sent in error, for `reason` (see the
    module's docstring for all it does). `by` is who decided it: a tier 2
    supervisor (work.access.withdraw: PermissionDenied with the reason otherwise),
    or the lab's integration (an Actor for its client, whose door has checked its
    scope and that it may see the case). ValidationError by field for a reason
    missing or too long. A case withdrawn already is returned as it is
    (`already`): nothing is done or sent again."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    if (refusal := withdraw_refusal(by)) is not None:
        raise PermissionDenied(refusal)
    if problems := withdraw_reason_problems(reason):
        raise ValidationError(problems)
    reason = reason.strip()
    locked = case.locked()
    if locked.status == Status.WITHDRAWN:
        return Withdrawn(case=locked, already=True)
    if further := further_results_standing(locked):
        raise FurtherResultsStand(further)
    user = Actor.of(by).user
    named = list(
        Contact.objects.named_by(locked.pk)
        .select_for_update(of=("self",))
        .exclude(status=Status.WITHDRAWN)
        .order_by("pk")
    )
    # Who the namings of each contact were, the cases withdrawn among them.
    namings = {contact.pk: _namings(contact) for contact in named}
    gone = withdrawn_case_ids(
        {case_id for rows in namings.values() for case_id, _ in rows}
    ) | {locked.pk}
    only_this = [
        contact
        for contact in named
        if all(case_id in gone for case_id, _ in namings[contact.pk])
    ]
    kept = [contact for contact in named if contact not in only_this]
    people = {locked.person_id, *(contact.person_id for contact in named)}
    before = {person_id: _in_force(person_id, today) for person_id in people}

    done = Withdrawn(case=locked)
    # The case.
    detail = _withdraw_item(locked, reason=reason, user=user, now=now, today=today)
    done.escalations_closed += detail.get("escalations_closed", [])
    case_detail = detail
    # Whom to tell, each by the item they were told to stay at home about.
    tellers: dict[int, tuple[WorkItem, str]] = {}
    if _told_to_stay_home(locked):
        tellers[locked.person_id] = (locked, "case")
    # The contacts only it named.
    for contact in only_this:
        detail = _withdraw_item(contact, reason=reason, user=user, now=now, today=today)
        done.escalations_closed += detail.get("escalations_closed", [])
        done.contacts_withdrawn.append(contact.pk)
        if _told_to_stay_home(contact):
            tellers.setdefault(contact.person_id, (contact, "contact"))
        audit_record(
            user=user,
            action=AuditEvent.Action.UPDATE,
            obj=contact,
            detail={"withdrawn_case": locked.pk, **detail},
            at=now,
        )
    # Those another case named too: open, their date from the namings left.
    for contact in kept:
        done.contacts_kept.append(contact.pk)
        left = [day for case_id, day in namings[contact.pk] if case_id not in gone]
        ends_on = _kept_date(contact, left=left, today=today)
        if ends_on is None:
            continue
        replaced = contact.isolation_ends_on
        contact.isolation_ends_on = ends_on
        contact.save(update_fields=["isolation_ends_on"])
        if _told_to_stay_home(contact):
            tellers.setdefault(contact.person_id, (contact, "contact"))
        audit_record(
            user=user,
            action=AuditEvent.Action.UPDATE,
            obj=contact,
            detail={
                "withdrawn_case": locked.pk,
                "isolation_ends_on": ends_on.isoformat(),
                "replaced": replaced.isoformat(),
            },
            at=now,
        )
    # The case's person's own contact rows that followed it.
    for row in _own_rows_back(
        locked, withdrawn=set(done.contacts_withdrawn), user=user, now=now, today=today
    ):
        if _told_to_stay_home(row):
            tellers.setdefault(row.person_id, (row, "contact"))

    # Tell each person told to stay at home whose date in force changed.
    for person_id, (item, told_as) in tellers.items():
        after = _in_force(person_id, today)
        if _same_date(after, before[person_id]):
            continue  # the date they go by stands: nothing new to tell
        message = person_told(
            item,
            key=f"withdrawn:{locked.pk}:{item.kind}:{item.pk}",
            body_of=partial(withdrawn_text, told_as, still=after),
        )
        if message is not None:
            done.messages.append(message)
            if item is locked:
                case_detail["message"] = message.pk
    case_detail.update(
        {
            "withdrawn": True,
            "contacts_withdrawn": done.contacts_withdrawn,
            "contacts_kept": done.contacts_kept,
        }
    )
    audit_record(
        user=user,
        action=AuditEvent.Action.UPDATE,
        obj=locked,
        detail=case_detail,
        at=now,
    )
    assignment_run_after_commit()  # its holder's place in their cap is free
    # The board's count of the pool shows it gone at once, as a supervisor's own
    # move does (work.pool_counts).
    transaction.on_commit(forget_pool_count)
    case.status, case.withdrawn_at = locked.status, locked.withdrawn_at
    return done
