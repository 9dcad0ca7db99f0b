"""Loading the ONS areas and mapping a postcode to its area."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from rows.retry import atomic_operation

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

# The counties those authorities replaced, with all their districts: no postcode maps
# to them now, so they are not areas of the service (nor their county teams).
REPLACED_COUNTIES = {
    "E10000006": "Cumbria",
    "E10000023": "North Yorkshire",
    "E10000027": "Somerset",
}

# The authority that serves each replaced district's postcodes now (Cumbria split
# in two; North Yorkshire and Somerset became one authority each).
SUCCESSOR_OF_DISTRICT = {
    "E07000026": "E06000063",  # Allerdale: Cumberland
    "E07000027": "E06000064",  # Barrow-in-Furness: Westmorland and Furness
    "E07000028": "E06000063",  # Carlisle: Cumberland
    "E07000029": "E06000063",  # Copeland: Cumberland
    "E07000030": "E06000064",  # Eden: Westmorland and Furness
    "E07000031": "E06000064",  # South Lakeland: Westmorland and Furness
    **dict.fromkeys(
        # Craven, Hambleton, Harrogate, Richmondshire, Ryedale, Scarborough, Selby
        [
            "E07000163",
            "E07000164",
            "E07000165",
            "E07000166",
            "E07000167",
            "E07000168",
            "E07000169",
        ],
        "E06000065",
    ),
    **dict.fromkeys(
        # Mendip, Sedgemoor, South Somerset, Somerset West and Taunton
        ["E07000187", "E07000188", "E07000189", "E07000246"],
        "E06000066",
    ),
}

FALLBACK_TEAM_NAME = "Regional Health Protection (no area found)"

# (area code, area name, upper-tier code, upper-tier name)
AreaRow = tuple[str, str, str, str]


def in_service(code: str, upper_tier_code: str = "") -> bool:
    """An area of the service: in England (ONS codes starting E) and not replaced.

    A postcode in Wales, Scotland or Northern Ireland has no area of the service, so
    its items go to the fallback team, flagged.
    """
    return code.startswith("E") and upper_tier_code not in REPLACED_COUNTIES


def _authority_records() -> list[dict[str, str]]:
    spec = find_spec("qlacref_authorities")
    assert spec is not None
    assert spec.submodule_search_locations
    path = Path(next(iter(spec.submodule_search_locations))) / "records.json"
    return json.loads(path.read_text())


def _ons_rows() -> list[AreaRow]:
    rows = [
        (r["LTLA21CD"], r["LTLA21NM"], r["UTLA21CD"], r["UTLA21NM"])
        for r in _authority_records()
    ]
    return rows + [(code, name, code, name) for code, name in SUCCESSOR_AUTHORITIES]


def service_rows() -> list[AreaRow]:
    """The areas of the service: England's, without the replaced districts."""
    return [row for row in _ons_rows() if in_service(row[0], row[2])]


def _rows_outside_service() -> list[AreaRow]:
    return [row for row in _ons_rows() if not in_service(row[0], row[2])]


@transaction.atomic
def areas_load(*, area_model=Area, team_model=LocalTeam) -> tuple[int, int]:
    """Create the areas of the service that are missing and update the names and
    postcode districts of the others; safe to run again.

    An area's local team is set only when the area is created (and its upper tier's
    team made only then, if there is none), so a team moved or taken out in the admin
    stays as it was left. The data migration passes its historical models.
    Returns the counts of areas and of local teams.
    """
    districts = json.loads((DATA_DIR / "area_districts.json").read_text())
    rows = service_rows()
    existing = set(
        area_model.objects.filter(code__in=[row[0] for row in rows]).values_list(
            "code", flat=True
        )
    )
    for code, name, ut_code, ut_name in rows:
        fields = {
            "name": name,
            "upper_tier_code": ut_code,
            "upper_tier_name": ut_name,
            "postcode_districts": districts.get(code, []),
        }
        if code in existing:
            area_model.objects.filter(code=code).update(**fields)
        else:
            team, _ = team_model.objects.get_or_create(
                code=ut_code, defaults={"name": f"{ut_name} Public Health"}
            )
            area_model.objects.create(code=code, local_team=team, **fields)
    if not team_model.objects.filter(is_fallback=True).exists():
        team_model.objects.update_or_create(
            code=settings.TRACING_FALLBACK_TEAM_CODE,
            defaults={"name": FALLBACK_TEAM_NAME, "is_fallback": True},
        )
    return len(rows), team_model.objects.count()


