"""Cases reported late who were at a setting just before its recorded cluster began
join that cluster: one outbreak is one cluster, whenever its cases are reported.

Before, a visit joined a recorded cluster only from its first day to 13 days later:
visits on 27, 28 and 29 November made a cluster of 3 cases; two cases reported next,
who were there on 25 and 26 November, were never counted (5 cases on 5 days shown
as 3), and three late cases there on 24 to 26 November made a second cluster beside
the first (one outbreak split in two). Now a visit no more than a window - 1 days
(13) before a recorded cluster's first day or after its last joins it, and moves
its first (or last) day on; the visits within reach of those join too; late visits
that make a window of their own near a recorded cluster join that cluster rather
than make another.

Before, too, a single visit joined only while the cluster's days with it fitted in
one window: a cluster longer than a window (windows next to each other are one)
gained no case ever again, a case the day after a case a day for 20 days left out.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from escalations.clusters import clusters_detect
from escalations.models import Cluster
from tests import factories as f

from .builders import SHEFFIELD, CaseFactory, person_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def thresholds(settings):
    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


@pytest.fixture
def works():
    return f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="Hunt Works")


def visits(setting, *days: int) -> list:
    """One new case per day given (days ago), each visiting the setting."""
    cases = []
    for n in days:
        case = CaseFactory(person=person_in(SHEFFIELD))
        f.SettingVisitFactory(case=case, setting=setting, visited_on=days_ago(n))
        cases.append(case)
    return cases


def spans(setting) -> list[tuple[dt.date, dt.date, int]]:
    return [
        (c.first_visit_on, c.last_visit_on, c.cases.count())
        for c in Cluster.objects.filter(setting=setting).order_by("first_visit_on")
    ]


def test_two_late_cases_just_before_the_cluster_join_it(clock, works):
    visits(works, 10, 9, 8)
    clusters_detect()

    late = visits(works, 12, 11)
    report = clusters_detect()

    assert report.created == 0
    assert report.cases_added == 2
    assert spans(works) == [(days_ago(12), days_ago(8), 5)]
    assert set(late) <= set(Cluster.objects.get().cases.all())


def test_three_late_cases_just_before_make_no_second_cluster(clock, works):
    visits(works, 10, 9, 8)
    clusters_detect()

    visits(works, 13, 12, 11)
    report = clusters_detect()

    assert report.created == 0
    assert report.cases_added == 3
    assert spans(works) == [(days_ago(13), days_ago(8), 6)]


def test_the_team_sees_the_late_cases_in_the_one_cluster(
    clock, works, sheffield_client
):
    visits(works, 10, 9, 8)
    clusters_detect()
    late = visits(works, 12, 11)
    clusters_detect()

    listing = sheffield_client.get(reverse("escalations:clusters"))
    (cluster,) = listing.context["page"]
    page = sheffield_client.get(reverse("escalations:cluster", args=[cluster.pk]))

    assert cluster.case_count == 5
    body = page.content.decode()
    for case in late:
        assert case.person.full_name in body


def test_a_late_visit_a_window_less_a_day_before_the_first_joins(clock, works):
    visits(works, 10, 9, 8)
    clusters_detect()

    (reaching,) = visits(works, 23)  # 13 days before the first visit
    report = clusters_detect()

    assert report.cases_added == 1
    assert reaching in Cluster.objects.get().cases.all()
    assert spans(works) == [(days_ago(23), days_ago(8), 4)]


def test_a_late_visit_a_whole_window_before_the_first_stays_out(clock, works):
    visits(works, 10, 9, 8)
    clusters_detect()

    (beyond,) = visits(works, 24)  # 14 days before: no window holds both
    clusters_detect()

    assert beyond not in Cluster.objects.get().cases.all()
    assert spans(works) == [(days_ago(10), days_ago(8), 3)]


def test_late_visits_within_reach_of_each_other_join_in_one_sweep(clock, works):
    """24 days ago is out of reach of the cluster, but not of the visit of 23 days
    ago that joins it: both join at once, not one a sweep later."""
    visits(works, 10, 9, 8)
    clusters_detect()

    visits(works, 24, 23)
    first = clusters_detect()

    assert first.cases_added == 2
    assert spans(works) == [(days_ago(24), days_ago(8), 5)]
    assert clusters_detect().cases_added == 0


def test_late_cases_touching_a_full_window_join_it(clock, works):
    """The recorded cluster already spans a whole window: three late cases the days
    just before it are no second cluster beside it but part of it."""
    visits(works, 20, 12, 7)  # 14 days, counting both ends
    clusters_detect()

    visits(works, 23, 22, 21)
    report = clusters_detect()

    assert report.created == 0
    assert spans(works) == [(days_ago(23), days_ago(7), 6)]


def test_late_cases_a_day_apart_from_a_full_window_join_it_too(clock, works):
    """A day left empty between them is no gap in one outbreak: 22 days ago is
    within a window of the cluster's first visit."""
    visits(works, 20, 12, 7)
    clusters_detect()

    visits(works, 24, 23, 22)

    assert clusters_detect().created == 0
    assert spans(works) == [(days_ago(24), days_ago(7), 6)]


