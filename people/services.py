from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from areas.postcode_check import postcode_in_directory
from areas.services import PostcodeArea, PostcodeLookup, postcode_to_area
from audit.models import AuditEvent
from audit.services import audit_record
from rows.insert import insert_rows
from rows.locks import hold_until_commit
from rows.retry import atomic_operation

from .matching import (
    Arrival,
    Candidate,
    Match,
    has_number_to_call,
    pair_weighed,
    people_match_many,
    person_match_by_number,
    phone_text,
)
from .models import Language, Person, PersonChange, PossibleDuplicate


@dataclass
class PersonDetails:
    """What intake or a caseworker knows of a person; every field optional but names."""

    first_name: str
    last_name: str
    date_of_birth: date | None = None
    nhs_number: str = ""
    # As typed, or a number already read (a PhoneNumber: the API's and the forms'
    # fields give one, so it is parsed and checked once); stored in E.164 form.
    phone: str | PhoneNumber = ""
    email: str = ""
    address: str = ""
    postcode: str = ""
    language: str = ""  # ISO 639-1 code
    needs_interpreter: bool = False
    extra: dict = field(default_factory=dict)


def _phone_e164(raw: str | PhoneNumber) -> str:
    """A phone as the ORM would compare it: in the stored (E.164) form."""
    phone_field = Person._meta.get_field("phone")
    assert isinstance(phone_field, models.Field)
    return str(phone_field.get_db_prep_value(raw, connection, prepared=False) or "")


def same_text(a: str, b: str) -> bool:
    """Two names, emails or addresses the same but for case and spacing."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def person_arrival(details: PersonDetails, *, postcode: str) -> Arrival:
    """What matching weighs of an arrival: its phone in the stored (E.164) form and
    its postcode as located (normalised)."""
    phone = _phone_e164(details.phone) if details.phone else ""
    return Arrival(
        first_name=details.first_name,
        last_name=details.last_name,
        date_of_birth=details.date_of_birth,
        nhs_number=details.nhs_number,
        phones=(phone,) if phone else (),
        postcode=postcode,
        email=(details.email or "").strip().lower(),
    )


def arrivals_one_at_a_time(arrivals: Iterable[Arrival]) -> None:
    """Hold, until the transaction ends, every arrival that could be this person, so
    that two arrivals of one new person at once (two cases naming them, a result
    sent twice in parallel) are matched one after the other, and the second finds
    the first rather than making a second person. PostgreSQL's transaction-level
    advisory locks, one per key a match needs one of (people/matching.py: the NHS
    number, the date of birth, a phone, the postcode, the email; rows.locks)."""
    hold_until_commit(
        f"person {name}:{value}"
        for arrival in arrivals
        for name, value in (
            ("nhs", arrival.nhs_number),
            ("born", arrival.date_of_birth or ""),
            ("postcode", arrival.postcode),
            ("email", arrival.email),
            *(("phone", phone) for phone in arrival.phones),
        )
        if value
    )


def person_lookup(arrival: Arrival) -> Match:
    """Who the arrival is, writing nothing: matching (people/matching.py) or, with
    settings.TRACING_PERSON_MATCHING off, only the person holding its NHS number (a
    unique key: the database refuses a second person with it), when the names agree
    as matching's tier 0 asks; with names that do not, a new person and the holder
    its one possible duplicate (person_match_by_number)."""
    [match] = people_lookup_many([arrival])
    return match


def people_lookup_many(arrivals: Sequence[Arrival]) -> list[Match]:
    """person_lookup for many arrivals, each as if alone, in one query."""
    if settings.TRACING_PERSON_MATCHING:
        return people_match_many(arrivals)
    numbers = {arrival.nhs_number for arrival in arrivals if arrival.nhs_number}
    held = (
        {p.nhs_number: p for p in Person.objects.filter(nhs_number__in=numbers)}
        if numbers
        else {}
    )
    # No blank is a key of `held`: an arrival without an NHS number finds no one.
    return [
        person_match_by_number(arrival, held.get(arrival.nhs_number))
        for arrival in arrivals
    ]


@dataclass
class PersonFound:
    """One arrival's person as it will be written: new, or held with what changes."""

    person: Person
    created: bool
    changed: list[str]
    history: list[PersonChange]
    duplicates: list[Candidate]
    # A person held with no number to call (no phone, no other phone) given one.
    number_added: bool = False
    # Who holds the arrival's NHS number, when not the person (Match.number_holder).
    number_holder: Person | None = None


