"""Is the person arriving one we already hold? The rules, and the candidates they weigh.

Every way a person comes in (intake, a contact on the case page, the online route)
goes through `people.services.person_find_or_create`, which asks `person_match`.

The candidates are the people sharing something exact and indexed with the arrival:
the NHS number, the date of birth, either phone number, the postcode, or the email
(which counts below as a phone does: a shared phone is a phone or an email in common). They are
found in one query (each condition has its index on Person), which on PostgreSQL
also scores the names with pg_trgm's similarity() and drops the candidates sharing
nothing but a date of birth or postcode with an unlike name. Each candidate is then
weighed here, in Python, by the rules below.

Never the same person (no link, no possible duplicate):
  - both have NHS numbers and they differ;
  - both have dates of birth and they differ (a parent and child of one name, or a
    family sharing a phone), unless the NHS number is the same.

Linked (the first tier that any candidate reaches wins; within it the highest
score, then the oldest record):
  0. the same NHS number, and names that agree: the same or a close surname (as
     below: one typo apart, or a name added), the same or a close first name (the
     same, or one typo apart), or the same date of birth (a surname changed on
     marriage). The number alone is not enough: one typed wrong, or another
     person's, would tie the arrival to a stranger, show them the stranger's record
     and write their phone and postcode over it. With names that do not agree, the
     pair is a possible duplicate (below), and the number stays with the person
     holding it: the arrival's person (new, or found by another rule) is not given
     it (Match.number_holder);
  1. the same date of birth, a close name, and a shared phone (either phone field of
     either side) or the same postcode;
  2. the same name (equal once lower-cased and accents dropped) and date of birth,
     and no contact detail that disagrees: the arrival gives no phone or postcode
     where the record holds a different one (a contact typed in with only a name
     and date of birth);
  3. the same name and a shared phone, a date of birth missing on one side, unless
     the one side's date of birth makes them a young child (under CHILD_UNDER_AGE,
     12, on the day of the arrival): a young child's test is registered with a
     parent's phone, and parents and children share names: a father named as a
     contact (no date of birth) on the mobile his 8-year-old son's result gave is
     not the son, nor is the son's result, with his date of birth, the record of
     his father named so. A new person, listed as a possible duplicate (below) for
     a person to merge if they are one. (A record merged into a child's counts as
     the child's.)

     The age stands for what matching cannot see: whose phone it is. Most children
     have a mobile of their own by secondary school (from 11), and give it: a
     15-year-old who tested positive with his own mobile, named by a friend with
     that mobile and no date of birth, is himself (with a cut at 16 he was a second
     person, texted a contact's link on top of his case's, queued for the phones
     and counted twice). Nothing else known when matching tells a parent from the
     child (the naming case's household is no help: the father above was named by
     a colleague), and asking the other records on the phone would be a query
     more on every arrival. The known miss: a parent of a child of 12 to 15 whose
     test gave the parent's phone, of the child's name (a father of a 13-year-old,
     both Jack Brown), named without a date of birth, is linked to the child (told
     the child's date, counted as the child), as any two of one name and phone
     were before the rule; and the child's result the same way to the father's
     record.

Namesakes we know to be two (tiers 2 and 3, name and one detail): when two or more
people held meet the best tier the arrival reaches, and two of them are people apart
(a pair listed as possible duplicates, open or decided "not the same", or holding
different dates of birth or NHS numbers: a father and son of one name on the home
phone, two residents of one care home), the oldest record is no likelier than the
other: the arrival is neither, a new person listed with each. So too at tier 3 when
a person held listed with the one found (open, or decided "not the same") has the
arrival's name and date of birth: the arrival may be them as well. And a person
found at tier 3 who is listed with a namesake (open, or decided "not the same") is
not given the arrival's date of birth: it may be the namesake's
(Match.birthday_withheld).

A close name: the same name (equal once lower-cased and accents dropped: "Siân Llŷr"
and "Sian Llyr"), or the trigram similarity of the lower-cased full names ("first
last") at least NAME_SIMILARITY with the same first name AND surnames close: the same,
one typo apart (four letters or more; a letter changed, added, dropped or two swapped,
anywhere but in the last letter), or one the other with a name added (Khan, Khan-Ali).
Twins share a surname, a date of birth, an address and a phone, and only their first
names tell them apart, often by a letter: Amir and Amira, Louis and Louise, and as
often inside the name, Francis and Frances, Jesse and Jessie, Marian and Marion, Elise
and Elsie. A first name one letter from another is no more a typo than a twin, so it
never links: it is listed as a possible duplicate (first_names_close), for a person
to decide, while "Jonathan Smyth" for "Jonathan Smith" links. The full name's
similarity cannot tell twins apart ("amir khan" / "amira khan" scores 0.75), so the
first name's rule decides.

A possible duplicate (a new person, and a PossibleDuplicate row for a person to
decide), when no rule links but there is evidence:
  - the same NHS number, whatever else (names that do not agree: tier 0);
  - the same date of birth and a close full name (twins; a record whose phone and
    postcode have both changed);
  - the same date of birth and a shared phone, whatever the names (a name written in
    another script: "Мария Иванова" and "Maria Ivanova" share no trigram; a maiden
    name);
  - the same date of birth and postcode, and the same first name or a close surname
    (a maiden name at the same address);
  - a date of birth missing on one side, a shared phone or the same postcode, and a
    close full name or first name.
Nothing else is evidence (a shared family phone with other names and dates of birth;
neighbours). The pairs recorded are weighed as pairs: a person found and another
candidate are listed together only when the rules, weighing one against the other,
find evidence (never two people born on different days), with the reasons of the
two (`pair_weighed`), not the arrival's.

A record merged into another is weighed as it was, and stands for the person it was
merged into (a person decided they are one): Mariya, merged into Maria, arriving again
as Mariya is Maria; unless Maria's own NHS number or date of birth says otherwise.

The score of a pair (0..1): 1 for the same NHS number (linked or not: a number
on two names heads the possible duplicates), else 0.45 x the names'
similarity + 0.25 for the same date of birth + 0.2 for a shared phone + 0.1 for the
same postcode.

SQLite (the embedded default) has no pg_trgm: the same candidates are found by the
same exact conditions and their names scored in Python by `trigram_similarity`, a
re-implementation of pg_trgm's similarity() (the same trigrams, the same ratio), so
the threshold and the scores mean the same on both databases.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import connection, models
from django.utils import timezone

from .models import Person, PossibleDuplicate

# Trigram similarity (pg_trgm's similarity(), 0..1) of two lower-cased full names at
# or above which they are close. 0.5 keeps a typo ("jonathon smith" / "jonathan
# smith" 0.67, "jonathan smyth" 0.67) and drops a changed surname ("sarah jones" /
# "sarah brown" 0.33) or another first name ("john smith" / "jane smith" 0.47).
NAME_SIMILARITY = 0.5
# Below this (and with no NHS number, phone or first name in common) a candidate is
# not worth fetching: the query leaves it out on PostgreSQL.
LOOSE_NAME_SIMILARITY = 0.3
# A first name shorter than this must be exactly the same: a typo cannot be told from
# another name (Lena and Lina, Jon and Jan).
FIRST_NAME_TYPO_MIN_LENGTH = 5
# And a surname shorter than this (Khan and Kahn are one typo apart; Li and Lu not).
SURNAME_TYPO_MIN_LENGTH = 4
# Under this age (on the day of the arrival) a date of birth is a young child's: a
# parent or guardian registers their test and speaks for them, giving the parent's
# own phone, so their record is not linked by the same name and that phone to a
# record without a date of birth (tier 3), which may be the parent of the name. 12,
# not 16: the phone is a young child's parent's, but most children have their own by
# secondary school, and a 12- to 15-year-old giving their own mobile, named by a
# friend, is one person, not two (see tier 3 for the miss this costs: a parent of
# one of them on the parent's phone, of one name, is linked to the child).
CHILD_UNDER_AGE = 12
# At most this many candidates are weighed, and this many possible duplicates kept.
MAX_CANDIDATES = 50
MAX_DUPLICATES = 5

TIERS = NHS, CLOSE_AND_SHARED, SAME_NAME_AND_BIRTHDAY, SAME_NAME_AND_PHONE = range(4)
# Tiers resting on the name and one detail: a tie between people apart links no one.
WEAK_TIERS = frozenset({SAME_NAME_AND_BIRTHDAY, SAME_NAME_AND_PHONE})

FULL_NAME_SQL = "lower(first_name || ' ' || last_name)"


@dataclass(frozen=True)
class Arrival:
    """The identifying details of the person arriving, normalised as stored: phones
    in E.164, the postcode as the postcode directory writes it."""

    first_name: str
    last_name: str
    date_of_birth: date | None = None
    nhs_number: str = ""
    phones: tuple[str, ...] = ()
    postcode: str = ""
    email: str = ""  # lower-cased

    @property
    def full_name(self) -> str:
        return f"{self.first_name.strip()} {self.last_name.strip()}".lower()


@dataclass
class Candidate:
    """A person we hold, weighed against the arrival."""

    person: Person
    score: float
    reasons: list[str]
    # The linking rule it meets (NHS, CLOSE_AND_SHARED, ...), or None.
    tier: int | None = None


@dataclass
class Match:
    """The person found (None: a new person), and the other people the arrival (or
    the person found) may be, best first."""

    person: Person | None
    duplicates: list[Candidate] = field(default_factory=list)
    # Every person the query brought to be weighed (their ids), linked or not.
    considered: frozenset[int] = frozenset()
    # The candidate found (person's), with its tier and reasons.
    linked: Candidate | None = None
    # The record holding the arrival's NHS number when it is not the person found
    # (their names do not agree: module docstring): the number stays theirs, and is
    # not written onto the arrival's person (a unique key).
    number_holder: Person | None = None
    # Found by name and a shared phone (tier 3), a person listed with a namesake as
    # possibly them or decided not them: the arrival's date of birth may be the
    # namesake's, and is not written onto them.
    birthday_withheld: bool = False

    def not_linking(self, person_id: int) -> Match:
        """This match, when the arrival is unlikely to be `person_id` (the case
        naming them): found only by name and a shared phone, a date of birth missing
        (a father and son of one name on the home phone, the son named by the
        father's case), a new person, with the one found listed as a possible
        duplicate. Found by the NHS number or the date of birth, it is them."""
        if self.linked is None or self.linked.person.pk != person_id:
            return self
        if self.linked.tier != SAME_NAME_AND_PHONE:
            return self
        return Match(
            person=None,
            duplicates=[self.linked, *self.duplicates][:MAX_DUPLICATES],
            considered=self.considered,
            number_holder=self.number_holder,
        )


def person_match(arrival: Arrival) -> Match:
    """The person the arrival is, if we hold them, and the possible duplicates.

    One query for the candidates; the rules are in the module's docstring.
    """
    [match] = people_match_many([arrival])
    return match


def people_match_many(arrivals: Sequence[Arrival]) -> list[Match]:
    """person_match for each of many arrivals, in order, as each would be answered
    alone against the people held now: on PostgreSQL one query finds and scores the
    candidates of them all (a lateral join over the arrivals); SQLite asks once per
    arrival."""
    if not arrivals:
        return []
    if scored_in_sql():
        found = _scored_in_sql(arrivals)
    else:
        found = [_candidates_sqlite(arrival) for arrival in arrivals]
    survivors = _survivors(
        {person.merged_into_id for scored in found for person, _, _ in scored}
    )
    weighed = [
        candidates_weighed(arrival, scored, survivors)
        for arrival, scored in zip(arrivals, found, strict=True)
    ]
    listed = ListedPairs.of(
        {
            candidate.person.pk
            for candidates in weighed
            if _best_tier(candidates) in WEAK_TIERS
            for candidate in candidates
        }
    )
    return [
        match_decide(arrival, scored, survivors, candidates, listed)
        for arrival, scored, candidates in zip(arrivals, found, weighed, strict=True)
    ]


@dataclass(frozen=True)
class ListedPairs:
    """The pairs of people listed as possible duplicates, open or decided "not the
    same", touching some people held."""

    pairs: frozenset[tuple[int, int]] = frozenset()
    # Those of the people who are listed with someone of their own name.
    with_namesake: frozenset[int] = frozenset()

    @classmethod
    def of(cls, ids: set[int]) -> ListedPairs:
        """The pairs touching these people, in one query (none when there are none
        to ask about)."""
        if not ids:
            return cls()
        rows = PossibleDuplicate.objects.filter(
            models.Q(person_a_id__in=ids) | models.Q(person_b_id__in=ids),
            status__in=[
                PossibleDuplicate.Status.OPEN,
                PossibleDuplicate.Status.NOT_SAME,
            ],
        ).values_list(
            "person_a_id",
            "person_b_id",
            "person_a__first_name",
            "person_a__last_name",
            "person_b__first_name",
            "person_b__last_name",
        )
        pairs: set[tuple[int, int]] = set()
        with_namesake: set[int] = set()
        for a, b, a_first, a_last, b_first, b_last in rows:
            pairs.add((a, b))
            if (_name_key(a_first), _name_key(a_last)) == (
                _name_key(b_first),
                _name_key(b_last),
            ):
                with_namesake |= {a, b}
        return cls(frozenset(pairs), frozenset(with_namesake))

    def listed(self, one: int, other: int) -> bool:
        return (min(one, other), max(one, other)) in self.pairs


def _apart(one: Person, other: Person, listed: ListedPairs) -> bool:
    """Two people held known to be two, or perhaps two: listed as possible
    duplicates (open, or decided "not the same"), or holding different dates of
    birth or NHS numbers."""
    if listed.listed(one.pk, other.pk):
        return True
    if one.nhs_number and other.nhs_number and one.nhs_number != other.nhs_number:
        return True
    return bool(
        one.date_of_birth
        and other.date_of_birth
        and one.date_of_birth != other.date_of_birth
    )


def _survivors(ids: set[int | None]) -> dict[int, Person]:
    """For records merged into another, the person they are now (through chains of
    merges), by the id they were merged into: one query a level of merging."""
    fetched: dict[int, Person] = {}
    pending = {pk for pk in ids if pk is not None}
    while pending:
        people = Person.objects.in_bulk(pending)
        fetched.update(people)
        pending = {
            p.merged_into_id
            for p in people.values()
            if p.merged_into_id is not None and p.merged_into_id not in fetched
        }

    def root(pk: int) -> Person:
        person = fetched[pk]
        seen = {pk}
        while person.merged_into_id is not None and person.merged_into_id not in seen:
            seen.add(person.merged_into_id)
            person = fetched[person.merged_into_id]
        return person

    return {pk: root(pk) for pk in ids if pk is not None}


def _as_survivor(
    arrival: Arrival, candidate: Candidate, survivors: dict[int, Person]
) -> Candidate | None:
    """A record merged into another stands for the person it was merged into: a
    person decided they are one, so its name, date of birth and contact details are
    theirs too ("Mariya" found as "Maria", whom she was merged into). Unless the
    person now held says otherwise: another NHS number, another date of birth."""
    merged = candidate.person
    if merged.merged_into_id is None:
        return candidate
    person = survivors[merged.merged_into_id]
    same_number = bool(arrival.nhs_number) and person.nhs_number == arrival.nhs_number
    if arrival.nhs_number and person.nhs_number and not same_number:
        return None
    born = person.date_of_birth
    other_birthday = (
        bool(arrival.date_of_birth and born) and born != arrival.date_of_birth
    )
    if other_birthday and not same_number:
        return None
    tier = candidate.tier
    if tier == SAME_NAME_AND_PHONE and _child_and_no_birthday(
        arrival.date_of_birth, born
    ):
        # Merged into a child's record, it is the child's (tier 3's exception).
        tier = None
    reason = f"as {merged.first_name} {merged.last_name}, a record merged into theirs"
    return Candidate(person, candidate.score, [*candidate.reasons, reason], tier=tier)


def _child_and_no_birthday(arrived: date | None, held: date | None) -> bool:
    """Of the arrival's date of birth and the one held, one is missing and the
    other is a young child's (under CHILD_UNDER_AGE today, London's date): the two
    are not linked by name and a shared phone alone (tier 3)."""
    if (arrived is None) == (held is None):
        return False
    born = arrived or held
    assert born is not None
    return age_on(born, timezone.localdate()) < CHILD_UNDER_AGE


def age_on(born: date, day: date) -> int:
    """Full years from `born` to `day` (someone born on 29 February is a year older
    on 1 March when the year has no 29th)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def candidates_weighed(
    arrival: Arrival, scored: list[Scored], survivors: dict[int, Person]
) -> list[Candidate]:
    """The candidates weighed, the best of each person now held (a merged record
    counts for its survivor)."""
    weighed = [
        weighed
        for person, names, surnames in scored
        if (weighed := _weigh(arrival, person, names, surnames)) is not None
    ]
    best: dict[int, Candidate] = {}
    for one in weighed:
        candidate = _as_survivor(arrival, one, survivors)
        if candidate is None:
            continue
        held = best.get(candidate.person.pk)
        if held is None or _rank(candidate) < _rank(held):
            best[candidate.person.pk] = candidate
    return list(best.values())


def _best_tier(candidates: list[Candidate]) -> int | None:
    return min((c.tier for c in candidates if c.tier is not None), default=None)


def _namesakes_apart(
    arrival: Arrival, found: Candidate, candidates: list[Candidate], listed: ListedPairs
) -> bool:
    """Whether the one found on a weak tier may as well be a namesake known to be
    another person (module docstring): another meeting the same tier, apart from
    one of the others; or, at tier 3, one listed with them who has the arrival's
    name and date of birth."""
    if found.tier not in WEAK_TIERS:
        return False
    tied = [c.person for c in candidates if c.tier == found.tier]
    if any(
        _apart(one, other, listed)
        for i, one in enumerate(tied)
        for other in tied[i + 1 :]
    ):
        return True
    if found.tier != SAME_NAME_AND_PHONE or arrival.date_of_birth is None:
        return False
    name = (_name_key(arrival.first_name), _name_key(arrival.last_name))
    return any(
        c.person.date_of_birth == arrival.date_of_birth
        and (_name_key(c.person.first_name), _name_key(c.person.last_name)) == name
        and listed.listed(c.person.pk, found.person.pk)
        for c in candidates
        if c is not found
    )


def match_decide(
    arrival: Arrival,
    scored: list[Scored],
    survivors: dict[int, Person],
    candidates: list[Candidate],
    listed: ListedPairs,
) -> Match:
    linked = sorted(
        (c for c in candidates if c.tier is not None),
        key=lambda c: (c.tier, -c.score, c.person.pk),
    )
    found = linked[0] if linked else None
    if found is not None and _namesakes_apart(arrival, found, candidates, listed):
        found = None
    duplicates = sorted(
        (c for c in candidates if c is not found),
        key=lambda c: (-c.score, c.person.pk),
    )[:MAX_DUPLICATES]
    # Whoever holds the arrival's NHS number, unless it is the person found.
    holder = next(
        (
            person
            for person, _, _ in scored
            if arrival.nhs_number and person.nhs_number == arrival.nhs_number
        ),
        None,
    )
    if found is not None and found.person.nhs_number == arrival.nhs_number:
        holder = None
    return Match(
        person=found.person if found else None,
        linked=found,
        duplicates=duplicates,
        number_holder=holder,
        birthday_withheld=(
            found is not None
            and found.tier == SAME_NAME_AND_PHONE
            and found.person.pk in listed.with_namesake
        ),
        considered=frozenset(
            survivors[person.merged_into_id].pk
            if person.merged_into_id is not None
            else person.pk
            for person, _, _ in scored
        ),
    )


def _rank(candidate: Candidate) -> tuple[int, float]:
    """Linked first (the lower tier), then the higher score."""
    tier = candidate.tier if candidate.tier is not None else len(TIERS)
    return tier, -candidate.score


Scored = tuple[Person, float, float]


def _candidates_sqlite(arrival: Arrival) -> list[Scored]:
    """The people sharing an NHS number, date of birth, phone or postcode with the
    arrival, in one query, with the similarity of their full names and of their
    surnames to the arrival's, computed here (SQLite has no pg_trgm)."""
    exact: list[str] = []
    params: list = []
    if arrival.nhs_number:
        exact.append("nhs_number = %s")
        params.append(arrival.nhs_number)
    if arrival.date_of_birth:
        exact.append("date_of_birth = %s")
        params.append(arrival.date_of_birth)
    if arrival.phones:
        marks = ", ".join(["%s"] * len(arrival.phones))
        exact.append(f"phone IN ({marks})")
        exact.append(f"phone_alt IN ({marks})")
        params += [*arrival.phones, *arrival.phones]
    if arrival.postcode:
        exact.append("postcode = %s")
        params.append(arrival.postcode)
    if arrival.email:
        exact.append("lower(email) = %s")
        params.append(arrival.email)
    if not exact:
        return []
    # A record merged into another is a candidate for its survivor (_as_survivor).
    where = [f"({' OR '.join(exact)})"]
    if arrival.nhs_number:
        # Another NHS number is someone else.
        where.append("nhs_number IN ('', %s)")
        params.append(arrival.nhs_number)
    if arrival.date_of_birth:
        # So is another date of birth (unless the NHS number says otherwise).
        where.append(
            "(date_of_birth IS NULL OR date_of_birth = %s"
            + (" OR nhs_number = %s)" if arrival.nhs_number else ")")
        )
        params += [arrival.date_of_birth]
        params += [arrival.nhs_number] if arrival.nhs_number else []
    table = Person._meta.db_table
    people = Person.objects.raw(
        f"SELECT * FROM {table} WHERE {' AND '.join(where)} ORDER BY id LIMIT %s",
        [*params, MAX_CANDIDATES * 10],
    )
    return [scored_in_python(person, arrival) for person in people]


def scored_in_python(person: Person, arrival: Arrival) -> Scored:
    """A candidate with the similarity of its full name and of its surname to the
    arrival's, as PostgreSQL's CANDIDATES_SQL scores them (trigram_similarity)."""
    return (
        person,
        trigram_similarity(
            f"{person.first_name} {person.last_name}".lower(), arrival.full_name
        ),
        trigram_similarity(person.last_name.lower(), arrival.last_name.strip().lower()),
    )


def scored_in_sql() -> bool:
    """Whether the database scores names itself (pg_trgm, PostgreSQL only)."""
    return connection.vendor == "postgresql"


# PostgreSQL: each arrival (a row of the arrays, a blank as NULL, which equals
# nothing) joined to its candidates. The same conditions as SQLite's, each exact one
# on its index (a partial index's condition is said again, so that a parameter can
# use it): the people sharing an NHS number, date of birth, phone or postcode (a
# record merged away stands for its survivor: _as_survivor), without another NHS
# number, nor (unless the NHS number is the same)
# another date of birth; and of those only the ones worth weighing: a name at all
# like the arrival's, or an NHS number, phone or first name in common, or the date
# of birth and the postcode both (a name written without its accents, "Sian Llyr" for
# "Siân Llŷr", scores 0.25).
CANDIDATES_SQL = f"""
SELECT c.*, a.idx AS arrival_index
FROM unnest(%s::int[], %s::text[], %s::text[], %s::text[], %s::text[], %s::date[],
            %s::text[], %s::text[], %s::text[])
    AS a(idx, full_name, last_name, first_name, nhs, dob, phone, postcode, email)
CROSS JOIN LATERAL (
    SELECT p.*,
        similarity({FULL_NAME_SQL}, a.full_name) AS name_similarity,
        similarity(lower(p.last_name), a.last_name) AS last_name_similarity
    FROM {Person._meta.db_table} p
    WHERE ((p.nhs_number = a.nhs AND p.nhs_number <> '')
           OR p.date_of_birth = a.dob
           OR p.phone = a.phone
           OR (p.phone_alt = a.phone AND p.phone_alt <> '')
           OR (p.postcode = a.postcode AND p.postcode <> '')
           OR (lower(p.email) = a.email AND p.email <> ''))
      AND (a.nhs IS NULL OR p.nhs_number IN ('', a.nhs))
      AND (a.dob IS NULL OR p.date_of_birth IS NULL OR p.date_of_birth = a.dob
           OR p.nhs_number = a.nhs)
      AND (similarity({FULL_NAME_SQL}, a.full_name) >= %s
           OR similarity(lower(p.last_name), a.last_name) >= %s
           OR lower(p.first_name) = a.first_name
           OR p.nhs_number = a.nhs OR p.phone = a.phone OR p.phone_alt = a.phone
           OR lower(p.email) = a.email
           OR (p.date_of_birth = a.dob AND p.postcode = a.postcode))
    ORDER BY name_similarity DESC, p.id
    LIMIT %s
) c
ORDER BY a.idx, c.name_similarity DESC, c.id
"""


def candidates_params(arrivals: Sequence[Arrival]) -> list:
    """The parameters of CANDIDATES_SQL for these arrivals: one array per column of
    the arrivals (a blank as NULL), then the thresholds and the limit."""
    if any(len(arrival.phones) > 1 for arrival in arrivals):
        raise ValueError("An arrival brings one phone at most.")
    return [
        list(range(len(arrivals))),
        [arrival.full_name for arrival in arrivals],
        [arrival.last_name.strip().lower() for arrival in arrivals],
        [arrival.first_name.strip().lower() for arrival in arrivals],
        [arrival.nhs_number or None for arrival in arrivals],
        [arrival.date_of_birth for arrival in arrivals],
        [arrival.phones[0] if arrival.phones else None for arrival in arrivals],
        [arrival.postcode or None for arrival in arrivals],
        [arrival.email or None for arrival in arrivals],
        LOOSE_NAME_SIMILARITY,
        NAME_SIMILARITY,
        MAX_CANDIDATES,
    ]


def _scored_in_sql(arrivals: Sequence[Arrival]) -> list[list[Scored]]:
    """PostgreSQL: the candidates of every arrival with their names' trigram
    similarity, in one query."""
    people = Person.objects.raw(CANDIDATES_SQL, candidates_params(arrivals))
    found: list[list[Scored]] = [[] for _ in arrivals]
    for person in people:
        found[person.arrival_index].append(  # type: ignore[attr-defined]
            (person, float(person.name_similarity), float(person.last_name_similarity))  # type: ignore[attr-defined]
        )
    return found


def _weigh(
    arrival: Arrival, person: Person, name_similarity: float, last_similarity: float
) -> Candidate | None:
    """The candidate's score, reasons and linking tier; None when nothing links them
    or they cannot be the same (another NHS number, or another date of birth and
    not the same NHS number)."""
    same_number = bool(arrival.nhs_number) and arrival.nhs_number == person.nhs_number
    if arrival.nhs_number and person.nhs_number and not same_number:
        return None
    if arrival.date_of_birth and person.date_of_birth:
        same_birthday = arrival.date_of_birth == person.date_of_birth
        if not same_birthday and not same_number:
            return None
        birthday_unknown = False
    else:
        same_birthday, birthday_unknown = False, True
    held_phones = {phone_text(person.phone), phone_text(person.phone_alt)} - {""}
    # An email in common counts as a phone in common: a contact named online may
    # give only an email (two cases naming them were two people).
    shared_email = bool(arrival.email) and person.email.strip().lower() == arrival.email
    shared_phone = bool(held_phones & set(arrival.phones)) or shared_email
    same_postcode = bool(arrival.postcode) and arrival.postcode == person.postcode
    first_held, first_arrived = (
        _name_key(person.first_name),
        _name_key(arrival.first_name),
    )
    same_first = first_held == first_arrived
    same_name = same_first and _name_key(person.last_name) == _name_key(
        arrival.last_name
    )
    first_close = same_first or first_names_close(first_held, first_arrived)
    # A first name a letter from another is a twin as often as a typo: never linked
    # on (module docstring), only listed.
    close_name = same_name or (
        name_similarity >= NAME_SIMILARITY
        and same_first
        and surnames_close(person.last_name, arrival.last_name)
    )
    # Contact details that disagree: both sides have one, and they differ.
    phone_disagrees = bool(arrival.phones) and bool(held_phones) and not shared_phone
    postcode_disagrees = (
        bool(arrival.postcode) and bool(person.postcode) and not same_postcode
    )

    tier = None
    if same_number:
        # The number alone links no one: the names must agree too (module
        # docstring), else the pair is for a person to decide.
        names_agree = (
            same_birthday
            or first_close
            or surnames_close(person.last_name, arrival.last_name)
        )
        tier = NHS if names_agree else None
    elif same_birthday and close_name and (shared_phone or same_postcode):
        tier = CLOSE_AND_SHARED
    elif same_birthday and same_name and not phone_disagrees and not postcode_disagrees:
        tier = SAME_NAME_AND_BIRTHDAY
    elif (
        birthday_unknown
        and same_name
        and shared_phone
        and not _child_and_no_birthday(arrival.date_of_birth, person.date_of_birth)
    ):
        tier = SAME_NAME_AND_PHONE
    evidence = (
        tier is not None
        or same_number
        or (
            same_birthday
            and (
                name_similarity >= NAME_SIMILARITY
                or shared_phone
                or (
                    same_postcode and (same_first or last_similarity >= NAME_SIMILARITY)
                )
            )
        )
        or (
            birthday_unknown
            and (shared_phone or same_postcode)
            and (name_similarity >= NAME_SIMILARITY or first_close)
        )
    )
    if not evidence:
        return None
    score = 1.0
    if not same_number:
        score = (
            0.45 * name_similarity
            + 0.25 * same_birthday
            + 0.2 * shared_phone
            + 0.1 * same_postcode
        )
    reasons = ["same NHS number"] if same_number else []
    if same_birthday:
        reasons.append("same date of birth")
    elif arrival.date_of_birth and person.date_of_birth:
        reasons.append("different date of birth")
    elif arrival.date_of_birth or person.date_of_birth:
        reasons.append("date of birth missing on one")
    if same_name:
        reasons.append("same name")
    elif name_similarity >= NAME_SIMILARITY:
        reasons.append(f"similar name ({name_similarity:.2f})")
    else:
        reasons.append(f"different name ({name_similarity:.2f})")
        if same_first:
            reasons.append("same first name")
        elif last_similarity >= NAME_SIMILARITY:
            reasons.append(f"similar surname ({last_similarity:.2f})")
    if shared_phone:
        reasons.append("same email" if shared_email else "same phone")
    if same_postcode:
        reasons.append("same postcode")
    return Candidate(person, round(min(score, 1.0), 2), reasons, tier=tier)


def person_match_by_number(arrival: Arrival, holder: Person | None) -> Match:
    """The match of an arrival against only the person holding its NHS number
    (matching switched off: people.services.person_lookup): them, when the names
    agree as tier 0 asks; else a new person, with the holder the one possible
    duplicate (the number is theirs, and the pair is for a person to decide)."""
    if holder is None:
        return Match(person=None)
    weighed = _weigh(arrival, *scored_in_python(holder, arrival))
    assert weighed is not None  # the same NHS number is always evidence
    if weighed.tier == NHS:
        return Match(person=holder, linked=weighed, considered=frozenset({holder.pk}))
    return Match(
        person=None,
        duplicates=[weighed],
        considered=frozenset({holder.pk}),
        number_holder=holder,
    )


def pair_weighed(person: Person, other: Person) -> Candidate | None:
    """Two people held, `other` weighed against `person` as an arrival is against a
    record (its names scored in Python): the candidate, with the pair's own score and
    reasons; None when they are never the same (different dates of birth or NHS
    numbers) or nothing is evidence that they may be. For the possible duplicates of
    a person found (people.services), listed for what the two have in common, not
    what the arrival had."""
    arrival = Arrival(
        first_name=person.first_name,
        last_name=person.last_name,
        date_of_birth=person.date_of_birth,
        nhs_number=person.nhs_number,
        phones=tuple(
            phone
            for phone in (phone_text(person.phone), phone_text(person.phone_alt))
            if phone
        ),
        postcode=person.postcode,
        email=(person.email or "").strip().lower(),
    )
    return _weigh(arrival, *scored_in_python(other, arrival))


def written_as_themselves(arrival: Arrival, person: Person) -> bool:
    """The arrival is the person as they would write themselves: their own name
    (case and accents aside) and one of their phones or their email. (No date of birth
    to tell a son of his father's name on the home phone: for a door where people
    name others without one, the online route.)"""
    if _name_key(arrival.first_name) != _name_key(person.first_name) or _name_key(
        arrival.last_name
    ) != _name_key(person.last_name):
        return False
    theirs = {phone_text(person.phone), phone_text(person.phone_alt)} - {""}
    email = (person.email or "").strip().lower()
    return bool(theirs & set(arrival.phones)) or bool(email and arrival.email == email)


def first_names_close(a: str, b: str) -> bool:
    """Two first names (as `_name_key` gives them) the same, or one typo apart (see
    `_one_typo`), both of FIRST_NAME_TYPO_MIN_LENGTH letters or more: evidence for a
    possible duplicate, never a link (twins)."""
    return _one_typo(a, b, FIRST_NAME_TYPO_MIN_LENGTH)


def surnames_close(a: str, b: str) -> bool:
    """Two surnames the same, or one typo apart (`_one_typo`; Khan and Kahn, Smith
    and Smyth), or one the other with a name added (Khan, Khan-Ali)."""
    key_a, key_b = _name_key(a), _name_key(b)
    if _one_typo(key_a, key_b, SURNAME_TYPO_MIN_LENGTH):
        return True
    words_a, words_b = set(_name_words(a)), set(_name_words(b))
    return (
        bool(words_a) and bool(words_b) and (words_a <= words_b or words_b <= words_a)
    )


def _one_typo(a: str, b: str, min_length: int) -> bool:
    """Equal, or a letter changed, added, dropped or two neighbours swapped anywhere
    but in the last letter (where names differ by meaning: Amir and Amira, Mario and
    Maria, Ivanov and Ivanova), both of min_length letters or more."""
    if a == b:
        return True
    if min(len(a), len(b)) < min_length:
        return False
    if len(a) == len(b):
        differ = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        last = len(a) - 1
        if len(differ) == 1:
            return differ[0] != last
        if len(differ) == 2:
            i, j = differ
            return j == i + 1 and a[i] == b[j] and a[j] == b[i] and j != last
        return False
    if abs(len(a) - len(b)) != 1:
        return False
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    # A letter dropped from inside the name (not its last).
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer) - 1))


