"""Two records of one human made one, and (by an administrator) made two again.

`person_merge` takes a possible-duplicate pair, the record that survives and, field
by field, whose value it keeps. In one transaction, both people locked: the survivor
takes the chosen values; every row that points at the merged person (cases, contacts,
messages, history, online links: whatever refers to a person, read from the models'
relations, so a new kind of row moves too) is moved to the survivor; a contact of a
case the survivor is already a contact of is folded into the survivor's contact (its
calls, messages, links, escalations and further exposures moved to it, the row itself
deleted and kept whole in the snapshot); the merged person's other pairs follow them
to the survivor (one that would repeat a pair the survivor has, or pair them with
themselves, is closed as merged). Then, one person being one contact to call, when
both had a contact still to be told (new, assigned or escalated) of different cases,
these are joined into one (`_contacts_join`): the others become further exposures of
the one kept, which isolates until the latest. Their contacts still to be reached
(new or assigned) take the survivor's area, as a further naming would give it
(work.contact_area): unreached, they go to the local team where the person lives.
One person's positives of one episode are one case, as intake keeps them
(`_merge_cases`, by intake's own rule: work.intake.episode_cases, episode_case):
taking both records' cases in the order they arrived, a case within EPISODE_DAYS of
the other record's case that has not been worked yet (waiting or held, no call, no
contact named, no assessment, nothing recorded on it: `case_work`) becomes a
FurtherResult of it, as intake would have kept its result; when it is the other
that has not been worked, that one does (the person keeps the caseworker who has
called them). The case made a further result leaves its holder's queue (released,
audited, as a supervisor's move to the pool is), its texts, links and further
results go to the case kept, and both cases' audit trails say so. Two cases of one
episode both being worked refuse the merge, naming them: merged, one person would
be traced twice, by two caseworkers, and neither's work can be dropped; once one is
finished (completed, or closed by a local team) the merge keeps both, and says so
on the confirm step (`person_merge_cases`) and in both cases' audit trails.
A contact isolating now of a person with a case isolating now (one record the
contact, the other the case) follows the case ending last, "became a case", as if
the result had arrived after the naming (work.isolation.contacts_follow_own_cases).
Texts and emails still to go are made true of the one record (`_texts_follow`):
those of a contact or case folded or joined into another never go, a link whose
text had not gone stops working, a person texted the date of a contact the merge
moved later is texted the new one (as a second naming tells them), a held-up link
text of a contact whose date the merge moved gives the new date, and held-up texts
go to the number or email kept.
A contact folded or joined into another says so in its audit trail, with who was
working it, so that its page, opened again, can say where it went
(`item_merged_into`).
The cases and contacts still waiting of a record that had no number to call, due to
their local team for want of one, are the phones' again when the one record has a
number (`_to_the_phones`, by work.casework.items_back_to_the_phones): the call
rule's deadline from the merge, a call due. Those of a record that always had one
keep their deadlines.
The pair is closed as merged and the merged record marked `merged_into` the
survivor, so matching, the person search and the possible-duplicates list no longer
see it. Its NHS number is cleared (the survivor has it, or the supervisor chose the
other): an NHS number names one record.
Nothing the merge does not keep is lost: each value of the survivor's replaced, and
the other record's NHS number or phones not kept, go into the survivor's change
history (source "merge"), and a phone number not kept becomes their other phone
when that is empty (`_values_not_kept`).

The audit trail is append-only and stays where it was written: the survivor's audit
page reads the trails of every record merged into it.

`person_merge_undo` puts everything back from the snapshot: both people's fields,
every row moved (by id, those still at the survivor), the cases made further
results (cases again, in the pool, with their rows), the folded and joined contacts
(with their ids; the exposures a join made removed, the kept contact's dates put
back), the contacts that became a case at the merge (the change removed, and
those since that followed the same case as it was revised, the date put back
unless changed since), the areas of the contacts that followed the
survivor (those still to be reached) and the pairs as they were, and reopens the
pair. The texts and online links written while the records were one go to
whoever's case or contact they are about; the texts the merge withdrew are queued
again, their links working again, and those it sent in another's place (to the
number kept, or with the date it left) that have not gone are withdrawn, the texts
they replaced queued again to their own number or email (`_texts_back`). The items
the merge sent back to the phones take back the deadline and next call they had,
while still waiting and their record has no number again (`_phones_undo`): due to
their local team, as before the merge.
It is refused while either record is under a legal hold, when the survivor's
details have changed or a case or contact has arrived for them since the merge
(`_refuse_if_changed_since`), and when a contact a fold gave progress to, or an
escalation moved at the merge, has been worked since: putting back the state from
before would lose that work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field as default
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import IntegrityError, models, transaction
from django.db.models import ForeignObjectRel, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from audit.models import AuditEvent
from audit.services import audit_record
from calls.models import CallAttempt, Outcome
from cases.models import Case, FurtherResult
from cases.workitem import CASE_DONE, UNREACHED, Status
from contacts.models import Contact, Exposure, IsolationChange
from escalations.models import Escalation, EscalationAction
from notify.services import (
    message_requeue,
    message_send_later,
    messages_supersede,
    messages_withdraw,
)
from online.models import OnlineLink
from people.matching import phone_text
from people.models import Message, Person, PersonChange, PersonMerge, PossibleDuplicate
from rows.retry import atomic_operation
from work.said import and_joined

from .access.actor import Actor
from .assignment import item_release
from .casework import WAITING, items_back_to_the_phones
from .contact_area import contacts_follow_people
from .effects import assignment_run_after_commit
from .errors import WorkRefused
from .intake import episode_case, episode_cases
from .isolation import (
    contacts_follow_own_cases,
    earlier_dates,
    exposure_key,
    tell_end_date,
    text_of,
    told_a_date,
)
from .online import is_mobile, link_text_redate, reachable_by_message
from .rules import contact_isolation_ends_on, has_number_to_call, no_number_to_call_q
from .withdraw import withdrawn_case_ids

# The fields a supervisor chooses between, and the columns each one carries (a
# postcode brings its area and grid position).
MERGE_FIELDS: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "date_of_birth": ("date_of_birth",),
    "nhs_number": ("nhs_number",),
    "phone": ("phone",),
    "phone_alt": ("phone_alt",),
    "email": ("email",),
    "address": ("address",),
    "postcode": ("postcode", "area_id", "easting", "northing"),
    "language": ("language_id",),
    "needs_interpreter": ("needs_interpreter",),
}
COLUMNS = [column for columns in MERGE_FIELDS.values() for column in columns]
SIDES = ("a", "b")


def merge_value(person: Person, name: str) -> Any:
    """A field's value as compared and recorded: phones in E.164, the language by
    its id, the rest as stored."""
    if name in ("phone", "phone_alt"):
        return phone_text(getattr(person, name))
    if name == "language":
        return person.language_id
    return getattr(person, name)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value is False


def person_merge_defaults(*, person_a: Person, person_b: Person) -> dict[str, str]:
    """For each field the two records disagree on, the side kept unless the
    supervisor says otherwise: the newer record's value, unless it is blank. The
    phone is the one mobile when only one record's phone is a mobile, whichever
    record is newer: texts (online links, isolation messages) go only to the main
    phone, and the number not kept becomes the other phone (`_values_not_kept`)."""
    newer, older = (
        ("b", "a")
        if (person_b.created_at, person_b.pk) >= (person_a.created_at, person_a.pk)
        else ("a", "b")
    )
    side = {"a": person_a, "b": person_b}
    defaults: dict[str, str] = {}
    for name in MERGE_FIELDS:
        values = {s: merge_value(side[s], name) for s in SIDES}
        if values["a"] == values["b"]:
            continue
        defaults[name] = older if _blank(values[newer]) else newer
    mobiles = [s for s in SIDES if is_mobile(side[s])]
    if "phone" in defaults and len(mobiles) == 1:
        defaults["phone"] = mobiles[0]
    return defaults


# --- merging --------------------------------------------------------------------------


def _row(obj: models.Model) -> dict[str, Any]:
    """A whole row as the JSON serializer writes it (model, pk, fields)."""
    return json.loads(serializers.serialize("json", [obj]))[0]


def _restored(row: dict[str, Any]) -> Any:
    """The object a `_row` was taken from, as it was (unsaved)."""
    (obj,) = serializers.deserialize("python", [row])
    return obj.object


def _recreate(row: dict[str, Any]) -> None:
    """Insert a `_row` again, with its id, as it was."""
    for obj in serializers.deserialize("python", [row]):
        obj.save()


def _person_relations() -> list[ForeignObjectRel]:
    """Every kind of row that points at a person and moves with them: all the
    relations to Person but the contacts (moved or folded on their own) and merged
    records (they stay pointed at the record they were merged into)."""
    return [
        relation
        for relation in Person._meta.related_objects
        if relation.one_to_many
        and relation.related_model not in (Contact, Person)
        and isinstance(relation.field, models.ForeignKey)
    ]


def _contact_relations() -> list[ForeignObjectRel]:
    """Every kind of row that belongs to a contact: calls, messages, online links,
    escalations, further exposures..."""
    return [
        relation
        for relation in Contact._meta.related_objects
        if isinstance(relation.field, models.ForeignKey)
    ]


def _move(
    relation: ForeignObjectRel, *, source: int, target: int
) -> dict[str, Any] | None:
    """Point every row of `relation` at `target` instead of `source`; what moved."""
    model = relation.related_model
    assert isinstance(model, type)
    column = relation.field.attname
    rows = model._default_manager.filter(**{column: source})
    ids = list(rows.values_list("pk", flat=True))
    if not ids:
        return None
    model._default_manager.filter(pk__in=ids).update(**{column: target})
    return {"model": model._meta.label_lower, "field": column, "ids": ids}


def _move_back(moves: list[dict[str, Any]], *, source: int, target: int) -> None:
    """Undo `_move`s: the rows still at `source` go back to `target`."""
    for move in reversed(moves):
        model = apps.get_model(move["model"])
        column = move["field"]
        model._default_manager.filter(pk__in=move["ids"], **{column: source}).update(
            **{column: target}
        )


def _refuse_unless_open(pair: PossibleDuplicate) -> None:
    if pair.status != PossibleDuplicate.Status.OPEN:
        raise WorkRefused(
            "This pair has already been decided "
            f"({pair.get_status_display().lower()}): there is nothing to merge."
        )


def _refuse_if_held(*people: Person, undo: bool = False) -> None:
    """A record under a legal hold is kept as it is: not merged, nor merged into
    (the hold would move with its rows, and the other record's change with them),
    nor split again by an undo (the merged record's rows, held as part of the
    survivor, would go back to a record with no hold, to be purged or erased). An
    administrator lifts the hold first, if the merge or its undo is to be made."""
    held = [p for p in people if p.legal_holds.filter(lifted_at__isnull=True).exists()]
    if not held:
        return
    named = " and ".join(f"{p.full_name} (record {p.pk})" for p in held)
    if undo:
        raise WorkRefused(
            f"A legal hold is on {named}: a merge of records under a hold is not "
            "undone, as the rows going back to the other record would leave the "
            "hold. Nothing was changed. An administrator may lift the hold first, "
            "undo the merge, then place a hold on each record."
        )
    raise WorkRefused(
        f"A legal hold is on {named}: records under a hold are not merged. An "
        "administrator may lift the hold first."
    )


def _refuse_if_own_contact(a: Person, b: Person) -> None:
    """One record named as a contact by the other's case: merged, they would be a
    contact of their own case."""
    own = (
        Contact.objects.filter(
            Q(person=a, case__person=b) | Q(person=b, case__person=a)
        )
        .select_related("case")
        .first()
    )
    if own is not None:
        raise WorkRefused(
            f"Case {own.case.lab_reference} names the other record as its contact "
            f"(contact {own.pk}): as one person they would be a contact of their own "
            "case. Close that contact first, if they are one person."
        )


# --- cases of one episode ---------------------------------------------------------

# The rows of a case that go with it when it becomes a further result of another
# case (its texts, online links, further results, the notices of a purge warning):
# by model and field. Any other row of a case (a call, an assessment, a contact
# named, a visit, an escalation, a clinician's change of its date, a draft, a
# cluster, the person's contact switched to isolate as it...) is work done on it,
# or has told the person a date from it: the case is not made a further result.
_CASE_ROWS_THAT_FOLLOW = {
    ("people.message", "case"),
    ("online.onlinelink", "case"),
    ("cases.furtherresult", "case"),
    ("retention.purgenotice", "case"),
}
# Work done on a case, in words, by the kind of row (and its field) that records it.
_CASE_WORK_WORDS = {
    ("calls.callattempt", "case"): "a call logged",
    ("cases.riskassessment", "case"): "its assessment recorded",
    ("cases.settingvisit", "case"): "places visited recorded",
    ("cases.casedraft", "case"): "typing not yet saved on its page",
    ("contacts.contact", "case"): "contacts named",
    ("contacts.exposure", "case"): "contacts named",
    ("contacts.isolationchange", "case"): "its isolation date changed by a clinician",
    ("contacts.isolationchange", "became_case"): "the person's contact isolates as it",
    ("escalations.escalation", "case"): "escalated to a local team",
    ("escalations.cluster_cases", "case"): "part of a cluster",
}


def _case_relations() -> list[ForeignObjectRel]:
    """Every kind of row that points at a case (hidden ones too: a contact's switch
    to the case it became, a cluster's membership)."""
    return [
        relation
        for relation in Case._meta.get_fields(include_hidden=True)
        if isinstance(relation, ForeignObjectRel)
        and (relation.one_to_many or relation.one_to_one)
        and isinstance(relation.field, models.ForeignKey)
    ]


def _follows(relation: ForeignObjectRel) -> bool:
    model = relation.related_model
    assert isinstance(model, type)
    return (model._meta.label_lower, relation.field.name) in _CASE_ROWS_THAT_FOLLOW


def case_work(case: Case) -> list[str]:
    """What has been done on a case, in words; none for a case not worked yet
    (waiting or held, never called, nothing recorded on it): the case a merge may
    make a further result of another, as intake would have kept it."""
    work: list[str] = []
    if case.status not in UNREACHED:
        work.append(case.get_status_display().lower())
    if case.first_attempt_at is not None:
        work.append("a call logged")
    for relation in _case_relations():
        if _follows(relation):
            continue
        model = relation.related_model
        assert isinstance(model, type)
        if model._default_manager.filter(**{relation.field.attname: case.pk}).exists():
            words = _CASE_WORK_WORDS.get(
                (model._meta.label_lower, relation.field.name),
                f"{model._meta.verbose_name_plural} recorded",
            )
            if words not in work:
                work.append(words)
    return work


def _holder(case: Case) -> str:
    """Who holds the case, as its name is followed (", held by <name>"), when
    someone holds and works it; else nothing."""
    user = case.assignee
    if user is None or case.status not in Case.held_statuses():
        return ""
    return f", held by {user.get_full_name() or user.username}"


def _named(case: Case, *, first: bool = False) -> str:
    """The case as the confirm step and a refusal name it (`first`: a sentence's
    first words)."""
    return (
        f"{'Case' if first else 'case'} {case.lab_reference} "
        f"(record {case.person_id}{_holder(case)})"
    )


def _apart(one: Case, other: Case) -> str:
    days = abs((one.specimen_date - other.specimen_date).days)
    return f"{days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True)
class CaseFold:
    """A case not worked yet that becomes a further result of `into`, the other
    record's case of the same episode."""

    case: Case
    into: Case


@dataclass
class MergeCases:
    """What a merge does with the two records' cases of one episode of infection
    (specimen dates within EPISODE_DAYS, as intake tells a further result from a
    new case: work.intake.episode_cases and episode_case).

    `folds`: a case not worked yet becomes a further result of the other; `kept`:
    both worked, one of them finished, so both are kept (and said so); `busy`: both
    worked and both still open, which refuses the merge: one person would be traced
    twice, by two caseworkers, and neither's work can be dropped."""

    folds: list[CaseFold] = default(default_factory=list)
    kept: list[tuple[Case, Case]] = default(default_factory=list)
    busy: list[tuple[Case, Case]] = default(default_factory=list)
    work: dict[int, list[str]] = default(default_factory=dict)

    def _did(self, case: Case) -> str:
        return f"{case.lab_reference}: {', '.join(self.work[case.pk])}"

    @property
    def refusal(self) -> str | None:
        """Why the merge is refused (None: it is not), naming the cases to finish."""
        if not self.busy:
            return None
        said = [
            f"{_named(one, first=True)} and {_named(other)} are of one episode of "
            f"infection (specimens {_apart(one, other)} apart) and both are being "
            f"worked ({self._did(one)}; {self._did(other)})."
            for one, other in self.busy
        ]
        return (
            f"{' '.join(said)} Merged, the person would be traced twice, by two "
            "caseworkers, and neither case's work can be dropped. Finish or close one "
            "of them first (its caseworker completes a case; a local team closes one "
            "escalated to it), then merge: both are then kept, each case's audit "
            "trail naming the other. Nothing was changed."
        )

    @property
    def notes(self) -> list[str]:
        """What the confirm step says of the cases."""
        said = []
        for fold in self.folds:
            case, into = fold.case, fold.into
            holder = _holder(case).removeprefix(", held by ")
            said.append(
                f"{_named(case, first=True)} becomes a further result of case "
                f"{into.lab_reference} (record {into.person_id}): their specimens are "
                f"{_apart(case, into)} apart, one episode of infection, and it has not "
                "been worked yet, so it is kept as intake would have kept it. "
                + (f"It leaves {holder}'s queue. " if holder else "")
                + "Its texts and online link go with case "
                f"{into.lab_reference}."
            )
        for one, other in self.kept:
            said.append(
                f"{_named(one, first=True)} and {_named(other)} are of one episode "
                f"of infection (specimens {_apart(one, other)} apart) but both have "
                f"been worked ({self._did(one)}; {self._did(other)}), so both are "
                "kept; each case's audit trail will say it is of one episode with "
                "the other."
            )
        return said


def _episode_candidates(ids: list[int], *, now: datetime, lock: bool) -> list[Case]:
    """The two records' cases that a further result could be kept with, as intake
    finds them for one person (episode_cases), in the order they arrived. A case
    intake leaves out for one record (done, the person a contact isolating now) it
    leaves out for both: they are one person."""
    cases = Case.objects.filter(person_id__in=ids).select_related("assignee")
    if lock:
        cases = cases.select_for_update(of=("self",))
    rows = list(cases.order_by("created_at", "pk"))
    if len(rows) < 2:
        return []
    listed = {
        case.pk
        for found in episode_cases(
            people=ids, specimen_dates={case.specimen_date for case in rows}, now=now
        ).values()
        for case in found
    }
    if any(case.pk not in listed for case in rows):
        listed -= {case.pk for case in rows if case.status in CASE_DONE}
    return [case for case in rows if case.pk in listed]


def _merge_cases(ids: list[int], *, now: datetime, lock: bool = False) -> MergeCases:
    """The cases of both records taken in the order they arrived, as intake would
    have taken their results had one record held both: each joins the other
    record's case of its episode (episode_case) as a further result when it has not
    been worked; when it has and that case has not, that case joins it instead (the
    person keeps the caseworker who has called them); when both have been worked,
    both stay, refused while both are open."""
    plan = MergeCases()
    kept: list[Case] = []
    for case in _episode_candidates(ids, now=now, lock=lock):
        plan.work[case.pk] = case_work(case)
        others = [k for k in kept if k.person_id != case.person_id]
        into = episode_case(others, case.specimen_date)
        if into is None:
            kept.append(case)
        elif not plan.work[case.pk]:
            plan.folds.append(CaseFold(case=case, into=into))
        elif not plan.work[into.pk]:
            plan.folds.append(CaseFold(case=into, into=case))
            kept[kept.index(into)] = case
        else:
            done = into.status in CASE_DONE or case.status in CASE_DONE
            (plan.kept if done else plan.busy).append((into, case))
            kept.append(case)
    return plan


def person_merge_cases(
    *, pair: PossibleDuplicate, now: datetime | None = None
) -> MergeCases:
    """What merging the pair would do with their cases of one episode, for the
    confirm step: the rule `person_merge` applies (its `refusal` is the merge's)."""
    return _merge_cases([pair.person_a_id, pair.person_b_id], now=now or timezone.now())


def _case_fold(fold: CaseFold, *, survivor: Person, by, now: datetime) -> dict:
    """Make `fold.case` a further result of `fold.into`, as intake would have kept
    it: its holder loses it (released, audited, as a supervisor's move back to the
    pool is), its texts, links, further results and the rest of its rows go to the
    case kept, and it is deleted, kept whole (as released) for an undo."""
    into = fold.into
    case = Case.objects.select_for_update().get(pk=fold.case.pk)
    held_by = case.assignee_id
    if case.assignee_id is not None:
        item_release(
            item=case,
            by=by,
            reason=(
                f"Merged into record {survivor.pk}: a further result of case "
                f"{into.lab_reference}, the same episode of infection"
            ),
            now=now,
        )
        case.refresh_from_db()
    row = _row(case)
    moves = []
    for relation in _case_relations():
        if not _follows(relation):
            continue
        move = _move(relation, source=case.pk, target=into.pk)
        if move:
            moves.append(move)
    Case.objects.filter(pk=case.pk).delete()
    further = FurtherResult.objects.create(
        case_id=into.pk,
        lab_reference=case.lab_reference,
        specimen_date=case.specimen_date,
        result_date=case.result_date,
        source=case.source,
        received_at=case.created_at,
    )
    return {
        "case": row,
        "into": into.pk,
        "further": further.pk,
        "held_by": held_by,
        "moved": moves,
    }


def _case_fold_undo(fold: dict[str, Any]) -> int:
    """Undo `_case_fold`: the further result removed, the case back (in the pool,
    as the merge released it) with its rows. Its id."""
    FurtherResult.objects.filter(pk=fold["further"]).delete()
    _recreate(fold["case"])
    _move_back(fold["moved"], source=fold["into"], target=fold["case"]["pk"])
    return fold["case"]["pk"]


def _lock_people(*ids: int) -> dict[int, Person]:
    """Both people, locked in id order (two merges never wait on each other)."""
    return {
        p.pk: p
        for p in Person.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }


def person_merge(
    *,
    pair: PossibleDuplicate,
    survivor: Person,
    fields: dict[str, str],
    by,
) -> PersonMerge:
    """Merge the pair into `survivor`, which takes for each field named in `fields`
    the value of side "a" (pair.person_a) or "b"; a field not named keeps the
    survivor's value. National supervisors and administrators only.

    Raises WorkRefused for a pair not open, a survivor not in the pair, an unknown
    field or side, or rows that cannot be combined (nothing is changed then).
    """
    if not Actor.of(by).is_national_supervisor:
        raise WorkRefused("Only supervisors and administrators may merge people.")
    unknown = sorted(set(fields) - set(MERGE_FIELDS))
    if unknown:
        raise WorkRefused(f"There is no field {', '.join(unknown)} to choose.")
    if any(side not in SIDES for side in fields.values()):
        raise WorkRefused("Each field is kept from one record or the other.")
    try:
        return _merge(pair=pair, survivor_id=survivor.pk, fields=fields, by=by)
    except IntegrityError as exc:
        raise WorkRefused(
            "These records hold rows that cannot be combined (for example both "
            "contacts of one case with an open escalation each); nothing was "
            f"changed. ({exc.__class__.__name__})"
        ) from exc


@atomic_operation
def _merge(
    *, pair: PossibleDuplicate, survivor_id: int, fields: dict[str, str], by
) -> PersonMerge:
    pair = PossibleDuplicate.objects.select_for_update().get(pk=pair.pk)
    _refuse_unless_open(pair)
    if survivor_id not in (pair.person_a_id, pair.person_b_id):
        raise WorkRefused("The record kept must be one of the two in the pair.")
    people = _lock_people(pair.person_a_id, pair.person_b_id)
    side = {"a": people[pair.person_a_id], "b": people[pair.person_b_id]}
    survivor = people[survivor_id]
    merged = side["b"] if survivor is side["a"] else side["a"]
    if survivor.merged_into_id or merged.merged_into_id:
        raise WorkRefused("One of these records has already been merged.")
    _refuse_if_held(survivor, merged)
    _refuse_if_own_contact(survivor, merged)
    now = timezone.now()
    # Their cases of one episode, planned as the confirm step showed them (and
    # refused while both are being worked), carried out once the rows have moved.
    cases = _merge_cases([pair.person_a_id, pair.person_b_id], now=now, lock=True)
    if cases.refusal:
        raise WorkRefused(cases.refusal)
    snapshot: dict[str, Any] = {
        "survivor": _row(survivor),
        "merged": _row(merged),
    }

    # The fields: the merged record gives up its NHS number first (it is unique).
    taken: dict[str, dict[str, Any]] = {}
    for name, chosen in fields.items():
        source = side[chosen]
        for column in MERGE_FIELDS[name]:
            setattr(survivor, column, getattr(source, column))
        value = merge_value(source, name)
        taken[name] = {"from": chosen, "value": _json_value(value)}
    before = _restored(snapshot["survivor"])
    history = _values_not_kept(
        survivor, before=before, merged=merged, fields=fields, now=now
    )
    # A number logged wrong on either record is a stranger's to the one person:
    # kept as theirs, it is not texted (work.online.reachable_by_message).
    survivor.wrong_numbers = list(
        dict.fromkeys([*survivor.wrong_numbers, *merged.wrong_numbers])
    )
    merged.nhs_number = ""
    merged.merged_into = survivor
    merged.save(update_fields=["nhs_number", "merged_into", "updated_at"])
    survivor.save(update_fields=[*COLUMNS, "wrong_numbers", "updated_at"])
    # Told apart before the rows move: the items of a record with no number to call.
    given_a_number = _items_given_a_number(
        survivor=survivor, before=before, merged=merged
    )

    # The rows: whatever points at the merged person, then their contacts.
    moved = [
        move
        for relation in _person_relations()
        if (move := _move(relation, source=merged.pk, target=survivor.pk))
    ]
    survivor_contacts = dict(
        Contact.objects.filter(person=survivor).values_list("case_id", "pk")
    )
    theirs = list(Contact.objects.select_for_update().filter(person=merged))
    folded = []
    moved_contacts = []
    for contact in theirs:
        into = survivor_contacts.get(contact.case_id)
        if into is None:
            moved_contacts.append(contact.pk)
            continue
        folded.append(_fold(contact, into=into))
    if moved_contacts:
        Contact.objects.filter(pk__in=moved_contacts).update(person=survivor)
        moved.append(
            {"model": "contacts.contact", "field": "person_id", "ids": moved_contacts}
        )

    kept, joined = _contacts_join(survivor, theirs=set(moved_contacts))
    # One episode, one case: a case not worked yet becomes a further result of the
    # other record's case of its episode (before contacts follow their own cases,
    # so they follow the case kept).
    cases_folded = [
        _case_fold(fold, survivor=survivor, by=by, now=now) for fold in cases.folds
    ]
    # Their contacts still to be reached go where the one person now lives.
    followed = contacts_follow_people(people=[survivor.pk], by=by, now=now)
    # One record a contact, the other a case: the contact isolates as the case, as
    # contact_add or intake would have had it if one record had held both.
    became = [
        {
            "change": change.pk,
            "contact": change.contact_id,
            "replaced": change.replaced.isoformat(),
            "ends_on": change.ends_on.isoformat(),
        }
        for change in contacts_follow_own_cases(people=[survivor.pk], by=by, now=now)
    ]
    # Theirs still waiting for want of a number (not folded or joined away): the
    # phones' now that the one record has one.
    phoned = _to_the_phones(given_a_number, survivor=survivor, by=by, now=now)
    # Their texts still to go: those of the contacts and cases that are no more
    # never go; the rest give the date the merge left and go where they are now.
    texts = _texts_follow(
        survivor=survivor,
        merged=merged,
        gone=[*folded, *joined, *cases_folded],
        redated=_redated(joined, became),
        now=now,
    )

    snapshot.update(
        # What the survivor held when the merge was made: an undo is refused once
        # it holds more, or other details (`_refuse_if_changed_since`).
        survivor_after=_columns(Person.objects.get(pk=survivor.pk)),
        cases=sorted(Case.objects.filter(person=survivor).values_list("pk", flat=True)),
        contacts=sorted(
            Contact.objects.filter(person=survivor).values_list("pk", flat=True)
        ),
        history=[change.pk for change in history],
        moved=moved,
        folded=folded,
        joined=joined,
        followed=followed,
        became=became,
        cases_folded=cases_folded,
        cases_kept=[[one.pk, other.pk] for one, other in cases.kept],
        texts=texts,
        pairs=_pairs_follow(pair, survivor=survivor, merged=merged, by=by, now=now),
        phoned=phoned,
    )
    pair.status = PossibleDuplicate.Status.MERGED
    pair.decided_by = by
    pair.decided_at = now
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    merge = PersonMerge.objects.create(
        survivor=survivor,
        merged=merged,
        pair=pair,
        by=by,
        at=now,
        fields=taken,
        snapshot=snapshot,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=survivor,
        person=survivor,
        detail={
            "merged": merged.pk,
            "merge": merge.pk,
            "fields": {name: t["from"] for name, t in taken.items()},
            # Their contacts still to be reached that went to the survivor's area.
            **_followed_detail(followed),
            **_texts_detail(texts),
        },
        at=now,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=merged,
        person=merged,
        detail={"merged_into": survivor.pk, "merge": merge.pk},
        at=now,
    )
    for join in joined:
        assert kept is not None  # there is a join only into a contact kept
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=kept,
            person=survivor,
            detail={
                "merge": merge.pk,
                "joined_contact": join["contact"]["pk"],
                "named_by_case": join["contact"]["fields"]["case"],
                "exposure": join["exposure"],
                "isolation_ends_on": join["kept"]["after"]["isolation_ends_on"],
            },
            at=now,
        )
    # The contact that is no more says where it went, and who was working it (a
    # call handler opening its page again is told: pages.desk.taken).
    for how, items in (("folded", folded), ("joined", joined)):
        for item in items:
            audit_record(
                user=by,
                action=AuditEvent.Action.UPDATE,
                obj=_restored(item["contact"]),
                person=survivor,
                detail={
                    "merge": merge.pk,
                    MERGED_INTO["contacts.contact"]: item["into"],
                    "how": how,
                    "held_by": item["held_by"],
                },
                at=now,
            )
    for plan, fold in zip(cases.folds, cases_folded, strict=True):
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=_restored(fold["case"]),
            person=survivor,
            detail={
                "merge": merge.pk,
                "further_result_of": fold["into"],
                "further_result": fold["further"],
                "held_by": fold["held_by"],
            },
            at=now,
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=plan.into,
            person=survivor,
            detail={
                "merge": merge.pk,
                "further_result": fold["further"],
                "was_case": fold["case"]["pk"],
                "lab_reference": fold["case"]["fields"]["lab_reference"],
            },
            at=now,
        )
    # Two worked cases of one episode, both kept: each case's trail says so.
    for one, other in cases.kept:
        for case, same in ((one, other), (other, one)):
            audit_record(
                user=by,
                action=AuditEvent.Action.UPDATE,
                obj=case,
                person=survivor,
                detail={
                    "merge": merge.pk,
                    "same_episode_as": same.pk,
                    "kept_apart": "both worked: "
                    + "; ".join(
                        f"{c.lab_reference}: {', '.join(cases.work[c.pk])}"
                        for c in (case, same)
                    ),
                },
                at=now,
            )
    return merge


