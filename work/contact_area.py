"""A contact nobody has reached yet follows their person's address: its area (whose
local team it would go to, unreached) is the person's. A person whose postcode is in
no area of the service (outside England, or not in the directory) takes it to none,
as a contact named at that postcode has: the fallback team's, if the phones cannot
reach them. A contact reached, closed or with a local team keeps the area it had:
that is its history, and the team working it.

One rule for every change that leaves a person's contacts behind their address: a
further naming (work.casework), a merge of two records (work.merge), a new result
(work.intake); and for an item a local team sends back to the phones, which kept its
area while the team held it (work.escalation.escalation_return)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import F, Q

from audit.models import AuditEvent
from audit.services import audit_event, audit_record_many
from cases.workitem import UNREACHED, WorkItem
from contacts.models import Contact
from people.models import Person


def contact_follow_person(contact: Contact, person: Person) -> list[str]:
    """`contact` takes `person`'s area when it is still to be reached (new or
    assigned) and the person's area is another: a known one, or none when their
    postcode is in no area of the service (a person with no postcode leaves it as it
    is). Changes the contact in memory; returns the fields changed, for the caller
    to save."""
    if not contact.is_unreached:
        return []
    return area_follow_person(contact, person)


def area_follow_person(item: WorkItem, person: Person) -> list[str]:
    """The rule itself, for an item its caller knows to be with the phones (a
    contact still to be reached; a case sent back to them, as a case with the phones
    follows a corrected postcode: work.person_details._cases_follow): `person`'s
    area when it is another, a known one or none, flagged, when their postcode is in
    no area of the service; a person with no postcode leaves it as it is. Changes
    the item in memory; returns the fields changed, for the caller to save."""
    if item.area_id == person.area_id:
        return []
    if person.area_id is None and not person.postcode:
        return []
    item.area_id = person.area_id
    item.area_unknown = person.area_id is None
    return ["area", "area_unknown"]


def contacts_follow_people(
    *,
    people: Iterable[int],
    by=None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """contact_follow_person for every contact of these people, in a few statements
    however many (an intake batch's): those it moves locked in id order, written by
    one UPDATE, and with `detail` each audited (with the area before and after) by
    one INSERT; without, the caller audits them in its own event (a merge).
    Returns each contact moved: {"contact", "area", "area_unknown"} as it was
    before, and "to", the area it took."""
    candidates = list(
        Contact.objects.select_for_update(of=("self",))
        .select_related("person")
        .filter(
            # Their person's area another (contact_follow_person decides).
            Q(person__area__isnull=False)
            & (Q(area__isnull=True) | ~Q(area=F("person__area")))
            | Q(person__area__isnull=True, area__isnull=False)
            & ~Q(person__postcode=""),
            person_id__in=set(people),
            status__in=UNREACHED,
        )
        .order_by("pk")
    )
    moved, before = [], []
    for contact in candidates:
        was = {
            "contact": contact.pk,
            "area": contact.area_id,
            "area_unknown": contact.area_unknown,
        }
        if contact_follow_person(contact, contact.person):
            moved.append(contact)
            before.append({**was, "to": contact.area_id})
    if not moved:
        return []
    Contact.objects.bulk_update(moved, ["area", "area_unknown"])
    if detail is None:
        return before
    audit_record_many(
        audit_event(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=contact,
            detail={**detail, "area": was["to"], "area_was": was["area"]},
            at=now,
        )
        for contact, was in zip(moved, before, strict=True)
    )
    return before
