"""The supervisor's dashboard: who is on shift, their work, the pool, idle staff."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from staffing.models import TrainingModule
from tests import factories as f

from .conftest import NOW, member

pytestmark = pytest.mark.django_db
HOUR = dt.timedelta(hours=1)


def held_case(profile, **kwargs):
    return f.CaseFactory(
        status=Status.ASSIGNED, assignee=profile.user, assigned_at=NOW, **kwargs
    )


def build_team(team, size: int) -> None:
    """`size` people on shift, each holding two cases (one overdue) and with calls."""
    for _ in range(size):
        person = member(team)
        held_case(person, next_attempt_at=NOW - HOUR)
        held_case(person, next_attempt_at=NOW + HOUR)
        f.CallAttemptFactory(caller=person.user, started_at=NOW - 2 * HOUR)
        f.CallAttemptFactory(
            caller=person.user, started_at=NOW - 30 * dt.timedelta(minutes=1)
        )


def test_dashboard_shows_each_persons_open_work_and_time_since_last_call(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, user__first_name="Asha", user__last_name="Patel")
    held_case(worker)
    held_case(worker)
    f.CallAttemptFactory(
        caller=worker.user, started_at=NOW - 45 * dt.timedelta(minutes=1)
    )
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    row = page.text.split("Asha Patel")[1].split("</tr>")[0]
    assert "On shift" in row
    assert ">2</a>" in row
    assert "45\xa0minutes ago" in row


def test_dashboard_counts_the_pool_by_age(clock, client, lead):
    f.CaseFactory(created_at=NOW - 30 * dt.timedelta(minutes=1))
    f.CaseFactory(created_at=NOW - 2 * HOUR)
    f.CaseFactory(created_at=NOW - 2 * HOUR)
    f.CaseFactory(created_at=NOW - 30 * HOUR)
    f.ContactFactory(created_at=NOW - 5 * HOUR, case__status=Status.COMPLETED)
    client.force_login(lead.user)
    board = client.get(reverse("staffing:dashboard")).context["board"]
    cases, contacts = board.backlogs
    assert [n for _, n in cases.buckets] == [1, 2, 0, 0, 1]
    assert cases.total == 4
    assert [n for _, n in contacts.buckets] == [0, 0, 1, 0, 0]


def test_overdue_held_work_is_listed(clock, client, lead, clinical_team):
    worker = member(clinical_team)
    late = held_case(worker, next_attempt_at=NOW - 3 * HOUR)
    held_case(worker, next_attempt_at=NOW + HOUR)
    client.force_login(lead.user)
    board = client.get(reverse("staffing:dashboard")).context["board"]
    assert board.overdue_items == [late]
    assert board.overdue_held == 1


def test_idle_staff_while_work_waits_raise_a_warning(
    clock, client, lead, clinical_team
):
    member(clinical_team, user__first_name="Idris", user__last_name="Idle")
    f.CaseFactory()
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    assert "Staff idle while work waits" in page.text
    assert "Can take work now: <strong>Idris Idle</strong>" in page.text


def test_idle_staff_who_cannot_take_work_are_named_with_the_reason(
    clock, client, lead, clinical_team
):
    blocked = member(clinical_team, user__first_name="Una", user__last_name="Verified")
    blocked.registration_verified_on = None
    blocked.save()
    f.CaseFactory()
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    assert "<strong>Una Verified</strong> (registration not verified)" in page.text


def test_no_warning_while_the_only_work_waits_for_an_online_answer(
    clock, client, lead, clinical_team
):
    """Cases held back for their online answer are not for anyone to take: the board
    counted them as waiting and told the supervisor to hand them out."""
    member(clinical_team, user__first_name="Idris", user__last_name="Idle")
    f.CaseFactory(next_attempt_at=NOW + 3 * HOUR)
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    assert "Staff idle while work waits" not in page.text
    board = page.context["board"]
    assert (board.waiting, board.due) == (1, 0)
    assert "0 due a call now; the others wait for an online answer" in page.text

    f.CaseFactory()  # due now
    page = client.get(reverse("staffing:dashboard"))
    assert "Staff idle while work waits" in page.text
    assert "<strong>1 due a call</strong> in the pool" in page.text


def test_no_warning_when_nothing_waits(clock, client, lead, clinical_team):
    member(clinical_team)
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    assert "Staff idle while work waits" not in page.text


def test_no_warning_when_everyone_on_shift_holds_work(
    clock, client, lead, clinical_team
):
    held_case(member(clinical_team))
    f.CaseFactory()
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    assert "Staff idle while work waits" not in page.text


def test_htmx_refresh_returns_only_the_board(clock, client, lead):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"), headers={"HX-Request": "true"})
    assert page.text.lstrip().startswith('<div id="board"')
    assert "<html" not in page.text


@pytest.mark.parametrize("size", [2, 6])
def test_dashboard_query_count_does_not_grow_with_the_team(
    clock, client, lead, clinical_team, django_assert_num_queries, size
):
    TrainingModule.objects.create(name="Basics", tier=clinical_team.tier)
    build_team(clinical_team, size)
    f.CaseFactory()
    client.force_login(lead.user)
    # Session, user, profile, team; members (one query, subqueries per column); two
    # pool aggregates, each with what of its due work waits for a language (counted
    # here with no beat running; the beat counts them once a minute); the overdue
    # list; pending reviews (the capacity forecast not made yet: the beat makes it,
    # never the page); saving the session (3).
    with django_assert_num_queries(16):
        page = client.get(reverse("staffing:dashboard"))
    assert len(page.context["board"].members) == size + 1


def test_call_handling_supervisor_sees_contacts(clock, client, calls_lead, calls_team):
    worker = member(calls_team)
    f.ContactFactory(status=Status.ASSIGNED, assignee=worker.user, assigned_at=NOW)
    client.force_login(calls_lead.user)
    board = client.get(reverse("staffing:dashboard")).context["board"]
    (row,) = [m for m in board.members if m.pk == worker.pk]
    assert row.held == 1
    assert board.backlogs[1].is_team_tier


def test_reached_calls_count_as_the_last_call(clock, client, lead, clinical_team):
    worker = member(clinical_team)
    f.CallAttemptFactory(caller=worker.user, started_at=NOW - 3 * HOUR)
    f.CallAttemptFactory(
        caller=worker.user,
        started_at=NOW - 10 * dt.timedelta(minutes=1),
        outcome=Outcome.REACHED,
    )
    client.force_login(lead.user)
    board = client.get(reverse("staffing:dashboard")).context["board"]
    (row,) = [m for m in board.members if m.pk == worker.pk]
    assert row.since_last_call == dt.timedelta(minutes=10)