def person_find_or_create(
    *,
    details: PersonDetails,
    postcodes: PostcodeLookup | None = None,
    source: str = "",
    now: datetime | None = None,
    new_id: int | None = None,
    not_person: int | None = None,
    numbers_added: set[int] | None = None,
    changes: dict[int, dict[str, str]] | None = None,
) -> tuple[Person, bool]:
    """Find the person or create them (the rules: people/matching.py).

    not_person: a person the arrival is unlikely to be (the case naming a contact):
    found by name and phone alone, they are a possible duplicate of a new person
    instead (Match.not_linking).

    On a person found, blanks are filled in, and a different phone, email, address
    or postcode replaces theirs, the old value kept in their history (PersonChange,
    from `source`: "intake", "case page", "online"...); a new postcode brings its
    area and grid position, but one not in the postcode directory never replaces
    one held with an area (_postcode_loses_area). A new person who may be someone we hold already gets a
    PossibleDuplicate row per such person, for a person to decide; so does a person
    found, with the others the arrival may be, when the two may be one (weighed one
    against the other: people.matching.pair_weighed; a pair decided before stays
    decided). Found by name and a shared phone alone, a person listed with a
    namesake is not given the arrival's date of birth (Match.birthday_withheld).
    An NHS number held by someone the arrival is not linked to (their names do not
    agree: people/matching.py) stays theirs: the arrival's person is not given it,
    and the holder is one of those possible duplicates.
    With settings.TRACING_PERSON_MATCHING off, only a held NHS number (with names
    that agree) finds a person, and the only possible duplicate recorded is its
    holder when the names do not agree.

    postcodes: a batch's PostcodeLookup, so its areas are fetched once.
    new_id: the id a new person takes (one reserved for them by
    people_find_or_create_many), else the next of the table's sequence.
    numbers_added: when given, a person found with no number to call (no phone, no
    other phone) and given one here has their id added to it: the work core makes
    their items waiting for their local team for want of one the phones' again.
    changes: when given, a person found whose details were changed or filled in has
    them added to it (person_changes_said), for the caller's audit event.
    Raises ValidationError for a malformed postcode or another bad field.
    """
    now = now or timezone.now()
    locate = postcodes or postcode_to_area
    located = locate(details.postcode) if details.postcode else None
    language = (
        Language.objects.filter(code=details.language).first()
        if details.language
        else None
    )
    arrival = person_arrival(details, postcode=located.postcode if located else "")
    arrivals_one_at_a_time([arrival])
    found = person_found_with(
        details,
        arrival=arrival,
        located=located,
        language=language,
        match=(
            person_lookup(arrival).not_linking(not_person)
            if not_person is not None
            else person_lookup(arrival)
        ),
        source=source,
        now=now,
    )
    if found.created and new_id is not None:
        found.person.pk = new_id
    people_found_write([found], now=now)
    if numbers_added is not None and found.number_added:
        numbers_added.add(found.person.pk)
    if changes is not None:
        person_changes_add(changes, found)
    return found.person, found.created