# --- a number for those who had none ---------------------------------------------

# Where their number came from, in the audit trail (as in their change history).
MERGE = "merge"


def _items_given_a_number(
    *, survivor: Person, before: Person, merged: Person
) -> dict[str, list[int]]:
    """The cases and contacts still to be reached of whichever record had no number
    to call (work.rules.has_number_to_call: `before` is the survivor as it was),
    when the merge leaves the survivor with one, by kind: read before the rows move,
    while each record holds its own. Nothing when the survivor has no number, or
    both records had one."""
    if not has_number_to_call(survivor):
        return {}
    people = [
        person.pk for person in (before, merged) if not has_number_to_call(person)
    ]
    if not people:
        return {}
    return {
        model.kind: list(
            model.objects.filter(
                person_id__in=people, status__in=UNREACHED
            ).values_list("pk", flat=True)
        )
        for model in (Case, Contact)
    }


def _to_the_phones(
    items: dict[str, list[int]], *, survivor: Person, by, now: datetime
) -> list[dict[str, Any]]:
    """Those of `items` still waiting for their local team for want of a number
    take their call rule's deadline from now, a call due (audited, an assignment
    run asked for: work.casework.items_back_to_the_phones); the survivor's own items
    that always had a number keep theirs. Each moved, with the deadline and next
    call it had, for an undo (`_phones_undo`)."""
    if not any(items.values()):
        return []
    had = {
        (model.kind, pk): (due, call)
        for model in (Case, Contact)
        for pk, due, call in model.objects.select_for_update()
        .filter(pk__in=items.get(model.kind, ()))
        .order_by("pk")
        .values_list("pk", "escalate_due_at", "next_attempt_at")
    }
    moved = items_back_to_the_phones(
        people=[survivor.pk], source=MERGE, user=by, now=now, only=items
    )
    return [
        {
            "kind": item.kind,
            "pk": item.pk,
            "escalate_due_at": _json_value(had[item.kind, item.pk][0]),
            "next_attempt_at": _json_value(had[item.kind, item.pk][1]),
        }
        for item in moved
    ]


