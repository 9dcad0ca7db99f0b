from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
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


class ContactRowsRefused(Exception):
    """Some rows of a batch of contacts could not be added; none were saved.

    `errors` maps the row's position in the batch to the reason, in words.
    """

    def __init__(self, errors: dict[int, str]):
        super().__init__(f"{len(errors)} contact(s) could not be added.")
        self.errors = errors


def contacts_add_many(
    *, case: Case, rows: list[ContactDetails], by=None, now: datetime | None = None
) -> list[Contact]:
    """Add several contacts of a case at once: all of them, or none.

    Every row is tried (each in its own savepoint) so every bad row is reported, not
    just the first; then, if any was refused, the whole batch is rolled back. The same
    person twice in the batch is refused like a person already on the case.
    """
    now = now or timezone.now()
    errors: dict[int, str] = {}
    with transaction.atomic():
        added = []
        for index, details in enumerate(rows):
            try:
                with transaction.atomic():
                    added.append(
                        contact_add(case=case, details=details, by=by, now=now)
                    )
            except DuplicateContact as exc:
                errors[index] = str(exc)
            except ValidationError as exc:
                errors[index] = " ".join(exc.messages)
        if errors:
            # Raising inside the block rolls back the rows that did go in.
            raise ContactRowsRefused(errors)
    return added