def people_find_or_create_many(
    *,
    many: Sequence[PersonDetails],
    postcodes: PostcodeLookup,
    ids: Sequence[int],
    source: str = "",
    now: datetime | None = None,
    numbers_added: set[int] | None = None,
    changes: dict[int, dict[str, str]] | None = None,
) -> list[tuple[Person, bool] | ValidationError | None]:
    """person_find_or_create for a batch, in a few statements: one query matches
    them all, one INSERT makes the new people, and each person found and changed is
    saved on its own.

    Each answer is what person_find_or_create would answer for the details, in
    order, after the details before them: (person, created), or the ValidationError
    refusing them (nothing of theirs written). Details whose answer could depend on
    an earlier item of the batch (they share an NHS number, date of birth, phone or
    postcode with it, unless both carry NHS numbers that differ and the earlier
    one's person will hold its own: _Earlier; or their candidates include a person
    an earlier item may change) answer None and write nothing: the caller finds them
    with person_find_or_create, in order, once the others are written, each passing
    its id from `ids`.

    ids: one id per details, rising in their order (people_ids_reserve), taken by
    the details that make a new person. So a new person's id follows the batch's
    order whichever way they were written, and "the oldest record" of a later tie
    between them (people/matching.py) is the one it would be a result at a time.

    numbers_added, changes: as person_find_or_create's, for the people found here.
    """
    now = now or timezone.now()
    codes = {details.language for details in many if details.language}
    languages = (
        {
            language.code: language
            for language in Language.objects.filter(code__in=codes)
        }
        if codes
        else {}
    )
    answers: list[tuple[Person, bool] | ValidationError | None] = [None] * len(many)
    arrivals: dict[int, tuple[Arrival, PostcodeArea | None]] = {}
    for index, details in enumerate(many):
        try:
            located = postcodes(details.postcode) if details.postcode else None
        except ValidationError as error:
            answers[index] = error
            continue
        arrival = person_arrival(details, postcode=located.postcode if located else "")
        arrivals[index] = (arrival, located)
    matches = dict(
        zip(
            arrivals,
            people_lookup_many([arrival for arrival, _ in arrivals.values()]),
            strict=True,
        )
    )
    # Walk the batch in order: who shares a key with an earlier item that could be
    # the same person (_apart), or may be weighed against a person an earlier item
    # may change, waits.
    seen: dict[tuple[str, object], list[_Earlier]] = {}
    touched: set[int] = set()
    found: list[tuple[int, PersonFound]] = []
    for index, (arrival, located) in arrivals.items():
        match = matches[index]
        keys = _keys(arrival)
        waits = bool(match.considered & touched) or any(
            not _apart(earlier, arrival)
            for key in keys
            for earlier in seen.get(key, ())
        )
        earlier = _Earlier(
            # Their person will hold this NHS number (filled in, or the same) unless
            # someone else holds it (names that do not agree: the match's
            # number_holder), or an earlier item with it may (the same).
            nhs_number=(
                arrival.nhs_number
                if match.number_holder is None
                and not seen.get(("nhs", arrival.nhs_number))
                else ""
            ),
            date_of_birth=arrival.date_of_birth,
            # Their person will hold this date of birth: a new person, or one found
            # without one or with the same (only an NHS number links a person with
            # another date of birth, and one that waits may yet be linked so).
            keeps_birthday=not arrival.nhs_number
            or (
                not waits
                and (
                    match.person is None
                    or match.person.date_of_birth in (None, arrival.date_of_birth)
                )
            ),
        )
        for key in keys:
            seen.setdefault(key, []).append(earlier)
        if waits:
            touched |= match.considered
            continue
        if match.person is not None:
            touched.add(match.person.pk)
        details = many[index]
        try:
            found.append(
                (
                    index,
                    person_found_with(
                        details,
                        arrival=arrival,
                        located=located,
                        language=languages.get(details.language),
                        match=match,
                        source=source,
                        now=now,
                    ),
                )
            )
        except ValidationError as error:
            answers[index] = error
    for index, one in found:
        if one.created:
            one.person.pk = ids[index]
    people_found_write([one for _, one in found], now=now)
    for index, one in found:
        answers[index] = (one.person, one.created)
        if numbers_added is not None and one.number_added:
            numbers_added.add(one.person.pk)
        if changes is not None:
            person_changes_add(changes, one)
    return answers


