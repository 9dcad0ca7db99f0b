from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Case as DbCase
from django.db.models import IntegerField, Q, Value, When
from django.db.models.functions import Lower

from areas.services import PostcodeLookup, postcode_to_area

from .models import Language, Person


@dataclass
class PersonDetails:
    """What intake or a caseworker knows of a person; every field optional but names."""

    first_name: str
    last_name: str
    date_of_birth: date | None = None
    nhs_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    postcode: str = ""
    language: str = ""  # ISO 639-1 code
    needs_interpreter: bool = False
    extra: dict = field(default_factory=dict)


def _match(details: PersonDetails) -> Person | None:
    """The same human being, if we already hold them.

    An NHS number is decisive; otherwise the same name and date of birth, or the same
    phone number and surname.

    One query: each rule is a tier, and the lowest tier's oldest person wins, which is
    what trying the rules one by one, each taking its oldest match, would return.
    """
    tiers: list[Q] = []
    if details.nhs_number:
        tiers.append(Q(nhs_number=details.nhs_number))
    names = Q(
        last_lower=details.last_name.strip().lower(),
        first_lower=details.first_name.strip().lower(),
    )
    if details.nhs_number:
        # A different NHS number is someone else, whatever else matches.
        names &= Q(nhs_number__in=["", details.nhs_number])
    if details.date_of_birth:
        tiers.append(names & Q(date_of_birth=details.date_of_birth))
        # So is a different date of birth (a parent and child sharing a phone).
        names &= Q(date_of_birth__isnull=True)
    if details.phone:
        tiers.append(names & Q(phone=details.phone))
    if not tiers:
        return None
    either = tiers[0]
    for tier in tiers[1:]:
        either |= tier
    return (
        Person.objects.annotate(
            last_lower=Lower("last_name"),
            first_lower=Lower("first_name"),
            tier=DbCase(
                *(When(tier, then=Value(n)) for n, tier in enumerate(tiers)),
                output_field=IntegerField(),
            ),
        )
        .filter(either)
        .order_by("tier", "pk")
        .first()
    )


def person_find_or_create(
    *, details: PersonDetails, postcodes: PostcodeLookup | None = None
) -> tuple[Person, bool]:
    """Find the person or create them; blanks on a found person are filled in.

    postcodes: a batch's PostcodeLookup, so its areas are fetched once.
    Raises ValidationError for a malformed postcode or another bad field.
    """
    locate = postcodes or postcode_to_area
    located = locate(details.postcode) if details.postcode else None
    language = (
        Language.objects.filter(code=details.language).first()
        if details.language
        else None
    )
    person = _match(details)
    created = person is None
    if person is None:
        person = Person(
            first_name=details.first_name.strip(), last_name=details.last_name.strip()
        )
    changed = []
    for name in ("date_of_birth", "nhs_number", "phone", "email", "address"):
        value = getattr(details, name)
        if value and not getattr(person, name):
            setattr(person, name, value)
            changed.append(name)
    if located and not person.postcode:
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
    if created:
        # Fields only: _match has just looked the NHS number up, so the uniqueness
        # checks would repeat that query (the database constraint still holds).
        person.full_clean(
            exclude=["area", "language"],
            validate_unique=False,
            validate_constraints=False,
        )
        person.save()
    elif changed:
        person.save(update_fields=[*changed, "updated_at"])
    return person, created