def _phones_undo(
    phoned: list[dict[str, Any]], *, merge: PersonMerge, by, now: datetime
) -> None:
    """Undo `_to_the_phones`: each item it moved takes back the deadline and next
    call it had before the merge (due to its local team, at once or when its wait
    for an answer online ends), audited, while it is still waiting (not reached,
    escalated or closed since) and its record has no number to call again (none,
    or only numbers answered by someone else: work.rules.no_number_to_call_q, as
    _items_given_a_number chose them). Read after the rows have gone back to their
    records."""
    for model in (Case, Contact):
        was = {one["pk"]: one for one in phoned if one["kind"] == model.kind}
        waiting = (
            model.objects.select_for_update(of=("self",))
            .filter(
                pk__in=was,
                status__in=UNREACHED,
                reached_at__isnull=True,
                escalate_due_at__isnull=False,
            )
            .filter(no_number_to_call_q("person__"))
            .order_by("pk")
        )
        for item in waiting:
            one = was[item.pk]
            set_to = item.escalate_due_at
            item.escalate_due_at = parse_datetime(one["escalate_due_at"])
            item.next_attempt_at = (
                parse_datetime(one["next_attempt_at"])
                if one["next_attempt_at"]
                else None
            )
            item.save(update_fields=["escalate_due_at", "next_attempt_at"])
            audit_record(
                user=by,
                action=AuditEvent.Action.UPDATE,
                obj=item,
                detail={
                    "merge": merge.pk,
                    "phone": "merge undone",  # never the number itself in the trail
                    "escalate_due_at": one["escalate_due_at"],
                    "was_due_at": set_to.isoformat() if set_to else "",
                    "next_attempt_at": one["next_attempt_at"] or "",
                },
                at=now,
            )


