"""The other escalations at an escalated person's door, for the team planning a visit.

One household is often several escalations (a case and their household contacts),
and a concern raised on a call to one of them is a concern at the door the team
knocks at for all of them. The page of each names the others, and warns of such a
concern before anything else (pages.local.views._detail_response).

A door is told by the whole address at its postcode, not by its first line: the
postcode as stored (normalised when the person was located: people.services), and
in the address (wherever it was written, on whichever line, case aside) its house
number and its flat number. A postcode covers about 15 addresses, and at one
postcode these numbers are what tell its doors apart: flats 2 and 3 of number 14,
flat 2 of numbers 14 and 16, number 14 and its flat 3, flat 2 of number 14 and flat
14 of number 2 (the first line alone made the first three pairs one door, the
numbers sorted the last).

The numbers are the words with a digit ("2", "14", "14a", "2/1", "14-16"), but for
the postcode (written whole, "S1 1AA" or "S11AA", or its district alone, "Sheffield
S1") and a road's number (A, B or M and digits: "Rose Cottage, B6054"), neither of
them a door's. Of these, in the order written:
- the flat is the number or the letter after "flat", "apartment", "apt" or "unit"
  ("Flat 2", "Flat 2B", "Flat A"), only with no comma, full stop, semicolon,
  bracket or line break between them ("Basement Flat, 14 Park Road" is number
  14's, not flat 14 as "Flat 14, Park Road" is);
- or, with no such number or letter, the floor the kind of door follows, "floor"
  aside and an ordinal in figures ("Ground Floor Flat" "ground", "First Floor
  Flat" and "1st floor flat" "1st", "Lower Ground Floor Flat" "lower ground",
  "Basement Flat", "Top Flat"): basement, lower, ground, garden, raised, first to
  sixth, middle, upper, top or attic, with nothing but spacing or hyphens between;
  with a number or letter too, the flat is that and its floor is left out ("Ground
  Floor Flat 2" is flat 2, as "Flat 2" is);
- the house is the last number followed by a word without a digit (the street's:
  "14 Park Road"), or with none such the last number left ("2, 14");
- with no flat so named, the flat is the first number left ("2, 14 Park Road",
  "2 Rose Court, 14 Park Road", "Flat No. 2, 14 Park Road");
- a floor elsewhere ("Flat 3, 2nd Floor") is neither, and any number left over (a
  second flat, a floor, a block's number, a stray number) follows them in the key
  in order, so it still tells doors apart; so does a block's letter ("Flat 1,
  Block A" is not "Flat 1, Block B").
So "Flat 2\n14 Park Road", "2, 14 Park Road" and "14 Park Road, Apartment 2" are one
door ("14", "2"), "Flat A, 14 Park Road" and "14 Park Road, flat a" are ("14",
"a"), "Basement Flat\n14 Park Road" is ("14", "basement"), and "14 Park Road" with
or without its town is ("14", "").
With numbers held, the address's other words are left aside (the street, the
town, "flat", "apartment", "apt", "unit"), so the town on a line of its own or not
at all is the same door. An address with no number (a named house, "Rose Cottage",
"Flat A, Rose Court") is told by its words instead, in any order, but for "flat", "apartment", "apt" and
"unit", the town's words (the name of the postcode's area and of its upper tier
council: "Sheffield") and the postcode, whole or its district; a road's number
stays among them, as a street's name does ("Rose Cottage, B6054" is not "Ivy
Cottage, B6054").

What it misses: two streets at one postcode with the same house numbers are one
door (14 Park Road and 14 Mill Lane); a door written with a number once and
without it once (a named house and its number) is two; so is a flat in a block
with no street number written "Flat 14, Rose Court" once and "14 Rose Court" once
(the one a flat, the other a house), and a floor or a stray number written once and
not once ("14 Park Road, 2nd floor"); a flat numbered by a block's letter A, B or
M without the word "flat" is taken for a road ("B2, 14 Park Road" is number 14); a
named house with its street or road written once and not once is two; a county or
post town other than the area's name ("South Yorkshire") keeps a named house apart
from the same house written without it; "14 A" is not "14A"; and "2-14", written
for flat 2 of number 14, is a house over two numbers. A flat named by its floor
and written once so and once by its number or letter ("Ground Floor Flat" and
"Flat A"), or by two names of one floor ("Garden Flat" and "Basement Flat";
"Ground Floor Flat" and "Flat, ground floor", the floor after the word "flat"
being a floor, not the flat's name), is two doors; "Basement Flat 14 Park Road",
the comma left out, is flat 14 of no house number; and a floor not in the list
above ("Mezzanine Flat") names no flat, so two such flats of one house are one.

That, not the case's household contacts, is what a visitor goes by: it is the
door they knock at, on the page for them to check; a case's contacts may live
elsewhere, and two cases tested apart, or a contact named by another case, may
live behind the same door.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from areas.models import Area
from people.models import Person

from .models import Escalation

OPEN = (Escalation.Status.NEW, Escalation.Status.PICKED_UP)

# An address's words: letters and digits, "2/1" (a floor and a flat) and "14-16"
# (a house over two numbers) kept whole; commas, full stops, other hyphens and
# spacing between them.
_WORD = re.compile(r"\d[^\W_]*(?:-\d[^\W_]*)+|[^\W_]+(?:/[^\W_]+)*")

# Words naming the kind of door, not which: "Flat 2" is flat 2 and "Apartment 2" too.
_KIND_OF_DOOR = frozenset({"flat", "apartment", "apt", "unit"})

# A road's number (an A road, a B road, a motorway): the road a house is on, never
# a door's number, unless it follows a kind of door ("Flat B2").
_ROAD = re.compile(r"[abm]\d+")

# A floor ("2nd floor"): never the house's number nor the flat's, but before
# "flat" the flat's name ("1st floor flat").
_FLOOR = re.compile(r"\d+(?:st|nd|rd|th)")

# The words of a floor that, before "flat", name it ("Lower Ground Floor Flat",
# "Top Flat"), an ordinal as its figures so "First" is "1st".
_FLOOR_WORDS = {
    "basement": "basement",
    "lower": "lower",
    "ground": "ground",
    "garden": "garden",
    "raised": "raised",
    "first": "1st",
    "second": "2nd",
    "third": "3rd",
    "fourth": "4th",
    "fifth": "5th",
    "sixth": "6th",
    "middle": "middle",
    "upper": "upper",
    "top": "top",
    "attic": "attic",
}

# A flat's letter, after its kind of door ("Flat A").
_LETTER = re.compile(r"[^\W\d_]")

# What keeps a word apart from the one before (not spacing alone): a comma, a full
# stop, a semicolon, a bracket or a line break. "Basement Flat, 14 Park Road" is
# number 14's basement, "Flat 14, Park Road" flat 14.
_APART = re.compile(r"[,.;()\n\r]")

# A door: its house number, its flat number ("" for none) and any other numbers of
# its address, in the order written; or the words of a named house (its name, with
# the street if written).
DoorKey = tuple[str, ...] | frozenset[str]


def town_words(area: Area | None) -> frozenset[str]:
    """The words of the town an address at the area's postcodes may end with: the
    area's name and its upper tier's, before a comma ("Bristol, City of" is
    "bristol")."""
    if area is None:
        return frozenset()
    names = (area.name, area.upper_tier_name)
    return frozenset(
        word for name in names for word in _WORD.findall(name.split(",")[0].casefold())
    )


def door_key(
    address: str, *, postcode: str, town: frozenset[str] = frozenset()
) -> DoorKey | None:
    """Which door at its postcode an address names (two addresses at one postcode
    with equal keys are one door): its house and flat numbers and any others
    (door_numbers), or with none its words, the town's words (`town`: town_words)
    and the kinds of door aside; the postcode as stored is left out of the address
    wherever written in it, whole or its district. None for an address that names no
    door ("", "Sheffield")."""
    text = address.casefold()
    compact = re.sub(r"\s+", "", postcode).casefold()
    district = ""
    if len(compact) > 3:
        # An inward code is always three characters: "s1 1aa", "s11aa" alike.
        district, inward = compact[:-3], compact[-3:]
        text = re.sub(rf"\b{re.escape(district)}\s*{re.escape(inward)}\b", " ", text)
    words: list[str] = []
    apart: list[bool] = []  # whether a comma, full stop or line is before each word
    end = 0
    for match in _WORD.finditer(text):
        if match.group() != district:
            words.append(match.group())
            apart.append(bool(_APART.search(text, end, match.start())))
        end = match.end()
    numbers = door_numbers(words, apart=apart)
    if numbers:
        return numbers
    name = frozenset(words) - _KIND_OF_DOOR - town
    return name or None


def door_numbers(words: list[str], *, apart: list[bool]) -> tuple[str, ...]:
    """The house number, the flat's ("" for either not written) and any other
    numbers of an address's words, in the order written (the module's rule); ()
    for words with no number but a road's. `apart` says of each word whether a
    comma, full stop or line break comes before it (not only spaces)."""

    def after_a_door(at: int) -> bool:
        return at > 0 and words[at - 1] in _KIND_OF_DOOR and not apart[at]

    def after_a_block(at: int) -> bool:
        return at > 0 and words[at - 1] == "block" and not apart[at]

    floors = _floor_names(words, apart=apart)
    in_floor_names = {at for at, (_, span) in floors.items() for at in span}
    # Where the door's names are among the words, and what each is: a word, or a
    # floor's name over several words ("lower ground").
    named: dict[int, str] = {at: name for at, (name, _) in floors.items()}
    flat: int | None = None
    placeable: list[int] = []  # of the numbers, those that may be a house or a flat
    for at, word in enumerate(words):
        if at in in_floor_names:
            continue
        if after_a_door(at) and (_has_digit(word) or _LETTER.fullmatch(word)):
            named[at] = word
            flat = at if flat is None else flat
        elif after_a_block(at) and _LETTER.fullmatch(word):
            # A block's letter ("Flat 1, Block A"): a door of its own, as a
            # block's number already is among the other numbers.
            named[at] = f"block {word}"
        elif _has_digit(word) and not _ROAD.fullmatch(word):
            named[at] = word
            if not _FLOOR.fullmatch(word):
                placeable.append(at)
    if not any(_has_digit(word) for word in named.values()):
        return ()

    def before_a_street(at: int) -> bool:
        after = words[at + 1] if at + 1 < len(words) else ""
        return bool(after) and after not in _KIND_OF_DOOR and after.isalpha()

    house = next(
        (at for at in reversed(placeable) if before_a_street(at)),
        placeable[-1] if placeable else None,
    )
    if flat is not None:
        # Numbered or lettered, the flat is that: its floor, written or not
        # ("Ground Floor Flat 2", "Flat 2"), names no other door.
        for at in floors:
            named.pop(at, None)
    elif floors:
        flat = min(floors)
    if flat is None:
        flat = next((at for at in placeable if at != house), None)
    others = tuple(named[at] for at in sorted(named) if at not in (house, flat))
    return (
        "" if house is None else named[house],
        "" if flat is None else named[flat],
        *others,
    )


def _floor_names(
    words: list[str], *, apart: list[bool]
) -> dict[int, tuple[str, range]]:
    """The flats an address's words name by their floor ("Ground Floor Flat", "1st
    floor flat", "Basement Flat"): by where each name starts, the name ("ground",
    "1st", "lower ground": "floor" aside, an ordinal in figures) and the words it
    is written over (the kind of door's word too). Only words with no comma, full
    stop or line between them and the kind of door are the floor's."""
    floors: dict[int, tuple[str, range]] = {}
    for at, word in enumerate(words):
        if word not in _KIND_OF_DOOR:
            continue
        start = at
        if start > 0 and not apart[start] and words[start - 1] == "floor":
            start -= 1
        names: list[str] = []
        while (
            start > 0
            and not apart[start]
            and (words[start - 1] in _FLOOR_WORDS or _FLOOR.fullmatch(words[start - 1]))
        ):
            start -= 1
            names.insert(0, _FLOOR_WORDS.get(words[start], words[start]))
        if names and not any(start <= seen < at for seen in floors):
            floors[start] = (" ".join(names), range(start, at + 1))
    return floors


def _has_digit(word: str) -> bool:
    return any(c.isdigit() for c in word)


def concern_raised(escalation: Escalation) -> bool:
    """Whether a safeguarding concern was raised about the escalated item: the
    escalation's reason, or a case's flag (a contact has none: its escalation's
    reason says it)."""
    return escalation.reason == Escalation.Reason.SAFEGUARDING or bool(
        getattr(escalation.item, "safeguarding_flag", False)
    )


def escalations_at_address(
    escalation: Escalation, *, visible: QuerySet[Escalation]
) -> list[Escalation]:
    """The other open escalations of the escalation's team at the escalated person's
    door (the same postcode and door_key), the concerns first (concern_raised) then
    soonest due, each with its item and person; none for a person with no postcode
    or no door in the address held (nothing says which door).

    `visible` is what the viewer may see (work.access.escalations
    .escalations_visible_to). One query, led by the people at the postcode (the
    index person_postcode), their cases and contacts, and those items' escalations
    by their own indexes: never the team's whole queue. The few at the postcode are
    told apart here, each with its person's area read with it: the town's words
    of a named house are those of the postcode's area, theirs as the escalated
    person's (the same postcode), so no query more."""
    person = escalation.item.person
    if (
        not person.postcode
        or door_key(person.address, postcode=person.postcode) is None
    ):
        return []
    others = visible.filter(
        local_team_id=escalation.local_team_id, status__in=OPEN
    ).exclude(pk=escalation.pk)
    of_cases = others.filter(case__person__postcode=person.postcode).exclude(
        case__person__address=""
    )
    of_contacts = others.filter(contact__person__postcode=person.postcode).exclude(
        contact__person__address=""
    )
    candidates = (
        Escalation.objects.filter(
            pk__in=of_cases.values("pk").union(of_contacts.values("pk"))
        )
        .select_related("case__person__area", "contact__person__area")
        .order_by("due_at", "pk")
    )
    found = [other for other in candidates if _same_door(person, other.item.person)]
    # Concerns first: a flagged case escalated for another reason is one too.
    return sorted(found, key=lambda other: not concern_raised(other))


def _same_door(person: Person, other: Person) -> bool:
    """Whether two people at one postcode live behind one door (door_key), the
    town's words those of the other's area (read with them)."""
    town = town_words(other.area)
    key = door_key(person.address, postcode=person.postcode, town=town)
    return key is not None and key == door_key(
        other.address, postcode=other.postcode, town=town
    )