def test_late_cases_a_whole_window_before_a_cluster_make_their_own(clock, works):
    visits(works, 6, 5, 4)
    clusters_detect()

    visits(works, 23, 22, 20)  # the last of them 14 days before the cluster's first

    assert clusters_detect().created == 1
    assert spans(works) == [
        (days_ago(23), days_ago(20), 3),
        (days_ago(6), days_ago(4), 3),
    ]


def test_joining_late_cases_twice_adds_nothing_more(clock, works):
    visits(works, 20, 12, 7)
    clusters_detect()
    visits(works, 27, 26, 23, 22, 21)  # a window touching the cluster's first day
    first = clusters_detect()

    again = clusters_detect()

    assert first.cases_added == 5
    assert (again.created, again.cases_added) == (0, 0)
    assert spans(works) == [(days_ago(27), days_ago(7), 8)]


def test_a_later_case_still_joins_forward_within_the_window(clock, works):
    visits(works, 10, 9, 8)
    clusters_detect()

    (later,) = visits(works, 0)

    assert clusters_detect().cases_added == 1
    assert later in Cluster.objects.get().cases.all()
    assert spans(works) == [(days_ago(10), days_ago(0), 4)]


def test_an_outbreak_longer_than_a_window_is_one_cluster(clock, works):
    """A case a day for 20 days: the window from the first holds 14 of them, the
    next starts the day after it ends; touching, they are one cluster."""
    visits(works, *range(20, 0, -1))

    assert clusters_detect().created == 1
    assert spans(works) == [(days_ago(20), days_ago(1), 20)]


def test_cases_the_days_after_a_full_window_join_it_too(clock, works):
    visits(works, 20, 12, 7)
    clusters_detect()

    visits(works, 6, 5, 4)  # a window of their own, the day after the cluster's last
    report = clusters_detect()

    assert report.created == 0
    assert spans(works) == [(days_ago(20), days_ago(4), 6)]


def test_a_new_case_the_day_after_a_long_outbreak_joins_it(clock, works):
    """A case a day for 20 days is one cluster, longer than a window: the case the
    next day joins it, and the team is to look at the cluster again."""
    visits(works, *range(20, 0, -1))
    clusters_detect()
    Cluster.objects.update(reviewed_at=timezone.now())

    (today,) = visits(works, 0)
    report = clusters_detect()

    assert report.cases_added == 1
    cluster = Cluster.objects.get()
    assert today in cluster.cases.all()
    assert (cluster.first_visit_on, cluster.last_visit_on) == (
        days_ago(20),
        days_ago(0),
    )
    assert cluster.reviewed_at is None


def test_the_team_sees_the_new_case_of_a_long_outbreak(clock, works, sheffield_client):
    visits(works, *range(20, 0, -1))
    clusters_detect()
    (today,) = visits(works, 0)
    clusters_detect()

    (cluster,) = sheffield_client.get(reverse("escalations:clusters")).context["page"]
    page = sheffield_client.get(reverse("escalations:cluster", args=[cluster.pk]))

    assert cluster.case_count == 21
    assert today.person.full_name in page.content.decode()


def test_a_case_a_window_less_a_day_after_the_last_joins(clock, works):
    visits(works, 27, 26, 25)
    clusters_detect()

    (reaching,) = visits(works, 12)  # 13 days after the last visit

    assert clusters_detect().cases_added == 1
    assert reaching in Cluster.objects.get().cases.all()


def test_a_case_a_whole_window_after_the_last_stays_out(clock, works):
    visits(works, 27, 26, 25)
    clusters_detect()

    (beyond,) = visits(works, 11)  # 14 days after the last visit

    assert clusters_detect().cases_added == 0
    assert beyond not in Cluster.objects.get().cases.all()


def test_all_at_once_or_one_by_one_is_the_same_cluster(clock, works):
    """Three cases, three more 13 days after them, and one in between: one
    cluster, whether the sweep counts them together or as they come."""
    visits(works, 27, 26, 25, 24, 12, 11, 10)
    clusters_detect()

    other = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="Park Works")
    for days in ((27, 26, 25), (12, 11, 10), (24,)):
        visits(other, *days)
        clusters_detect()

    assert spans(works) == spans(other) == [(days_ago(27), days_ago(10), 7)]