# --- their texts -----------------------------------------------------------------

# Why a text still to go about a contact or case the merge folded or joined into
# another never goes (read on the staff pages beside the message).
TEXT_OF_ITEM_MERGED = (
    "Not sent: record {merged} was merged into record {survivor}, and this {kind} "
    "into their {kind} {into}"
)
# Why a text still to go never goes to someone the merge left with no mobile or email.
TEXT_NOWHERE = (
    "Not sent: record {merged} was merged into record {survivor}, who can no longer "
    "be messaged"
)
# The event key of a text sent again, as it was, to where the person is now: by the
# nth merge of the record merged (undone ones counted), so that a merge made again
# after an undo queues a copy of its own, not the one the undo withdrew.
READDRESSED_KEY = "readdressed:merge:{event}:message:{pk}"


def _moved_of(items: list[dict[str, Any]], model: type[models.Model]) -> list[int]:
    """The ids of the rows of `model` that the folds or joins `items` moved."""
    label = model._meta.label_lower
    return [
        pk
        for item in items
        for move in item["moved"]
        if move["model"] == label
        for pk in move["ids"]
    ]


@dataclass(frozen=True)
class Redated:
    """A contact whose end date the merge changed, and the date it had before."""

    contact: Contact
    was: date
    # Joined: a case of the other record named them (a second naming), not their
    # own case's date (became a case).
    joined: bool


def _redated(
    joined: list[dict[str, Any]], became: list[dict[str, Any]]
) -> list[Redated]:
    """The contacts whose end date the merge changed: the one kept by a join, and
    those that became a case, locked already; each with its date before the merge
    (the first join's, else the one becoming a case replaced)."""
    was: dict[int, tuple[date, bool]] = {}
    for join in joined:
        if (
            join["kept"]["after"]["isolation_ends_on"]
            != join["kept"]["before"]["isolation_ends_on"]
        ):
            was.setdefault(
                join["into"],
                (date.fromisoformat(join["kept"]["before"]["isolation_ends_on"]), True),
            )
    for one in became:
        if one["ends_on"] != one["replaced"]:
            was.setdefault(one["contact"], (date.fromisoformat(one["replaced"]), False))
    return [
        Redated(contact=contact, was=was[contact.pk][0], joined=was[contact.pk][1])
        for contact in Contact.objects.filter(pk__in=was)
        .select_related("person", "person__language")
        .order_by("pk")
    ]


def _texts_follow(
    *,
    survivor: Person,
    merged: Person,
    gone: list[dict[str, Any]],
    redated: list[Redated],
    now: datetime,
) -> dict[str, Any]:
    """The texts and emails still to go, once the merge has moved its rows, are
    what is true of the one record it leaves:

    - those of a contact or case folded or joined into another (`gone`) never go
      (they give its date, and carry its link): withdrawn, as messages_withdraw
      leaves one being sent (if the provider takes it, it went); a link whose text
      had not gone is revoked (nobody holds it). One that has gone stays as it is,
      and its link, now the kept item's, still opens;
    - a contact whose date the merge moved later (a join, as a second naming
      would; becoming a case), whose person was told its date by message (a text
      or email that went or is going), is told the new one (`_told_merged_date`,
      as work.isolation.contact_told_later_date tells a second naming); else the
      link's text of a contact whose date the merge changed, held up by an
      outage, gives the new date (link_text_redate, as an override does);
    - the rest go where a message to the person goes now (the number or email the
      supervisor kept), never to a number the merge replaced: each sent again as it
      was, to there, and the old one replaced; to someone who can no longer be
      messaged none goes.

    Only a text held up (tried, waiting to be tried again: link_text_redate's
    rule) is sent again; one not tried yet goes within seconds, as queued. What
    was done, by message id, for the snapshot: an undo queues again the texts
    withdrawn, as they were, and withdraws those the merge sent in others' place
    that have not gone, queuing those again (`_texts_back`)."""
    survivor = Person.objects.select_related("language").get(pk=survivor.pk)
    said = {"merged": merged.pk, "survivor": survivor.pk}
    withdrawn: list[dict[str, Any]] = []
    revoked: list[int] = []
    for item in gone:
        kind = "contact" if "contact" in item else "case"
        texts = list(
            Message.objects.select_for_update()
            .filter(
                pk__in=_moved_of([item], Message),
                status__in=(Message.Status.QUEUED, Message.Status.SENDING),
            )
            .values("pk", "status", "failure_reason")
        )
        if not texts:
            continue
        messages_withdraw(
            Message.objects.filter(pk__in=[text["pk"] for text in texts]),
            reason=TEXT_OF_ITEM_MERGED.format(**said, kind=kind, into=item["into"]),
        )
        withdrawn += [dict(text) for text in texts]
        unsent = [t["pk"] for t in texts if t["status"] == Message.Status.QUEUED]
        links = OnlineLink.objects.filter(
            pk__in=_moved_of([item], OnlineLink),
            message_id__in=unsent,
            revoked_at__isnull=True,
            submitted_at__isnull=True,
        )
        revoked += list(links.values_list("pk", flat=True))
        links.update(revoked_at=now)
    # One message for each contact at each merge, however often it is tried (a retry
    # finds it): its event is the nth merge of the other record, undone ones counted.
    nth = PersonMerge.objects.filter(merged=merged).count() + 1
    redone: list[int] = []
    replaced: list[dict[str, Any]] = []
    for one in redated:
        key = exposure_key(one.contact, f"merge:{merged.pk}.{nth}")
        told, was = _told_merged_date(one, key=key, now=now)
        if told is not None:
            redone.append(told.pk)
            replaced += was
    readdressed, sent_there = _texts_readdressed(
        survivor, said=said, event=f"{merged.pk}.{nth}"
    )
    return {
        "withdrawn": withdrawn,
        "links_revoked": revoked,
        "redated": redone,
        "readdressed": readdressed,
        "replaced": [*replaced, *sent_there],
    }


# The statuses of a message not sent yet (queued, or being sent: it may go).
TO_GO = (Message.Status.QUEUED, Message.Status.SENDING)


def _link_text_to_go(contact: Contact) -> dict[str, Any] | None:
    """The text carrying the contact's live link (its latest, as link_text_redate
    reads it), while it has not gone: its id, status and why it waits."""
    link = (
        OnlineLink.objects.filter(
            contact=contact, revoked_at__isnull=True, submitted_at__isnull=True
        )
        .order_by("-created_at", "-pk")
        .first()
    )
    if link is None or link.message_id is None:
        return None
    text = (
        Message.objects.filter(pk=link.message_id, status__in=TO_GO)
        .values("pk", "status", "failure_reason")
        .first()
    )
    return dict(text) if text is not None else None


