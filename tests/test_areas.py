"""Postcodes, areas and local teams, and the validation of a person's identifiers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError

from areas.models import Area, LocalTeam
from areas.postcodes import locate_postcode, normalise_postcode, postcode_district
from areas.services import fallback_team, postcode_to_area
from people.models import Person, validate_nhs_number

# --- postcodes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("s11aa", "S1 1AA"),
        (" sw1a1aa ", "SW1A 1AA"),
        ("SW1A 1AA", "SW1A 1AA"),
        ("ls1  4dy", "LS1 4DY"),
        ("M1 1AE", "M1 1AE"),
        ("ca1\t1aa", "CA1 1AA"),
    ],
)
def test_postcode_normalises_to_display_form(raw, display):
    assert normalise_postcode(raw) == display


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "S1",
        "1AA",
        "SW1A1A",
        "SW1A 1AAA",
        "S1 AAA",
        "ABC1 1AA",
        "S1-1AA",
        "S£1 1AA",
    ],
)
def test_malformed_postcode_raises_validation_error(raw):
    with pytest.raises(ValidationError):
        normalise_postcode(raw)


def test_none_postcode_raises_validation_error():
    with pytest.raises(ValidationError):
        normalise_postcode(None)


def test_postcode_district_is_the_outward_code():
    assert postcode_district("sw1a1aa") == "SW1A"


def test_unknown_well_formed_postcode_is_not_located():
    assert locate_postcode("zz99zz") is None


def test_located_postcode_carries_its_grid_reference():
    location = locate_postcode("s11aa")

    assert location.postcode == "S1 1AA"
    assert location.area_code == "E08000019"
    assert 400_000 < location.easting < 450_000
    assert 350_000 < location.northing < 420_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("postcode", "code", "name"),
    [
        ("S1 1AA", "E08000019", "Sheffield"),
        ("SW1A 1AA", "E09000033", "Westminster"),
        ("LS1 4DY", "E08000035", "Leeds"),
        ("CA1 1AA", "E06000063", "Cumberland"),
    ],
)
def test_real_postcode_maps_to_its_real_area(postcode, code, name):
    found = postcode_to_area(postcode)

    assert found.postcode == postcode
    assert found.area is not None
    assert found.area.code == code
    assert found.area.name == name
    assert found.easting is not None
    assert found.northing is not None


@pytest.mark.django_db
def test_unknown_well_formed_postcode_maps_to_no_area():
    found = postcode_to_area("zz9 9zz")

    assert found.postcode == "ZZ9 9ZZ"
    assert found.area is None
    assert found.easting is None


@pytest.mark.django_db
def test_malformed_postcode_lookup_raises_validation_error():
    with pytest.raises(ValidationError):
        postcode_to_area("NOT A CODE")


# --- areas and teams ---------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_loaded_296_areas():
    # England's, as they are since 2023 (tests/test_areas_outside_england.py).
    assert Area.objects.count() == 296


@pytest.mark.django_db
def test_every_area_has_its_upper_tier_local_team():
    mismatched = [
        a.code
        for a in Area.objects.select_related("local_team")
        if a.local_team is None or a.local_team.code != a.upper_tier_code
    ]

    assert mismatched == []


@pytest.mark.django_db
def test_every_local_team_but_the_fallback_has_an_area():
    empty = LocalTeam.objects.filter(areas__isnull=True).values_list("code", flat=True)

    assert list(empty) == [settings.TRACING_FALLBACK_TEAM_CODE]


@pytest.mark.django_db
def test_the_fallback_team_exists_once():
    team = fallback_team()

    assert team.code == settings.TRACING_FALLBACK_TEAM_CODE
    assert team.is_fallback is True
    assert LocalTeam.objects.filter(is_fallback=True).count() == 1


@pytest.mark.django_db
def test_sheffield_and_leeds_have_separate_teams():
    sheffield = Area.objects.get(code="E08000019")
    leeds = Area.objects.get(code="E08000035")

    assert sheffield.local_team_id != leeds.local_team_id
    assert sheffield.local_team.is_fallback is False


@pytest.mark.django_db
def test_two_tier_districts_share_their_county_team():
    # Cambridge and South Cambridgeshire both sit under Cambridgeshire County Council.
    cambridge = Area.objects.get(code="E07000008")
    south = Area.objects.get(code="E07000012")

    assert cambridge.upper_tier_code == "E10000003"
    assert cambridge.local_team_id == south.local_team_id


# --- a person's phone and NHS number -----------------------------------------------------


def person(**fields) -> Person:
    return Person(first_name="Amira", last_name="Khan", **fields)


def clean(p: Person) -> None:
    p.full_clean(
        exclude=["area", "language"], validate_unique=False, validate_constraints=False
    )


def test_valid_mobile_number_passes_full_clean():
    p = person(phone="+447911123456")

    clean(p)

    assert str(p.phone) == "+447911123456"


def test_national_format_phone_passes_full_clean():
    p = person(phone="07911 123456")

    clean(p)

    assert p.phone.as_e164 == "+447911123456"


@pytest.mark.parametrize("phone", ["12345", "not a phone", "+447700900123"])
def test_invalid_phone_fails_full_clean(phone):
    """+447700900123 is Ofcom's drama range: the library counts it invalid."""
    with pytest.raises(ValidationError) as raised:
        clean(person(phone=phone))

    assert "phone" in raised.value.message_dict


def test_invalid_other_phone_fails_full_clean():
    with pytest.raises(ValidationError) as raised:
        clean(person(phone="+447911123456", phone_alt="12345"))

    assert list(raised.value.message_dict) == ["phone_alt"]


def test_blank_phone_passes_full_clean():
    clean(person(phone=""))


@pytest.mark.parametrize("number", ["9434765919", "4010232137", "943 476 5919"])
def test_valid_nhs_number_passes(number):
    validate_nhs_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "9434765918",  # wrong check digit
        "9434765910",
        "123456789",  # nine digits
        "94347659190",  # eleven digits
        "94347659I9",  # a letter
        "0000000060",  # the check digit would be 10: never issued
    ],
)
def test_invalid_nhs_number_is_refused(number):
    with pytest.raises(ValidationError):
        validate_nhs_number(number)


def test_person_with_invalid_nhs_number_fails_full_clean():
    with pytest.raises(ValidationError) as raised:
        clean(person(nhs_number="9434765918"))

    assert list(raised.value.message_dict) == ["nhs_number"]


def test_person_with_valid_nhs_number_passes_full_clean():
    clean(person(nhs_number="9434765919"))
