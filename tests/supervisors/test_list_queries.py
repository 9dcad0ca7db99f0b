"""Every supervisor and rota list costs the same number of queries at any size."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from staffing.models import Shift, TrainingModule
from tests import factories as f
from work.calls import call_record

from .conftest import NOW, member

pytestmark = pytest.mark.django_db

# Each count includes the session, the user, their profile and the second factor's
# device before the page's own reads. The session is not written: it changed not,
# and was touched less than a minute ago (pages/accounts/middleware.py).
PAGES = {
    "staffing:team": 7,  # team; members with counts; hours booked this week
    "staffing:team_shifts": 5,  # the week's shifts
    "staffing:registrations": 5,  # tier 2 members
    "staffing:reviews": 7,  # the queue; its audit (one INSERT); new starters
    "staffing:my_shifts": 8,  # the week; hours booked; cancellations; readiness
}


def grow(team, size: int) -> None:
    """`size` more new starters, each with a booked shift, a cancelled one, an open
    slot, a registration and a call waiting for review."""
    TrainingModule.objects.get_or_create(name="Basics", tier=team.tier)
    for n in range(size):
        worker = member(team, new_starter=True)
        start = NOW + dt.timedelta(days=1, hours=n)
        f.ShiftFactory(
            staff=worker, starts_at=start, ends_at=start + dt.timedelta(hours=4)
        )
        f.ShiftFactory(
            staff=worker,
            starts_at=start + dt.timedelta(days=1),
            ends_at=start + dt.timedelta(days=1, hours=4),
            status=Shift.Status.CANCELLED,
            cancel_reason="Quiet",
        )
        Shift.objects.create(
            tier=team.tier,
            team=team,
            starts_at=start + dt.timedelta(hours=1),
            ends_at=start + dt.timedelta(hours=5),
        )
        case = f.CaseFactory(
            status=Status.ASSIGNED, assignee=worker.user, assigned_at=NOW
        )
        call_record(item=case, caller=worker.user, outcome=Outcome.NO_ANSWER, now=NOW)


@pytest.mark.parametrize(("name", "expected"), PAGES.items())
def test_list_page_queries_do_not_grow_with_the_team(
    clock, client, lead, clinical_team, django_assert_num_queries, name, expected
):
    client.force_login(lead.user)
    client.get(reverse(name))  # the session's first touch after signing in, written
    for size in (1, 5):
        grow(clinical_team, size)
        with django_assert_num_queries(expected):
            assert client.get(reverse(name)).status_code == 200