def _told_merged_date(
    one: Redated, *, key: str, now: datetime
) -> tuple[Message | None, list[dict[str, Any]]]:
    """A contact whose date the merge moved later, whose person was told its date
    by message (a text or email that went or is going: work.isolation's
    told_a_date), is told the new one, as contact_told_later_date tells a second
    naming: the text carrying their link, held up and giving the old date, sent
    again with the new one (link_text_redate); else a message of its own, in their
    language, saying they were near someone else (a join: a case of the other
    record named them) or that their date was updated (they became a case), once
    for this merge (`key`). It replaces their earlier end dates not sent yet; a
    link text queued and not tried yet goes first, within seconds, and this one
    after it. Someone told nothing by message is sent nothing: their call, or
    their first text, gives the date in force. A date moved earlier (a case's
    shorter one) changes only a held-up link text (link_text_redate).

    The message giving the new date (None: none), and the texts it replaced, each
    with its status and why it waited before, and `by` the message, for an undo."""
    contact = one.contact
    link_text = _link_text_to_go(contact)
    gave = {"ends_on": one.was.isoformat()}  # what the texts replaced said
    if contact.isolation_ends_on <= one.was or not told_a_date(contact):
        again = link_text_redate(contact, now=now)
        if again is None or link_text is None:
            return again, []
        return again, [{**link_text, **gave, "by": again.pk}]
    earlier = earlier_dates(contact)
    waiting: list[dict[str, Any]] = [
        dict(text)
        for text in earlier.filter(status__in=TO_GO).values(
            "pk", "status", "failure_reason"
        )
    ]
    message = link_text_redate(contact, now=now)
    if message is not None:
        messages_supersede(earlier, by=message)
        if link_text is not None:
            waiting.append(link_text)
    elif reachable_by_message(contact.person) is None:
        return None, []  # to be phoned: the call gives the date
    else:
        message = tell_end_date(
            contact,
            text=text_of(
                contact,
                replacing=earlier,
                link_text=None,
                changed="named_again_later" if one.joined else "isolation_revised",
            ),
            ends_on=contact.isolation_ends_on,
            key=key,
            replacing=earlier,
        )
        if message is None:
            return None, []
    return message, [
        {**was, **gave, "by": message.pk} for was in waiting if was["pk"] != message.pk
    ]


def _texts_readdressed(
    survivor: Person, *, said: dict[str, int], event: str
) -> tuple[list[list[int | None]], list[dict[str, Any]]]:
    """Each of the survivor's texts held up (tried, waiting to be tried again) on
    its way to another number or email than theirs now (reachable_by_message), as
    one of the two records had it, is sent again, as it was, to there (its
    link, if it carries one, now carried by the new one), and the old one replaced;
    with nowhere to send it, it is withdrawn. Each as [old, new] (new None when
    withdrawn); and each old one replaced, with its status and why it waited, `by`
    the new, for an undo. One being sent is left to go. `event`: the merge's, as
    "<merged>.<nth>" (READDRESSED_KEY)."""
    where = reachable_by_message(survivor)
    waiting = Message.objects.select_for_update().filter(
        person=survivor,
        status=Message.Status.QUEUED,
        attempts__gt=0,
        channel__in=(Message.Channel.SMS, Message.Channel.EMAIL),
    )
    if where is not None:
        waiting = waiting.exclude(channel=where[0], to=where[1])
    stale = list(waiting.order_by("pk"))
    if where is None:
        messages_withdraw(
            Message.objects.filter(pk__in=[old.pk for old in stale]),
            reason=TEXT_NOWHERE.format(**said),
        )
        return [[old.pk, None] for old in stale], []
    channel, to = where
    done: list[list[int | None]] = []
    replaced: list[dict[str, Any]] = []
    for old in stale:
        new = message_requeue(
            old,
            person=survivor,
            channel=channel,
            to=to,
            key=READDRESSED_KEY.format(event=event, pk=old.pk),
        )
        OnlineLink.objects.filter(message=old).update(message=new)
        messages_supersede(Message.objects.filter(pk=old.pk), by=new)
        done.append([old.pk, new.pk])
        replaced.append(
            {
                "pk": old.pk,
                "status": old.status,
                "failure_reason": old.failure_reason,
                "by": new.pk,
            }
        )
    return done, replaced


# Why a text the merge sent in another's place never goes once it is undone (read on
# the staff pages beside the message).
TEXT_MERGE_UNDONE = (
    "Not sent: the merge of record {merged} into record {survivor} was undone"
)


