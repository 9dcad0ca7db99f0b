"""A week that is over keeps counting the cases and contacts of its cohort reached
later ("counted as reached if they have been reached by now, however late"), and
the figures page says its figures "are worked out again at least once a day". A
settled week was cached for seven days, and the beat's refresh left a closed week
alone once it was cached: a case reached afterwards was missing from the page all
that time. Now a closed week's cached figures are never more than a day old, and
the refresh works out again the closed weeks it keeps warm, replacing the cached
copy, so a reader is still answered from the cache."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Route, Status
from figures.tasks import weekly_figures_refresh_task
from figures.weekly import Period, Scope, weekly_figures
from tests import factories as f
from work.calls import call_record

LONDON = ZoneInfo("Europe/London")
# Sunday 6 December 2026: the Thursday week of 15 October is long over and settled.
NOW = dt.datetime(2026, 12, 6, 10, 0, tzinfo=LONDON)
WEEK = Period(dt.date(2026, 10, 15))
# The last complete week, 26 November to 2 December: each team's is kept warm too.
LAST = Period(dt.date(2026, 11, 26))
URL = reverse("figures:weekly")
SHEFFIELD = "E08000019"

pytestmark = pytest.mark.now(NOW)


def _in(period: Period, hours: int) -> dt.datetime:
    start, _ = period.bounds()
    return start + dt.timedelta(hours=hours)


@pytest.fixture
def clinician(db):
    return f.StaffProfileFactory(clinical=True, is_supervisor=True).user


def cases_a_b_e(period: Period, clinician):
    """Cases A, B and E transferred in Sheffield in the week; only A reached. E is
    with the clinician, who reaches it later (reach_e)."""
    area = f.area(SHEFFIELD)
    f.CaseFactory(
        person=f.PersonFactory(area=area),
        created_at=_in(period, 10),
        status=Status.COMPLETED,
        reached_at=_in(period, 12),
        reached_route=Route.NATIONAL,
    )
    f.CaseFactory(person=f.PersonFactory(area=area), created_at=_in(period, 11))
    return f.CaseFactory(
        person=f.PersonFactory(area=area),
        created_at=_in(period, 12),
        status=Status.ASSIGNED,
        assignee=clinician,
    )


def reach(case, clinician) -> None:
    call_record(item=case, caller=clinician, outcome=Outcome.REACHED)


def reached_on_the_page(client, user, **query) -> int:
    client.force_login(user)  # signed in afresh: the clock moves a day at a time
    response = client.get(URL, {"week": WEEK.key, **query})
    assert response.status_code == 200
    return response.context["figures"].cases.reached


def test_a_case_reached_after_its_week_is_counted_within_a_day(
    clock, client, supervisor, clinician
):
    e = cases_a_b_e(WEEK, clinician)
    assert reached_on_the_page(client, supervisor) == 1  # 33.3% of 3

    reach(e, clinician)
    clock.shift(dt.timedelta(hours=25))
    weekly_figures_refresh_task.apply().get()

    assert reached_on_the_page(client, supervisor) == 2


def test_the_refresh_replaces_a_closed_weeks_figures_so_readers_do_not_wait(
    clock, clinician, django_assert_num_queries
):
    """England's closed weeks the refresh keeps warm are worked out again well
    within the day: a reader is answered from the cache, with the late reach."""
    e = cases_a_b_e(WEEK, clinician)
    weekly_figures_refresh_task.apply().get()
    reach(e, clinician)

    clock.shift(dt.timedelta(hours=13))
    weekly_figures_refresh_task.apply().get()

    with django_assert_num_queries(1):  # the marker (forgotten_in_database)
        figures = weekly_figures(period=WEEK, scope=Scope.england())
    assert figures.cases.reached == 2


def test_a_teams_last_week_is_worked_out_again_by_the_refresh(
    clock, clinician, django_assert_num_queries
):
    e = cases_a_b_e(LAST, clinician)
    team = Scope.team(f.area(SHEFFIELD).local_team)
    weekly_figures_refresh_task.apply().get()
    assert weekly_figures(period=LAST, scope=team).cases.reached == 1
    reach(e, clinician)

    clock.shift(dt.timedelta(hours=25))
    weekly_figures_refresh_task.apply().get()

    with django_assert_num_queries(1):  # the marker (forgotten_in_database)
        figures = weekly_figures(period=LAST, scope=team)
    assert figures.cases.reached == 2


def test_a_scope_the_refresh_does_not_keep_is_read_afresh_after_a_day(
    clock, client, supervisor, clinician
):
    """An area's week is cached when first asked for; a day on it is worked out
    again by its next reader."""
    e = cases_a_b_e(WEEK, clinician)
    area = {"scope": f"area-{SHEFFIELD}"}
    assert reached_on_the_page(client, supervisor, **area) == 1
    reach(e, clinician)

    clock.shift(dt.timedelta(hours=23))
    assert (
        reached_on_the_page(client, supervisor, **area) == 1
    )  # cached: under a day old
    clock.shift(dt.timedelta(hours=2))
    assert reached_on_the_page(client, supervisor, **area) == 2
