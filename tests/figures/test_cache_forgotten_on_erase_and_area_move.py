"""What the administrators change in the admin that changes what the weekly figures
count is seen at once, as a merge is: erasing a person's records takes them out of
every week's figures, and an area moved to another local team counts for that
team, so the teams still add up to England. Both kept the cached figures (a
settled week's for up to a day) until then."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from cases.workitem import Route, Status
from figures.weekly import Period, Scope, weekly_figures
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)
# 24 to 30 December 2020: closed and settled by NOW, so cached for the day.
WEEK = Period(dt.date(2020, 12, 24))
SHEFFIELD, LEEDS = "E08000019", "E08000035"

pytestmark = [pytest.mark.now(NOW), pytest.mark.django_db]


def completed_case(code: str):
    """A case of the week, reached and completed (so it may be erased)."""
    created = dt.datetime(2020, 12, 26, 9, 0, tzinfo=LONDON)
    return f.CaseFactory(
        person=f.PersonFactory(area=f.area(code)),
        created_at=created,
        status=Status.COMPLETED,
        reached_at=created + dt.timedelta(hours=2),
        reached_route=Route.NATIONAL,
        completed_at=created + dt.timedelta(hours=3),
        next_attempt_at=None,
        escalate_due_at=None,
    )


def transferred(scope: Scope) -> int:
    return weekly_figures(period=WEEK, scope=scope).cases.transferred


def test_an_erased_person_is_no_longer_counted(
    clock, admin_client, django_capture_on_commit_callbacks
):
    completed_case(SHEFFIELD)
    erased = completed_case(SHEFFIELD)
    assert transferred(Scope.england()) == 2
    url = reverse("admin:people_person_changelist")
    chosen = {"action": "erase_person", ACTION_CHECKBOX_NAME: [erased.person_id]}

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(url, {**chosen, "apply": "1", "reason": "error"})

    assert done.status_code == 302
    assert transferred(Scope.england()) == 1


def test_an_area_moved_to_another_team_counts_for_it_and_teams_add_up(
    clock, admin_client, django_capture_on_commit_callbacks
):
    completed_case(SHEFFIELD)
    completed_case(LEEDS)
    completed_case(LEEDS)
    sheffield, leeds = f.area(SHEFFIELD).local_team, f.area(LEEDS).local_team
    assert transferred(Scope.england()) == 3
    assert (transferred(Scope.team(sheffield)), transferred(Scope.team(leeds))) == (
        1,
        2,
    )

    with django_capture_on_commit_callbacks(execute=True):
        save_in_admin(admin_client, f.area(LEEDS), local_team=sheffield.pk)

    assert (transferred(Scope.team(sheffield)), transferred(Scope.team(leeds))) == (
        3,
        0,
    )
    assert transferred(Scope.england()) == 3
