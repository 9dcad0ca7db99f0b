"""Intake: positive test results arriving (through the API, an upload or the demo
seeder), each becoming one case, once; or, for a person whose case is of the same
episode (specimen dates within EPISODE_DAYS), a further result of that case."""

from __future__ import annotations

import hashlib
import hmac
import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.db.models import Max
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from areas.services import PostcodeLookup
from audit.models import AuditEvent
from audit.services import audit_event, audit_record_many
from cases.models import COMPLEX_SETTINGS, EPISODE_DAYS, Case, FurtherResult
from cases.workitem import CASE_DONE, Status
from contacts.models import Contact, IsolationChange
from escalations.models import Escalation
from people.matching import Match
from people.models import Language, Person
from people.services import (
    PersonDetails,
    arrivals_one_at_a_time,
    people_find_or_create_many,
    people_found_write,
    people_ids_reserve,
    person_arrival,
    person_changes_add,
    person_find_or_create,
    person_found_with,
)
from rows.insert import insert_rows
from rows.locks import hold_until_commit
from rows.retry import atomic_operation

from .casework import household_addresses_follow, items_back_to_the_phones
from .contact_area import contacts_follow_people
from .effects import assignment_run_after_commit
from .escalation import item_escalate
from .isolation import OPEN_OR_TOLD, contacts_become_cases
from .online import online_case_wait, online_cases_invite
from .rules import (
    CallingHours,
    CallRule,
    case_isolation_ends_on,
    due_to_local_team_at,
)

log = logging.getLogger(__name__)

# A batch of up to this many results holds its people's arrivals one at a time with
# any other's (case_intake_many).
ARRIVALS_LOCKED_UP_TO = 25

# Where a person's details came from, in their history and the audit trail.
INTAKE = "intake"

# What must agree for a lab reference received again to be the same result: who it is
# (contact details such as phone, email, postcode and address may change, so they are
# not compared, but given to the person when they differ from the first sending's:
# _resent_details_give) and the test itself.
PERSON_FIELDS = ("first_name", "last_name", "date_of_birth", "nhs_number")
TEST_FIELDS = ("specimen_date", "result_date")
COMPARED_FIELDS = PERSON_FIELDS + TEST_FIELDS
# The contact details a result sent again may correct: kept as digests with the
# compared fields' (_contact_digests), so a retry of what was first sent is told from
# a correction.
CONTACT_FIELDS = ("phone", "email", "address", "postcode")
NAME_FIELDS = frozenset({"first_name", "last_name"})


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
    # A further result of the person's case of the same episode (`case`), kept with
    # it: no new case, nothing sent, nothing assigned. Set again for a retry of it.
    further: FurtherResult | None = None
    # A ValidationError (a bad postcode, phone, ...) or the DatabaseError refusing it.
    error: Exception | None = None
    # Its lab reference is already a case for another person or test: nothing was
    # written, `case` is the case on file, and this says how they differ:
    # {"fields": [names that differ], "on_file": {...}, "received": {...}}, each
    # version holding COMPARED_FIELDS.
    conflict: dict | None = None


class IntakeConflict(Exception):
    """case_intake's answer to a lab reference already on file for another person or
    test (IntakeOutcome.conflict says how); nothing was written."""

    def __init__(self, *, case: Case, conflict: dict, lab_reference: str) -> None:
        self.case = case
        self.conflict = conflict
        self.lab_reference = lab_reference
        super().__init__(
            conflict_message(
                lab_reference,
                conflict["fields"],
                further=bool(conflict.get("further")),
            )
        )


def conflict_message(
    lab_reference: str, fields: Sequence[str], *, further: bool = False
) -> str:
    """What a conflict is, for the people who sent it (no personal data)."""
    held = "a further result of a case" if further else "a case"
    return (
        f"Lab reference {lab_reference} is already {held} for different person or "
        f"test details: {', '.join(fields)} differ."
    )


def further_result_reason(case_id: int) -> str:
    """Why a result was kept with a case rather than made one (no personal data)."""
    return (
        f"The person already has case {case_id}, whose specimen date is within "
        f"{EPISODE_DAYS} days of this one: the same episode of infection. The result "
        "is kept with that case as a further result; no new case was made and "
        "nothing was sent."
    )


def _on_file(case: Case, further: FurtherResult | None = None) -> dict:
    """The compared fields of a case (or of a further result of it) and its
    person, as held."""
    person = case.person
    test = further if further is not None else case
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth,
        "nhs_number": person.nhs_number,
        "specimen_date": test.specimen_date,
        "result_date": test.result_date,
    }


def _received(result: TestResult) -> dict:
    """The compared fields of a result, as sent."""
    details = result.person
    return {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "date_of_birth": details.date_of_birth,
        "nhs_number": details.nhs_number,
        "specimen_date": result.specimen_date,
        "result_date": result.result_date,
    }


