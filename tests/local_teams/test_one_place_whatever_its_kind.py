"""One place named with a postcode is one setting, whatever kind each case gave it.

Three cases name Greenfield Primary School, S1 2HE: two call it a school, the one who
teaches there a workplace. Before, the place split into a school and a workplace, the
cluster sweep found two cases at one and one at the other, and Sheffield's team never
saw the outbreak. Now the place is the setting the first case's kind named; the kind
each case gave is kept in the audit trail of their visit. Settings split before are
left as they are: a new case naming the place joins the first of them.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.errors import IllegalTransition
from cases.models import ExposureSetting, SettingKind
from escalations.clusters import clusters_detect
from escalations.models import Cluster
from online.models import OnlineLink
from tests import factories as f
from work.casework import VisitDetails, case_visit_add
from work.online import CaseAnswer, online_case_invite, online_case_submit

from .builders import SHEFFIELD, CaseFactory, person_in

pytestmark = pytest.mark.django_db

SCHOOL = "Greenfield Primary School"
POSTCODE = "S1 2HE"


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def sheffield_case():
    person = person_in(SHEFFIELD, phone="+447400111222")
    return CaseFactory(person=person, area=person.area)


def at_the_school(
    kind: str, name: str = SCHOOL, postcode: str = POSTCODE
) -> VisitDetails:
    return VisitDetails(name=name, kind=kind, visited_on=days_ago(4), postcode=postcode)


def named(case, kind: str, **place: str):
    """The case names the school on the case page (the staff form's operation)."""
    return case_visit_add(case=case, details=at_the_school(kind, **place), by=None)


def schools() -> list[ExposureSetting]:
    return list(ExposureSetting.objects.filter(name__iexact=SCHOOL).order_by("pk"))


def test_two_pupils_and_a_teacher_at_one_school_are_one_cluster(clock, client):
    cases = [sheffield_case() for _ in range(3)]
    named(cases[0], SettingKind.SCHOOL)
    named(cases[1], SettingKind.SCHOOL)
    named(cases[2], SettingKind.WORKPLACE)

    report = clusters_detect()

    assert report.created == 1
    (school,) = schools()
    assert school.kind == SettingKind.SCHOOL
    cluster = Cluster.objects.get()
    assert cluster.setting == school
    assert set(cluster.cases.all()) == set(cases)
    client.force_login(
        f.StaffProfileFactory(local=True, local_team=f.area(SHEFFIELD).local_team).user
    )
    page = client.get(reverse("escalations:clusters"))
    assert SCHOOL in page.content.decode()


def test_the_first_kind_given_names_the_place_and_a_later_kind_joins_it(clock):
    teacher, pupil = sheffield_case(), sheffield_case()
    first = named(teacher, SettingKind.WORKPLACE)

    later = named(pupil, SettingKind.SCHOOL, name="  greenfield primary SCHOOL ")

    assert later.setting == first.setting
    assert later.setting.kind == SettingKind.WORKPLACE
    assert len(schools()) == 1


def test_the_kind_each_case_gave_is_kept_with_their_visit(clock):
    pupil, teacher = sheffield_case(), sheffield_case()
    named(pupil, SettingKind.SCHOOL)

    visit = named(teacher, SettingKind.WORKPLACE)

    event = AuditEvent.objects.filter(
        object_id=str(teacher.pk), detail__visit=visit.pk
    ).get()
    assert event.detail["kind"] == SettingKind.WORKPLACE
    assert visit.setting.kind == SettingKind.SCHOOL


def test_a_teacher_entering_the_school_online_as_a_workplace_joins_it(clock):
    pupils = [sheffield_case() for _ in range(2)]
    for pupil in pupils:
        named(pupil, SettingKind.SCHOOL)
    teacher = sheffield_case()
    link = online_case_invite(case=teacher, now=timezone.now())
    assert isinstance(link, OnlineLink)

    online_case_submit(
        link=link,
        answer=CaseAnswer(contacts=[], visits=[at_the_school(SettingKind.WORKPLACE)]),
    )

    assert clusters_detect().created == 1
    assert set(Cluster.objects.get().cases.all()) == {*pupils, teacher}


def test_the_same_visit_named_again_by_another_kind_is_refused(clock):
    case = sheffield_case()
    named(case, SettingKind.SCHOOL)

    with pytest.raises(IllegalTransition, match="already recorded"):
        named(case, SettingKind.WORKPLACE)
    assert case.visits.count() == 1


def test_a_place_split_by_kind_before_is_left_as_it_is(clock):
    """Settings made before the change are not rewritten; a new case joins the
    first of them, so the place splits no further."""
    split = [
        f.ExposureSettingFactory(
            name=SCHOOL, kind=kind, postcode=POSTCODE, area=f.area(SHEFFIELD)
        )
        for kind in (SettingKind.SCHOOL, SettingKind.WORKPLACE)
    ]
    for setting in split:
        f.SettingVisitFactory(case=sheffield_case(), setting=setting)

    visit = named(sheffield_case(), SettingKind.WORKPLACE)

    assert visit.setting == split[0]
    assert schools() == split
    assert [s.visits.count() for s in split] == [2, 1]
    assert [s.kind for s in schools()] == [SettingKind.SCHOOL, SettingKind.WORKPLACE]


def test_without_a_postcode_a_household_is_still_the_cases_own(clock):
    """The rule for places without a postcode is unchanged: a household named so
    is never shared, even when another case named the place by another kind."""
    named(sheffield_case(), SettingKind.SCHOOL, postcode="")
    home = named(sheffield_case(), SettingKind.HOUSEHOLD, postcode="")

    assert home.setting.kind == SettingKind.HOUSEHOLD
    assert len(schools()) == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("requires_postgres")
def test_cases_naming_one_new_place_at_once_by_two_kinds_make_one_setting():
    kinds = [SettingKind.SCHOOL, SettingKind.WORKPLACE, SettingKind.SCHOOL]
    for n in range(3):
        cases = [sheffield_case() for _ in kinds]
        name = f"Greenfield Primary School {n}"
        start = threading.Barrier(len(cases))
        errors: list[BaseException] = []

        def visit(case, kind, name=name, start=start, errors=errors) -> None:
            try:
                start.wait()
                named(case, kind, name=name)
            except BaseException as exc:  # reported in the test thread
                errors.append(exc)
            finally:
                connection.close()

        threads = [
            threading.Thread(target=visit, args=pair)
            for pair in zip(cases, kinds, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert not errors, errors
        (setting,) = ExposureSetting.objects.filter(name=name)
        assert setting.visits.count() == 3