def people_ids_reserve(count: int) -> list[int]:
    """`count` ids for new people, rising, from the table's own sequence (PostgreSQL;
    an id reserved and not taken is a gap, as a rolled-back insert leaves)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
            "FROM generate_series(1, %s) ORDER BY 1",
            [Person._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


@dataclass(frozen=True)
class _Earlier:
    """What the batch walk keeps of an earlier item."""

    # The NHS number its person will hold ("" when that is not sure).
    nhs_number: str
    date_of_birth: date | None
    keeps_birthday: bool


def _apart(earlier: _Earlier, arrival: Arrival) -> bool:
    """Whether the person of an earlier item of the batch can be nothing to the
    arrival (neither found nor a possible duplicate, not even a candidate), though
    they share a key: both have NHS numbers, and they differ (the earlier item's
    person holds its NHS number: filled in, or the same; _Earlier); or they have
    different dates of birth that their person will keep, and not the same NHS
    number."""
    if earlier.nhs_number and arrival.nhs_number:
        return earlier.nhs_number != arrival.nhs_number
    return bool(
        earlier.keeps_birthday
        and earlier.date_of_birth
        and arrival.date_of_birth
        and earlier.date_of_birth != arrival.date_of_birth
    )


def _keys(arrival: Arrival) -> list[tuple[str, object]]:
    """The exact details matching looks a person up by."""
    keys: list[tuple[str, object]] = []
    if arrival.nhs_number:
        keys.append(("nhs", arrival.nhs_number))
    if arrival.date_of_birth:
        keys.append(("dob", arrival.date_of_birth))
    keys += [("phone", phone) for phone in arrival.phones]
    if arrival.postcode:
        keys.append(("postcode", arrival.postcode))
    if arrival.email:
        keys.append(("email", arrival.email))
    return keys


def person_found_with(
    details: PersonDetails,
    *,
    arrival: Arrival,
    located: PostcodeArea | None,
    language: Language | None,
    match: Match,
    source: str,
    now: datetime,
) -> PersonFound:
    """The person the details are, new or found, with the details applied (written
    by people_found_write). Raises ValidationError for a bad field."""
    phone = arrival.phones[0] if arrival.phones else ""
    person = match.person
    created = person is None
    if person is None:
        person = Person(
            first_name=details.first_name.strip(), last_name=details.last_name.strip()
        )
    changed: list[str] = []
    history: list[PersonChange] = []

    def replace(name: str, old: str, new: str) -> None:
        history.append(
            PersonChange(
                field=name, old_value=old, new_value=new, source=source, at=now
            )
        )

    for name in ("date_of_birth", "nhs_number"):
        value = getattr(details, name)
        if name == "nhs_number" and match.number_holder is not None:
            # Held by someone the arrival is not linked to (their names do not
            # agree): it stays theirs, and the pair is a possible duplicate.
            continue
        if name == "date_of_birth" and match.birthday_withheld:
            # Found by name and phone alone, with a namesake listed as possibly
            # them: the date of birth may be the namesake's (a son's on his
            # father's record), and would tie the next of his results to them.
            continue
        if value and not getattr(person, name):
            # Who a person held is, filled in: kept in their history (from "" to
            # the value, and from where), so a link made wrongly can be traced and
            # put right.
            if not created:
                replace(name, "", str(value))
            setattr(person, name, value)
            changed.append(name)
    # A number a call to them was logged "Wrong number" on is none to call: a new
    # one given is a number added.
    had_number = has_number_to_call(person)
    if phone:
        held = {phone_text(person.phone), phone_text(person.phone_alt)}
        if not phone_text(person.phone):
            person.phone = details.phone
            changed.append("phone")
        elif phone not in held:
            replace("phone", phone_text(person.phone), phone)
            person.phone = details.phone
            changed.append("phone")
    for name in ("email", "address"):
        value = getattr(details, name).strip()
        if not value:
            continue
        old = getattr(person, name)
        if not old:
            setattr(person, name, value)
            changed.append(name)
        elif not same_text(old, value):
            replace(name, old, value)
            setattr(person, name, value)
            changed.append(name)
    if (
        located
        and person.postcode != located.postcode
        and not _postcode_loses_area(person, located)
    ):
        if person.postcode:
            replace("postcode", person.postcode, located.postcode)
        person.postcode = located.postcode
        person.area = located.area
        person.easting, person.northing = located.easting, located.northing
        changed += ["postcode", "area", "easting", "northing"]
    if language and person.language_id is None:
        person.language = language
        changed.append("language")
    if details.needs_interpreter and not person.needs_interpreter:
        person.needs_interpreter = True
        changed.append("needs_interpreter")
    # The area and the language were read from their tables just now: checking that
    # they exist would ask again, a query per person.
    read_just_now = ["area", "language"]
    if created:
        # Fields only: the match has just looked the NHS number up, so the uniqueness
        # checks would repeat that query (the database constraint still holds).
        person.full_clean(
            exclude=read_just_now,
            validate_unique=False,
            validate_constraints=False,
        )
    elif changed:
        # The new values are checked as a new person's are (a bad phone is refused,
        # not written over a good one).
        person.full_clean(
            exclude=[
                f.name
                for f in Person._meta.fields
                if f.name not in changed or f.name in read_just_now
            ],
            validate_unique=False,
            validate_constraints=False,
        )
    return PersonFound(
        person,
        created,
        changed,
        history,
        match.duplicates,
        number_added=not created and not had_number and "phone" in changed,
        number_holder=match.number_holder,
    )


# The details a person found may be given, as an audit event names them (the area
# and grid position come with the postcode).
DETAILS_SAID = (
    "date_of_birth",
    "nhs_number",
    "phone",
    "email",
    "address",
    "postcode",
    "language",
    "needs_interpreter",
)


def person_changes_said(found: PersonFound) -> dict[str, str]:
    """Which of a person found's details this arrival changed ("changed": one held
    replaced, kept in their history) or filled in ("added"), for an audit event:
    never the values, which the history holds. Empty for a new person."""
    if found.created:
        return {}
    replaced = {change.field for change in found.history if change.old_value}
    return {
        name: "changed" if name in replaced else "added"
        for name in DETAILS_SAID
        if name in found.changed
    }


def person_changes_add(changes: dict[int, dict[str, str]], found: PersonFound) -> None:
    """Add what person_changes_said says of `found` to `changes` (by person id): a
    detail changed by any arrival reads as changed."""
    if not (said := person_changes_said(found)):
        return
    held = changes.setdefault(found.person.pk, {})
    for name, how in said.items():
        held[name] = "changed" if "changed" in (how, held.get(name)) else how


def _postcode_loses_area(person: Person, located: PostcodeArea) -> bool:
    """The postcode arriving is one the directory does not know (a typo, most
    likely: a lab's result is never refused for one) in place of one held with an
    area: the held one stays, so their work still goes to their own local team,
    not the fallback team. One the directory knows outside England replaces it."""
    return (
        person.area_id is not None
        and located.area is None
        and not postcode_in_directory(located.postcode)
    )


def people_found_write(found: Sequence[PersonFound], *, now: datetime) -> None:
    """Write what person_found_with made: the new people in one INSERT, the people found and
    changed in one UPDATE for each set of fields changed (a named contact testing
    positive, say, with a new address), their history and the possible duplicates in
    one INSERT each."""
    insert_rows([one.person for one in found if one.created])
    changed: dict[tuple[str, ...], list[Person]] = {}
    stamp = timezone.now()  # as a save stamps updated_at (auto_now)
    for one in found:
        if not one.created and one.changed:
            one.person.updated_at = stamp
            changed.setdefault(tuple(sorted(set(one.changed))), []).append(one.person)
    for fields, people in changed.items():
        if Person.objects.bulk_update(people, [*fields, "updated_at"]) != len(people):
            # As save(update_fields=...) says of a row gone meanwhile.
            raise DatabaseError("A person found was removed meanwhile: not updated.")
    history = []
    for one in found:
        for change in one.history:
            change.person = one.person
            history.append(change)
    if history:
        PersonChange.objects.bulk_create(history)
    _duplicates_record(
        [
            (one.person, pair)
            for one in found
            for candidate in one.duplicates
            if (pair := _as_pair(one, candidate)) is not None
        ],
        now=now,
    )


def _as_pair(one: PersonFound, candidate: Candidate) -> Candidate | None:
    """A possible duplicate of the arrival's person as the pair to record: for a new
    person (the arrival as they are written), the candidate as weighed against the
    arrival; for a person found, the candidate weighed against them as they are now
    held, with the reasons of the two, and none when the two are never the same
    (born on different days, other NHS numbers) or nothing says they may be
    (people.matching.pair_weighed). The holder of the arrival's NHS number is listed
    with the person found as with a new one: the number is the arrival's."""
    if one.created or candidate.person == one.number_holder:
        return candidate
    return pair_weighed(one.person, candidate.person)


def _duplicates_record(
    pairs: Sequence[tuple[Person, Candidate]], *, now: datetime
) -> None:
    """A PossibleDuplicate for each pair not seen before; a pair already held (open,
    or decided "not the same") is left as it is."""
    rows = []
    for person, candidate in pairs:
        if candidate.person.pk == person.pk:
            continue
        a, b = sorted((person.pk, candidate.person.pk))
        rows.append(
            PossibleDuplicate(
                person_a_id=a,
                person_b_id=b,
                score=candidate.score,
                reasons=candidate.reasons,
                created_at=now,
            )
        )
    if rows:
        PossibleDuplicate.objects.bulk_create(rows, ignore_conflicts=True)


@atomic_operation
def duplicate_not_same(*, pair: PossibleDuplicate, by) -> PossibleDuplicate:
    """Decide that the pair are two people: kept for good (the pair arriving again
    does not open it). Audited in both people's trails."""
    pair = PossibleDuplicate.objects.select_for_update().get(pk=pair.pk)
    if pair.status == PossibleDuplicate.Status.NOT_SAME:
        return pair
    if pair.status == PossibleDuplicate.Status.MERGED:
        raise ValueError("This pair has been merged: they are one person.")
    pair.status = PossibleDuplicate.Status.NOT_SAME
    pair.decided_by = by if by is not None and by.is_authenticated else None
    pair.decided_at = timezone.now()
    pair.save(update_fields=["status", "decided_by", "decided_at"])
    # In each person's trail, as a merge and its undo are.
    for person, other in (
        (pair.person_a, pair.person_b_id),
        (pair.person_b, pair.person_a_id),
    ):
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=pair,
            person=person,
            detail={"decision": "not the same person", "other_person": other},
            at=pair.decided_at,
        )
    return pair