def _references(obj) -> list[str]:
    """What refers to a row: ["3 people", ...] from every model with a key to it."""
    found = []
    for field in obj._meta.get_fields(include_hidden=True):
        if not (field.auto_created and not field.concrete and field.is_relation):
            continue
        if not (field.one_to_many or field.one_to_one):
            continue
        model = field.related_model
        count = model._base_manager.filter(**{field.field.name: obj}).count()
        if count:
            found.append(f"{count} {model._meta.verbose_name_plural}")
    return found


# Saves a kept area with its new team (or unchanged) and moves the open escalations
# of its items still held by the team it had before or by its old team (the id
# given, None when that team is gone) to the area's team; returns how many moved.
# The command passes the work core's (work.areas).
KeptAreaSave = Callable[[Any, int | None], int]

# Whether an administrator has changed an area's team (the audit trail says so: the
# command passes the work core's reading of it).
PlacedByAnAdministrator = Callable[[Any], bool]


def _team_taking_over(area, area_model):
    """The team for a kept area's people now: its successor authority's team for a
    replaced district (where that authority is an area), else None (the fallback)."""
    successor = area_model.objects.filter(
        code=SUCCESSOR_OF_DISTRICT.get(area.code, "")
    ).first()
    return successor.local_team if successor is not None else None


