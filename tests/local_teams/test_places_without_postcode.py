"""Places named without a postcode are not merged across the country into one cluster.

The postcode is optional on the case page and on the online form. Before, every
"Grandma's house" (or "Tesco") named without one, in Sheffield, Leeds and Manchester
alike, was one setting, and the cluster sweep showed Sheffield's team a cluster of
three unrelated places. Now such a place is shared only by the cases of one area,
and a household without a postcode is never shared: it is the case's own, whichever
day they name it. A place with a postcode is still one setting for every case that
names it, so a real cluster at a shared workplace is still found.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.errors import IllegalTransition
from cases.models import ExposureSetting, SettingKind, SettingVisit
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from online.models import OnlineLink
from tests import factories as f
from work.casework import VisitDetails, case_visit_add
from work.online import CaseAnswer, online_case_invite, online_case_submit

from .builders import LEEDS, SHEFFIELD, CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MANCHESTER = "E08000003"
HOMES = {SHEFFIELD: "S1 2HE", LEEDS: "LS1 1UR", MANCHESTER: "M1 1AE"}


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def case_in(code: str):
    person = f.PersonFactory(
        area=f.area(code), postcode=HOMES[code], phone="+447400111222"
    )
    return CaseFactory(person=person, area=person.area)


def named(case, name: str, kind: str, postcode: str = "", day: int = 2):
    """The case names a place on the case page (the staff form's operation)."""
    return case_visit_add(
        case=case,
        details=VisitDetails(
            name=name, kind=kind, visited_on=days_ago(day), postcode=postcode
        ),
        by=None,
    )


def named_online(case, name: str, kind: str, postcode: str = "") -> None:
    """The case enters the place on the page their text's link opens."""
    link = online_case_invite(case=case, now=timezone.now())
    assert isinstance(link, OnlineLink)
    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[],
            visits=[
                VisitDetails(
                    name=name, kind=kind, visited_on=days_ago(2), postcode=postcode
                )
            ],
        ),
    )


def settings_named(name: str) -> int:
    return ExposureSetting.objects.filter(name__iexact=name).count()


def test_grandmas_house_entered_online_in_three_cities_is_no_cluster():
    cases = [case_in(code) for code in (SHEFFIELD, LEEDS, MANCHESTER)]
    for case in cases:
        named_online(case, "Grandma's house", SettingKind.HOUSEHOLD)

    report = clusters_detect()

    assert report.created == 0
    assert not Cluster.objects.exists()
    assert settings_named("Grandma's house") == 3
    for case in cases:
        assert case.visits.count() == 1


def test_tesco_without_a_postcode_in_three_cities_is_no_cluster():
    for code in (SHEFFIELD, LEEDS, MANCHESTER):
        named(case_in(code), "Tesco", SettingKind.VENUE)

    assert clusters_detect().created == 0
    assert settings_named("Tesco") == 3


def test_a_household_without_a_postcode_is_never_shared_even_in_one_area():
    for _ in range(3):
        named(case_in(SHEFFIELD), "Home", SettingKind.HOUSEHOLD)

    assert clusters_detect().created == 0
    assert settings_named("Home") == 3


def test_the_same_case_naming_its_household_again_keeps_one_setting():
    case = case_in(SHEFFIELD)
    named(case, "Grandma's house", SettingKind.HOUSEHOLD, day=2)
    named(case, "grandma's house", SettingKind.HOUSEHOLD, day=1)

    assert settings_named("Grandma's house") == 1
    assert case.visits.count() == 2
    with pytest.raises(IllegalTransition, match="already recorded"):
        named(case, "Grandma's house", SettingKind.HOUSEHOLD, day=1)


def test_a_school_without_a_postcode_is_one_setting_within_an_area():
    cases = [case_in(SHEFFIELD) for _ in range(3)]
    for case in cases:
        named(case, "Nopostcode Primary", SettingKind.SCHOOL)

    assert clusters_detect().created == 1
    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert set(cluster.cases.all()) == set(cases)
    assert settings_named("Nopostcode Primary") == 1


def test_a_leeds_case_naming_the_same_school_without_a_postcode_is_not_in_sheffields():
    sheffield = [case_in(SHEFFIELD) for _ in range(3)]
    for case in sheffield:
        named(case, "St Mary's Primary", SettingKind.SCHOOL)
    leeds = case_in(LEEDS)
    named(leeds, "St Mary's Primary", SettingKind.SCHOOL)

    clusters_detect()

    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert set(cluster.cases.all()) == set(sheffield)
    assert settings_named("St Mary's Primary") == 2


def test_cases_with_no_area_do_not_share_a_place_without_a_postcode():
    for _ in range(3):
        case = case_in(SHEFFIELD)
        case.area = None  # their postcode matched no area: the fallback team's
        case.save(update_fields=["area"])
        named(case, "Tesco", SettingKind.VENUE)

    assert settings_named("Tesco") == 3


def test_a_workplace_with_a_postcode_is_still_one_setting_for_every_area():
    cases = [case_in(code) for code in (SHEFFIELD, LEEDS, MANCHESTER)]
    for case in cases:
        named(case, "Steel Works", SettingKind.WORKPLACE, postcode="S1 2HH")

    assert clusters_detect().created == 1
    cluster = Cluster.objects.get()
    assert cluster.area == f.area(SHEFFIELD)
    assert set(cluster.cases.all()) == set(cases)
    assert settings_named("Steel Works") == 1


def test_a_place_lumped_before_the_change_gains_no_new_visits():
    """A setting made before, shared by cases of several areas, is left as it is;
    a new case naming the place gets a setting of its area's own."""
    lumped = f.ExposureSettingFactory(
        name="Tesco", kind=SettingKind.VENUE, postcode="", area=None
    )
    for code in (SHEFFIELD, LEEDS):
        f.SettingVisitFactory(case=case_in(code), setting=lumped)

    visit = named(case_in(SHEFFIELD), "Tesco", SettingKind.VENUE)

    assert visit.setting != lumped
    assert lumped.visits.count() == 2


def test_a_household_lumped_before_the_change_makes_no_cluster():
    lumped = f.ExposureSettingFactory(
        name="Grandma's house", kind=SettingKind.HOUSEHOLD, postcode="", area=None
    )
    for code in (SHEFFIELD, LEEDS, MANCHESTER):
        f.SettingVisitFactory(case=case_in(code), setting=lumped)
    assert SettingVisit.objects.filter(setting=lumped).count() == 3

    assert clusters_detect().created == 0
    assert not Cluster.objects.exists()
