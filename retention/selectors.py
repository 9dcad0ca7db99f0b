"""Which records each rule may touch now, and the reads of the admin pages (a
person's active hold, why an erasure may not be done).

A batch is claimed in two steps, each read through an index: the next rows after
the run's cursor (primary-key order) that the rule's dates allow, then, for those
rows only, what keeps some of them (looked up by their ids and their people's ids,
one query per reason). So a batch reads what it takes and what refers to it, never
a whole table, however large the service grows. The cursor moves past every row
examined; a row kept today is examined again by tomorrow's run.

What stops the clock, for every rule: an active legal hold on the person, and any
case or contact of the person still open (a record may be needed again while any
of theirs is being worked). A case under a hold is kept whole, with the people it
named (as contacts, or in further exposures): their contact rows stay, and they
are neither pseudonymised, erased, nor lose their audit trail while it is on.
Pseudonymisation waits until every case and contact of the person has been closed
for its days; a purge takes each closed record on its own once its years are up,
deepest first: contacts, then cases nothing points at any longer, then the audit
trail (but none of a person still kept), then people with nothing left.

The warnings to local teams are chosen by the same rules (contacts_to_purge,
cases_to_purge, with the warning's end for now), each record dated from when its
days run (a contact from its latest naming); and the purge of contacts and cases
takes only records a warning told of (PurgeNotice) for a day that has come, and
gone no more than a warning's days: a record kept longer than that (its person had
something open, a hold was on) is told of again before it goes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import models
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from contacts.models import Contact, Exposure
from escalations.models import Escalation
from people.models import Message, Person, PersonMerge

from .cascade import id_set, related_model, reverse_relations
from .models import LegalHold, Pseudonymisation, PurgeNotice
from .rules import CASE_DONE, CONTACT_DONE, closed_at, years_on


def active_holds() -> QuerySet[LegalHold]:
    return LegalHold.objects.filter(lifted_at__isnull=True)


def active_hold_of(person: Person) -> LegalHold | None:
    return active_holds().filter(person=person).first()


def held(person_ref: Any) -> Exists:
    """The person (an OuterRef to their id) is under an active legal hold."""
    return Exists(active_holds().filter(person=person_ref))


def _ids(rows: Iterable[int]) -> Any:
    return id_set(list(dict.fromkeys(rows)), "default")


def _column(rows: QuerySet, column: str) -> set[int]:
    return set(rows.values_list(column, flat=True))


@dataclass(frozen=True)
class PurgeDay:
    """The local day a record becomes due for purge, and its local team."""

    day: date
    team: int | None


@dataclass(frozen=True)
class Told:
    """When a purge asks whether a record was told of: the run's local day, and the
    warning's days (a warning covers its records from the day it named until that
    many days after it)."""

    on: date
    warn_days: int


@dataclass(frozen=True)
class Claim:
    """A batch: the ids to act on, and the last id examined (the next cursor)."""

    ids: list[int]
    last: int | None
    examined: int

    def finishes(self, size: int) -> bool:
        """Fewer rows were left to examine than a batch takes: the rule is done."""
        return self.examined < size


def named_by_held_cases(person_ids: Collection[int]) -> set[int]:
    """Of these people, those a case under an active legal hold named, as a contact
    or in a further exposure (the held case's record is kept whole: who it named,
    too)."""
    if not person_ids:
        return set()
    people = _ids(person_ids)
    held_case = held(OuterRef("case__person_id"))
    return _column(
        Contact.objects.filter(person_id__in=people).filter(held_case), "person_id"
    ) | _column(
        Exposure.objects.filter(contact__person_id__in=people).filter(held_case),
        "contact__person_id",
    )


def people_kept(
    person_ids: Collection[int],
    *,
    closed_by: datetime | None,
    whole_person: bool = False,
) -> set[int]:
    """Of these people, those whose records stay as they are: under an active legal
    hold, or with a case or contact still open, or an escalation of one still open
    (a safeguarding concern raised on a case already completed, which stays
    completed: work.escalation), or (given `closed_by`, for
    pseudonymisation) one not closed by then, a contact named again since, or a
    message still to be sent. With `whole_person` (what is done to the person
    themselves: pseudonymisation, the purge of their audit trail), also those a
    case under a hold named; a purge of their records one by one keeps only the
    rows the held case holds (contacts_to_purge)."""
    if not person_ids:
        return set()
    people = _ids(person_ids)
    kept = _column(active_holds().filter(person_id__in=people), "person_id")
    if whole_person:
        kept |= named_by_held_cases(person_ids)
    cases = Case.objects.filter(person_id__in=people)
    contacts = Contact.objects.filter(person_id__in=people)
    if closed_by is None:
        cases = cases.exclude(status__in=CASE_DONE)
        contacts = contacts.exclude(status__in=CONTACT_DONE)
    else:
        cases = cases.alias(closed=closed_at()).filter(
            ~Q(status__in=CASE_DONE) | Q(closed__gt=closed_by)
        )
        contacts = contacts.alias(closed=closed_at()).filter(
            ~Q(status__in=CONTACT_DONE)
            | Q(closed__gt=closed_by)
            | Exists(
                Exposure.objects.filter(
                    contact=OuterRef("pk"), created_at__gt=closed_by
                )
            )
        )
        kept |= _column(
            Message.objects.filter(
                person_id__in=people,
                status__in=[Message.Status.QUEUED, Message.Status.SENDING],
            ),
            "person_id",
        )
    # A concern a local team still works keeps the person it is about, whatever
    # the status of the case or contact it was raised on.
    open_escalations = Escalation.objects.filter(closed_at__isnull=True)
    kept |= _column(
        open_escalations.filter(case__person_id__in=people), "case__person_id"
    )
    kept |= _column(
        open_escalations.filter(contact__person_id__in=people), "contact__person_id"
    )
    return kept | _column(cases, "person_id") | _column(contacts, "person_id")


def _claim(rows: list[tuple], kept: set[int]) -> Claim:
    return Claim(
        ids=[row[0] for row in rows if row[0] not in kept],
        last=rows[-1][0] if rows else None,
        examined=len(rows),
    )


def people_to_pseudonymise(*, cutoff: datetime, after: int, size: int) -> Claim:
    """The next people every case and contact of whom has been closed since the
    cut-off at least (and people with none, made before it), not held, not
    pseudonymised yet.

    A record merged into another follows it (never chosen on its own; a hold on it
    holds the person it was merged into). Each person goes on their own records'
    dates: one who shares a phone with someone kept is not kept for it (the weekly
    figures count people by their person row, figures.weekly.person_key, which
    pseudonymising leaves as it was).
    """
    rows = list(
        Person.objects.filter(
            pk__gt=after, merged_into__isnull=True, created_at__lte=cutoff
        )
        .order_by("pk")
        .values_list("pk")[:size]
    )
    pks = [pk for (pk,) in rows]
    kept = _column(
        Pseudonymisation.objects.filter(person_id__in=_ids(pks)), "person_id"
    )
    kept |= people_kept(pks, closed_by=cutoff, whole_person=True)
    kept |= _column(
        active_holds().filter(person__merged_into_id__in=_ids(pks)),
        "person__merged_into_id",
    )
    return _claim(rows, kept)


def _told_years(told_by: date, cutoff: datetime) -> int:
    """The rule's calendar years, from the run's local day and its cut-off (that
    moment so many years back on the local clock: rules.Cutoffs). A run started
    while the purges were counted in days, and taken up after, may read a year
    more (its cut-off in the year before): its records are then kept, not taken,
    and told of again by the next run."""
    return told_by.year - timezone.localdate(cutoff).year


def purge_days(kind: str, ids: Collection[int], years: int) -> dict[int, PurgeDay]:
    """Each of these records ("contact" or "case"): the local day it becomes due
    (its calendar years counted from the local day it was closed, or for a contact
    from its latest naming when later: contacts_to_purge keeps it till then; one of
    29 February is due on 1 March of a year without one: rules.years_on) and the
    local team told of it (its area's, else the team holding it; None for
    neither)."""
    if not ids:
        return {}
    model: type[Case] | type[Contact] = Contact if kind == "contact" else Case
    rows = (
        model.objects.filter(pk__in=_ids(ids))
        .annotate(
            closed=closed_at(), team=Coalesce("area__local_team_id", "local_team_id")
        )
        .values_list("pk", "closed", "team")
    )
    named: dict[int, datetime] = {}
    if kind == "contact":
        named = dict(
            Exposure.objects.filter(contact_id__in=_ids(ids))
            .values("contact_id")
            .annotate(latest=Max("created_at"))
            .values_list("contact_id", "latest")
        )
    found = {}
    for pk, closed, team in rows:
        start = max(closed, named[pk]) if pk in named else closed
        found[pk] = PurgeDay(years_on(timezone.localdate(start), years), team)
    return found


def told_of(
    kind: str, due: dict[int, date], *, told: Told, come: bool = False
) -> set[int]:
    """Of these records (each with the local day it becomes due), those a warning
    still covers on the local day `told.on`: one that told their team of it for that
    day or a later one, and named a day no more than the warning's days before
    `told.on` (with `come`, also one no later than it: the warning's days are over).

    A warning for an earlier day than the record's was for a date since moved (a
    contact named again); one for a day more than a warning's days gone was for a
    record then kept (its person had something open, a hold was on), and a team
    told "on that day" months ago is told again before the record goes. Both cover
    it no longer."""
    if not due:
        return set()
    column = f"{kind}_id"
    notices = PurgeNotice.objects.filter(
        **{f"{column}__in": _ids(due)},
        warning__purge_on__gte=told.on - timedelta(days=told.warn_days),
    ).values_list(column, "warning__purge_on")
    return {
        pk for pk, day in notices if day >= due[pk] and (not come or day <= told.on)
    }


def _unwarned(
    kind: str, rows: list[tuple], kept: set[int], cutoff: datetime, told: Told
) -> set[int]:
    """Of the rows not kept otherwise, those no warning covers on the run's local
    day (told_of: for a day that has come, and gone no more than a warning's
    days)."""
    years = _told_years(told.on, cutoff)
    due = {
        pk: when.day
        for pk, when in purge_days(
            kind, [pk for pk, _ in rows if pk not in kept], years
        ).items()
    }
    covered = told_of(kind, due, told=told, come=True)
    return {pk for pk in due if pk not in covered}


def contacts_to_purge(
    *, cutoff: datetime, after: int, size: int, told: Told | None = None
) -> Claim:
    """The next contacts closed at or before the cut-off (and not named again since)
    whose person is not held and has nothing open, and that no case under a hold
    named (the held case's record is kept whole: who it named, too). Given `told`
    (the run's local day and warning's days), only those a warning still covers:
    it told their team of them for a day that has come, a warning's days ago at
    most (told_of).

    The warnings are chosen by this same rule with the warning's end for the run's
    time (services._warn): what a team is told of is what the purge takes."""
    rows = list(
        Contact.objects.filter(pk__gt=after, status__in=CONTACT_DONE)
        .alias(closed=closed_at())
        .filter(closed__lte=cutoff)
        .order_by("pk")
        .values_list("pk", "person_id")[:size]
    )
    pks = _ids(pk for pk, _ in rows)
    kept = _column(
        Exposure.objects.filter(contact_id__in=pks).filter(
            Q(created_at__gt=cutoff) | held(OuterRef("case__person_id"))
        ),
        "contact_id",
    )
    kept |= _column(
        Contact.objects.filter(pk__in=pks).filter(held(OuterRef("case__person_id"))),
        "pk",
    )
    people = people_kept({person for _, person in rows}, closed_by=None)
    kept |= {pk for pk, person in rows if person in people}
    if told is not None:
        kept |= _unwarned("contact", rows, kept, cutoff, told)
    return _claim(rows, kept)


def cases_to_purge(
    *, cutoff: datetime, after: int, size: int, told: Told | None = None
) -> Claim:
    """The next cases closed at or before the cut-off that no contact or further
    exposure refers to any longer (their contacts purged first, or kept), whose
    person is not held and has nothing open. Given `told` (the run's local day and
    warning's days), only those a warning still covers, as for contacts (the
    warnings are chosen by this same rule)."""
    rows = list(
        Case.objects.filter(pk__gt=after, status__in=CASE_DONE)
        .alias(closed=closed_at())
        .filter(closed__lte=cutoff)
        .order_by("pk")
        .values_list("pk", "person_id")[:size]
    )
    pks = _ids(pk for pk, _ in rows)
    kept = _column(Contact.objects.filter(case_id__in=pks), "case_id")
    kept |= _column(Exposure.objects.filter(case_id__in=pks), "case_id")
    people = people_kept({person for _, person in rows}, closed_by=None)
    kept |= {pk for pk, person in rows if person in people}
    if told is not None:
        kept |= _unwarned("case", rows, kept, cutoff, told)
    return _claim(rows, kept)


# The ties of a person that its purge (and an erasure) resolves itself: the records
# merged into it, the merges, its holds (lifted ones go with it, an active one
# keeps it).
_RESOLVED = {
    (Person, "merged_into"),
    (PersonMerge, "survivor"),
    (PersonMerge, "merged"),
    (LegalHold, "person"),
}


def _referred_to(person_ids: Collection[int]) -> set[int]:
    """Of these people, those a row still refers to through a PROTECT foreign key
    (cases, contacts, the audit trail, and any such added later), other than the
    ties a purge resolves; one query per kind of row."""
    found: set[int] = set()
    people = _ids(person_ids)
    for rel in reverse_relations(Person):
        related = related_model(rel)
        if rel.on_delete not in (models.PROTECT, models.RESTRICT):
            continue
        if (related, rel.field.name) in _RESOLVED:
            continue
        found |= _column(
            related._base_manager.filter(**{f"{rel.field.name}__in": people}),
            rel.field.attname,
        )
    return found


def families(ids: list[int]) -> dict[int, int]:
    """Each person of `ids` and every record merged into them (through chains of
    merges), mapped to the one of `ids` they belong to."""
    root = {pk: pk for pk in ids}
    frontier = list(ids)
    while frontier:
        found = Person.objects.filter(merged_into_id__in=_ids(frontier)).values_list(
            "pk", "merged_into_id"
        )
        frontier = []
        for pk, into in found:
            if pk not in root:
                root[pk] = root[into]
                frontier.append(pk)
    return root


def people_to_purge(*, cutoff: datetime, after: int, size: int) -> Claim:
    """The next pseudonymised people made at or before the cut-off with nothing left
    that refers to them (no case, contact or audit event, nor any for the records
    merged into them), and no active hold on any of them."""
    rows = list(
        Person.objects.filter(
            pk__gt=after, merged_into__isnull=True, created_at__lte=cutoff
        )
        .order_by("pk")
        .values_list("pk")[:size]
    )
    pks = [pk for (pk,) in rows]
    pseudonymised = _column(
        Pseudonymisation.objects.filter(person_id__in=_ids(pks)), "person_id"
    )
    root = families([pk for pk in pks if pk in pseudonymised])
    members = list(root)
    tied = _referred_to(members) | _column(
        active_holds().filter(person_id__in=_ids(members)), "person_id"
    )
    kept = {pk for pk in pks if pk not in pseudonymised}
    kept |= {root[pk] for pk in tied}
    return _claim(rows, kept)


@dataclass(frozen=True)
class AuditClaim:
    """A batch of the audit trail: the events to delete, and the last examined (the
    next cursor: its time and id)."""

    ids: list[int]
    last: tuple[datetime, int] | None
    examined: int

    def finishes(self, size: int) -> bool:
        return self.examined < size


def audit_to_purge(
    *, cutoff: datetime, after: tuple[datetime, int] | None, size: int
) -> AuditClaim:
    """The next audit events at or before the cut-off, oldest first (by the trail's
    own index on time), but none about a person still kept (people_kept: a hold on
    them or on a case that named them, a case or contact of theirs still open), nor
    about a record merged into one (its trail is theirs: their audit page shows
    it). A record kept keeps its trail; its events go by their own dates once it is
    closed and nothing holds it. Events about no one go by their dates."""
    events = AuditEvent.objects.filter(at__lte=cutoff)
    if after is not None:
        at, pk = after
        events = events.filter(Q(at__gt=at) | Q(at=at, pk__gt=pk))
    rows = list(
        events.order_by("at", "pk").values_list(
            "at", "pk", "person_id", "person__merged_into_id"
        )[:size]
    )
    people = {pk for row in rows for pk in row[2:] if pk is not None}
    kept = people_kept(people, closed_by=None, whole_person=True)
    return AuditClaim(
        ids=[
            pk
            for _, pk, person, into in rows
            if person not in kept and into not in kept
        ],
        last=(rows[-1][0], rows[-1][1]) if rows else None,
        examined=len(rows),
    )


def family_of(ids: list[int]) -> list[int]:
    """The people and every record merged into them (through chains of merges)."""
    return list(families(ids))


# --- erasure ----------------------------------------------------------------------


def erasure_refusals(person: Person, family: list[int]) -> list[str]:
    """Why a person's records must be kept (the exceptions to erasure the service
    can see): each reason in words; empty when they may go."""
    refusals = []
    if person.merged_into_id is not None:
        refusals.append(
            f"This record was merged into person {person.merged_into_id}: erase "
            "that one (it holds this record's cases and contacts)."
        )
    if active_holds().filter(person_id__in=family).exists():
        refusals.append("A legal hold is on: lift it first if it no longer applies.")
    # A held case is kept whole (contacts_to_purge): who it named, too.
    held_case = held(OuterRef("case__person_id"))
    held_cases = sorted(
        _column(
            Contact.objects.filter(person_id__in=family)
            .exclude(case__person_id__in=family)
            .filter(held_case),
            "case_id",
        )
        | _column(
            Exposure.objects.filter(contact__person_id__in=family)
            .exclude(case__person_id__in=family)
            .filter(held_case),
            "case_id",
        )
    )
    if held_cases:
        which = ", ".join(str(pk) for pk in held_cases)
        refusals.append(
            f"A case under a legal hold named them as a contact "
            f"({'cases' if len(held_cases) > 1 else 'case'} {which}): a held case "
            "is kept whole, with the people it named. Lift that hold first if it "
            "no longer applies."
        )
    open_cases = (
        Case.objects.filter(person_id__in=family).exclude(status__in=CASE_DONE).count()
    )
    open_contacts = (
        Contact.objects.filter(person_id__in=family)
        .exclude(status__in=CONTACT_DONE)
        .count()
    )
    if open_cases or open_contacts:
        refusals.append(
            f"{open_cases} case(s) and {open_contacts} contact(s) of theirs are "
            "still open: they are needed while the work goes on."
        )
    safeguarding = Escalation.objects.filter(
        Q(case__person_id__in=family) | Q(contact__person_id__in=family),
        closed_at__isnull=True,
        reason=Escalation.Reason.SAFEGUARDING,
    )
    if safeguarding.exists():
        refusals.append("A safeguarding escalation about them is still open.")
    others = (
        Contact.objects.filter(case__person_id__in=family)
        .exclude(person_id__in=family)
        .count()
    ) + (
        Exposure.objects.filter(case__person_id__in=family)
        .exclude(contact__person_id__in=family)
        .count()
    )
    if others:
        refusals.append(
            f"Their case named {others} other people as contacts, whose records "
            "depend on it: erasing it would erase theirs."
        )
    return refusals
