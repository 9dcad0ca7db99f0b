"""Who may find which person: the people behind the cases and contacts an actor may see.

A person is visible when at least one of their cases or contacts is (cases.py,
contacts.py): administrators and national supervisors find anyone with an item; a
local team member the people with an item in the team's areas or handed to it; a
caseworker the people of the cases they hold (and those cases' contacts); a call
handler the people of the contacts they hold. The rules are those modules', applied
by an EXISTS, never restated here.

The search reads one text box: ten digits (spaces allowed) are an NHS number, a date
(dd/mm/yyyy or yyyy-mm-dd) a date of birth, a UK phone number either phone, a UK
postcode the postcode; anything else is a name. On PostgreSQL a name is matched by
trigram word similarity (pg_trgm's `<%`: the words typed against the words of
people_name_fold(first_name || ' ' || last_name), the expression of the GIN index
`person_name_fold_trgm`, so the index serves it; a surname alone finds a long first
name too), best first. Both sides are folded alike (people migration 0010: lower
case, no accents, no apostrophes), so "Sian Llyr" finds Siân Llŷr, "Muller" Müller
and "OBrien" O'Brien, and the other way round.
SQLite has no pg_trgm and matches each word typed inside the name, both folded alike
(each SQLite connection has a people_name_fold of its own: people/apps.py).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import BooleanField, Exists, FloatField, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from areas.postcodes import normalise_postcode
from cases.models import Case
from contacts.models import Contact
from people.models import Person, validate_nhs_number
from people.phones import uk_phone_e164

from .actor import Actor
from .cases import cases_visible_to, may_work_case
from .contacts import contacts_visible_to, may_work_contact
from .escalations import escalations_visible_to

SEARCH_LIMIT = 50
# The expression of the trigram index person_name_fold_trgm (people migration 0010):
# the same text, so the planner can use the index for `<%`; what is typed is folded
# by the same function.
FULL_NAME_SQL = "people_name_fold(first_name || ' ' || last_name)"
TYPED_SQL = "people_name_fold(%s)"

_NHS_RE = re.compile(r"^\d[\d ]*$")
_PHONE_RE = re.compile(r"^\+?[\d ()-]+$")
_DATE_RES = (
    re.compile(r"^(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>\d{4})$"),
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
)


@dataclass(frozen=True)
class PersonQuery:
    """What the text box was read as: kind is nhs_number, date_of_birth, phone,
    postcode or name."""

    kind: str
    value: Any


def parse_person_query(text: str) -> PersonQuery | None:
    """Read the search text; None when there is nothing to search for."""
    text = " ".join((text or "").split())
    if not text:
        return None
    digits = text.replace(" ", "")
    # Ten digits with a good check digit: an NHS number. Others (0800 123456,
    # 016977 3456) are tried as a phone number below.
    if _NHS_RE.match(text) and len(digits) == 10 and _is_nhs_number(digits):
        return PersonQuery("nhs_number", digits)
    born = _date(text)
    if born is not None:
        return PersonQuery("date_of_birth", born)
    if _PHONE_RE.match(text) and sum(c.isdigit() for c in text) >= 10:
        try:
            return PersonQuery("phone", uk_phone_e164(text))
        except ValidationError:
            # A number abroad (+33 6 12 34 56 78, 0033...), as people's phones are
            # kept: in international form.
            if abroad := _phone_abroad(text):
                return PersonQuery("phone", abroad)
    if any(c.isdigit() for c in text):
        try:
            return PersonQuery("postcode", normalise_postcode(text))
        except ValidationError:
            pass
    return PersonQuery("name", text.lower())


def _is_nhs_number(digits: str) -> bool:
    try:
        validate_nhs_number(digits)
    except ValidationError:
        return False
    return True


def _phone_abroad(text: str) -> str:
    """A valid number of another country, in international form ("" if not)."""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _date(text: str) -> dt.date | None:
    """A date as dd/mm/yyyy or yyyy-mm-dd, or None."""
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if match:
            try:
                return dt.date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def people_visible_to(who: Actor | Any) -> QuerySet[Person]:
    """The people with at least one case or contact this actor may see."""
    actor = Actor.of(who)
    cases = cases_visible_to(actor).filter(person_id=OuterRef("pk"))
    contacts = contacts_visible_to(actor).filter(person_id=OuterRef("pk"))
    # A record merged into another holds nothing now (work/merge.py).
    return Person.objects.filter(
        Exists(cases) | Exists(contacts), merged_into__isnull=True
    )


def trigram_name_search() -> bool:
    """Whether names are matched by pg_trgm (PostgreSQL) rather than word by word."""
    return connection.vendor == "postgresql"


def people_search(
    who: Actor | Any,
    query: PersonQuery | None,
    *,
    date_of_birth: dt.date | None = None,
    limit: int = SEARCH_LIMIT,
) -> QuerySet[Person]:
    """The people this actor may see who match, best match first (at most `limit`
    when the queryset is read; slice it yourself to keep it a queryset)."""
    qs = people_visible_to(who)
    if date_of_birth is not None:
        qs = qs.filter(date_of_birth=date_of_birth)
    if query is None:
        if date_of_birth is None:
            return qs.none()
        return qs.order_by("last_name", "first_name", "pk")[:limit]
    if query.kind == "nhs_number":
        qs = qs.filter(nhs_number=query.value)
    elif query.kind == "date_of_birth":
        qs = qs.filter(date_of_birth=query.value)
    elif query.kind == "phone":
        qs = qs.filter(Q(phone=query.value) | Q(phone_alt=query.value))
    elif query.kind == "postcode":
        qs = qs.filter(postcode=query.value)
    elif trigram_name_search():
        qs = (
            qs.annotate(
                # How well the words typed match words of the name (a surname alone
                # matches "Christopher Shah" as well as "Ali Shah"), then the whole.
                name_words=RawSQL(
                    f"word_similarity({TYPED_SQL}, {FULL_NAME_SQL})",
                    [query.value.lower()],
                    output_field=FloatField(),
                ),
                name_similarity=RawSQL(
                    f"similarity({FULL_NAME_SQL}, {TYPED_SQL})",
                    [query.value.lower()],
                    output_field=FloatField(),
                ),
            )
            .filter(
                RawSQL(
                    f"{TYPED_SQL} <%% {FULL_NAME_SQL}",
                    [query.value.lower()],
                    output_field=BooleanField(),
                )
            )
            .order_by("-name_words", "-name_similarity", "pk")
        )
        return qs[:limit]
    else:
        # instr, not LIKE: a % or _ typed is a character of the name, not a wildcard.
        for word in query.value.split():
            qs = qs.filter(
                RawSQL(
                    f"instr({FULL_NAME_SQL}, {TYPED_SQL}) > 0",
                    [word],
                    output_field=BooleanField(),
                )
            )
    return qs.order_by("last_name", "first_name", "pk")[:limit]


@dataclass
class Item:
    """A case or contact of a person found, with where the actor may open it."""

    obj: Case | Contact
    kind: str  # "case" or "contact"
    # "desk" (the case or contact page), "escalation" (the local team's page for
    # the escalation, whose pk is escalation_id), or "" (visible, but no page to open).
    opens: str = ""
    escalation_id: int | None = None


@dataclass
class PersonFound:
    person: Person
    cases: list[Item] = field(default_factory=list)
    contacts: list[Item] = field(default_factory=list)


def people_found(who: Actor | Any, people: list[Person]) -> list[PersonFound]:
    """The people found with their cases and contacts this actor may see: a query
    for the cases, one for the contacts and, for a local team, one for their
    escalations; never one a person."""
    actor = Actor.of(who)
    found = {p.pk: PersonFound(person=p) for p in people}
    if not found:
        return []
    ids = list(found)
    cases = list(cases_visible_to(actor).filter(person_id__in=ids).order_by("pk"))
    contacts = list(contacts_visible_to(actor).filter(person_id__in=ids).order_by("pk"))
    escalation_of: dict[tuple[str, int], int] = {}
    if actor.local_team_id is not None:
        escalations = (
            escalations_visible_to(actor)
            .filter(
                Q(case_id__in=[c.pk for c in cases])
                | Q(contact_id__in=[c.pk for c in contacts])
            )
            .order_by("created_at", "pk")
            .values_list("pk", "case_id", "contact_id")
        )
        for pk, case_id, contact_id in escalations:  # the newest wins
            if contact_id is not None:
                escalation_of[("contact", contact_id)] = pk
            elif case_id is not None:
                escalation_of[("case", case_id)] = pk
    for case in cases:
        item = Item(obj=case, kind="case")
        _place(item, may_work_case(actor, case), escalation_of)
        found[case.person_id].cases.append(item)
    for contact in contacts:
        item = Item(obj=contact, kind="contact")
        _place(item, may_work_contact(actor, contact), escalation_of)
        found[contact.person_id].contacts.append(item)
    return [found[p.pk] for p in people]


def _place(item: Item, works: bool, escalation_of: dict[tuple[str, int], int]) -> None:
    if works:
        item.opens = "desk"
        return
    escalation_id = escalation_of.get((item.kind, item.obj.pk))
    if escalation_id is not None:
        item.opens, item.escalation_id = "escalation", escalation_id


def may_search_people(who: Actor | Any) -> bool:
    """Members of staff (any tier) and administrators; the results are narrowed to
    what each may see."""
    actor = Actor.of(who)
    return not actor.client and (actor.is_admin or actor.profile is not None)
