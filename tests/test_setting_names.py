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

A name is matched on its letters and numbers only: case, accents, spaces and
punctuation do not count (a space or a mark between two numbers does: "Flat 2/1" is
not "Flat 21"). The database narrows the settings with the same fold
(work.setting_names): before, its fold (PostgreSQL's unaccent) turned a phone's dash,
curly quotes and ellipsis into ASCII while Python's kept them, so a name typed the
same way twice became two settings.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Value
from django.urls import reverse
from django.utils import timezone

from cases.models import ExposureSetting, SettingKind, SettingVisit
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f
from tests.local_teams.builders import LEEDS, SHEFFIELD, CaseFactory, person_in
from work.casework import VisitDetails, case_visit_add
from work.setting_names import MARKS, _marks_as_spaces, _MarksAsSpaces

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


# What a phone or a web page puts in a name where a keyboard types ASCII, and signs.
PUNCTUATED = [
    "Tesco \u2013 Crystal Peaks",  # an en dash, as pasted from a web page
    "Tesco \u2014 Crystal Peaks",  # an em dash
    "The \u201cCrown\u201d Inn",  # a phone's curly double quotes
    "The \u2018Crown\u2019 Inn",  # its curly single quotes
    "Hallam Foods\u2026",  # a phone's ellipsis
    "\u00bd Price Pizza",  # a fraction
    "Kelham Island\u00a9 Brewery",  # a copyright sign
    # Letters PostgreSQL's unaccent spells out and Python's fold kept as they are.
    "\u01c4emal\u2019s Caf\u00e9",  # a capital DZ with caron
    "\ufb01sh Bar",  # the ligature fi, as some keyboards write it
]


@pytest.mark.parametrize("name", PUNCTUATED)
def test_a_name_typed_identically_twice_at_one_postcode_is_one_setting(name):
    first = named(case_in(), name, kind=SettingKind.WORKPLACE)
    second = named(case_in(), name, kind=SettingKind.WORKPLACE)

    assert second.setting == first.setting
    assert ExposureSetting.objects.count() == 1


@pytest.mark.parametrize("name", PUNCTUATED)
def test_a_name_typed_identically_without_a_postcode_joins_the_one_with_it(name):
    with_postcode = named(case_in(), name)

    without = named(case_in(), name, postcode="")

    assert without.setting == with_postcode.setting


@pytest.mark.parametrize("name", PUNCTUATED)
def test_a_name_typed_identically_twice_without_a_postcode_is_one_setting(name):
    first = named(case_in(), name, postcode="", kind=SettingKind.VENUE)
    second = named(case_in(), name, postcode="", kind=SettingKind.VENUE)

    assert second.setting == first.setting


# One place, typed with different punctuation (or none).
SAME_PLACE = [
    ("St. Hildaton's Primary School", "St Hildaton's Primary School"),
    ("St.Hildaton's Primary School", "St Hildatons Primary School"),
    ("Tesco \u2013 Crystal Peaks", "Tesco - Crystal Peaks"),
    ("Tesco \u2014 Crystal Peaks", "Tesco Crystal Peaks"),
    ("Tesco-Crystal Peaks", "Tesco Crystal Peaks"),
    ("The \u201cCrown\u201d Inn", 'The "Crown" Inn'),
    ("The \u201cCrown\u201d Inn", "The Crown Inn"),
    ("Hallam Foods\u2026", "Hallam Foods..."),
    ("Hallam Foods\u2026", "Hallam Foods"),
    ("Smith & Sons, Ltd.", "Smith & Sons Ltd"),
    ("Kelham Island\u00a9 Brewery", "Kelham Island Brewery"),
    ("Unit 4B, Sheaf St", "Unit 4 B Sheaf St"),
]


@pytest.mark.parametrize(("first", "then"), SAME_PLACE)
def test_names_differing_only_by_punctuation_at_one_postcode_are_one_setting(
    first, then
):
    one = named(case_in(), first)

    other = named(case_in(), then)

    assert other.setting == one.setting
    assert other.setting.name == first  # as first typed


@pytest.mark.parametrize(("first", "then"), SAME_PLACE)
def test_names_differing_only_by_punctuation_without_a_postcode_are_one_setting(
    first, then
):
    one = named(case_in(), first, postcode="")

    other = named(case_in(), then, postcode="")

    assert other.setting == one.setting


@pytest.mark.parametrize(("first", "then"), SAME_PLACE)
def test_a_name_punctuated_otherwise_without_a_postcode_joins_the_one_with_it(
    first, then
):
    school = named(case_in(), first)

    other = named(case_in(), then, postcode="")

    assert other.setting == school.setting


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("St Mary's Primary", "St Mary's Secondary"),
        ("St. Mary's Primary", "St Mary's Primary School"),
        ("Flat 2/1, 10 Oak Road", "Flat 21, 10 Oak Road"),  # a Glasgow flat
        ("Unit 1-2", "Unit 12"),
    ],
)
def test_names_differing_by_a_word_or_a_number_are_two_settings(one, other):
    first = named(case_in(), one, kind=SettingKind.HOUSEHOLD)

    second = named(case_in(), other, kind=SettingKind.HOUSEHOLD)

    assert second.setting != first.setting


def test_a_place_named_without_a_postcode_never_joins_someones_household():
    """A name says little without a postcode: one family's "Grandma's house" at
    S10 2TN is not every "Grandmas house" of Sheffield named "Other" without one.
    Before, only the kind of the visit added was checked, not of the setting."""
    home = named(case_in(), "Grandma's house", kind=SettingKind.HOUSEHOLD)

    elsewhere = named(case_in(), "Grandmas house", postcode="", kind=SettingKind.OTHER)

    assert elsewhere.setting != home.setting
    assert elsewhere.setting.postcode == ""


def test_a_household_named_twice_at_one_postcode_does_not_make_a_name_ambiguous():
    """Households are not among the area's places a name without a postcode may
    join: nor do they hide the one place of that name from it."""
    named(case_in(), "The Crown", kind=SettingKind.HOUSEHOLD, postcode="S1 2HE")
    pub = named(case_in(), "The Crown", kind=SettingKind.VENUE)

    visit = named(case_in(), "the crown", postcode="", kind=SettingKind.VENUE)

    assert visit.setting == pub.setting


def test_a_case_naming_its_own_household_again_without_a_postcode_keeps_it():
    case = case_in()
    home = named(case, "Grandma's house", kind=SettingKind.HOUSEHOLD, day=3)

    again = named(case, "Grandmas house", postcode="", kind=SettingKind.HOUSEHOLD)

    assert again.setting == home.setting


def test_postgresql_reads_each_mark_as_a_space_as_sqlite_does(requires_postgres):
    """The fold's marks are read by a regular expression on PostgreSQL and by a
    function of its own on SQLite (work.setting_names): each mark, and no letter
    or number, is a space on both."""
    typed = "St" + "x".join(MARKS) + "Hilda 2"
    ExposureSetting.objects.create(name="Hallam Foods", kind=SettingKind.WORKPLACE)

    on_postgresql = ExposureSetting.objects.values_list(
        _MarksAsSpaces(Value(typed)), flat=True
    ).get()

    assert on_postgresql == _marks_as_spaces(typed)