@transaction.atomic
def areas_prune(
    *,
    area_model=Area,
    team_model=LocalTeam,
    kept_area_save: KeptAreaSave | None = None,
    placed_by_an_administrator: PlacedByAnAdministrator | None = None,
) -> list[str]:
    """Remove the ONS areas that are not the service's (outside England, or replaced
    in 2019-2023) and their upper tiers' teams, where nothing refers to them.

    Only rows with those ONS codes are touched: an area or team made in the admin is
    never removed. An area kept because records refer to it, and still with its own
    old team (the upper tier's, as it was loaded), goes to the team serving its
    people now: a replaced district to its successor authority's team, any other to
    the fallback team. So does a replaced district with the fallback team that no
    administrator put there (with `placed_by_an_administrator` to tell): the old
    load, and migration 0003 as it first ran, gave it that team unaudited. An area an
    administrator moved, to the fallback team or anywhere, stays where it is.

    With `kept_area_save` (the command's, with the real models) that save is the work
    core's: the kept area's open escalations at the team it had, or still at its old
    team, go with it, also where an earlier run moved the area and left them. Without
    it (the migration, on historical models) the area alone is saved. Returns a line
    for each one kept, naming what refers to it and the team serving it.
    """
    outside = _rows_outside_service()
    fallback = team_model.objects.filter(is_fallback=True).first()
    kept = []
    # Locked, as an admin's move locks it: an item escalated meanwhile waits, then
    # goes to the area's new team.
    areas = area_model.objects.select_for_update().filter(
        code__in=[row[0] for row in outside]
    )
    for area in areas.order_by("pk"):
        refs = _references(area)
        if not refs:
            area.delete()
            continue
        said = f"Area {area.name} ({area.code}): {', '.join(refs)}"
        old_team = team_model.objects.filter(
            code=area.upper_tier_code, is_fallback=False
        ).first()
        team = None
        if old_team is not None and area.local_team_id == old_team.pk:
            team = _team_taking_over(area, area_model) or fallback
        elif (
            placed_by_an_administrator is not None
            and fallback is not None
            and area.local_team_id == fallback.pk
            and area.code in SUCCESSOR_OF_DISTRICT
            and not placed_by_an_administrator(area)
        ):
            team = _team_taking_over(area, area_model)
        moves = False
        if team is not None and team.pk != area.local_team_id:
            moves = True
            area.local_team = team
            said += f"; now served by {team.name}"
            if kept_area_save is None:
                area.save(update_fields=["local_team"])
        else:
            said += f"; served by {area.local_team.name}"
        if kept_area_save is not None and (
            moves or (old_team is not None and area.local_team_id != old_team.pk)
        ):
            moved = kept_area_save(area, old_team.pk if old_team else None)
            if moved:
                said += (
                    f"; {moved} open escalation{'s' if moved != 1 else ''} went with it"
                )
        kept.append(said)
    team_codes = {row[2] for row in outside} - {row[2] for row in service_rows()}
    teams = team_model.objects.filter(code__in=team_codes, is_fallback=False)
    for team in teams:
        refs = _references(team)
        if refs:
            kept.append(f"Team {team.name} ({team.code}): {', '.join(refs)}")
        else:
            team.delete()
    return kept


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
    code = location.area_code
    return PostcodeArea(
        location.postcode,
        area_for_code(code) if in_service(code) else None,
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


class FallbackTeamNeeded(Exception):
    """Unticking the fallback team: there must always be one (the work of people in
    no area of the service goes to it)."""


def fallback_team_needed_said(team: LocalTeam) -> str:
    """Why the fallback team cannot be unticked, and what to do instead."""
    return (
        f"{team.name} is the fallback team: the work of people whose postcode is in "
        "no area of the service goes to it, and there must always be one. To make "
        "another team the fallback, tick “Is fallback” on that team instead: this "
        "one is unticked then."
    )


@dataclass(frozen=True)
class LocalTeamSaved:
    """What saving a local team did to the fallback: whether it became the fallback
    team, and the team that was until then (None: there was none)."""

    became_fallback: bool = False
    fallback_before: LocalTeam | None = None


@atomic_operation
def local_team_save(*, team: LocalTeam, fallback: bool | None = None) -> LocalTeamSaved:
    """Save a local team as changed in the admin, its fallback box apart: `fallback`
    True makes it the fallback team in one step (the team that was is unticked in
    the same transaction, the database allowing one at a time); False on the
    fallback team raises FallbackTeamNeeded; None leaves the fallback where it is.

    The team's row is locked, then the fallback's, so two administrators moving it
    at once take turns. A team's other fields are saved without its fallback box,
    which this request may have read before the fallback moved to it."""
    is_fallback = (
        LocalTeam.objects.select_for_update()
        .filter(pk=team.pk)
        .values_list("is_fallback", flat=True)
        .first()
        if team.pk is not None
        else None
    )
    if is_fallback:
        if fallback is False:
            raise FallbackTeamNeeded(fallback_team_needed_said(team))
        fallback = None  # the fallback already
    if not fallback:
        if team.pk is None:
            team.is_fallback = False
            team.save()
        else:
            fields = [f.name for f in LocalTeam._meta.concrete_fields]
            team.save(
                update_fields=[n for n in fields if n not in ("id", "is_fallback")]
            )
        return LocalTeamSaved()
    before = _fallback_locked(team)
    if before is None:
        # A move committed while this read waited for its lock ticked a team the
        # read began too early to see (READ COMMITTED): read again, now it can.
        before = _fallback_locked(team)
    if before is not None:
        LocalTeam.objects.filter(pk=before.pk).update(is_fallback=False)
        before.is_fallback = False
    team.is_fallback = True
    team.save()
    return LocalTeamSaved(became_fallback=True, fallback_before=before)


def _fallback_locked(team: LocalTeam) -> LocalTeam | None:
    """The fallback team other than `team`, its row locked FOR UPDATE."""
    others = LocalTeam.objects.filter(is_fallback=True)
    if team.pk is not None:
        others = others.exclude(pk=team.pk)
    return others.select_for_update().first()
