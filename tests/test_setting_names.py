"""One place typed slightly differently by each case is one setting, so its cluster
is found.

Four cases at St Hildaton's Primary School, S10 2TN, typed its name as people type:
a straight apostrophe, a phone's curly one, none, two spaces. Before, the setting was
matched on the name exactly (but for case) and the school became four settings, no
cluster, and nothing on Sheffield's clusters page. A case that gave the school's name
without a postcode (the form asks for it "if they know it") never joined the one with
a postcode either. Now a name is matched as a person reads it (no case, no
apostrophes, no accents, one space between words), at the same postcode; a name given
without a postcode joins the one setting of that name in the case's area.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ExposureSetting, SettingKind, SettingVisit
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f
from tests.local_teams.builders import LEEDS, SHEFFIELD, CaseFactory, person_in
from work.casework import VisitDetails, case_visit_add

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SCHOOL = "St Hildaton's Primary School"
POSTCODE = "S10 2TN"
TYPED = [
    "St Hildaton's Primary School",
    "St Hildaton\u2019s Primary School",  # a phone's curly apostrophe
    "St Hildatons Primary School",
    "St Hildaton's Primary  School",  # two spaces
]


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def case_in(code: str = SHEFFIELD):
    person = person_in(code, phone="+447400111222")
    return CaseFactory(person=person, area=person.area)


def named(case, name: str, postcode: str = POSTCODE, kind=SettingKind.SCHOOL, day=2):
    return case_visit_add(
        case=case,
        details=VisitDetails(
            name=name, kind=kind, visited_on=days_ago(day), postcode=postcode
        ),
        by=None,
    )


def test_one_school_typed_four_ways_on_the_case_page_is_one_cluster(client, supervisor):
    cases = [case_in() for _ in TYPED]
    client.force_login(supervisor)  # a national supervisor works any case
    for case, name in zip(cases, TYPED, strict=True):
        client.post(
            reverse("cases:visit", args=[case.pk]),
            {
                "visit-name": name,
                "visit-kind": SettingKind.SCHOOL,
                "visit-postcode": "s10 2tn",
                "visit-visited_on": days_ago(2).isoformat(),
            },
        )

    assert clusters_detect().created == 1

    (setting,) = {v.setting for v in SettingVisit.objects.filter(case__in=cases)}
    assert setting.name == SCHOOL  # as the first case typed it
    assert set(Cluster.objects.get().cases.all()) == set(cases)
    client.force_login(
        f.StaffProfileFactory(local=True, local_team=f.area(SHEFFIELD).local_team).user
    )
    page = client.get(reverse("escalations:clusters")).content.decode()
    assert "St Hildaton" in page


def test_names_differing_by_case_accents_and_spaces_are_one_setting():
    first = named(case_in(), "Café Noël")
    for typed in ("CAFE NOEL", " cafe  noël ", "Cafe\u00a0Noel"):
        assert named(case_in(), typed).setting == first.setting
    assert ExposureSetting.objects.get().name == "Café Noël"


def test_the_same_name_at_another_postcode_is_another_setting():
    one = named(case_in(), SCHOOL, postcode="S1 2HE")
    other = named(case_in(), SCHOOL, postcode="S1 2HH")

    assert one.setting != other.setting


def test_other_words_are_another_setting():
    one = named(case_in(), "St Hildaton's Primary School")
    other = named(case_in(), "St Hildaton's Junior School")

    assert one.setting != other.setting


def test_a_name_without_a_postcode_joins_the_one_setting_of_that_name_in_the_area():
    with_postcode = [case_in(), case_in()]
    for case in with_postcode:
        named(case, "Hallam Foods", kind=SettingKind.WORKPLACE)
    without = [case_in(), case_in()]
    for case in without:
        visit = named(case, "hallam foods", postcode="", kind=SettingKind.WORKPLACE)
        assert visit.setting.postcode == POSTCODE

    assert clusters_detect().created == 1
    assert set(Cluster.objects.get().cases.all()) == {*with_postcode, *without}
    assert ExposureSetting.objects.count() == 1


def test_a_name_without_a_postcode_whatever_kind_given_joins_the_school():
    school = named(case_in(), SCHOOL)

    teacher = named(case_in(), "St Hildatons Primary School", postcode="", kind="other")

    assert teacher.setting == school.setting


def test_a_name_at_two_postcodes_in_the_area_is_not_guessed_for_one_without():
    """Two Tescos: a case who does not know which was theirs joins neither."""
    stores = {
        named(case_in(), "Tesco", postcode=pc, kind=SettingKind.VENUE).setting
        for pc in ("S1 2HE", "S1 2HH")
    }

    visit = named(case_in(), "Tesco", postcode="", kind=SettingKind.VENUE)

    assert visit.setting not in stores
    assert visit.setting.postcode == ""
    # ...but the next case naming it without a postcode in the area shares it.
    again = named(case_in(), "TESCO", postcode="", kind=SettingKind.VENUE)
    assert again.setting == visit.setting


def test_a_name_without_a_postcode_in_another_area_is_not_joined():
    named(case_in(SHEFFIELD), SCHOOL)

    leeds = named(case_in(LEEDS), SCHOOL, postcode="")

    assert leeds.setting.postcode == ""
    assert ExposureSetting.objects.count() == 2


def test_a_household_without_a_postcode_never_joins_one_with_a_postcode():
    named(case_in(), "Grandma's house", kind=SettingKind.HOUSEHOLD)

    home = named(case_in(), "Grandma's house", postcode="", kind=SettingKind.HOUSEHOLD)

    assert home.setting.postcode == ""


def test_the_same_case_naming_a_place_without_a_postcode_the_next_day_keeps_it():
    case = case_in()
    first = named(case, "Hallam Foods", kind=SettingKind.WORKPLACE, day=3)

    again = named(case, "Hallam Foods", postcode="", kind=SettingKind.WORKPLACE)

    assert again.setting == first.setting


def test_without_a_postcode_a_setting_of_the_area_is_found_as_spelt_otherwise():
    first = named(case_in(), "St Hildaton's Primary", postcode="")

    for typed in ("st hildaton\u2019s  primary", "St Hildatons Primary"):
        assert named(case_in(), typed, postcode="").setting == first.setting
