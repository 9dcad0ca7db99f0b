"""Only England's current areas are the service's: a postcode in Wales goes to the
fallback team, the counties replaced in 2019-2023 leave no empty teams behind, and
loading the areas again keeps what an administrator changed."""

from __future__ import annotations

import datetime as dt
import importlib
import io
from collections import Counter

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django.utils import timezone

from areas.models import Area, LocalTeam
from areas.services import postcode_to_area
from cases.models import Case, SettingKind
from escalations.models import Escalation
from people.services import PersonDetails
from tests import factories as f
from work.intake import TestResult as LabResult
from work.intake import case_intake

pytestmark = pytest.mark.django_db

CARDIFF = "W06000015"
SHEFFIELD = "E08000019"
LEEDS = "E08000035"
# The counties whose districts the 2023 unitary authorities replaced, and a district of each.
OLD_COUNTIES = ["E10000006", "E10000023", "E10000027"]
OLD_DISTRICTS = ["E07000028", "E07000165", "E07000187"]  # Carlisle, Harrogate, Mendip


def cardiff_result() -> LabResult:
    person = PersonDetails(
        first_name="Rhys",
        last_name="Evans",
        date_of_birth=dt.date(1975, 3, 2),
        phone="07911 123456",
        postcode="CF10 1EP",
    )
    return LabResult(
        lab_reference="LAB-CF-1",
        person=person,
        specimen_date=dt.date(2021, 1, 10),
        result_date=dt.date(2021, 1, 11),
        complex_setting=SettingKind.CARE_HOME,
    )


def old_welsh_area() -> Area:
    """Cardiff as the earlier load made it: an area with its own team."""
    team, _ = LocalTeam.objects.get_or_create(
        code=CARDIFF, defaults={"name": "Cardiff Public Health"}
    )
    area, _ = Area.objects.get_or_create(
        code=CARDIFF,
        defaults={
            "name": "Cardiff",
            "upper_tier_code": CARDIFF,
            "upper_tier_name": "Cardiff",
            "local_team": team,
        },
    )
    return area


def run_migration() -> None:
    migration = importlib.import_module("areas.migrations.0003_england_only")
    migration.remove_areas_outside_the_service(global_apps, None)


# --- a postcode in Wales ---------------------------------------------------------------


def test_a_welsh_postcode_has_no_area():
    found = postcode_to_area("cf10 1ep")

    assert found.postcode == "CF10 1EP"
    assert found.area is None


def test_a_welsh_postcode_has_no_area_even_where_the_old_area_is_kept():
    old_welsh_area()

    assert postcode_to_area("CF10 1EP").area is None


def test_a_case_in_cardiff_goes_to_the_fallback_team_flagged(clock):
    case, _ = case_intake(result=cardiff_result())

    case = Case.objects.get(pk=case.pk)
    escalation = Escalation.objects.get(case=case)
    assert case.area is None
    assert case.area_unknown is True
    assert escalation.local_team.is_fallback is True
    assert escalation.area_unknown is True


# --- the areas and teams after the migrations -------------------------------------------


def test_every_area_is_in_england():
    assert (
        list(Area.objects.exclude(code__startswith="E").values_list("name", flat=True))
        == []
    )
    assert not LocalTeam.objects.filter(name="Cardiff Public Health").exists()


def test_no_two_local_teams_share_a_name():
    names = Counter(LocalTeam.objects.values_list("name", flat=True))

    assert [name for name, count in names.items() if count > 1] == []


def test_the_replaced_counties_and_their_districts_are_gone():
    assert not LocalTeam.objects.filter(code__in=OLD_COUNTIES).exists()
    assert not Area.objects.filter(code__in=OLD_DISTRICTS).exists()
    assert not Area.objects.filter(upper_tier_code__in=OLD_COUNTIES).exists()


def test_no_team_is_left_without_an_area_but_the_fallback():
    empty = LocalTeam.objects.filter(areas__isnull=True, is_fallback=False)

    assert list(empty.values_list("name", flat=True)) == []


def test_a_postcode_of_a_replaced_county_goes_to_its_new_authority():
    found = postcode_to_area("HG1 1AA")  # Harrogate, now North Yorkshire's

    assert found.area is not None
    assert found.area.code == "E06000065"
    assert found.area.local_team.name == "North Yorkshire Public Health"


# --- the migration ----------------------------------------------------------------------


def test_the_migration_changes_nothing_on_a_fresh_database():
    areas = set(Area.objects.values_list("code", "local_team__code"))
    teams = set(LocalTeam.objects.values_list("code", "name"))

    run_migration()
    run_migration()

    assert set(Area.objects.values_list("code", "local_team__code")) == areas
    assert set(LocalTeam.objects.values_list("code", "name")) == teams


def test_the_migration_removes_a_welsh_area_and_its_team_nothing_refers_to():
    old_welsh_area()

    run_migration()

    assert not Area.objects.filter(code=CARDIFF).exists()
    assert not LocalTeam.objects.filter(code=CARDIFF).exists()


def test_the_migration_keeps_a_welsh_area_someone_lives_in():
    cardiff = old_welsh_area()
    person = f.PersonFactory(postcode="CF10 1EP", area=cardiff)

    run_migration()

    person.refresh_from_db()
    assert person.area == cardiff
    cardiff.refresh_from_db()
    # Kept for its records, served by the fallback team; its own team, which
    # nothing else refers to, is gone.
    assert cardiff.local_team.is_fallback
    assert not LocalTeam.objects.filter(code=CARDIFF).exists()


# --- loading the areas again -------------------------------------------------------------


def test_loading_the_areas_again_keeps_an_area_moved_to_another_team():
    sheffield = Area.objects.get(code=SHEFFIELD)
    leeds_team = Area.objects.get(code=LEEDS).local_team
    sheffield.local_team = leeds_team
    sheffield.save()

    call_command("load_areas", stdout=io.StringIO())

    sheffield.refresh_from_db()
    assert sheffield.local_team == leeds_team


def test_loading_the_areas_again_does_not_bring_back_a_team_taken_out():
    sheffield = Area.objects.get(code=SHEFFIELD)
    old_team = sheffield.local_team
    sheffield.local_team = Area.objects.get(code=LEEDS).local_team
    sheffield.save()
    old_team.delete()

    call_command("load_areas", stdout=io.StringIO())

    assert not LocalTeam.objects.filter(code=old_team.code).exists()


def test_the_work_of_someone_in_a_welsh_area_kept_goes_to_the_fallback_team():
    # An upgrade with a person in Cardiff: the area is kept for their records, and
    # served by the fallback team from then on, not by a Welsh team no one is in.
    from work.escalation import escalate_unreached

    cardiff = old_welsh_area()
    person = f.PersonFactory(postcode="CF10 1EP", area=cardiff)
    run_migration()
    past = timezone.now() - dt.timedelta(days=3)
    contact = f.ContactFactory(person=person, created_at=past, escalate_due_at=past)

    escalate_unreached()

    assert Escalation.objects.get(contact=contact).local_team.is_fallback
