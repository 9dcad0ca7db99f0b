"""The other escalations at an escalated person's door, for the team planning a visit.

One household is often several escalations (a case and their household contacts),
and a concern raised on a call to one of them is a concern at the door the team
knocks at for all of them. The page of each names the others, and warns of such a
concern before anything else (pages.local.views._detail_response).

A door is a postcode and the first line of an address: the postcode as stored
(normalised when the person was located: people.services), the first line compared
without its case, punctuation or spacing. That, not the case's household contacts,
is what a visitor goes by: it is the door they knock at, on the page for them to
check; a case's contacts may live elsewhere, and two cases tested apart, or a
contact named by another case, may live behind the same door.
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from .models import Escalation

OPEN = (Escalation.Status.NEW, Escalation.Status.PICKED_UP)

# What the first line is compared without: punctuation ("Flat 2, 14 Park Road.").
_PUNCTUATION = re.compile(r"[^\w]+")

# A first line written with more after it on the same line ("Flat 2, 14 Park Road,
# Sheffield") is the same door as the line alone when the line names a door on its
# own: a number, and at least a street beside it ("14 Park Road"), not "Flat 2".
_DOOR_WORDS = 3


def address_first_line(address: str) -> str:
    """The first line of an address (its first not blank), lower case, its
    punctuation and spacing aside: "Flat 2, 14 Park Road\\nSheffield" is
    "flat 2 14 park road"; "" without one."""
    line = next((line for line in address.splitlines() if line.strip()), "")
    return " ".join(_PUNCTUATION.sub(" ", line.casefold()).split())


def same_door(a: str, b: str) -> bool:
    """Whether two first lines (address_first_line) at one postcode name the same
    door: the same, or one the other with more after it (the town, written on the
    same line) when the shorter names a door on its own."""
    if not a or not b:
        return False
    if a == b:
        return True
    shorter, longer = sorted((a, b), key=len)
    words = shorter.split()
    return (
        longer.startswith(f"{shorter} ")
        and len(words) >= _DOOR_WORDS
        and any(c.isdigit() for c in shorter)
    )


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
    door (a postcode and the same first line: same_door), the concerns first
    (concern_raised) then soonest due, each with its item and person; none for a
    person with no postcode or no address held (nothing says which door).

    `visible` is what the viewer may see (work.access.escalations
    .escalations_visible_to). One query, led by the people at the postcode (the
    index person_postcode), their cases and contacts, and those items' escalations
    by their own indexes: never the team's whole queue."""
    person = escalation.item.person
    door = address_first_line(person.address)
    if not person.postcode or not door:
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
        .select_related("case__person", "contact__person")
        .order_by("due_at", "pk")
    )
    found = [
        other
        for other in candidates
        if same_door(door, address_first_line(other.item.person.address))
    ]
    # Concerns first: a flagged case escalated for another reason is one too.
    return sorted(found, key=lambda other: not concern_raised(other))