def name_compared(value: str) -> str:
    """A name as compared: case-folded and its accents dropped, as matching weighs
    names, so "Siân" typed with the accent as its own character, in capitals, or
    without the accent by a lab system that strips them, is the same name."""
    decomposed = unicodedata.normalize("NFKD", value.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _normalised(name: str, value):
    if isinstance(value, str):
        value = value.strip()
        if name in NAME_FIELDS:
            return name_compared(value)
        if name == "nhs_number":
            return value.replace(" ", "")
    return value


def _differing(one: dict, other: dict) -> list[str]:
    """The compared fields on which two versions disagree; a blank on either side
    agrees with anything."""
    differing = []
    for name in COMPARED_FIELDS:
        a, b = _normalised(name, one[name]), _normalised(name, other[name])
        if a in (None, "") or b in (None, ""):
            continue
        if a != b:
            differing.append(name)
    return differing


def _digests(received: dict) -> dict[str, str]:
    """Keyed digests of the compared fields of a result as received, normalised (a
    blank is ""): kept in its case's create audit event, so a result sent again is
    told from another without holding a second copy of personal data. The person
    the case was matched to may be written otherwise (a typo, a name added)."""
    return {
        name: _digest(name, _normalised(name, received[name]))
        for name in COMPARED_FIELDS
    }


def _digest(name: str, value) -> str:
    """A field's keyed digest ("" for a blank)."""
    if value in (None, ""):
        return ""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{name}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def _contact_digests(details: PersonDetails) -> dict[str, str]:
    """Keyed digests of a result's contact details (CONTACT_FIELDS) as sent, written
    the way they are held (a phone in E.164, a postcode in capitals without spaces,
    an email or address without case or extra spacing): kept with _digests' in the
    create event, never the details themselves, so that a result sent again is a
    correction only in the details that differ from the first sending's."""
    try:
        phones = person_arrival(details, postcode="").phones
    except ValidationError:
        phones = ()
    phone = phones[0] if phones else "".join(str(details.phone or "").split())
    return {
        "phone": _digest("phone", phone),
        "email": _digest("email", " ".join((details.email or "").split()).casefold()),
        "address": _digest(
            "address", " ".join((details.address or "").split()).casefold()
        ),
        "postcode": _digest(
            "postcode", "".join((details.postcode or "").split()).upper()
        ),
    }


def _corrected(
    details: PersonDetails, first: dict[str, str] | None
) -> PersonDetails | None:
    """The contact details of a result sent again that differ from those it was
    first sent with (`first`, their digests), the others blanked (a blank changes
    nothing); None when none differ, or for a result first received before they
    were kept (nothing to tell a retry from a correction: it is taken as a retry).
    A retry as it was first sent (a request timed out, a file uploaded again) so
    never puts back details replaced since, by a later result or a local team."""
    if first is None or any(name not in first for name in CONTACT_FIELDS):
        return None
    sent = _contact_digests(details)
    differing = [name for name in CONTACT_FIELDS if sent[name] != first[name]]
    if not differing:
        return None
    return replace(
        details,
        phone=details.phone if "phone" in differing else "",
        email=details.email if "email" in differing else "",
        address=details.address if "address" in differing else "",
        postcode=details.postcode if "postcode" in differing else "",
    )


def _sent_digests(
    rows: Sequence[Case | FurtherResult],
    model: type[Case] | type[FurtherResult] = Case,
) -> dict[int, dict[str, str]]:
    """The digests of the results that made these cases (or further results), from
    their create events (one query); a case made before they were kept has none."""
    events = AuditEvent.objects.filter(
        action=AuditEvent.Action.CREATE,
        object_type=model._meta.label_lower,
        object_id__in=[str(row.pk) for row in rows],
    ).values_list("object_id", "detail")
    return {
        int(object_id): detail["received"]
        for object_id, detail in events
        if isinstance(detail, dict) and isinstance(detail.get("received"), dict)
    }


class _Known:
    """The cases and further results of a batch's lab references already on file,
    and how to tell a result sent again for one of them from a conflicting one."""

    def __init__(
        self, cases: Iterable[Case], further: Iterable[FurtherResult] = ()
    ) -> None:
        self.cases = {case.lab_reference: case for case in cases}
        self.further = {row.lab_reference: row for row in further}
        # The result of this batch that made each new case or further result.
        self.made_by: dict[str, TestResult] = {}
        self._digests: dict[tuple[type, int], dict[str, str]] = {}
        self._looked_up: set[tuple[type, int]] = set()

    @classmethod
    def of(cls, results: Sequence[TestResult]) -> _Known:
        """The cases and further results already on file for these results' lab
        references, with their people, in a query each."""
        references = {result.lab_reference for result in results}
        return cls(
            Case.objects.select_related("person").filter(lab_reference__in=references),
            FurtherResult.objects.select_related("case__person").filter(
                lab_reference__in=references
            ),
        )

    def __contains__(self, lab_reference: str) -> bool:
        return lab_reference in self.cases or lab_reference in self.further

    def add(self, case: Case, result: TestResult | None = None) -> None:
        self.cases[case.lab_reference] = case
        if result is not None:
            self.made_by[case.lab_reference] = result

    def add_further(
        self, further: FurtherResult, result: TestResult | None = None
    ) -> None:
        self.further[further.lab_reference] = further
        if result is not None:
            self.made_by[further.lab_reference] = result

    def sent_digests(self, row: Case | FurtherResult) -> dict[str, str] | None:
        """What the result that made it said (digests): fetched when first needed,
        for all the batch's rows of its kind on file not yet looked up, in one
        query."""
        model = type(row)
        if (model, row.pk) not in self._looked_up:
            held = self.cases if model is Case else self.further
            rows = [
                known
                for known in held.values()
                if (model, known.pk) not in self._looked_up
                and known.lab_reference not in self.made_by
            ]
            for pk, digests in _sent_digests(rows, model).items():
                self._digests[model, pk] = digests
            self._looked_up.update((model, known.pk) for known in rows)
        return self._digests.get((model, row.pk))

    def outcome(self, result: TestResult) -> IntakeOutcome:
        """For a result whose lab reference is on file (a case, or a further result
        of one): existing (or attached again) if it agrees with what is on file, or
        with the result that made it (sent again: the person it was matched to may
        be written otherwise); a conflict otherwise. Writes nothing."""
        further = self.further.get(result.lab_reference)
        case = further.case if further is not None else self.cases[result.lab_reference]
        held: Case | FurtherResult = further if further is not None else case
        same = IntakeOutcome(case=case, further=further)
        received = _received(result)
        made_by = self.made_by.get(result.lab_reference)
        if made_by is not None and not _differing(_received(made_by), received):
            return same
        on_file = _on_file(case, further)
        fields = _differing(on_file, received)
        if not fields:
            return same
        if made_by is None:
            sent = self.sent_digests(held)
            if sent is not None and not _differing(sent, _digests(received)):
                return same
        # The reference and the names of the fields only: never the personal data.
        log.warning(
            "Intake conflict: lab reference %s is already a %s; %s differ",
            result.lab_reference,
            "case" if further is None else "further result",
            ", ".join(fields),
        )
        return IntakeOutcome(
            case=case,
            conflict={"fields": fields, "on_file": on_file, "received": received}
            # Said only of a further result's reference (conflict_message).
            | ({"further": True} if further is not None else {}),
        )


def results_on_file(results: Sequence[TestResult]) -> list[IntakeOutcome | None]:
    """What case_intake_many would answer, writing nothing, for each result whose lab
    reference is already a case or a further result: its case unchanged (`further`
    set for a further result), or its conflict; None for a result not yet received
    (a preview, such as the CSV upload's)."""
    known = _Known.of(results)
    return [
        known.outcome(result) if result.lab_reference in known else None
        for result in results
    ]


def episode_cases(
    *,
    people: Iterable[int],
    specimen_dates: Iterable[date],
    now: datetime | None = None,
) -> dict[int, list[Case]]:
    """The cases of these people that a result with one of these specimen dates
    could be a further result of (within EPISODE_DAYS of one of them), by person,
    with their people: one query for a whole batch.

    A case whose work is done (completed or closed) is left out for a person who is
    a contact isolating now (open or told, as work.isolation switches them) exposed
    after that case's specimen date (their contact's last exposure, as named or
    joined, later than it): they were exposed again since, so their positive is a
    new case, traced, and their contact isolates as that case does; kept with the
    old case, the people they met since would never be asked for. Not for an
    exposure that case itself settled: a contact who became that very case (a
    contact who tested positive, or one named while that case isolated) follows it,
    and a further result of that infection (a confirmatory test) is kept with it,
    never a second case, a second text and a second tracing call. One or two more
    queries, for those people only (_exposed_again)."""
    people, specimen_dates = set(people), set(specimen_dates)
    if not people or not specimen_dates:
        return {}
    window = timedelta(days=EPISODE_DAYS)
    # A withdrawn case (its result sent in error, work.withdraw) was no episode of
    # infection: a positive result after it is a case of its own.
    cases = list(
        Case.objects.filter(
            person_id__in=people,
            specimen_date__gte=min(specimen_dates) - window,
            specimen_date__lte=max(specimen_dates) + window,
        )
        .exclude(status=Status.WITHDRAWN)
        .select_related("person")
    )
    done = [case for case in cases if case.status in CASE_DONE]
    left_out = _exposed_again(done, now=now) if done else set()
    by_person: dict[int, list[Case]] = {}
    for case in cases:
        if case.pk in left_out:
            continue
        by_person.setdefault(case.person_id, []).append(case)
    return by_person


def _exposed_again(done: Sequence[Case], *, now: datetime | None) -> set[int]:
    """Of these cases whose work is done, those whose person is a contact isolating
    now (OPEN_OR_TOLD) last exposed after the case's specimen date, by a contact
    that did not become that case (no "became a case" switch to it): episode_cases
    leaves them out. A query for the contacts, with their last exposure (the first
    naming's, or a later one joining it); one more for their switches, only when one
    of them was exposed after one of the cases."""
    today = timezone.localdate(now or timezone.now())
    contacts = list(
        Contact.objects.filter(
            OPEN_OR_TOLD,
            person_id__in={case.person_id for case in done},
            isolation_ends_on__gte=today,
        )
        .annotate(
            last_exposed=Greatest(
                "exposure_date",
                Coalesce(Max("further_exposures__exposure_date"), "exposure_date"),
            )
        )
        .values_list("pk", "person_id", "last_exposed")
    )
    after = [
        (case, contact_id)
        for case in done
        for contact_id, person_id, last_exposed in contacts
        if person_id == case.person_id and last_exposed > case.specimen_date
    ]
    if not after:
        return set()
    became = set(
        IsolationChange.objects.filter(
            kind=IsolationChange.Kind.BECAME_CASE,
            contact_id__in={contact_id for _, contact_id in after},
            became_case_id__in={case.pk for case, _ in after},
        ).values_list("contact_id", "became_case_id")
    )
    return {
        case.pk for case, contact_id in after if (contact_id, case.pk) not in became
    }


def episode_case(cases: Iterable[Case], specimen_date: date) -> Case | None:
    """Of a person's cases (as episode_cases finds them), the one a result with this
    specimen date belongs to: the most recent whose specimen date is within
    EPISODE_DAYS of it, before or after, the case open or closed; None when there
    is none (a new case, a reinfection after EPISODE_DAYS)."""
    within = [
        case
        for case in cases
        if abs((case.specimen_date - specimen_date).days) <= EPISODE_DAYS
    ]
    return max(within, key=lambda case: (case.specimen_date, case.pk), default=None)


def results_differing(one: TestResult, other: TestResult) -> list[str]:
    """The compared fields on which two results with one lab reference disagree (as
    case_intake_many compares a result sent again): none, and the second is the same
    result; some, and it is a conflict."""
    return _differing(_received(one), _received(other))


def case_intake(
    *,
    result: TestResult,
    source: str = Case.Source.API,
    by=None,
    now: datetime | None = None,
) -> tuple[Case, bool]:
    """Make the case for a positive result, once: the same lab reference again
    returns the existing case unchanged (created is then False), its person given
    any contact details it was corrected with (_resent_details_give); again for
    another person or test (IntakeOutcome.conflict) raises IntakeConflict, writing
    nothing.
    A result of a person whose case is of the same episode is kept with that case
    as a further result, and that case is returned (created False).

    A complex setting sends the case straight to the local team of its area. A
    person with no phone and no other phone has nothing for the phones to try: the
    case is due to that local team at once (the escalation sweep takes it, the pool
    never hands it out), or, sent a link by email, when its wait for an answer
    online ends (work.online). Raises ValidationError for a malformed postcode or phone. A batch of one: the
    same code as case_intake_many, whose transaction it runs in.
    """
    outcome = case_intake_one(result=result, source=source, by=by, now=now)
    assert outcome.case is not None
    return outcome.case, outcome.created


def case_intake_one(
    *,
    result: TestResult,
    source: str = Case.Source.API,
    by=None,
    now: datetime | None = None,
) -> IntakeOutcome:
    """case_intake, answering the whole outcome (a new case, the existing one, or a
    further result kept with a case: `further`). Raises the outcome's error, and
    IntakeConflict for a conflict."""
    [outcome] = case_intake_many(results=[result], source=source, by=by, now=now)
    if outcome.error is not None:
        raise outcome.error
    if outcome.conflict is not None:
        assert outcome.case is not None
        raise IntakeConflict(
            case=outcome.case,
            conflict=outcome.conflict,
            lab_reference=result.lab_reference,
        )
    return outcome


@atomic_operation
def case_intake_many(
    *,
    results: Sequence[TestResult],
    source: str = Case.Source.API,
    by=None,
    now: datetime | None = None,
) -> list[IntakeOutcome]:
    """case_intake for a batch, one outcome per result in order.

    A result that fails (ValidationError, or a DatabaseError) leaves nothing of
    itself behind and is reported in its outcome, and the others are saved. A lab
    reference already received, before or earlier in this batch, is its existing
    case (or further result) unchanged when the person (names, date of birth, NHS
    number) and the test's dates agree with it, and a conflict otherwise (the
    outcome's `conflict`; nothing written). Sent again with contact details other
    than it was first sent with (a phone mistyped or missing the first time), its
    case's person is given those as a later arrival's (_resent_details_give; a retry
    as first sent changes nothing): the results received before, ahead
    of the rest of the batch, however it is written. The lab references already
    known are found in a query for cases and one for further results, with their
    people, and areas are fetched once per batch.

    A new result whose person (as matched) has a case of the same episode (its
    specimen date within EPISODE_DAYS of this one's, either way, open or closed,
    unless done with and the person a contact isolating now, exposed since that
    case's specimen by a contact that did not become it: episode_cases) is not a
    case: it is kept with the most recent such case as a FurtherResult (the
    outcome's `further`), audited, and nothing else happens (no text or link, no
    change to isolation, nothing to assign). The cases of the batch's people found
    set-wise are read in one query, after holding them (_people_one_at_a_time) so
    that another intake of one of them at once waits for this one's; within a
    batch, the first result of a person makes the case and the others of the same
    episode are kept with it.

    The batch is written set-wise (_cases_create_many: one query matches every
    person, one INSERT makes the new people, one the cases, one the further
    results); the results whose person may depend on an earlier one of the batch
    follow one by one, each in its own savepoint, in order, as does the whole batch
    if the database refuses the set-wise writing (a concurrent intake of the same
    result, say). Either way each result is answered as if the batch were taken
    one result at a time.
    """
    now = now or timezone.now()
    known = _Known.of(results)
    made: dict[int, tuple[Case, bool] | FurtherResult] = {}
    refused: dict[int, ValidationError] = {}
    new_ids: dict[int, int] = {}
    new = [i for i, r in enumerate(results) if r.lab_reference not in known]
    # The results whose lab references were on file before this batch, answered.
    on_file = {
        i: known.outcome(r) for i, r in enumerate(results) if r.lab_reference in known
    }
    resent = {
        i: outcome
        for i, outcome in on_file.items()
        if outcome.conflict is None and outcome.case is not None
    }
    postcodes = PostcodeLookup()
    postcodes.areas_fetch(
        results[i].person.postcode
        for i in [*new, *resent]
        if results[i].person.postcode
    )
    # Their people given the details they were sent again with first, whichever way
    # the rest of the batch is written, so the two ways leave the same people.
    moved: set[int] = set()
    # The people held whose details the batch changed or filled in, which, and by
    # which results: audited below.
    people_changed = _PeopleChanged()
    _resent_details_give(
        [
            (
                results[i],
                outcome.case,
                outcome.further,
                known.sent_digests(outcome.further or outcome.case),
            )
            for i, outcome in resent.items()
            if outcome.case is not None
        ],
        postcodes=postcodes,
        by=by,
        now=now,
        moved=moved,
        changes=people_changed,
    )
    if 1 < len(new) <= ARRIVALS_LOCKED_UP_TO:
        # A few results (a lab's retry, a site's morning): their people's arrivals
        # one at a time with any other (people.services), as a single result's are
        # in person_find_or_create. A bigger batch is not held so: it would take
        # thousands of locks, and hold every other lab's batch behind it.
        arrivals_one_at_a_time(
            person_arrival(results[i].person, postcode=results[i].person.postcode)
            for i in new
        )
    if (
        connection.vendor == "postgresql"
        and len(new) > 1
        and len({results[i].lab_reference for i in new}) == len(new)
    ):
        new_ids = dict(zip(new, people_ids_reserve(len(new)), strict=True))
        batch_changed: dict[int, dict[str, str]] = {}
        try:
            with transaction.atomic():
                made, refused = _cases_create_many(
                    results=results,
                    new_ids=new_ids,
                    source=source,
                    by=by,
                    now=now,
                    postcodes=postcodes,
                    changes=batch_changed,
                )
            # Each person found set-wise is found by one result only (the others
            # wait for _case_create): the one that changed them.
            for written in made.values():
                people_changed.add(batch_changed, _made_as(written))
        except (OperationalError, InterfaceError):
            # The connection broke: the batch's transaction is lost with it.
            raise
        except DatabaseError:
            if connection.needs_rollback:
                raise
            # Refused set-wise (undone): each result in its own savepoint instead.
            made, refused, new_ids = {}, {}, {}
    outcomes = []
    arrived = False
    events = []
    invited: list[Case] = []
    for index, result in enumerate(results):
        if index in refused:
            outcomes.append(IntakeOutcome(error=refused[index]))
            continue
        if index in on_file:
            outcomes.append(on_file[index])
            continue
        if index in made:
            written = made[index]
        else:
            if result.lab_reference in known:
                # Made earlier in this batch: sent again within it.
                outcomes.append(
                    _resent_answer(
                        result,
                        known,
                        postcodes=postcodes,
                        by=by,
                        now=now,
                        moved=moved,
                        changes=people_changed,
                    )
                )
                continue
            item_changed: dict[int, dict[str, str]] = {}
            try:
                with transaction.atomic():
                    written = _case_create(
                        result=result,
                        source=source,
                        by=by,
                        now=now,
                        postcodes=postcodes,
                        new_id=new_ids.get(index),
                        changes=item_changed,
                    )
                # Only once its savepoint stands: undone, its person is unchanged.
                people_changed.add(item_changed, _made_as(written))
            except IntegrityError as exc:
                # A concurrent intake of the same result got there first: a lookup,
                # not an error (this item's savepoint is undone, its person
                # fill-ins too).
                existing = (
                    Case.objects.select_related("person")
                    .filter(lab_reference=result.lab_reference)
                    .first()
                )
                further = (
                    FurtherResult.objects.select_related("case__person")
                    .filter(lab_reference=result.lab_reference)
                    .first()
                    if existing is None
                    else None
                )
                if existing is not None:
                    known.add(existing)
                elif further is not None:
                    known.add_further(further)
                else:
                    outcomes.append(IntakeOutcome(error=exc))
                    continue
                outcomes.append(
                    _resent_answer(
                        result,
                        known,
                        postcodes=postcodes,
                        by=by,
                        now=now,
                        moved=moved,
                        changes=people_changed,
                    )
                )
                continue
            except (OperationalError, InterfaceError):
                # The connection broke (or the server went away): the batch's
                # transaction is lost with it, so no item of it may be reported
                # saved.
                raise
            except (ValidationError, DatabaseError) as exc:
                if connection.needs_rollback:
                    # The item's savepoint could not be undone: the whole batch is.
                    raise
                outcomes.append(IntakeOutcome(error=exc))
                continue
        if isinstance(written, FurtherResult):
            known.add_further(written, result)
            moved.add(written.case.person_id)
            outcomes.append(IntakeOutcome(case=written.case, further=written))
            events.append(
                audit_event(
                    user=by,
                    action=AuditEvent.Action.CREATE,
                    obj=written,
                    person=written.case.person,
                    detail={
                        "source": source,
                        "case": written.case_id,
                        "further_result": "same episode",
                        # Digests, not the details: see _digests.
                        "received": _digests(_received(result))
                        | _contact_digests(result.person),
                    },
                    at=now,
                )
            )
            continue
        case, invite = written
        known.add(case, result)
        if invite:
            invited.append(case)
        # Due for a call now (not escalated, not waiting for an answer online, not
        # due to its local team at once for want of a number).
        arrived = arrived or (
            case.complexity == Case.Complexity.ROUTINE
            and not invite
            and case.escalate_due_at is not None
            and case.escalate_due_at > now
        )
        outcomes.append(IntakeOutcome(case=case, created=True))
        events.append(
            audit_event(
                user=by,
                action=AuditEvent.Action.CREATE,
                obj=case,
                # Digests, not the details: see _digests.
                detail={
                    "source": source,
                    "received": _digests(_received(result))
                    | _contact_digests(result.person),
                },
                at=now,
            )
        )
    events += _people_changed_events(people_changed, source=source, by=by, now=now)
    audit_record_many(events)
    # A contact isolating now who has tested positive isolates as the case from now.
    created = [o.case for o in outcomes if o.created and o.case is not None]
    contacts_become_cases(cases=created, by=by, now=now)
    # A result from a new address moves its person (people.services): their contacts
    # still to be reached go with them, to the local team where they now live. So
    # does a further result's: it is the person who moved, not the case.
    contacts_follow_people(
        people={case.person_id for case in created} | moved,
        by=by,
        now=now,
        detail={"follows": "new result", "source": source},
    )
    online_cases_invite(cases=invited, now=now)
    if arrived:
        assignment_run_after_commit()
    return outcomes


@dataclass
class _PeopleChanged:
    """The people held whose details a batch changed or filled in: which details
    (people.services.person_changes_said: a detail changed by any result reads as
    changed), and the results that changed them, in the order they did, each as
    its case and, for a further result, the further result."""

    said: dict[int, dict[str, str]] = field(default_factory=dict)
    by: dict[int, list[tuple[Case, FurtherResult | None]]] = field(default_factory=dict)

    def add(
        self, changed: dict[int, dict[str, str]], result: Case | FurtherResult
    ) -> None:
        """What one result did to its person (`changed`, as person_changes_add
        fills it: by person id), credited to the case or further result it is. A
        person it did not change, nothing."""
        case, further = (
            (result.case, result)
            if isinstance(result, FurtherResult)
            else (result, None)
        )
        if not (said := changed.get(case.person_id)):
            return
        held = self.said.setdefault(case.person_id, {})
        for name, how in said.items():
            held[name] = "changed" if "changed" in (how, held.get(name)) else how
        self.by.setdefault(case.person_id, []).append((case, further))

    def results(self, person_id: int) -> list[dict[str, int]]:
        """The results that changed the person, in order, each named once (a
        result sent twice in the batch is one result)."""
        named: list[dict[str, int]] = []
        for case, further in self.by.get(person_id, ()):
            one = {"case": case.pk} | (
                {"further_result": further.pk} if further is not None else {}
            )
            if one not in named:
                named.append(one)
        return named


def _made_as(written: tuple[Case, bool] | FurtherResult) -> Case | FurtherResult:
    """The case or further result a new result was written as."""
    return written if isinstance(written, FurtherResult) else written[0]


def _people_changed_events(
    changed: _PeopleChanged, *, source: str, by, now: datetime
) -> list[AuditEvent]:
    """An update event for each person held whose details the batch changed or
    filled in: which ("phone": "changed", "email": "added"), never the values (their
    history holds the old ones), by whoever sent the results, and the result that
    changed them (its case, and further result): `result`, the first to, the one
    the trail's line names (pages.staff.audit); when more results of the batch
    changed them, `results` names each, in order. The fields are said once for the
    batch, so which result changed which is the person's history's to tell."""
    events = []
    for person_id, said in changed.said.items():
        results = changed.results(person_id)
        events.append(
            audit_event(
                user=by,
                action=AuditEvent.Action.UPDATE,
                obj=(person := Person(pk=person_id)),
                person=person,
                detail={"source": source, **said}
                | ({"result": results[0]} if results else {})
                | ({"results": results} if len(results) > 1 else {}),
                at=now,
            )
        )
    return events


def _resent_answer(
    result: TestResult,
    known: _Known,
    *,
    postcodes: PostcodeLookup,
    by,
    now: datetime,
    moved: set[int],
    changes: _PeopleChanged | None = None,
) -> IntakeOutcome:
    """known.outcome for a result whose lab reference became a case (or a further
    result) during this batch, its person given the details it was sent again with
    (_resent_details_give), as held now: a later result of the batch may have
    changed them since (one query, for such a result only). Only the details that
    differ from those the result that made it was sent with are given."""
    outcome = known.outcome(result)
    if outcome.conflict is None and outcome.case is not None:
        made_by = known.made_by.get(result.lab_reference)
        first = (
            _contact_digests(made_by.person)
            if made_by is not None
            # Made by a concurrent intake: its create event says.
            else known.sent_digests(outcome.further or outcome.case)
        )
        if _corrected(result.person, first) is None:
            return outcome
        outcome.case.person.refresh_from_db()
        _resent_details_give(
            [(result, outcome.case, outcome.further, first)],
            postcodes=postcodes,
            by=by,
            now=now,
            moved=moved,
            changes=changes,
        )
    return outcome


def _resent_details(sent: PersonDetails, person: Person) -> PersonDetails:
    """The details of a result sent again that its case's person is given: those
    that may change (phone, email, address, postcode: the ones corrected, see
    _corrected) or fill a blank (language, interpreter). Who they are (names, date
    of birth, NHS number) is the person's: it agreed, or one side was blank, and an
    NHS number written here could be someone else's, which only matching may
    tell."""
    return PersonDetails(
        first_name=person.first_name,
        last_name=person.last_name,
        phone=sent.phone,
        email=sent.email,
        address=sent.address,
        postcode=sent.postcode,
        language=sent.language,
        needs_interpreter=sent.needs_interpreter,
    )


def _resent_details_give(
    resent: Sequence[
        tuple[TestResult, Case, FurtherResult | None, dict[str, str] | None]
    ],
    *,
    postcodes: PostcodeLookup,
    by,
    now: datetime,
    moved: set[int],
    changes: _PeopleChanged | None = None,
) -> None:
    """The results sent again (each the same result as this case, or as this further
    result of it, with the digests of what that result was first sent with), the
    cases' people given the contact details that differ from the first sending's
    (_corrected: a retry as it was sent changes nothing, so never puts back details
    replaced since) as a later arrival's are (people.services: a person found):
    a new phone, email, address or postcode replaces theirs, the old kept in their
    history (from "intake"), and blanks are filled; a person with no number to call
    given one has their items waiting for it sent back to the phones
    (work.casework.items_back_to_the_phones), and one who moved is added to `moved`
    (their contacts follow them), and what changed is added to `changes`, credited
    to the result sent again (its case, or further result). Details already held
    write nothing, and ask nothing for a batch without a language code. Details
    refused (a bad field) leave the person as held: the result is still the same
    result."""
    corrected = [
        (result, case, further, details)
        for result, case, further, first in resent
        if (details := _corrected(result.person, first)) is not None
    ]
    if not corrected:
        return
    codes = {details.language for *_, details in corrected if details.language}
    languages = (
        {
            language.code: language
            for language in Language.objects.filter(code__in=codes)
        }
        if codes
        else {}
    )
    # One instance per person, so a second result of theirs sees the first's details.
    people: dict[int, Person] = {}
    numbers_added: set[int] = set()
    # In the people's order (each person's results in the batch's), as the batch
    # takes its people's locks.
    for result, case, further, sent in sorted(
        corrected, key=lambda one: one[1].person_id
    ):
        person = case.person = people.setdefault(case.person_id, case.person)
        try:
            located = postcodes(sent.postcode) if sent.postcode else None
            found = person_found_with(
                _resent_details(sent, person),
                arrival=person_arrival(
                    sent, postcode=located.postcode if located else ""
                ),
                located=located,
                language=languages.get(sent.language),
                match=Match(person=person),
                source=INTAKE,
                now=now,
            )
        except ValidationError:
            # The reference only: never the personal data.
            log.warning(
                "Intake: the details lab reference %s was sent again with were "
                "refused; its person is left as held",
                result.lab_reference,
            )
            person.refresh_from_db()
            continue
        if not found.changed:
            continue
        people_found_write([found], now=now)
        # The household given this person's address (work.casework) keeps it.
        moved |= household_addresses_follow(
            found, case=case, source=INTAKE, by=by, now=now
        )
        if changes is not None:
            one: dict[int, dict[str, str]] = {}
            person_changes_add(one, found)
            changes.add(one, further if further is not None else case)
        if found.number_added:
            numbers_added.add(person.pk)
        if "postcode" in found.changed:
            moved.add(person.pk)
    items_back_to_the_phones(people=numbers_added, source=INTAKE, user=by, now=now)


def _cases_create_many(
    *,
    results: Sequence[TestResult],
    new_ids: dict[int, int],
    source: str,
    by,
    now: datetime,
    postcodes: PostcodeLookup,
    changes: dict[int, dict[str, str]] | None = None,
) -> tuple[dict[int, tuple[Case, bool] | FurtherResult], dict[int, ValidationError]]:
    """The new cases of these results (the keys of new_ids: their lab references new,
    each once), with their people, written set-wise: (made, refused) by the
    results' indexes, made holding each case and whether it is to be sent a link,
    or the FurtherResult a result of a person with a case of the same episode
    became (their cases read in one query). A result left out of both waits for
    _case_create (its person may depend on an earlier result), with its id from
    new_ids for a new person. A person held with no number to call and given one
    here has their items waiting for it sent back to the phones
    (work.casework.items_back_to_the_phones)."""
    indexes = list(new_ids)
    numbers_added: set[int] = set()
    people = people_find_or_create_many(
        many=[results[i].person for i in indexes],
        postcodes=postcodes,
        ids=list(new_ids.values()),
        source=INTAKE,
        now=now,
        numbers_added=numbers_added,
        changes=changes,
    )
    # Only a person held before may have a case: none is read for a batch of new
    # people.
    held = {
        index: answer[0]
        for index, answer in zip(indexes, people, strict=True)
        if isinstance(answer, tuple) and not answer[1]
    }
    _people_one_at_a_time(person.pk for person in held.values())
    items_back_to_the_phones(people=numbers_added, source=INTAKE, user=by, now=now)
    episodes = episode_cases(
        people={person.pk for person in held.values()},
        specimen_dates={results[index].specimen_date for index in held},
        now=now,
    )
    made: dict[int, tuple[Case, bool] | FurtherResult] = {}
    refused: dict[int, ValidationError] = {}
    for index, answer in zip(indexes, people, strict=True):
        if isinstance(answer, ValidationError):
            refused[index] = answer
        elif answer is not None:
            result, person = results[index], answer[0]
            case = _episode_case_of(result, episodes.get(person.pk, []))
            made[index] = (
                _further_build(result=result, case=case, source=source, now=now)
                if case is not None
                else _case_build(
                    result=result,
                    person=person,
                    source=source,
                    now=now,
                    postcodes=postcodes,
                )
            )
    cases = [one[0] for one in made.values() if not isinstance(one, FurtherResult)]
    insert_rows(cases)
    insert_rows([one for one in made.values() if isinstance(one, FurtherResult)])
    for case in cases:
        _case_escalate_if_complex(case, now=now)
    return made, refused


def _case_create(
    *,
    result: TestResult,
    source: str,
    by=None,
    now: datetime,
    postcodes: PostcodeLookup,
    new_id: int | None = None,
    changes: dict[int, dict[str, str]] | None = None,
) -> tuple[Case, bool] | FurtherResult:
    """The new case and its person (a new one taking new_id, if given); a complex
    setting escalates it at once. Or, for a person held with a case of the same
    episode (one query for their cases), the further result kept with it. A person
    held with no number to call and given one by this result has their items
    waiting for it sent back to the phones (work.casework.items_back_to_the_phones).
    """
    numbers_added: set[int] = set()
    person, created = person_find_or_create(
        details=result.person,
        postcodes=postcodes,
        source=INTAKE,
        new_id=new_id,
        numbers_added=numbers_added,
        changes=changes,
    )
    if not created:
        _people_one_at_a_time([person.pk])
        items_back_to_the_phones(people=numbers_added, source=INTAKE, user=by, now=now)
        episode = _episode_case_of(
            result,
            episode_cases(
                people=[person.pk], specimen_dates=[result.specimen_date], now=now
            ).get(person.pk, []),
        )
        if episode is not None:
            further = _further_build(
                result=result, case=episode, source=source, now=now
            )
            further.save()
            return further
    case, invite = _case_build(
        result=result, person=person, source=source, now=now, postcodes=postcodes
    )
    case.save()
    _case_escalate_if_complex(case, now=now)
    return case, invite


def _people_one_at_a_time(people: Iterable[int]) -> None:
    """Hold these people (held before, found for results of this batch) until the
    transaction ends, so that another intake of one of them waits here for this
    one's cases and reads them, rather than reading none while this one's are not
    yet committed and making a second case of the same episode. Arrivals are held
    by what matching weighs (people.services: arrivals_one_at_a_time), but only for
    a batch of up to ARRIVALS_LOCKED_UP_TO; this holds every batch's people found,
    one key each, all in one statement in one order (rows.locks), so batches
    holding several never wait on each other."""
    hold_until_commit(f"person id:{pk}" for pk in sorted(set(people)))


def _episode_case_of(result: TestResult, cases: Sequence[Case]) -> Case | None:
    """episode_case for a new result; raises IntegrityError when its lab reference
    is already one of these very cases (made by a concurrent intake after this
    batch looked its references up): the caller then answers it as received."""
    if any(case.lab_reference == result.lab_reference for case in cases):
        raise IntegrityError(
            f"Lab reference {result.lab_reference} was made a case meanwhile."
        )
    return episode_case(cases, result.specimen_date)


def _further_build(
    *, result: TestResult, case: Case, source: str, now: datetime
) -> FurtherResult:
    """The further result (not yet saved) of a result of the same episode as
    `case`: nothing of the case changes."""
    return FurtherResult(
        case=case,
        lab_reference=result.lab_reference,
        specimen_date=result.specimen_date,
        result_date=result.result_date,
        source=source,
        received_at=now,
    )


def _case_build(
    *,
    result: TestResult,
    person: Person,
    source: str,
    now: datetime,
    postcodes: PostcodeLookup,
) -> tuple[Case, bool]:
    """The case of a result (not yet saved), and whether it is to be sent a link."""
    # Route by the address on this result: the person may have moved since we last
    # heard of them. One the directory does not know left them where they were held
    # (people.services._postcode_loses_area): routed there too.
    located = postcodes(result.person.postcode) if result.person.postcode else None
    area = (
        located.area
        if located is not None and located.postcode == person.postcode
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
    escalate_due_at, first_call_at = _arrival_times(
        now,
        CallRule.for_kind("case"),
        CallingHours.in_force(),
        timezone.get_current_timezone(),
    )
    case.mark_arrived(
        now=now,
        escalate_due_at=due_to_local_team_at(person, escalate_due_at, now),
        first_call_at=first_call_at,
    )
    # A link to enter their contacts online, if they can be messaged (sent for the
    # whole batch at the end); phoned if they do not answer in time, or, with no
    # number to call, their local team's then (online_case_wait).
    invite = case.complexity == Case.Complexity.ROUTINE and online_case_wait(case, now)
    return case, invite


@lru_cache(maxsize=64)
def _arrival_times(
    now: datetime, rule: CallRule, hours: CallingHours, zone: tzinfo
) -> tuple[datetime, datetime]:
    """When a case arriving at `now` is out of time, and when its first call is due
    (by `rule` and the calling `hours`, in `zone`): the same for every case of a
    batch, which all arrive at its `now`, so worked out once rather than a
    thousand times (the calling hours make each a score of conversions to local
    time: a third of a batch's Python)."""
    return rule.escalate_due_at(now), hours.first_at_or_after(now)


def _case_escalate_if_complex(case: Case, *, now: datetime) -> None:
    """A case from a complex setting goes straight to the local team."""
    if case.complexity == Case.Complexity.COMPLEX:
        item_escalate(
            item=case,
            reason=Escalation.Reason.COMPLEX,
            detail=f"Complex setting: {case.get_complex_setting_display()}",
            by=None,
            now=now,
        )
