"""Replacing what identifies a person, for a batch of people at once: one UPDATE (or
DELETE) per kind of record, never a row at a time.

What goes, and what stays because the weekly figures or the record's shape need it:

- The person: names (to "Pseudonymised"), address, the postcode's inward code (the
  district, "S1", stays, as does the area), the grid position, and the date of birth
  cut to the year (1 January). The NHS number becomes "~<record id>" and the phone
  "~" with a keyed SHA-256 of the number (records that shared a number still share
  one; the figures count people by their record, figures.weekly.person_key, which
  stays); the other phone and the email become "~" (the figures ask only whether
  there was one). Each value left empty stays empty.
- Free text that may name or describe them: call notes and the number dialled, the
  safeguarding note, the risk assessment's notes, occupation and vulnerabilities,
  the local team's escalation notes and actions' notes, a clinician's reason for an
  isolation override, messages' bodies, addresses and personalisation, the note a
  contact typed with their online answer, and the lab references of the case and of its further results (keys to the lab's named
  record).
- Removed: the history of their contact details, drafts of their case page,
  possible-duplicate pairs, and merges (whose record holds both people as they were:
  a merge this old is no longer undone).
- A household setting visited only by pseudonymised people loses its name, address
  and postcode detail; other settings (workplaces, venues) are places, not people,
  and stay for the clusters.

Kept as they were: every status, time stamp, route, area, language, interpreter
flag, exposure date and kind, call outcome and duration; the audit trail (append
only, and it holds record ids, not details).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from django.db.models import Case as SqlCase
from django.db.models import CharField, Exists, F, Func, OuterRef, Q, Value, When
from django.db.models.functions import Cast, Concat, Left, StrIndex, TruncYear

from calls.models import CallAttempt
from cases.models import (
    Case,
    CaseDraft,
    ExposureSetting,
    FurtherResult,
    RiskAssessment,
    SettingKind,
    SettingVisit,
)
from contacts.models import IsolationChange
from escalations.models import Escalation, EscalationAction
from online.models import OnlineLink
from people.models import Message, Person, PersonChange, PersonMerge, PossibleDuplicate

from .cascade import delete_with_dependents
from .models import Pseudonymisation, RetentionRun
from .rules import pseudonym_key

MARK = "~"  # a value replaced: never the start of a real name, number or address
NAME = "Pseudonymised"


class Sha256Hex(Func):
    """The SHA-256 of a text, in hex: PostgreSQL's built-in sha256(), or the
    function Django registers on SQLite (no pgcrypto needed)."""

    function = "SHA256"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="ENCODE(SHA256(CONVERT_TO(%(expressions)s, 'UTF8')), 'hex')",
            **extra_context,
        )


def _text(value: str) -> Value:
    return Value(value, output_field=CharField())


def _marked_if_set(column: str, replacement) -> SqlCase:
    """Empty stays empty; anything else becomes the replacement."""
    return SqlCase(
        When(**{column: ""}, then=_text("")),
        default=replacement,
        output_field=CharField(),
    )


def outward_code(column: str) -> SqlCase:
    """ "S1 1AA" -> "S1": the district, the part before the space (a postcode held
    without one is kept as it is: it is a district already or not a postcode)."""
    return SqlCase(
        When(
            **{f"{column}__contains": " "},
            then=Left(column, StrIndex(column, _text(" ")) - 1),
        ),
        default=F(column),
        output_field=CharField(),
    )


def _phone_pseudonym() -> Concat:
    # Keyed, so the pseudonym cannot be reversed by hashing every phone number.
    return Concat(
        _text(MARK),
        Sha256Hex(Concat(_text(pseudonym_key()), Cast("phone", CharField()))),
        output_field=CharField(),
    )


def people_pseudonymise(
    *, family: list[int], run: RetentionRun | None, now: datetime
) -> Counter[str]:
    """Pseudonymise these people (a person and the records merged into it: pass
    them all) and what is written about them; the rows changed or removed, by kind.
    The caller holds the transaction: all of it, or nothing."""
    counts: Counter[str] = Counter()
    if not family:
        return counts
    Pseudonymisation.objects.bulk_create(
        [Pseudonymisation(person_id=pk, run=run, at=now) for pk in family],
        ignore_conflicts=True,
    )
    counts["people.person"] = Person.objects.filter(pk__in=family).update(
        first_name=NAME,
        last_name="",
        date_of_birth=TruncYear("date_of_birth"),
        # "~" and the record's id: unique like the number (under ten characters for
        # a billion records), and never a valid NHS number.
        nhs_number=_marked_if_set(
            "nhs_number", Concat(_text(MARK), Cast("pk", CharField()))
        ),
        phone=_marked_if_set("phone", _phone_pseudonym()),
        phone_alt=_marked_if_set("phone_alt", _text(MARK)),
        wrong_numbers=[],  # numbers a stranger answered: phone numbers too
        email=_marked_if_set("email", _text(MARK)),
        address="",
        postcode=outward_code("postcode"),
        easting=None,
        northing=None,
        updated_at=now,
    )
    of_cases = Q(case__person_id__in=family)
    counts["cases.case"] = Case.objects.filter(person_id__in=family).update(
        safeguarding_note="",
        lab_reference=Concat(_text(MARK), Cast("pk", CharField())),
    )
    # A further result's lab reference is as much a key to the lab's named record.
    # "~f" and its id: unique like the reference, and never a case's "~<id>".
    counts["cases.furtherresult"] = FurtherResult.objects.filter(of_cases).update(
        lab_reference=Concat(_text(f"{MARK}f"), Cast("pk", CharField()))
    )
    counts["cases.riskassessment"] = RiskAssessment.objects.filter(of_cases).update(
        occupation="", vulnerabilities="", household_notes="", clinical_notes=""
    )
    # One statement for the rows of their cases, one for their contacts' (an OR of
    # the two joins would read the whole table).
    calls = escalations = actions = overrides = 0
    for item in ("case", "contact"):
        of_item = Q(**{f"{item}__person_id__in": family})
        calls += CallAttempt.objects.filter(of_item).update(
            phone="", notes="", correction_reason=""
        )
        escalations += Escalation.objects.filter(of_item).update(
            detail="", outcome_note=""
        )
        actions += EscalationAction.objects.filter(
            **{f"escalation__{item}__person_id__in": family}
        ).update(note="")
        overrides += IsolationChange.objects.filter(
            of_item, kind=IsolationChange.Kind.OVERRIDE
        ).update(reason=NAME)
    counts["calls.callattempt"] = calls
    counts["escalations.escalation"] = escalations
    counts["escalations.escalationaction"] = actions
    counts["contacts.isolationchange"] = overrides
    counts["people.message"] = Message.objects.filter(person_id__in=family).update(
        to="", body="", personalisation={}
    )
    counts["online.onlinelink"] = OnlineLink.objects.filter(
        person_id__in=family
    ).update(note="")
    counts["cases.exposuresetting"] = (
        ExposureSetting.objects.filter(
            kind=SettingKind.HOUSEHOLD,
            pk__in=SettingVisit.objects.filter(of_cases).values("setting_id"),
        )
        .exclude(
            Exists(
                SettingVisit.objects.filter(
                    setting=OuterRef("pk"), case__person__pseudonymisation__isnull=True
                )
            )
        )
        .update(
            name="Household",
            address="",
            postcode=outward_code("postcode"),
            easting=None,
            northing=None,
        )
    )
    for model, rows in (
        (CaseDraft, CaseDraft.objects.filter(of_cases)),
        (PersonChange, PersonChange.objects.filter(person_id__in=family)),
        (
            PossibleDuplicate,
            PossibleDuplicate.objects.filter(
                Q(person_a_id__in=family) | Q(person_b_id__in=family)
            ),
        ),
        (
            PersonMerge,
            PersonMerge.objects.filter(
                Q(survivor_id__in=family) | Q(merged_id__in=family)
            ),
        ),
    ):
        delete_with_dependents(model, rows=rows, counts=counts)
    return Counter({kind: n for kind, n in counts.items() if n})
