"""The weeks readers ask for most are computed ahead of them (figures.tasks, on beat):
a reader of England's open week, its last closed weeks, or a local team's open and
last closed week finds them cached and waits for no query."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from areas.models import LocalTeam
from figures.tasks import weekly_figures_refresh_task
from figures.weekly import Period, Scope, weekly_figures, weekly_figures_refresh
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)  # a Tuesday: the week of 7 Jan
OPEN = Period(dt.date(2021, 1, 7))

pytestmark = pytest.mark.now(NOW)


@pytest.fixture
def team(db) -> LocalTeam:
    case = f.CaseFactory(created_at=NOW - dt.timedelta(hours=2))
    return case.area.local_team


def test_after_a_refresh_england_and_a_team_are_read_without_a_query(
    clock, team, django_assert_num_queries
):
    weekly_figures_refresh(now=NOW, closed_weeks=2)
    with django_assert_num_queries(0):
        england = weekly_figures(period=OPEN, scope=Scope.england(), now=NOW)
        weekly_figures(period=OPEN.previous(2), scope=Scope.england(), now=NOW)
        weekly_figures(period=OPEN, scope=Scope.team(team), now=NOW)
        weekly_figures(period=OPEN.previous(), scope=Scope.team(team), now=NOW)
    assert england.cases.transferred == 1


def test_a_week_not_refreshed_is_still_computed_when_asked(clock, team):
    weekly_figures_refresh(now=NOW, closed_weeks=1, scopes=[Scope.england()])
    older = weekly_figures(period=OPEN.previous(5), scope=Scope.england(), now=NOW)
    assert older.cases.transferred == 0


def test_the_open_week_is_recomputed_each_run_and_closed_weeks_kept(clock, team):
    teams = LocalTeam.objects.count()
    first = weekly_figures_refresh(now=NOW, closed_weeks=2)
    # England: the open week and two closed; each team: the open and the last closed.
    assert (first.computed, first.kept) == (3 + 2 * teams, 0)
    f.CaseFactory(created_at=NOW - dt.timedelta(hours=1), area=f.CaseFactory().area)
    second = weekly_figures_refresh(now=NOW, closed_weeks=2)
    assert (second.computed, second.kept) == (1 + teams, 2 + teams)
    england = weekly_figures(period=OPEN, scope=Scope.england(), now=NOW)
    assert england.cases.transferred == 3  # the open week, as of the second run


def test_the_task_runs_the_refresh(clock, team):
    result = weekly_figures_refresh_task.apply().get()
    assert result["computed"] >= 2
    figures = weekly_figures(period=OPEN, scope=Scope.england(), now=NOW)
    assert figures.cases.transferred == 1
