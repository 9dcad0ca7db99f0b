from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from cases.errors import IllegalTransition
from cases.models import Case
from people.services import PersonDetails, person_find_or_create
from staffing.assignment import work_arrived

from .models import Contact


@dataclass
class ContactDetails:
    person: PersonDetails
    exposure_date: date
    exposure: str


class DuplicateContact(IllegalTransition):
    """The same person is already a contact of this case."""


@transaction.atomic
def contact_add(
    *, case: Case, details: ContactDetails, by=None, now: datetime | None = None
) -> Contact:
    """Record one contact of a case; the same person twice on a case is refused."""
    now = now or timezone.now()
    person, _ = person_find_or_create(details=details.person)
    if person.pk == case.person_id:
        raise DuplicateContact("A case cannot be their own contact.")
    if Contact.objects.filter(case=case, person=person).exists():
        raise DuplicateContact(f"{person.full_name} is already a contact of this case.")
    contact = Contact(
        case=case,
        person=person,
        exposure_date=details.exposure_date,
        exposure=details.exposure,
        area=person.area,
        area_unknown=person.area_id is None,
        identified_by=by,
        created_at=now,
    )
    contact.refresh_isolation()
    contact.start_clock(now)
    contact.save()
    work_arrived()
    return contact