def _name_words(name: str) -> list[str]:
    return [_name_key(word) for word in _WORD.findall(name) if _name_key(word)]


def _name_key(name: str) -> str:
    """A name for comparing: lower case, accents dropped, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if c.isalnum())


def phone_text(value) -> str:
    """A stored phone (a PhoneNumber, a string or blank) in E.164. (A PhoneNumber is
    never tested for truth: that formats it, and checks it is valid, each time.)"""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.as_e164 or value.raw_input or ""


def has_number_to_call(person) -> bool:
    """Whether their record has a number to ring: their phone, else their other
    phone, unless a call to it was logged "Wrong number" (Person.wrong_numbers): a
    stranger answered it, so ringing it again reaches the stranger, not them. (Read
    as text: a PhoneNumber tested for truth is formatted and checked each time.)
    The rule of work.rules and of intake alike (people.services)."""
    logged_wrong = person.wrong_numbers or []
    return _rings_them(person.phone, logged_wrong) or _rings_them(
        person.phone_alt, logged_wrong
    )


def _rings_them(number, logged_wrong: list[str]) -> bool:
    """Whether `number` (a stored phone) is one and no call to it was logged
    "Wrong number": compared as a call records the number it rang (its text, as
    Person.phone_logged_wrong compares it), and only when some number was."""
    if not phone_text(number):
        return False
    return not logged_wrong or str(number) not in logged_wrong


_WORD = re.compile(r"[^\W_]+")


def _trigrams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in _WORD.findall(text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a: str, b: str) -> float:
    """pg_trgm's similarity() in Python (for SQLite): each word padded with two
    spaces before and one after, cut into three-letter pieces; the pieces in common
    over the pieces of either."""
    first, second = _trigrams(a), _trigrams(b)
    union = first | second
    return len(first & second) / len(union) if union else 0.0
