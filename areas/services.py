"""Loading the ONS areas and mapping a postcode to its area."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from .models import Area, LocalTeam
from .postcodes import PostcodeLocation, locate_postcode, normalise_postcode

DATA_DIR = Path(__file__).resolve().parent / "data"

# Unitary authorities created in 2023 from the two-tier counties (their postcodes
# already carry these codes in the ONS directory). Each runs its own public health.
SUCCESSOR_AUTHORITIES = [
    ("E06000063", "Cumberland"),
    ("E06000064", "Westmorland and Furness"),
    ("E06000065", "North Yorkshire"),
    ("E06000066", "Somerset"),
]


def _authority_records() -> list[dict[str, str]]:
    spec = find_spec("qlacref_authorities")
    assert spec is not None
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "records.json"
    return json.loads(path.read_text())


@transaction.atomic
def areas_load(*, area_model=Area, team_model=LocalTeam) -> tuple[int, int]:
    """Create or update every area and local team; safe to run again.

    The data migration passes its historical models. Returns (areas, teams) counts.
    """
    districts = json.loads((DATA_DIR / "area_districts.json").read_text())
    rows = [
        (r["LTLA21CD"], r["LTLA21NM"], r["UTLA21CD"], r["UTLA21NM"])
        for r in _authority_records()
    ]
    rows += [(code, name, code, name) for code, name in SUCCESSOR_AUTHORITIES]
    teams: dict[str, LocalTeam] = {}  # keyed by upper-tier code
    for _, _, ut_code, ut_name in rows:
        if ut_code not in teams:
            teams[ut_code], _ = team_model.objects.update_or_create(
                code=ut_code, defaults={"name": f"{ut_name} Public Health"}
            )
    team_model.objects.update_or_create(
        code=settings.TRACING_FALLBACK_TEAM_CODE,
        defaults={
            "name": "Regional Health Protection (no area found)",
            "is_fallback": True,
        },
    )
    for code, name, ut_code, ut_name in rows:
        area_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "upper_tier_code": ut_code,
                "upper_tier_name": ut_name,
                "local_team": teams[ut_code],
                "postcode_districts": districts.get(code, []),
            },
        )
    return len(rows), len(teams) + 1


@dataclass(frozen=True)
class PostcodeArea:
    postcode: str
    area: Area | None
    easting: int | None
    northing: int | None


def postcode_to_area(
    postcode: str, *, area_for_code: Callable[[str], Area | None] | None = None
) -> PostcodeArea:
    """Normalise a postcode and find its area; raises ValidationError when malformed.

    A well-formed postcode that is not in the directory (or lies outside England)
    gives area None: the caller routes the item to the fallback team.
    area_for_code replaces the database lookup of an area (PostcodeLookup's memory).
    """
    return _placed(
        postcode, locate_postcode(postcode), area_for_code or Area.objects.for_code
    )


def _placed(
    postcode: str,
    location: PostcodeLocation | None,
    area_for_code: Callable[[str], Area | None],
) -> PostcodeArea:
    if location is None:
        return PostcodeArea(normalise_postcode(postcode), None, None, None)
    return PostcodeArea(
        location.postcode,
        area_for_code(location.area_code),
        location.easting,
        location.northing,
    )


class PostcodeLookup:
    """postcode_to_area with a memory, for one batch of writes.

    Areas are reference data, fetched here once per ONS code (with the local team),
    and the same postcode is located once; a fresh lookup per batch, so an area loaded
    or edited since is seen by the next batch. Malformed postcodes raise each time.
    """

    def __init__(self) -> None:
        self._areas: dict[str, Area | None] = {}
        self._places: dict[str, PostcodeArea] = {}

    def areas_fetch(self, postcodes: Iterable[str]) -> None:
        """Locate a batch's postcodes and fetch their areas in one query, before they
        are looked up one by one (a peak hour's batch of 1,000 results spans a hundred
        areas: a hundred queries otherwise). Malformed postcodes are left to the
        lookup, which raises for them."""
        located: dict[str, PostcodeLocation | None] = {}
        for postcode in postcodes:
            if postcode in self._places or postcode in located:
                continue
            try:
                located[postcode] = locate_postcode(postcode)
            except ValidationError:
                continue
        codes = {
            location.area_code for location in located.values() if location is not None
        } - self._areas.keys()
        if codes:
            found = {
                area.code: area
                for area in Area.objects.filter(code__in=codes).select_related(
                    "local_team"
                )
            }
            for code in codes:
                self._areas[code] = found.get(code)
        for postcode, location in located.items():
            self._places[postcode] = _placed(postcode, location, self.area_for_code)

    def area_for_code(self, code: str) -> Area | None:
        if code not in self._areas:
            self._areas[code] = Area.objects.for_code(code)
        return self._areas[code]

    def __call__(self, postcode: str) -> PostcodeArea:
        place = self._places.get(postcode)
        if place is None:
            place = self._places[postcode] = postcode_to_area(
                postcode, area_for_code=self.area_for_code
            )
        return place


def fallback_team() -> LocalTeam:
    return LocalTeam.objects.get(is_fallback=True)
