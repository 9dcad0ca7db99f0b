"""A closed week's "Not reached: no working phone number" stays as published.

A case the service had no number for is sent to its local team by the escalation
sweep, for a "Wrong or missing number", and ends there unreached. What the week
counts of it is what was true when it ended: that it was not reached for want of
details. A number that reaches their record afterwards (they give one when named
again, or a merge joins them to a record holding one) does not move the week's
figure from "no details" to "other"; nor does a number taken off the record of
someone escalated after every attempt move them the other way. The teams' figures
worked out ahead by the refresh say the same as each team's own.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from figures.weekly import (
    Period,
    Scope,
    compute_weekly_figures,
    forget_cached_figures,
    weekly_figures,
)
from figures.weekly_refresh import compute_team_figures
from people.models import Person, PossibleDuplicate
from tests import factories as f
from work.escalation import escalate_unreached, escalation_claim, escalation_close
from work.merge import person_merge

LONDON = ZoneInfo("Europe/London")
# The Thursday week 7-13 January 2021.
WEEK = Period(dt.date(2021, 1, 7))
T = dt.datetime(2021, 1, 7, 9, 0, tzinfo=LONDON)  # Thursday 09:00
# Monday 18 January: the week is over and settled.
AFTER = dt.datetime(2021, 1, 18, 12, 0, tzinfo=LONDON)
BORN = dt.date(1979, 3, 2)

pytestmark = [pytest.mark.now(T), pytest.mark.django_db]


def case_of(person: Person, *, due: dt.datetime) -> Case:
    """A case transferred at T, due to its local team at `due`."""
    return f.CaseFactory(
        person=person,
        created_at=T,
        next_attempt_at=T,
        escalate_due_at=due,
        specimen_date=dt.date(2021, 1, 5),
        result_date=dt.date(2021, 1, 6),
    )


def swept_and_closed(case: Case, *, clock, team_member) -> Escalation:
    """The sweep sends the case to its local team, who close it not found an
    hour later."""
    clock.move_to(case.escalate_due_at + dt.timedelta(minutes=1))
    escalate_unreached()
    escalation = Escalation.objects.get(case=case)
    clock.shift(dt.timedelta(hours=1))
    escalation_claim(escalation=escalation, by=team_member)
    return escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.NOT_FOUND,
        note="No address either.",
        by=team_member,
    )


def not_reached(scope: Scope | None = None) -> tuple[int, int]:
    """The week's cases not reached (no details, other), worked out now."""
    cases = compute_weekly_figures(
        period=WEEK, scope=scope or Scope.england(), now=timezone.now()
    ).cases
    return cases.not_reached_no_details, cases.not_reached_other


@pytest.fixture
def no_number_case(clock, local_team_member) -> Case:
    """Ann, with no phone and no email: due to her local team at once, swept
    there for a missing number, closed not found; the week then over."""
    ann = f.PersonFactory(
        first_name="Ann",
        last_name="Lowe",
        date_of_birth=BORN,
        phone="",
        phone_alt="",
        email="",
    )
    case = case_of(ann, due=T)
    escalation = swept_and_closed(case, clock=clock, team_member=local_team_member)
    assert escalation.reason == Escalation.Reason.WRONG_NUMBER
    clock.move_to(AFTER)
    forget_cached_figures()
    return case


def test_a_number_given_later_leaves_the_closed_week_as_published(
    clock, no_number_case
):
    published = weekly_figures(period=WEEK, scope=Scope.england())
    assert published.cases.not_reached_no_details == 1

    # Named again a week later, she gives a number: her record holds it now.
    Person.objects.filter(pk=no_number_case.person_id).update(phone="+447700900321")
    clock.move_to(AFTER + dt.timedelta(days=2))  # worked out again since

    again = weekly_figures(period=WEEK, scope=Scope.england())
    assert again.cases.not_reached_no_details == 1
    assert again.cases.not_reached_other == 0


def test_a_merge_with_a_record_holding_a_number_leaves_the_week_as_published(
    no_number_case, supervisor
):
    assert not_reached() == (1, 0)
    ann = no_number_case.person
    later = f.PersonFactory(
        first_name="Ann",
        last_name="Lowe",
        date_of_birth=BORN,
        phone="+447700900654",
        email="ann@example.org",
        area=ann.area,
    )
    f.ContactFactory(person=later)
    a, b = sorted((ann.pk, later.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.9,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )
    side = "a" if later.pk == a else "b"
    person_merge(
        pair=pair,
        survivor=later,
        fields={"phone": side, "email": side},
        by=supervisor,
    )
    no_number_case.refresh_from_db()
    assert no_number_case.person_id == later.pk  # her case is the record's now

    assert not_reached() == (1, 0)


def test_a_number_taken_off_the_record_later_leaves_the_week_as_published(
    clock, local_team_member
):
    """Bob had a number, was called to no answer, and went to his local team
    after every attempt: not reached for another reason, whatever his record
    says afterwards."""
    bob = f.PersonFactory(phone="+447700900987", email="")
    case = case_of(bob, due=T + dt.timedelta(hours=30))
    escalation = swept_and_closed(case, clock=clock, team_member=local_team_member)
    assert escalation.reason == Escalation.Reason.UNREACHED
    clock.move_to(AFTER)
    assert not_reached() == (0, 1)

    # The number was not his: taken off his record.
    Person.objects.filter(pk=bob.pk).update(phone="")

    assert not_reached() == (0, 1)


def test_a_case_still_waiting_for_its_first_call_counts_by_its_record(clock):
    """Not ended yet: what its record holds now is what is true of it."""
    cy = f.PersonFactory(phone="", phone_alt="", email="")
    case = case_of(cy, due=T + dt.timedelta(hours=30))
    assert case.status == Status.NEW
    clock.move_to(T + dt.timedelta(hours=1))
    assert not_reached() == (1, 0)

    Person.objects.filter(pk=cy.pk).update(phone="+447700900111")

    assert not_reached() == (0, 1)


def test_the_teams_worked_out_ahead_say_the_same(no_number_case):
    Person.objects.filter(pk=no_number_case.person_id).update(phone="+447700900321")
    team = no_number_case.area.local_team
    ahead = compute_team_figures(period=WEEK, teams=[team], now=timezone.now())
    alone = compute_weekly_figures(
        period=WEEK, scope=Scope.team(team), now=timezone.now()
    )
    assert ahead[team.pk] == alone
    assert alone.cases.not_reached_no_details == 1
    assert not_reached(Scope.team(team)) == (1, 0)
