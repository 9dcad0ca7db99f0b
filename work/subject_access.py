"""A person's own data: everything held about one person, for an administrator to
hand over when they ask for it (a subject access request, UK GDPR article 15).

`person_export` gathers the person's record and the records merged into it, the
history of their contact details, merges and possible duplicates, their cases (with
further positive results of the same episode, risk assessments, places visited,
unsaved notes, clusters), the times they were named
as a contact (with further exposures), the calls about their cases and contacts,
the texts and emails sent to them, their online links, the escalations of their
cases and contacts with what the local team did, and the audit trail about them. It
reads a fixed number of queries however much the person holds (one per kind of row,
then the staff and places the rows name, each in one query), and records the export
itself in the audit trail.

Rows are written field by field from the models (every concrete field, as JSON-safe
values; choices in words, times in local time with their offset), so a column added
later is exported without a change here; a kind of row added later that points at
any of these is exported too, as "other records". Staff are named (they processed
the person's data). What is another person's is withheld, and the export says what
and why (WITHHELD_NOTES): the people their cases named (a count per case, not who),
whose case named them, the other record of a possible duplicate or of an undone
merge, and the typing of the contacts someone named on their case page.

What was recorded as part of a safeguarding concern (the notes of the call that
raised it, the case's safeguarding note, what was handed to the local team and what
they noted about it) may name whoever reported it or put someone at risk, which the
Data Protection Act 2018 (schedules 2 and 3) lets a subject access response
withhold: each is replaced by SAFEGUARDING_WITHHELD, and the export counts them
(`withheld_for_review`) for the data protection officer to review before release.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.text import capfirst

from areas.models import Area, LocalTeam
from audit.models import AuditEvent
from audit.services import audit_record
from calls.models import CallAttempt, Outcome
from cases.models import (
    Case,
    CaseDraft,
    ExposureSetting,
    FurtherResult,
    RiskAssessment,
    SettingVisit,
)
from contacts.models import Contact, Exposure
from escalations.models import Cluster, Escalation, EscalationAction
from online.models import OnlineLink
from people.models import (
    Language,
    Message,
    Person,
    PersonChange,
    PersonMerge,
    PossibleDuplicate,
)
from people.selectors import people_merged_into

from .access.actor import Actor
from .errors import WorkRefused

# What a reference to another person's record shows instead of its id.
WITHHELD = "withheld: another person's record"

# What the person is given in place of anything recorded as part of a safeguarding
# concern (the module's docstring says why).
SAFEGUARDING_WITHHELD = (
    "Withheld: recorded as part of a safeguarding concern; reviewed by the data "
    "protection officer before release"
)

# What the export leaves out, in words for the person it is handed to.
WITHHELD_NOTES = [
    "The people named as contacts on these cases are other people: each case says "
    "how many it named, not who.",
    "Whose case named this person as a contact is another person's record: it is "
    "shown as withheld.",
    "The other record of a possible duplicate, or of a merge since undone, may be "
    "another person's: it is shown as withheld, and so are the values an undone "
    "merge took.",
    "The copy of both records kept only to undo a merge (it holds the other "
    "record's rows as they were) is left out.",
    "Unsaved notes of the people being named on a case page are other people's "
    "details: such a note shows only that it was there.",
    "The hash of each online link's secret is a security key, not information about "
    "the person: it is left out.",
    "Supervisors' reviews of calls are about the work of the member of staff who "
    "called, not about the person: they are left out.",
    "The notes of which records a local team was warned would be deleted hold "
    "nothing about the person but which record: they are left out.",
    "What was recorded as part of a safeguarding concern (the notes of a call that "
    "raised one, a case's safeguarding note, what was handed to the local team and "
    "what the team noted about it, and anything else repeating those words) may "
    "identify someone else or put someone at risk: it is withheld, for the data "
    "protection officer to review before release. That the call was made, when, and "
    "that the concern went to the local team are still shown.",
    "Other notes typed by staff are given as written. Staff are named: they are who "
    "processed this person's data.",
]

# Columns left out of a kind of row (said why in WITHHELD_NOTES).
OMITTED: dict[type[models.Model], frozenset[str]] = {
    OnlineLink: frozenset({"token_hash"}),
    PersonMerge: frozenset({"snapshot"}),
}

# Kinds of row that point at an exported row but are not this person's data: a
# supervisor's review of a call (the caller's work), and which records a purge
# warning told a local team of (retention: a record's id and the warning's).
NOT_EXPORTED = {"staffing.callreview", "retention.purgenotice"}

# Places and teams are named by their own words; nothing of a person is in them.
REFERENCE_MODELS: tuple[type[models.Model], ...] = (
    Area,
    LocalTeam,
    Language,
    ExposureSetting,
)

# Keys of audit details that hold the id of a person's, case's or contact's record,
# and those that hold a member of staff's (work/, people/services.py).
AUDIT_DETAIL_RECORDS: dict[str, type[models.Model]] = {
    "other_person": Person,
    "merged": Person,
    "merged_into": Person,
    "unmerged": Person,
    "unmerged_from": Person,
    "case": Case,
    "cases": Case,
    "named_by_case": Case,
    "joined_contact": Contact,
    "contact": Contact,
}
AUDIT_DETAIL_STAFF = ("from", "to", "caller")


@dataclass
class Section:
    """One kind of row: its title, its model, the rows, and any values the rows
    carry beyond their columns (`extra`: name -> (label, type); `extras` by id)."""

    key: str
    title: str
    model: type[models.Model]
    rows: list[Any]
    extra: dict[str, tuple[str, str]] = field(default_factory=dict)
    extras: dict[int, dict[str, Any]] = field(default_factory=dict)

    @cached_property
    def columns(self) -> list[models.Field]:
        omitted = OMITTED.get(self.model, frozenset())
        return [f for f in self.model._meta.concrete_fields if f.name not in omitted]


def _ids(rows: Iterable[models.Model]) -> list[int]:
    return [row.pk for row in rows]


def _named_counts(case_ids: list[int], people_ids: list[int]) -> Counter[int]:
    """How many other people each case named: its contacts, and those it named who
    were already another case's contact (further exposures)."""
    counts: Counter[int] = Counter()
    if not case_ids:
        return counts
    contacts = (
        Contact.objects.filter(case_id__in=case_ids)
        .exclude(person_id__in=people_ids)
        .values_list("case_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    further = (
        Exposure.objects.filter(case_id__in=case_ids)
        .exclude(contact__person_id__in=people_ids)
        .values_list("case_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for case_id, n in [*contacts, *further]:
        counts[case_id] += n
    return counts


def _gather(person: Person) -> list[Section]:
    """The person's rows, kind by kind, oldest first (one query a kind)."""
    merged_ids = people_merged_into(person.pk)
    people_ids = [person.pk, *merged_ids]
    mine = Q(person_id__in=people_ids)
    cases = list(Case.objects.filter(mine).order_by("created_at", "pk"))
    case_ids = _ids(cases)
    contacts = list(Contact.objects.filter(mine).order_by("created_at", "pk"))
    contact_ids = _ids(contacts)
    about_items = Q(case_id__in=case_ids) | Q(contact_id__in=contact_ids)
    escalations = list(
        Escalation.objects.filter(about_items).order_by("created_at", "pk")
    )
    named = _named_counts(case_ids, people_ids)
    sections = [
        Section("person", "Person record", Person, [person]),
        Section(
            "merged_records",
            "Records merged into this one",
            Person,
            list(Person.objects.filter(pk__in=merged_ids).order_by("pk")),
        ),
        Section(
            "person_changes",
            "Contact details replaced",
            PersonChange,
            list(PersonChange.objects.filter(mine).order_by("at", "pk")),
        ),
        Section(
            "merges",
            "Records merged",
            PersonMerge,
            list(
                PersonMerge.objects.filter(
                    Q(survivor_id__in=people_ids) | Q(merged_id__in=people_ids)
                ).order_by("at", "pk")
            ),
        ),
        Section(
            "possible_duplicates",
            "Possible duplicate records",
            PossibleDuplicate,
            list(
                PossibleDuplicate.objects.filter(
                    Q(person_a_id__in=people_ids) | Q(person_b_id__in=people_ids)
                ).order_by("created_at", "pk")
            ),
        ),
        Section(
            "cases",
            "Cases (positive tests)",
            Case,
            cases,
            extra={
                "contacts_named": (
                    "Contacts named (how many; who is another person's data)",
                    "number",
                )
            },
            extras={pk: {"contacts_named": named[pk]} for pk in case_ids},
        ),
        Section(
            "further_results",
            "Further positive results (of the same episode, kept with a case)",
            FurtherResult,
            list(
                FurtherResult.objects.filter(case_id__in=case_ids).order_by(
                    "received_at", "pk"
                )
            ),
        ),
        Section(
            "risk_assessments",
            "Risk assessments",
            RiskAssessment,
            list(
                RiskAssessment.objects.filter(case_id__in=case_ids).order_by(
                    "assessed_at", "pk"
                )
            ),
        ),
        Section(
            "visits",
            "Places visited",
            SettingVisit,
            list(
                SettingVisit.objects.filter(case_id__in=case_ids).order_by(
                    "visited_on", "pk"
                )
            ),
        ),
        Section(
            "drafts",
            "Unsaved notes on a case page",
            CaseDraft,
            list(
                CaseDraft.objects.filter(case_id__in=case_ids).order_by(
                    "updated_at", "pk"
                )
            ),
        ),
        Section(
            "clusters",
            "Clusters of cases at a place",
            Cluster,
            list(
                Cluster.objects.filter(cases__in=case_ids)
                .distinct()
                .order_by("detected_at", "pk")
            ),
        ),
        Section("contacts", "Named as a contact", Contact, contacts),
        Section(
            "further_exposures",
            "Named as a contact again (further exposures)",
            Exposure,
            list(
                Exposure.objects.filter(contact_id__in=contact_ids).order_by(
                    "created_at", "pk"
                )
            ),
        ),
        Section(
            "calls",
            "Calls",
            CallAttempt,
            list(CallAttempt.objects.filter(about_items).order_by("started_at", "pk")),
        ),
        Section(
            "messages",
            "Texts and emails",
            Message,
            list(Message.objects.filter(mine).order_by("created_at", "pk")),
        ),
        Section(
            "online_links",
            "Online links",
            OnlineLink,
            list(OnlineLink.objects.filter(mine).order_by("created_at", "pk")),
        ),
        Section(
            "escalations",
            "Handed to a local team (escalations)",
            Escalation,
            escalations,
        ),
        Section(
            "escalation_actions",
            "What the local team did",
            EscalationAction,
            list(
                EscalationAction.objects.filter(
                    escalation_id__in=_ids(escalations)
                ).order_by("at", "pk")
            ),
        ),
        Section(
            "audit_events",
            "Audit trail: who viewed or changed these records",
            AuditEvent,
            list(AuditEvent.objects.filter(mine).order_by("at", "pk")),
        ),
    ]
    return sections + _other_sections(sections)


# The links between the kinds above that _gather follows itself, as
# (kind of row, its field): everything else pointing at them is "other records".
FOLLOWED = {
    ("people.person", "merged_into"),
    ("people.personchange", "person"),
    ("people.personmerge", "survivor"),
    ("people.personmerge", "merged"),
    ("people.personmerge", "pair"),
    ("people.possibleduplicate", "person_a"),
    ("people.possibleduplicate", "person_b"),
    ("people.message", "person"),
    ("people.message", "case"),
    ("people.message", "contact"),
    ("cases.case", "person"),
    ("cases.furtherresult", "case"),
    ("cases.riskassessment", "case"),
    ("cases.settingvisit", "case"),
    ("cases.casedraft", "case"),
    ("escalations.cluster", "cases"),
    ("contacts.contact", "person"),
    # The contacts a case named are counted, not exported: other people.
    ("contacts.contact", "case"),
    ("contacts.exposure", "case"),
    ("contacts.exposure", "contact"),
    ("calls.callattempt", "case"),
    ("calls.callattempt", "contact"),
    ("online.onlinelink", "person"),
    ("online.onlinelink", "case"),
    ("online.onlinelink", "contact"),
    ("online.onlinelink", "message"),
    ("escalations.escalation", "case"),
    ("escalations.escalation", "contact"),
    ("escalations.escalationaction", "escalation"),
    ("audit.auditevent", "person"),
}


def _other_sections(sections: list[Section]) -> list[Section]:
    """Rows of any other kind that point at a row exported (a kind added after this
    module was written), one section and one query per kind."""
    exported: dict[type[models.Model], list[int]] = {}
    for section in sections:
        if section.model is not Cluster:  # a cluster is many people's, not theirs
            exported.setdefault(section.model, []).extend(_ids(section.rows))
    links: dict[type[models.Model], Q] = {}
    for model, ids in exported.items():
        for relation in model._meta.get_fields(include_hidden=True):
            if not isinstance(relation, models.ForeignObjectRel):
                continue  # a column of its own, not a link from another kind of row
            related = relation.related_model
            label = related._meta.label_lower
            if (
                related._meta.auto_created  # a many-to-many's own table
                or relation.many_to_many
                or (label, relation.field.name) in FOLLOWED
                or label in NOT_EXPORTED
                or not ids
            ):
                continue
            link = Q(**{f"{relation.field.name}__in": ids})
            links[related] = links[related] | link if related in links else link
    return [
        Section(
            f"other-{related._meta.label_lower.replace('.', '-')}",
            f"Other records: {related._meta.verbose_name_plural}",
            related,
            list(related._default_manager.filter(link).order_by("pk")),
        )
        for related, link in links.items()
    ]


# --- writing the rows -----------------------------------------------------------------


def _type_of(column: models.Field) -> str:
    """How the page shows a column: "datetime", "date", "boolean", "number", "json",
    "reference" or "text"."""
    if column.is_relation:
        return "reference"
    if column.choices:
        return "text"
    internal = column.get_internal_type()
    if internal == "DateTimeField":
        return "datetime"
    if internal == "DateField":
        return "date"
    if internal == "BooleanField":
        return "boolean"
    if internal == "JSONField":
        return "json"
    if isinstance(column, models.IntegerField | models.FloatField):
        return "number"
    return "text"


def _json_value(column: models.Field, value: Any) -> Any:
    """A column's value as JSON: choices in words, times in local time (ISO 8601
    with the offset), dates as ISO, phone numbers in international form."""
    if value is None:
        return None
    if column.choices:
        return str(dict(column.flatchoices).get(value, value))
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool | int | float | str | dict | list):
        return value
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return str(value)  # a phone number (E.164), or any other value of a text kind


def staff_name(user) -> str:
    """A member of staff as the export names them."""
    return user.get_full_name() or user.username


@dataclass
class _References:
    """What a link in a row shows: the id of one of the person's own rows (or
    WITHHELD for another person's), a member of staff's name, a place's or team's
    name, or else the id."""

    own: dict[type[models.Model], set[int]]
    users: dict[int, Any]
    named: dict[type[models.Model], dict[int, Any]]

    def shown(self, model: type[models.Model], pk: Any) -> Any:
        if pk is None:
            return None
        if model is get_user_model():
            user = self.users.get(pk)
            return staff_name(user) if user is not None else f"user {pk}"
        if model in self.own:
            return pk if pk in self.own[model] else WITHHELD
        if model in self.named:
            obj = self.named[model].get(pk)
            return str(obj) if obj is not None else pk
        return pk


def _references(sections: list[Section], person: Person) -> _References:
    """The staff, places and teams the rows name, each kind read in one query."""
    own: dict[type[models.Model], set[int]] = {}
    for section in sections:
        own.setdefault(section.model, set()).update(_ids(section.rows))
    if person.merged_into_id is not None:
        # The record this one was merged into holds the same human's data.
        own[Person].add(person.merged_into_id)
    user_model = get_user_model()
    wanted: dict[type[models.Model], set[Any]] = {user_model: set()}
    for model in REFERENCE_MODELS:
        wanted[model] = set()
    for section in sections:
        links = [
            c for c in section.columns if c.is_relation and c.related_model in wanted
        ]
        for row in section.rows:
            for column in links:
                value = getattr(row, column.attname)
                if value is not None:
                    wanted[column.related_model].add(value)  # type: ignore[index]
        if section.model is AuditEvent:
            for event in section.rows:
                detail = event.detail if isinstance(event.detail, dict) else {}
                wanted[user_model].update(
                    v for k, v in detail.items() if k in AUDIT_DETAIL_STAFF and v
                )
    found = {
        model: model._default_manager.in_bulk(ids) if ids else {}
        for model, ids in wanted.items()
    }
    users = found.pop(user_model)
    return _References(own=own, users=users, named=found)


def _audit_detail(detail: Any, refs: _References) -> Any:
    """An audit event's detail as stored, but with staff named and the ids of other
    people's records withheld."""
    if not isinstance(detail, dict):
        return detail
    shown: dict[str, Any] = {}
    for key, value in detail.items():
        if key in AUDIT_DETAIL_STAFF and isinstance(value, int):
            shown[key] = refs.shown(get_user_model(), value)
        elif key in AUDIT_DETAIL_RECORDS and value is not None:
            model = AUDIT_DETAIL_RECORDS[key]
            if isinstance(value, list):
                shown[key] = [refs.shown(model, v) for v in value]
            else:
                shown[key] = refs.shown(model, value)
        else:
            shown[key] = value
    return shown


def _safeguarding_columns(obj: Any, concerns: set[int]) -> tuple[str, ...]:
    """The columns of a row that were typed as part of a safeguarding concern:
    `concerns`, the ids of the safeguarding escalations among the rows."""
    if isinstance(obj, CallAttempt) and Outcome.SAFEGUARDING in (
        obj.outcome,
        obj.corrected_from,
    ):
        return ("notes", "correction_reason")
    if isinstance(obj, Escalation) and obj.reason == Escalation.Reason.SAFEGUARDING:
        return ("detail", "outcome_note")
    if isinstance(obj, EscalationAction) and obj.escalation_id in concerns:
        return ("note",)  # a reopening's note holds the close's too
    if isinstance(obj, Case):
        return ("safeguarding_note",)
    return ()


# The shortest concern's text looked for in other values (_Safeguarding).
REPEAT_AT_LEAST = 20


@dataclass
class _Safeguarding:
    """Withholds what was recorded as part of a safeguarding concern, and counts
    each thing withheld, for the data protection officer to review them.

    `concerns`: the ids of the safeguarding escalations among the rows; `words`:
    the texts withheld, so that any other value repeating one (an audit detail, a
    kind of row added later) is withheld too. A value merely containing one is
    withheld: better one more item to review than the concern handed over. Only a
    text of REPEAT_AT_LEAST characters or more is looked for elsewhere: a short
    note ("No answer", "Sent") would otherwise withhold every ordinary value it
    happens to match, a call's outcome or a date, and call it safeguarding (its own
    column is withheld whatever its length)."""

    concerns: set[int]
    words: list[str]
    withheld: int = 0

    @classmethod
    def of(cls, sections: list[Section]) -> _Safeguarding:
        concerns = {
            row.pk
            for section in sections
            if section.model is Escalation
            for row in section.rows
            if row.reason == Escalation.Reason.SAFEGUARDING
        }
        words = {
            text
            for section in sections
            for row in section.rows
            for name in _safeguarding_columns(row, concerns)
            if (text := (getattr(row, name, "") or "").strip())
        }
        repeated = {text for text in words if len(text) >= REPEAT_AT_LEAST}
        return cls(concerns=concerns, words=sorted(repeated))

    def withhold(self, obj: Any, row: dict[str, Any]) -> None:
        """Replace, in the written `row` of `obj`, what was typed as part of a
        safeguarding concern and any value repeating it."""
        columns = _safeguarding_columns(obj, self.concerns)
        for name, value in row.items():
            if name in columns and value:
                row[name] = self._withheld()
            else:
                row[name] = self._repeats_withheld(value)

    def _withheld(self) -> str:
        self.withheld += 1
        return SAFEGUARDING_WITHHELD

    def _repeats_withheld(self, value: Any) -> Any:
        """`value` with every text in it that repeats a concern's words withheld."""
        if not self.words:
            return value
        if isinstance(value, str):
            if any(words in value for words in self.words):
                return self._withheld()
            return value
        if isinstance(value, dict):
            return {k: self._repeats_withheld(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._repeats_withheld(v) for v in value]
        return value


def _row(
    section: Section, obj: Any, refs: _References, safeguarding: _Safeguarding
) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in section.columns:
        value = getattr(obj, column.attname)
        if column.is_relation:
            row[column.name] = refs.shown(column.related_model, value)  # type: ignore[arg-type]
        else:
            row[column.name] = _json_value(column, value)
    row.update(section.extras.get(obj.pk, {}))
    # What of a row is another person's (WITHHELD_NOTES).
    if isinstance(obj, AuditEvent):
        row["detail"] = _audit_detail(obj.detail, refs)
    elif isinstance(obj, CaseDraft) and obj.section == CaseDraft.Section.CONTACTS:
        row["data"] = WITHHELD
    elif isinstance(obj, PersonMerge) and obj.undone_at is not None:
        row["fields"] = {
            name: {**taken, "value": WITHHELD} if isinstance(taken, dict) else WITHHELD
            for name, taken in (obj.fields or {}).items()
        }
    safeguarding.withhold(obj, row)
    return row


def _section_json(
    section: Section, refs: _References, safeguarding: _Safeguarding
) -> dict[str, Any]:
    columns = {
        c.name: {"label": capfirst(str(c.verbose_name)), "type": _type_of(c)}
        for c in section.columns
    }
    for name, (label, kind) in section.extra.items():
        columns[name] = {"label": label, "type": kind}
    return {
        "title": section.title,
        "model": section.model._meta.label_lower,
        "key": section.model._meta.pk.name,  # the field naming each row
        "fields": columns,
        "rows": [_row(section, obj, refs, safeguarding) for obj in section.rows],
    }


def person_export(*, person: Person, by) -> dict[str, Any]:
    """Everything held about `person`, as JSON-safe values, for an administrator to
    hand over; the export is audited (action "export" against the person).

    The result: the person's id and name, the record it was merged into (if it
    was), when and by whom it was exported, what is withheld and why (`withheld`),
    how many things were withheld as part of a safeguarding concern, for review
    before release (`withheld_for_review`), and `sections` by key ("person",
    "cases", "calls", "audit_events"...), each with its title, model, the field naming each
    row (`key`, "id" but for a row keyed by another's), fields (label and type) and
    rows (every column of the row, by name).

    Raises WorkRefused for anyone but an administrator.
    """
    if not Actor.of(by).is_admin:
        raise WorkRefused("Only an administrator may export a person's data.")
    now = timezone.now()
    sections = _gather(person)
    refs = _references(sections, person)
    safeguarding = _Safeguarding.of(sections)
    written = {s.key: _section_json(s, refs, safeguarding) for s in sections}
    export = {
        "person": person.pk,
        "name": person.full_name,
        "exported_at": timezone.localtime(now).isoformat(),
        "exported_by": staff_name(by),
        # A record merged into another: what is held since is the other's.
        "merged_into": person.merged_into_id,
        "withheld": list(WITHHELD_NOTES),
        "withheld_for_review": safeguarding.withheld,
        "sections": written,
    }
    audit_record(
        user=by,
        action=AuditEvent.Action.EXPORT,
        obj=person,
        person=person,
        detail={
            "what": "everything held about the person",
            "rows": sum(len(s.rows) for s in sections),
        },
        at=now,
    )
    return export