def _texts_back(texts: dict[str, Any], *, at: datetime, said: dict[str, int]) -> None:
    """Undo what `_texts_follow` did to the texts still to go, once the rows are
    back with their records:

    - each text the merge sent in the place of another (again to the number or
      email kept, with the date it left, or telling them that date) that has not
      gone is withdrawn: it goes to where the other record is reached, or gives a
      date that is no longer theirs. The text it replaced, if it had not gone
      either, is queued again as it was, to its own number or email (its link,
      if it carries one, with it), unless it gives a date the undo has not put
      back (changed since: the change told them). One that has gone stays;
    - each text of a contact or case the undo brings back that the merge withdrew
      before it was tried again is queued again, as it was, and the link it
      carries opens again.

    The sending of those queued again is asked for once the undo commits."""
    back = []
    if "replaced" in texts:
        made = [
            *texts.get("redated", []),
            *(new for _, new in texts.get("readdressed", []) if new is not None),
        ]
        replaced = texts["replaced"]
    else:
        # A merge recorded before what its texts replaced was: the texts sent again
        # to the number kept, each replacing one waiting to be tried again.
        made = [new for _, new in texts.get("readdressed", []) if new is not None]
        replaced = [
            {
                "pk": old,
                "status": Message.Status.QUEUED,
                "failure_reason": "",
                "by": new,
            }
            for old, new in texts.get("readdressed", [])
            if new is not None
        ]
    undone = list(
        Message.objects.select_for_update()
        .filter(pk__in=made, status=Message.Status.QUEUED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    messages_withdraw(
        Message.objects.filter(pk__in=undone), reason=TEXT_MERGE_UNDONE.format(**said)
    )
    for was in replaced:
        if was["by"] not in undone or was["status"] != Message.Status.QUEUED:
            continue  # it, or the one sent in its place, may have gone
        if (
            "ends_on" in was
            and not Contact.objects.filter(
                messages__pk=was["pk"], isolation_ends_on=was["ends_on"]
            ).exists()
        ):
            continue  # its date has changed since the merge
        if Message.objects.filter(
            pk=was["pk"], status=Message.Status.SUPERSEDED
        ).update(status=Message.Status.QUEUED, failure_reason=was["failure_reason"]):
            OnlineLink.objects.filter(message_id=was["by"]).update(message_id=was["pk"])
            back.append(was["pk"])
    for was in texts.get("withdrawn", []):
        if was["status"] != Message.Status.QUEUED:
            continue  # it was being sent: it may have gone
        if Message.objects.filter(
            pk=was["pk"], status=Message.Status.SUPERSEDED
        ).update(status=Message.Status.QUEUED, failure_reason=was["failure_reason"]):
            back.append(was["pk"])
    OnlineLink.objects.filter(
        pk__in=texts.get("links_revoked", []), revoked_at=at
    ).update(revoked_at=None)
    if back:

        def queue_again() -> None:
            for pk in back:
                message_send_later(pk)

        # Robust: a broker that is down must not undo the undo (the beat queues
        # again a message whose task was lost: messages_lost_requeue).
        transaction.on_commit(queue_again, robust=True)


def _texts_detail(texts: dict[str, Any]) -> dict[str, Any]:
    """What the merge's audit event says of the texts still to go (nothing if it
    changed none)."""
    detail = {
        "texts_withdrawn": [text["pk"] for text in texts["withdrawn"]],
        "texts_redated": texts["redated"],
        "texts_readdressed": texts["readdressed"],
    }
    return {name: value for name, value in detail.items() if value}


# --- where an item went ------------------------------------------------------------

# The key of the audit event of an item a merge made part of another: the item it
# went into (a case made a further result of another, a contact folded or joined).
MERGED_INTO = {
    "cases.case": "further_result_of",
    "contacts.contact": "merged_into_contact",
}


def item_merged_into(
    model: type[Case] | type[Contact], pk: int
) -> Case | Contact | None:
    """The case or contact that the item `pk`, gone, was made part of by a merge
    (and, if that one went too by a later merge, where it went); None if a merge
    did not take it, or what it went into is gone otherwise. Read from the items'
    audit trails."""
    label = model._meta.label_lower
    key = MERGED_INTO[label]
    seen: set[int] = set()
    while pk not in seen:
        seen.add(pk)
        event = (
            AuditEvent.objects.filter(object_type=label, object_id=str(pk))
            .exclude(action=AuditEvent.Action.VIEW)
            .filter(detail__has_key=key)
            .order_by("-at", "-pk")
            .first()
        )
        if event is None:
            return None
        pk = event.detail[key]
        found = (
            model._default_manager.select_related("assignee", "local_team")
            .filter(pk=pk)
            .first()
        )
        if found is not None:
            return found
    return None


def _followed_detail(followed: list[dict[str, Any]]) -> dict[str, Any]:
    """What the merge's audit event says of the contacts that took the survivor's
    area: each with the area it had and the one it took (nothing if none did)."""
    if not followed:
        return {}
    return {
        "contacts_followed": [
            {"contact": was["contact"], "area_was": was["area"], "area": was["to"]}
            for was in followed
        ]
    }


def _history_text(person: Person, name: str) -> str:
    """A field's value as the person's change history writes it."""
    value = merge_value(person, name)
    if name == "language":
        return person.language.name if person.language is not None else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return "" if _blank(value) else str(value)


def _values_not_kept(
    survivor: Person,
    *,
    before: Person,
    merged: Person,
    fields: dict[str, str],
    now: datetime,
) -> list[PersonChange]:
    """What the merge does not keep stays with the survivor: each of its own values
    replaced by the other record's, and the other record's NHS number or phones
    not chosen, go into its change history (source "merge", as intake writes a
    phone it replaces), and a phone number not kept goes into its other phone when
    that is empty (and the supervisor did not choose it empty over a number), so a
    search by it still finds them. The survivor is saved by the caller."""
    history: list[PersonChange] = []

    def replaced(name: str, old: str) -> None:
        new = _history_text(survivor, name)
        if old and old != new:
            history.append(
                PersonChange(
                    person=survivor,
                    field=name,
                    old_value=old,
                    new_value=new,
                    source="merge",
                    at=now,
                )
            )

    for name in fields:
        replaced(name, _history_text(before, name))
    if merge_value(merged, "nhs_number") != merge_value(survivor, "nhs_number"):
        replaced("nhs_number", _history_text(merged, "nhs_number"))

    kept = {phone_text(survivor.phone), phone_text(survivor.phone_alt)} - {""}
    room = not any(
        phone_text(person.phone_alt) for person in (survivor, before, merged)
    )
    recorded = {change.old_value for change in history if change.field == "phone"}
    for person in (before, merged):
        for name in ("phone", "phone_alt"):
            number = phone_text(getattr(person, name))
            if not number or number in kept:
                continue
            kept.add(number)
            if room:
                survivor.phone_alt = number
                room = False
            if number not in recorded:
                recorded.add(number)
                replaced("phone", number)
    # The survivor's own values come first: the history reads in order of id.
    return PersonChange.objects.bulk_create(history)


def _json_value(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _moved_escalations(moves: list[dict[str, Any]]) -> list[int]:
    return [
        pk
        for move in moves
        if move["model"] == Escalation._meta.label_lower
        for pk in move["ids"]
    ]


def _escalations_as_moved(moves: list[dict[str, Any]]) -> dict[str, Any]:
    """The escalations among `moves` as the local team had them at the merge (picked
    up, closed, how many actions): an undo is refused if they have been worked since."""
    ids = _moved_escalations(moves)
    actions = dict(
        EscalationAction.objects.filter(escalation__in=ids)
        .values("escalation")
        .annotate(n=models.Count("pk"))
        .values_list("escalation", "n")
    )
    return {
        str(pk): {
            "picked_up_at": _json_value(picked_up_at),
            "closed_at": _json_value(closed_at),
            "actions": actions.get(pk, 0),
        }
        for pk, picked_up_at, closed_at in Escalation.objects.filter(
            pk__in=ids
        ).values_list("pk", "picked_up_at", "closed_at")
    }


# A contact's progress: what a fold carries to the survivor's contact when the folded
# one has told the person their date and the survivor's has not.
_PROGRESS_FIELDS = (
    "status",
    "assignee_id",
    "local_team_id",
    "escalated_at",
    "attempts",
    "next_attempt_at",
    "escalate_due_at",
    "assigned_at",
    "first_attempt_at",
    "last_attempt_at",
    "reached_at",
    "reached_route",
    "reached_tier",
    "completed_at",
    "closed_at",
)


def _fold(contact: Contact, *, into: int) -> dict[str, Any]:
    """Fold a contact into the survivor's contact of the same case: its rows move
    there, and it is deleted (kept whole in the snapshot). When it had told the
    person (reached, or further), or is with a local team (escalated), and the
    survivor's contact is still waiting or held to be called, the survivor's contact
    takes its progress, so the person is not called again, nor called while a local
    team works the escalation that moved with it; what it had is kept in the
    snapshot for an undo. An escalated contact is not folded into one that has told
    the person: its escalation would stay open on a contact no team can close."""
    kept = Contact.objects.select_for_update().get(pk=into)
    # (Both escalated: two open escalations, which the database refuses.)
    if contact.status == Status.ESCALATED and kept.status not in WAITING:
        raise WorkRefused(
            f"Contact {contact.pk} of this case is with a local team, and the "
            f"record kept has been told as contact {kept.pk} "
            f"({kept.get_status_display().lower()}): the local team closes the "
            "escalation first, if they are one person."
        )
    row = _row(contact)
    held_by = _held_by(contact)
    moves = []
    for relation in _contact_relations():
        # A savepoint: a row the other contact already has its own of (an open
        # escalation each, an exposure to the same case) refuses the whole merge.
        with transaction.atomic():
            move = _move(relation, source=contact.pk, target=into)
        if move:
            moves.append(move)
    kept.refresh_from_db()
    before: dict[str, Any] = {}
    carried: tuple[str, ...] = ()
    if kept.status == Status.WITHDRAWN and contact.status != Status.WITHDRAWN:
        # The survivor's was withdrawn with its case's result (sent in error, in
        # work.withdraw); this one stayed open as another case named it too, and
        # that naming has moved over: the contact kept is open, as this one was.
        carried = (*_PROGRESS_FIELDS, "isolation_ends_on")
    elif (
        contact.status != Status.WITHDRAWN  # withdrawn: it told nobody anything now
        and (contact.reached_at is not None or contact.status == Status.ESCALATED)
        and kept.status in (Status.NEW, Status.ASSIGNED)
    ):
        carried = _PROGRESS_FIELDS
    if carried:
        before = {name: _json_value(getattr(kept, name)) for name in carried}
        for name in carried:
            setattr(kept, name, getattr(contact, name))
        kept.save(update_fields=[name.removesuffix("_id") for name in carried])
    contact.delete()
    return {
        "contact": row,
        "into": into,
        "held_by": held_by,
        "moved": moves,
        "into_before": before,
        "escalations": _escalations_as_moved(moves),
    }


def _held_by(contact: Contact) -> int | None:
    """Who was working the contact when the merge took it (None: nobody)."""
    if contact.assignee_id is None or contact.status not in Contact.held_statuses():
        return None
    return contact.assignee_id


def _fold_undo(fold: dict[str, Any]) -> None:
    """Put back the survivor's contact's own progress, if the fold carried one."""
    before = fold.get("into_before") or {}
    if not before:
        return
    kept = Contact.objects.get(pk=fold["into"])
    for name, value in before.items():
        field = Contact._meta.get_field(name.removesuffix("_id"))
        assert isinstance(field, models.Field)
        setattr(kept, name, field.to_python(value) if value is not None else None)
    kept.save(update_fields=[name.removesuffix("_id") for name in before])


# Which of a person's contacts still to be told is kept when they are joined: the one
# furthest along (with a local team, then held by a caller, then waiting).
_FURTHEST: dict[str, int] = {Status.ESCALATED: 0, Status.ASSIGNED: 1, Status.NEW: 2}
# The fields of the kept contact a join may change (and an undo puts back).
_JOIN_FIELDS = ("exposure_date", "exposure", "isolation_ends_on")


def _contacts_join(
    survivor: Person, *, theirs: set[int]
) -> tuple[Contact | None, list[dict[str, Any]]]:
    """One person is one contact to call: when both records had a contact still to
    be told (new, assigned or escalated; `theirs` are the merged person's contacts
    now the survivor's), the survivor's contacts still to be told, each of another
    case, are joined into one, as work.casework.contact_add would have joined a
    second naming.

    The one kept is the furthest along: an escalated contact (it stays with its
    local team, its escalation open), else an assigned one (its caller keeps it),
    else a waiting one; among equals the oldest. Its status, holder, attempts and
    deadlines stay its own. Two escalated contacts are refused: each has its own
    local team working it, and one escalation must be closed first. A contact
    reached or completed is never joined: it has been told its date, and the
    contact still to be told must still be called.

    Each other contact becomes an Exposure of the one kept (see `_join`); the kept
    contact isolates until the latest end, never earlier. Returns the contact kept
    (None if there was nothing to join) and each join as the undo needs it.
    """
    waiting = list(
        Contact.objects.select_for_update()
        .filter(person=survivor, status__in=WAITING)
        .order_by("created_at", "pk")
    )
    if not any(c.pk in theirs for c in waiting) or all(c.pk in theirs for c in waiting):
        return None, []
    escalated = [c.pk for c in waiting if c.status == Status.ESCALATED]
    if len(escalated) > 1:
        raise WorkRefused(
            "These records are each a contact with a local team (contacts "
            f"{', '.join(map(str, escalated))}): one escalation must be closed "
            "before they can be merged."
        )
    kept = min(waiting, key=lambda c: (_FURTHEST[c.status], c.created_at, c.pk))
    return kept, [_join(contact, into=kept) for contact in waiting if contact != kept]


def _join(contact: Contact, *, into: Contact) -> dict[str, Any]:
    """Join `contact` into `into`, a contact of another case of the same person.

    Its own naming (case, exposure date and kind, who identified it, when) becomes
    an Exposure of `into`; its further exposures, calls, messages, online links and
    escalations move to `into`; it is deleted, kept whole in the record returned.
    A case naming both is the same naming twice: `into` keeps its own, with the
    later exposure date (and that day's kind), and the other row is dropped (kept
    whole). `into` isolates until the latest end of the two, or of its exposures.
    """
    row = _row(contact)
    held_by = _held_by(contact)
    before = {name: _json_value(getattr(into, name)) for name in _JOIN_FIELDS}
    namings: dict[int, Contact | Exposure] = {into.case_id: into}
    for exposure in Exposure.objects.select_for_update().filter(contact=into):
        namings[exposure.case_id] = exposure
    raised: list[dict[str, Any]] = []
    dropped: list[dict[str, Any]] = []

    def same_naming(case_id: int, on: Any, kind: str) -> bool:
        """Whether `into` is named by the case already; if so, at the later date."""
        naming = namings.get(case_id)
        if naming is None:
            return False
        if on > naming.exposure_date:
            if isinstance(naming, Exposure):
                raised.append(_row(naming))
            naming.exposure_date, naming.exposure = on, kind
            naming.save(update_fields=["exposure_date", "exposure"])
        return True

    made = None
    if not same_naming(contact.case_id, contact.exposure_date, contact.exposure):
        made = Exposure.objects.create(
            contact=into,
            case_id=contact.case_id,
            exposure_date=contact.exposure_date,
            exposure=contact.exposure,
            identified_by_id=contact.identified_by_id,
            created_at=contact.created_at,
        )
    further = []
    for exposure in Exposure.objects.select_for_update().filter(contact=contact):
        if same_naming(exposure.case_id, exposure.exposure_date, exposure.exposure):
            dropped.append(_row(exposure))
            exposure.delete()
        else:
            further.append(exposure.pk)
    moves = []
    if further:
        Exposure.objects.filter(pk__in=further).update(contact=into)
        moves.append(
            {"model": "contacts.exposure", "field": "contact_id", "ids": further}
        )
    for relation in _contact_relations():
        if relation.related_model is Exposure:
            continue
        # A savepoint: an open escalation on both refuses the whole merge.
        with transaction.atomic():
            move = _move(relation, source=contact.pk, target=into.pk)
        if move:
            moves.append(move)

    # Every naming of the contact kept but those of cases withdrawn (their results
    # sent in error, work.withdraw): those no longer date anyone's isolation.
    dated = [
        (into.case_id, into.exposure_date),
        *Exposure.objects.filter(contact=into).values_list("case_id", "exposure_date"),
    ]
    withdrawn = withdrawn_case_ids({case_id for case_id, _ in dated})
    dates = [day for case_id, day in dated if case_id not in withdrawn]
    ends = [into.isolation_ends_on, contact.isolation_ends_on]
    if dates:
        ends.append(contact_isolation_ends_on(last_exposure=max(dates)))
    into.isolation_ends_on = max(ends)
    into.save(update_fields=list(_JOIN_FIELDS))
    contact.delete()
    return {
        "contact": row,
        "into": into.pk,
        "held_by": held_by,
        "exposure": made.pk if made else None,
        "moved": moves,
        "escalations": _escalations_as_moved(moves),
        "raised": raised,
        "dropped": dropped,
        "kept": {
            "before": before,
            "after": {name: _json_value(getattr(into, name)) for name in _JOIN_FIELDS},
        },
    }


def _join_undo(join: dict[str, Any]) -> Contact | None:
    """Undo a `_join`: the contact joined back with its rows, the exposure made
    removed, the kept contact's dates as they were (each unless changed since).
    Returns the kept contact (None if it has gone since)."""
    if join["exposure"] is not None:
        Exposure.objects.filter(pk=join["exposure"]).delete()
    _recreate(join["contact"])
    _move_back(join["moved"], source=join["into"], target=join["contact"]["pk"])
    for row in [*join["dropped"], *join["raised"]]:
        _recreate(row)
    kept = Contact.objects.select_for_update().filter(pk=join["into"]).first()
    if kept is None:
        return None
    changed = []
    for name in _JOIN_FIELDS:
        was, set_to = join["kept"]["before"][name], join["kept"]["after"][name]
        if was != set_to and _json_value(getattr(kept, name)) == set_to:
            field = Contact._meta.get_field(name)
            assert isinstance(field, models.Field)
            setattr(kept, name, field.to_python(was))
            changed.append(name)
    if changed:
        kept.save(update_fields=changed)
    return kept


def _became_undo(was: dict[str, Any]) -> Contact | None:
    """Undo a contact's becoming a case at the merge: the change removed (the case
    goes back to the other record), with every switch since that followed the same
    case as its date was revised (_switches_since), and the date before them put
    back unless changed since (a clinician's override since stands). Returns the
    contact (None if it has gone since)."""
    switches = _switches_since(was)
    contact = Contact.objects.select_for_update().filter(pk=was["contact"]).first()
    if contact is None:
        IsolationChange.objects.filter(pk__in=[s.pk for s in switches]).delete()
        return None
    last_set = switches[-1].ends_on if switches else date.fromisoformat(was["ends_on"])
    if contact.isolation_ends_on == last_set:
        contact.isolation_ends_on = _date_before(was, switches)
        contact.save(update_fields=["isolation_ends_on"])
    IsolationChange.objects.filter(pk__in=[s.pk for s in switches]).delete()
    return contact


def _switches_since(was: dict[str, Any]) -> list[IsolationChange]:
    """The merge's "became a case" and those of the contact that followed the same
    case since (its onset revised, a clinician's override of it), in order: all
    came of the merge, and go with it."""
    change = IsolationChange.objects.filter(pk=was["change"]).first()
    if change is None:
        return []
    return list(
        IsolationChange.objects.filter(
            contact_id=was["contact"],
            kind=IsolationChange.Kind.BECAME_CASE,
            became_case_id=change.became_case_id,
            pk__gte=change.pk,
        ).order_by("pk")
    )


def _date_before(was: dict[str, Any], switches: list[IsolationChange]) -> date:
    """The contact's date without the switches: the one the first of them replaced
    after the latest override of the contact since the merge (that override
    stands), else the one the merge's replaced."""
    if not switches:
        return date.fromisoformat(was["replaced"])
    override = (
        IsolationChange.objects.filter(
            contact_id=was["contact"],
            kind=IsolationChange.Kind.OVERRIDE,
            pk__gt=switches[0].pk,
        )
        .order_by("pk")
        .last()
    )
    if override is None:
        return switches[0].replaced
    after = [switch for switch in switches if switch.pk > override.pk]
    return after[0].replaced if after else override.ends_on


def _pairs_follow(
    pair: PossibleDuplicate, *, survivor: Person, merged: Person, by, now: datetime
) -> list[dict[str, Any]]:
    """The merged person's other pairs become the survivor's; one the survivor has
    already (with the same third person) is closed as merged if still open. Returns
    each pair as it was."""
    held = {
        other
        for a, b in PossibleDuplicate.objects.filter(
            Q(person_a=survivor) | Q(person_b=survivor)
        ).values_list("person_a_id", "person_b_id")
        for other in (a, b)
        if other != survivor.pk
    }
    before = []
    others = (
        PossibleDuplicate.objects.select_for_update()
        .filter(Q(person_a=merged) | Q(person_b=merged))
        .exclude(pk=pair.pk)
        .order_by("pk")
    )
    for other_pair in others:
        before.append(
            {
                "id": other_pair.pk,
                "person_a": other_pair.person_a_id,
                "person_b": other_pair.person_b_id,
                "status": other_pair.status,
                "decided_by": other_pair.decided_by_id,
                "decided_at": _json_value(other_pair.decided_at),
            }
        )
        third = (
            other_pair.person_b_id
            if other_pair.person_a_id == merged.pk
            else other_pair.person_a_id
        )
        if third in held or third == survivor.pk:
            if other_pair.status == PossibleDuplicate.Status.OPEN:
                other_pair.status = PossibleDuplicate.Status.MERGED
                other_pair.decided_by = by
                other_pair.decided_at = now
                other_pair.save(update_fields=["status", "decided_by", "decided_at"])
            continue
        other_pair.person_a_id, other_pair.person_b_id = sorted((survivor.pk, third))
        other_pair.save(update_fields=["person_a", "person_b"])
        held.add(third)
    return before


# --- undoing --------------------------------------------------------------------------


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%d/%m/%Y %H:%M")


def _escalation_work_since(item: dict[str, Any], *, since: datetime) -> list[str]:
    """What a local team has done with the escalations a fold or join moved, since
    the merge at `since`: against their state recorded then, or, for a merge made
    before that was recorded, by their times. The escalations are locked, in the
    order escalation_close takes them (escalation, then its contact)."""
    ids = _moved_escalations(item["moved"])
    escalations = list(
        Escalation.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    )
    actions: dict[int, list[datetime]] = {}
    for pk, at in EscalationAction.objects.filter(escalation__in=ids).values_list(
        "escalation", "at"
    ):
        actions.setdefault(pk, []).append(at)
    recorded = item.get("escalations")
    done = []
    for escalation in escalations:
        was = recorded.get(str(escalation.pk)) if recorded is not None else None
        acts = actions.get(escalation.pk, [])
        if was is not None:
            picked_up = was["picked_up_at"] is None
            closed = was["closed_at"] is None
            acted = len(acts) - was["actions"]
        else:
            picked_up = (escalation.picked_up_at or since) > since
            closed = (escalation.closed_at or since) > since
            acted = sum(at > since for at in acts)
        what = []
        if escalation.picked_up_at is not None and picked_up:
            what.append(f"picked up on {_when(escalation.picked_up_at)}")
        if acted > 0:
            what.append(f"worked ({acted} action{'s' if acted > 1 else ''} recorded)")
        if escalation.closed_at is not None and closed:
            what.append(
                f"closed on {_when(escalation.closed_at)} "
                f"({escalation.get_outcome_display().lower()})"
            )
        if what:
            done.append(
                f"its escalation to {escalation.local_team.name} was "
                + and_joined(what)
            )
    return done


def _progress_since(fold: dict[str, Any], kept: Contact) -> list[str]:
    """How the survivor's contact has moved on from the progress a fold gave it
    (the folded contact's, which the undo would take away again)."""
    at_merge = fold["contact"]["fields"]
    now = _row(kept)["fields"]
    changed = [
        name.removesuffix("_id")
        for name in _PROGRESS_FIELDS
        if now[name.removesuffix("_id")] != at_merge[name.removesuffix("_id")]
    ]
    if not changed:
        return []
    if "status" in changed:
        return [
            f'it was "{Status(at_merge["status"]).label.lower()}" at the merge and '
            f'is now "{kept.get_status_display().lower()}"'
        ]
    fields = [Contact._meta.get_field(name) for name in changed]
    names = [str(f.verbose_name) for f in fields if isinstance(f, models.Field)]
    return [f"its {', '.join(names)} changed"]


def _refuse_if_withdrawn_since(merge: PersonMerge, items: list[dict[str, Any]]) -> None:
    """A case behind a contact folded or joined at the merge has had its positive
    result withdrawn since (work.withdraw): the undo would put back a contact of it
    as it was, waiting to be called about a result sent in error. Refused, naming
    the case."""
    cases = {item["contact"]["fields"]["case"] for item in items}
    cases |= set(
        Contact.objects.filter(pk__in=[item["into"] for item in items]).values_list(
            "case_id", flat=True
        )
    )
    withdrawn = list(
        Case.objects.filter(
            pk__in=cases, status=Status.WITHDRAWN, withdrawn_at__gte=merge.at
        )
        .order_by("pk")
        .values_list("lab_reference", flat=True)
    )
    if withdrawn:
        raise WorkRefused(
            f"The positive result of case {', '.join(withdrawn)} was withdrawn after "
            "the merge: undoing it would put back a contact of that case to be "
            "called, so nothing was changed and the two records stay merged."
        )


def _refuse_if_worked_since(merge: PersonMerge) -> None:
    """An undo puts a contact folded or joined at the merge back as it was then, its
    escalations with it, and a contact a fold gave progress to back to its own
    progress from before. Work done since on either (a call, an assignment, a reach,
    an escalation picked up, acted on or closed) would be lost, or leave a contact
    escalated with its escalation closed, in no queue: refused, naming the work.
    The contacts are locked to the end of the undo."""
    snapshot = merge.snapshot
    items = [*snapshot["folded"], *snapshot.get("joined", [])]
    _refuse_if_withdrawn_since(merge, items)
    escalated: dict[int, list[str]] = {}
    for item in items:
        escalated.setdefault(item["into"], []).extend(
            _escalation_work_since(item, since=merge.at)
        )
    kept = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update(of=("self",))
        .select_related("case")
        .filter(pk__in=escalated)
        .order_by("pk")
    }
    done: dict[int, list[str]] = {}
    for fold in snapshot["folded"]:
        if not fold.get("into_before"):
            continue
        contact = kept.get(fold["into"])
        done.setdefault(fold["into"], []).extend(
            _progress_since(fold, contact)
            if contact is not None
            else [
                f"it took contact {fold['contact']['pk']}'s progress at the merge "
                "and has been deleted since"
            ]
        )
    for pk, facts in escalated.items():
        done.setdefault(pk, []).extend(facts)
    worked = [
        f"Contact {pk}"
        + (f" (case {kept[pk].case.lab_reference})" if pk in kept else "")
        + f" has been worked since the merge: {'; '.join(facts)}."
        for pk, facts in sorted(done.items())
        if facts
    ]
    if worked:
        them = "it" if len(worked) == 1 else "them"
        raise WorkRefused(
            f"{' '.join(worked)} Undoing the merge would put {them} back as before "
            "the merge and lose that work, so nothing was changed and the two "
            "records stay merged."
        )


def _columns(person: Person) -> dict[str, Any]:
    """A person's merged columns as the JSON serializer writes them."""
    fields = _row(person)["fields"]
    return {column: fields[column.removesuffix("_id")] for column in COLUMNS}


def _survivor_after(merge: PersonMerge) -> dict[str, Any]:
    """The survivor's columns as the merge left them: recorded, or (for a merge
    made before that was recorded) its values from before with those chosen from
    the other record."""
    snapshot = merge.snapshot
    if "survivor_after" in snapshot:
        return snapshot["survivor_after"]
    rows = {
        "survivor": _columns(_restored(snapshot["survivor"])),
        "merged": _columns(_restored(snapshot["merged"])),
    }
    pair = merge.pair
    theirs = (
        None if pair is None else "a" if pair.person_a_id == merge.merged_id else "b"
    )
    after = {}
    for name, columns in MERGE_FIELDS.items():
        chosen = merge.fields.get(name, {}).get("from")
        row = rows["merged" if chosen is not None and chosen == theirs else "survivor"]
        for column in columns:
            after[column] = row[column]
    return after


def _refuse_if_changed_since(merge: PersonMerge, survivor: Person) -> None:
    """An undo puts the survivor's details back as they were before the merge, and
    their cases and contacts back with whichever record held them. Details that have
    changed on the survivor since (a result matched to them filling in an NHS
    number, a new phone...) would be lost, and a case or contact that arrived for
    them since would stay with a record that may no longer hold what matched it:
    refused, saying what changed and when."""
    snapshot = merge.snapshot
    after = _survivor_after(merge)
    now = _columns(survivor)
    changed = [
        name
        for name, columns in MERGE_FIELDS.items()
        if any(now[column] != after[column] for column in columns)
    ]
    facts = []
    if changed:
        noted = (
            PersonChange.objects.filter(person=survivor, at__gte=merge.at)
            .exclude(pk__in=snapshot.get("history", []))
            .order_by("-at")
            .first()
        )
        when = noted.at if noted is not None else survivor.updated_at
        names = [
            str(field.verbose_name)
            for field in (Person._meta.get_field(name) for name in changed)
            if isinstance(field, models.Field)
        ]
        facts.append(f"their {', '.join(names)} changed (last on {_when(when)})")
    since = Q(created_at__gt=merge.at)
    cases = Case.objects.filter(person=survivor).order_by("created_at", "pk")
    contacts = Contact.objects.filter(person=survivor).order_by("created_at", "pk")
    if "cases" in snapshot:
        cases = cases.exclude(pk__in=snapshot["cases"])
        contacts = contacts.exclude(pk__in=snapshot["contacts"])
    else:
        cases, contacts = cases.filter(since), contacts.filter(since)
    facts += [
        f"case {case.lab_reference} arrived for them on {_when(case.created_at)}"
        for case in cases
    ]
    facts += [
        f"they were named as contact {contact.pk} on {_when(contact.created_at)}"
        for contact in contacts
    ]
    if facts:
        raise WorkRefused(
            f"Since the merge on {_when(merge.at)}, person {survivor.pk} "
            f"({survivor.full_name}) has moved on: {'; '.join(facts)}. Undoing the "
            "merge would put back their details from before it, over what has "
            "arrived since, so nothing was changed and the two records stay merged."
        )


def _rows_follow_their_items(*, survivor: int, merged: int) -> None:
    """Rows of a person about one of their cases or contacts (texts, online links),
    written while the records were one, are the survivor's: those whose case or
    contact has gone back to the merged person go back with it. (The audit trail
    is append-only: its events stay as written.)"""
    for relation in _person_relations():
        model = relation.related_model
        assert isinstance(model, type)
        about = Q()
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and field.related_model in (
                Case,
                Contact,
            ):
                about |= Q(**{f"{field.name}__person_id": merged})
        if about:
            column = relation.field.attname
            model._default_manager.filter(about, **{column: survivor}).update(
                **{column: merged}
            )


def _areas_back(followed: list[dict[str, Any]]) -> None:
    """Undo contacts_follow_people: each contact the merge sent to the survivor's
    area goes back to its own, while still to be reached and in that area (one
    escalated since stays with the team working it)."""
    for was in followed:
        Contact.objects.filter(
            pk=was["contact"], status__in=UNREACHED, area_id=was["to"]
        ).update(area_id=was["area"], area_unknown=was["area_unknown"])


def _wrong_numbers_since(
    merge: PersonMerge, survivor: Person, *, at_merge: list[str]
) -> list[str]:
    """The numbers on the survivor's record now that a call logged "Wrong number"
    since the merge (work.calls.number_logged_wrong): those the merge did not bring
    (`at_merge`: both records' then), and those a call on its items logged, or was
    corrected to, "Wrong number" since (one record's, rung again for the other).
    Read before the undo moves the items back: all are the survivor's."""
    since = Q(started_at__gte=merge.at) | Q(corrected_at__gte=merge.at)
    calls = CallAttempt.objects.filter(since, outcome=Outcome.WRONG_NUMBER)
    rung = {
        *calls.filter(contact__person=survivor).values_list("phone", flat=True),
        *calls.filter(case__person=survivor).values_list("phone", flat=True),
    }
    return [n for n in survivor.wrong_numbers if n not in at_merge or n in rung]


def _numbers_joined(kept: list[str], since: list[str]) -> list[str]:
    """A record's wrong numbers with those logged since the merge: a number a
    stranger answered stays a stranger's whichever record it lands on."""
    return list(dict.fromkeys([*kept, *since]))


@atomic_operation
def person_merge_undo(*, merge: PersonMerge, by) -> PersonMerge:
    """Put the two records back as they were before the merge: administrators only.

    Raises WorkRefused if the merge was undone already, the survivor has since
    been merged into another record (undo that merge first), either record is under
    a legal hold, the survivor's details have changed or a case or contact has
    arrived for them since (see `_refuse_if_changed_since`), or a contact the merge
    folded into or joined has been worked since (see `_refuse_if_worked_since`);
    nothing is changed then.

    Each record gets back the wrong numbers it had, and keeps any number a call
    logged "Wrong number" since the merge (_wrong_numbers_since): none of their
    messages goes to a stranger's phone because the records were parted.
    """
    if not Actor.of(by).is_admin:
        raise WorkRefused("Only an administrator may undo a merge.")
    merge = PersonMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at is not None:
        raise WorkRefused(f"This merge was already undone on {_when(merge.undone_at)}.")
    people = _lock_people(merge.survivor_id, merge.merged_id)
    survivor, merged = people[merge.survivor_id], people[merge.merged_id]
    if survivor.merged_into_id is not None:
        raise WorkRefused(
            f"Person {survivor.pk} has since been merged into person "
            f"{survivor.merged_into_id}: undo that merge first."
        )
    _refuse_if_held(survivor, merged, undo=True)
    _refuse_if_changed_since(merge, survivor)
    _refuse_if_worked_since(merge)
    snapshot = merge.snapshot
    now = timezone.now()

    # The fields: the survivor gives the NHS number back before the merged
    # record takes it again.
    before = _restored(snapshot["survivor"])
    merged_before = _restored(snapshot["merged"])
    for column in COLUMNS:
        setattr(survivor, column, getattr(before, column))
    since = _wrong_numbers_since(
        merge, survivor, at_merge=[*before.wrong_numbers, *merged_before.wrong_numbers]
    )
    survivor.wrong_numbers = _numbers_joined(before.wrong_numbers, since)
    survivor.save(update_fields=[*COLUMNS, "wrong_numbers", "updated_at"])
    merged.nhs_number = merged_before.nhs_number
    merged.merged_into = None
    merged.wrong_numbers = _numbers_joined(merged.wrong_numbers, since)
    merged.save(
        update_fields=["nhs_number", "merged_into", "wrong_numbers", "updated_at"]
    )
    # The values the merge wrote into the history are theirs again.
    PersonChange.objects.filter(pk__in=snapshot.get("history", [])).delete()

    # The rows, in the reverse order of the merge.
    unbecame = [
        (contact, was)
        for was in reversed(snapshot.get("became", []))
        if (contact := _became_undo(was)) is not None
    ]
    unjoined = [
        (kept, join["contact"]["pk"])
        for join in reversed(snapshot.get("joined", []))
        if (kept := _join_undo(join)) is not None
    ]
    for fold in reversed(snapshot["folded"]):
        _recreate(fold["contact"])
        _move_back(fold["moved"], source=fold["into"], target=fold["contact"]["pk"])
        _fold_undo(fold)
    # The cases made further results are cases again (in the pool), before they go
    # back to their record with the rest.
    unfolded = [
        (_case_fold_undo(fold), fold)
        for fold in reversed(snapshot.get("cases_folded", []))
    ]
    _move_back(snapshot["moved"], source=survivor.pk, target=merged.pk)
    _rows_follow_their_items(survivor=survivor.pk, merged=merged.pk)
    _texts_back(
        snapshot.get("texts", {}),
        at=merge.at,
        said={"merged": merged.pk, "survivor": survivor.pk},
    )
    _areas_back(snapshot.get("followed", []))
    _phones_undo(snapshot.get("phoned", []), merge=merge, by=by, now=now)
    for was in snapshot["pairs"]:
        PossibleDuplicate.objects.filter(pk=was["id"]).update(
            person_a_id=was["person_a"],
            person_b_id=was["person_b"],
            status=was["status"],
            decided_by_id=was["decided_by"],
            decided_at=parse_datetime(was["decided_at"]) if was["decided_at"] else None,
        )
    if merge.pair_id is not None:
        PossibleDuplicate.objects.filter(pk=merge.pair_id).update(
            status=PossibleDuplicate.Status.OPEN, decided_by=None, decided_at=None
        )
    merge.undone_by = by
    merge.undone_at = now
    merge.save(update_fields=["undone_by", "undone_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=survivor,
        person=survivor,
        detail={"unmerged": merged.pk, "merge": merge.pk},
        at=now,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=merged,
        person=merged,
        detail={"unmerged_from": survivor.pk, "merge": merge.pk},
        at=now,
    )
    for contact, was in unbecame:
        contact.refresh_from_db(fields=["person", "isolation_ends_on"])
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=contact,
            detail={
                "merge": merge.pk,
                "isolation_change_undone": was["change"],
                "isolation_ends_on": contact.isolation_ends_on.isoformat(),
            },
            at=now,
        )
    for kept, contact_id in unjoined:
        kept.refresh_from_db(fields=["person"])  # theirs again, maybe
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=kept,
            detail={
                "merge": merge.pk,
                "unjoined_contact": contact_id,
                "isolation_ends_on": kept.isolation_ends_on.isoformat(),
            },
            at=now,
        )
    for case_id, fold in unfolded:
        case = Case.objects.get(pk=case_id)
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=case,
            person=case.person,
            detail={
                "merge": merge.pk,
                "further_result_of_undone": fold["into"],
                "further_result": fold["further"],
            },
            at=now,
        )
    if unfolded:
        assignment_run_after_commit()  # back in the pool
    return merge
