from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import connection, models

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
    what trying the rules one by one, each taking its oldest match, would return. In
    SQL, because intake runs this for every result: the ORM took some 4 ms to build
    it, the database well under one.
    """
    tiers: list[tuple[str, list]] = []
    if details.nhs_number:
        tiers.append(("nhs_number = %s", [details.nhs_number]))
    names = "lower(first_name) = %s AND lower(last_name) = %s"
    names_params: list = [
        details.first_name.strip().lower(),
        details.last_name.strip().lower(),
    ]
    if details.nhs_number:
        # A different NHS number is someone else, whatever else matches.
        names += " AND nhs_number IN ('', %s)"
        names_params.append(details.nhs_number)
    if details.date_of_birth:
        tiers.append(
            (f"{names} AND date_of_birth = %s", [*names_params, details.date_of_birth])
        )
        # So is a different date of birth (a parent and child sharing a phone).
        names += " AND date_of_birth IS NULL"
    if details.phone:
        # As the ORM would compare it: in the stored (E.164) form.
        phone_field = Person._meta.get_field("phone")
        assert isinstance(phone_field, models.Field)
        phone = phone_field.get_db_prep_value(details.phone, connection, prepared=False)
        tiers.append((f"{names} AND phone = %s", [*names_params, phone]))
    if not tiers:
        return None
    either = " OR ".join(f"({condition})" for condition, _ in tiers)
    tier = " ".join(
        f"WHEN ({condition}) THEN {n}" for n, (condition, _) in enumerate(tiers)
    )
    params = [value for _, values in tiers for value in values]
    found = Person.objects.raw(
        f"SELECT * FROM {Person._meta.db_table} WHERE {either} "
        f"ORDER BY CASE {tier} END, id LIMIT 1",
        [*params, *params],
    )
    return next(iter(found), None)


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
