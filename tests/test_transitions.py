"""Every status transition of cases and contacts, through the services that make them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Route, Status
from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from tests import factories as f
from tests.conftest import NOW
from work.assignment import item_assign, item_release
from work.calls import call_record
from work.casework import item_complete
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_record_action,
    escalation_return,
    item_escalate,
)

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
HOUR = dt.timedelta(hours=1)


CaseFactory = f.CaseFactory
ContactFactory = f.ContactFactory


def rule(kind: str) -> dict:
    return settings.TRACING_CALL_RULES[kind]


def gap(kind: str) -> dt.timedelta:
    return dt.timedelta(hours=rule(kind)["min_gap_hours"])


def window(kind: str) -> dt.timedelta:
    return dt.timedelta(hours=rule(kind)["window_hours"])


def sheffield_team():
    return f.area("E08000019").local_team


def assigned_case(user) -> Case:
    return CaseFactory(status=Status.ASSIGNED, assignee=user, assigned_at=NOW)


def assigned_contact(user) -> Contact:
    return ContactFactory(status=Status.ASSIGNED, assignee=user, assigned_at=NOW)


def reached_case(user) -> Case:
    return CaseFactory(
        status=Status.REACHED,
        assignee=user,
        assigned_at=NOW - HOUR,
        first_attempt_at=NOW - HOUR,
        last_attempt_at=NOW - HOUR,
        attempts=1,
        reached_at=NOW - HOUR,
        reached_route=Route.NATIONAL,
        next_attempt_at=None,
        escalate_due_at=None,
    )


def reached_contact(user) -> Contact:
    return ContactFactory(
        status=Status.REACHED,
        assignee=user,
        assigned_at=NOW - HOUR,
        first_attempt_at=NOW - HOUR,
        last_attempt_at=NOW - HOUR,
        attempts=1,
        reached_at=NOW - HOUR,
        reached_route=Route.NATIONAL,
        next_attempt_at=None,
        escalate_due_at=None,
    )


def escalated_contact(**kwargs):
    """A contact with the local team, and its open escalation, made by the service."""
    contact = ContactFactory(**kwargs)
    escalation = item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)
    contact.refresh_from_db()
    return contact, escalation


# --- assign ----------------------------------------------------------------------------


def test_assign_new_case_makes_it_assigned_and_stamps_assigned_at(clock, caseworker):
    case = CaseFactory()

    item_assign(item=case, to=caseworker)

    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    assert case.assignee == caseworker
    assert case.assigned_at == NOW


def test_assign_new_contact_makes_it_assigned_and_stamps_assigned_at(
    clock, call_handler
):
    contact = ContactFactory()

    item_assign(item=contact, to=call_handler)

    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.assignee == call_handler
    assert contact.assigned_at == NOW


def test_reassign_assigned_case_moves_it_and_restamps_assigned_at(
    clock, caseworker, supervisor
):
    other_profile = f.StaffProfileFactory(clinical=True)
    f.ShiftFactory(staff=other_profile)
    other = other_profile.user
    case = CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=NOW - 3 * HOUR
    )

    item_assign(item=case, to=other, by=supervisor)

    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    assert case.assignee == other
    assert case.assigned_at == NOW


def test_assign_reached_case_keeps_it_reached(clock, caseworker):
    """A reached case can go to another caseworker to finish the assessment."""
    case = reached_case(f.StaffProfileFactory(clinical=True).user)

    item_assign(item=case, to=caseworker)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee == caseworker
    assert case.assigned_at == NOW


def test_assign_reached_contact_is_refused(clock, call_handler):
    contact = reached_contact(f.StaffProfileFactory().user)

    with pytest.raises(IllegalTransition):
        item_assign(item=contact, to=call_handler)

    contact.refresh_from_db()
    assert contact.assignee != call_handler
    assert contact.assigned_at == NOW - HOUR


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.ESCALATED, Status.CLOSED])
def test_assign_finished_or_escalated_case_is_refused(clock, caseworker, status):
    case = CaseFactory(status=status)

    with pytest.raises(IllegalTransition):
        item_assign(item=case, to=caseworker)

    case.refresh_from_db()
    assert case.status == status
    assert case.assignee is None
    assert case.assigned_at is None


# --- release ---------------------------------------------------------------------------


def test_release_assigned_case_returns_it_to_the_pool(clock, caseworker):
    case = assigned_case(caseworker)

    item_release(item=case, by=caseworker, reason="shift ended")

    case.refresh_from_db()
    assert case.status == Status.NEW
    assert case.assignee is None


def test_release_assigned_contact_returns_it_to_the_pool(clock, call_handler):
    contact = assigned_contact(call_handler)

    item_release(item=contact)

    contact.refresh_from_db()
    assert contact.status == Status.NEW
    assert contact.assignee is None


def test_release_reached_case_keeps_it_reached_without_assignee(clock, caseworker):
    case = reached_case(caseworker)

    item_release(item=case)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.assignee is None
    assert case.reached_at == NOW - HOUR


def test_release_reached_contact_is_refused(clock, call_handler):
    """A reached contact is done: there is nothing left in the pool to do for it."""
    contact = reached_contact(call_handler)

    with pytest.raises(IllegalTransition):
        item_release(item=contact)

    contact.refresh_from_db()
    assert contact.status == Status.REACHED
    assert contact.assignee == call_handler


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.ESCALATED, Status.CLOSED])
def test_release_finished_or_escalated_contact_is_refused(clock, status):
    contact = ContactFactory(status=status)

    with pytest.raises(IllegalTransition):
        item_release(item=contact)

    contact.refresh_from_db()
    assert contact.status == status


# --- calls: reached ----------------------------------------------------------------------


def test_call_reached_case_marks_it_reached_by_the_national_route(clock, caseworker):
    case = assigned_case(caseworker)

    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.reached_at == NOW
    assert case.reached_route == Route.NATIONAL
    assert case.first_attempt_at == NOW
    assert case.last_attempt_at == NOW
    assert case.attempts == 1
    assert case.next_attempt_at is None
    assert case.escalate_due_at is None


def test_call_reached_contact_marks_it_reached_by_the_national_route(
    clock, call_handler
):
    contact = assigned_contact(call_handler)

    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    contact.refresh_from_db()
    assert contact.status == Status.REACHED
    assert contact.reached_at == NOW
    assert contact.reached_route == Route.NATIONAL
    assert contact.next_attempt_at is None
    assert contact.escalate_due_at is None


def test_call_record_logs_the_call_with_the_persons_phone(clock, call_handler):
    contact = assigned_contact(call_handler)

    call = call_record(
        item=contact,
        caller=call_handler,
        outcome=Outcome.NO_ANSWER,
        duration_seconds=30,
        notes="rang out",
    ).call

    saved = CallAttempt.objects.get(pk=call.pk)
    assert saved.contact_id == contact.pk
    assert saved.case_id is None
    assert saved.caller == call_handler
    assert saved.started_at == NOW
    assert saved.outcome == Outcome.NO_ANSWER
    assert saved.duration_seconds == 30
    assert saved.phone == str(contact.person.phone)
    assert saved.call_back_at is None


def test_calling_a_reached_contact_is_refused(clock, call_handler):
    contact = reached_contact(call_handler)

    with pytest.raises(IllegalTransition):
        call_record(item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER)

    contact.refresh_from_db()
    assert contact.attempts == 1
    assert contact.last_attempt_at == NOW - HOUR
    assert not CallAttempt.objects.filter(contact=contact).exists()


def test_follow_up_call_on_reached_case_only_stamps_last_attempt(clock, caseworker):
    case = reached_case(caseworker)

    call_record(item=case, caller=caseworker, outcome=Outcome.NO_ANSWER)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.attempts == 1
    assert case.first_attempt_at == NOW - HOUR
    assert case.last_attempt_at == NOW
    assert case.next_attempt_at is None
    assert CallAttempt.objects.filter(case=case).count() == 1


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.ESCALATED, Status.CLOSED])
def test_calling_a_finished_or_escalated_case_is_refused(clock, supervisor, status):
    """Even by a supervisor, who may call any case still being worked."""
    case = CaseFactory(status=status)

    with pytest.raises(IllegalTransition):
        call_record(item=case, caller=supervisor, outcome=Outcome.REACHED)

    case.refresh_from_db()
    assert case.status == status
    assert case.reached_at is None
    assert not CallAttempt.objects.filter(case=case).exists()


# --- calls: not reached ------------------------------------------------------------------


@pytest.mark.parametrize("outcome", [Outcome.NO_ANSWER, Outcome.VOICEMAIL])
def test_first_unanswered_call_to_contact_schedules_next_after_min_gap(
    clock, call_handler, outcome
):
    contact = assigned_contact(call_handler)

    call_record(item=contact, caller=call_handler, outcome=outcome)

    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.attempts == 1
    assert contact.first_attempt_at == NOW
    assert contact.next_attempt_at == NOW + gap("contact")
    assert contact.escalate_due_at == NOW + window("contact")


def test_first_unanswered_call_to_case_schedules_next_after_case_min_gap(
    clock, caseworker
):
    case = assigned_case(caseworker)

    call_record(item=case, caller=caseworker, outcome=Outcome.NO_ANSWER)

    case.refresh_from_db()
    assert case.attempts == 1
    assert case.next_attempt_at == NOW + gap("case")
    assert case.escalate_due_at == NOW + window("case")


def test_gaps_between_unanswered_calls_follow_min_gap_hours(clock, call_handler):
    contact = assigned_contact(call_handler)
    called_at = []

    for _ in range(rule("contact")["max_attempts"] - 1):
        called_at.append(dt.datetime.now(tz=LONDON))
        call_record(item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER)
        contact.refresh_from_db()
        assert contact.next_attempt_at == called_at[-1] + gap("contact")
        clock.move_to(contact.next_attempt_at)

    contact.refresh_from_db()
    assert contact.first_attempt_at == NOW
    assert contact.last_attempt_at == NOW + gap("contact")
    assert [c.started_at for c in CallAttempt.objects.filter(contact=contact)] == list(
        reversed(called_at)
    )


def test_max_attempts_unanswered_calls_make_contact_due_for_escalation_now(
    clock, call_handler
):
    contact = assigned_contact(call_handler)
    max_attempts = rule("contact")["max_attempts"]

    for _ in range(max_attempts):
        call_record(item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER)
        contact.refresh_from_db()
        if contact.next_attempt_at is not None:
            clock.move_to(contact.next_attempt_at)

    last_call = NOW + (max_attempts - 1) * gap("contact")
    contact.refresh_from_db()
    assert contact.attempts == max_attempts
    assert contact.last_attempt_at == last_call
    assert contact.escalate_due_at == last_call
    assert contact.next_attempt_at is None
    assert contact.status == Status.ASSIGNED  # the escalation sweep takes it from here
    assert list(Contact.objects.due_for_escalation(last_call)) == [contact]


def test_one_attempt_short_of_max_is_not_due_for_escalation(clock, call_handler):
    contact = assigned_contact(call_handler)

    for _ in range(rule("contact")["max_attempts"] - 1):
        call_record(item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER)
        contact.refresh_from_db()
        clock.move_to(contact.next_attempt_at)

    now = dt.datetime.now(tz=LONDON)
    assert contact.next_attempt_at is not None
    assert contact.escalate_due_at == NOW + window("contact")
    assert not Contact.objects.due_for_escalation(now).exists()


def test_call_back_after_the_window_pushes_escalation_past_the_callback(
    clock, call_handler
):
    contact = assigned_contact(call_handler)
    call_back_at = NOW + window("contact") + 2 * HOUR

    call = call_record(
        item=contact,
        caller=call_handler,
        outcome=Outcome.CALL_BACK,
        call_back_at=call_back_at,
    ).call

    contact.refresh_from_db()
    assert contact.next_attempt_at == call_back_at
    assert contact.escalate_due_at == call_back_at + gap("contact")
    assert contact.escalate_due_at > call_back_at
    assert contact.attempts == 1
    assert CallAttempt.objects.get(pk=call.pk).call_back_at == call_back_at


def test_call_back_well_inside_the_window_keeps_the_escalation_time(
    clock, call_handler
):
    contact = assigned_contact(call_handler)

    call_record(
        item=contact,
        caller=call_handler,
        outcome=Outcome.CALL_BACK,
        call_back_at=NOW + HOUR,
    )

    contact.refresh_from_db()
    assert contact.next_attempt_at == NOW + HOUR
    assert contact.escalate_due_at == NOW + window("contact")


@pytest.mark.parametrize(
    "call_back_at", [NOW - HOUR, NOW, None], ids=["past", "now", "missing"]
)
def test_call_back_without_a_future_time_is_refused(clock, call_handler, call_back_at):
    contact = assigned_contact(call_handler)

    with pytest.raises(ValidationError, match="call"):
        call_record(
            item=contact,
            caller=call_handler,
            outcome=Outcome.CALL_BACK,
            call_back_at=call_back_at,
        )

    contact.refresh_from_db()
    assert contact.attempts == 0
    assert contact.first_attempt_at is None
    assert contact.next_attempt_at == NOW
    assert not CallAttempt.objects.filter(contact=contact).exists()


@pytest.mark.parametrize("outcome", [Outcome.WRONG_NUMBER, Outcome.REFUSED])
def test_wrong_number_or_refusal_makes_contact_due_for_escalation_at_once(
    clock, call_handler, outcome
):
    contact = assigned_contact(call_handler)

    call_record(item=contact, caller=call_handler, outcome=outcome)

    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.escalate_due_at == NOW
    assert contact.next_attempt_at is None
    assert contact.attempts == 1
    assert list(Contact.objects.due_for_escalation(NOW)) == [contact]


def test_needs_interpreter_returns_contact_to_pool_and_flags_person(
    clock, call_handler
):
    contact = assigned_contact(call_handler)
    assert not contact.person.needs_interpreter

    call_record(
        item=contact,
        caller=call_handler,
        outcome=Outcome.NEEDS_INTERPRETER,
        language="cy",
    )

    contact.refresh_from_db()
    contact.person.refresh_from_db()
    assert contact.person.language.code == "cy"
    assert contact.status == Status.NEW
    assert contact.assignee is None
    assert contact.next_attempt_at == NOW
    # Not an attempt: they get every attempt in their language.
    assert contact.attempts == 0
    assert contact.person.needs_interpreter is True


def test_safeguarding_call_on_case_escalates_it_at_once_and_flags_it(clock, caseworker):
    case = assigned_case(caseworker)

    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Child alone at home",
    )

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert case.escalated_at == NOW
    assert case.assignee is None
    assert case.local_team == sheffield_team()
    assert case.safeguarding_flag is True
    assert case.safeguarding_note == "Child alone at home"
    escalation = Escalation.objects.get(case=case)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert escalation.local_team == sheffield_team()
    assert escalation.created_by == caseworker
    assert escalation.detail == "Child alone at home"
    assert escalation.due_at == NOW + 4 * HOUR


def test_safeguarding_call_on_reached_case_escalates_it(clock, caseworker):
    case = reached_case(caseworker)

    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Worried about a child",
    )

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert case.safeguarding_flag is True
    assert case.reached_at == NOW - HOUR
    assert Escalation.objects.get(case=case).reason == Escalation.Reason.SAFEGUARDING


def test_safeguarding_call_on_contact_escalates_it_at_once(clock, call_handler):
    contact = assigned_contact(call_handler)

    call_record(
        item=contact,
        caller=call_handler,
        outcome=Outcome.SAFEGUARDING,
        notes="Worried about a child",
    )

    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.escalated_at == NOW
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert escalation.status == Escalation.Status.NEW


# --- complete --------------------------------------------------------------------------


def test_complete_reached_case_with_assessment(clock, caseworker):
    case = reached_case(caseworker)
    f.RiskAssessmentFactory(case=case, assessed_by=caseworker)

    item_complete(item=case, by=caseworker)

    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert case.completed_at == NOW


def test_complete_reached_contact(clock, call_handler):
    contact = reached_contact(call_handler)

    item_complete(item=contact, by=call_handler)

    contact.refresh_from_db()
    assert contact.status == Status.COMPLETED
    assert contact.completed_at == NOW


def test_completing_reached_case_without_risk_assessment_is_refused(clock, caseworker):
    case = reached_case(caseworker)

    with pytest.raises(IllegalTransition, match="risk assessment"):
        item_complete(item=case, by=caseworker)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.completed_at is None


@pytest.mark.parametrize("status", [Status.NEW, Status.ASSIGNED])
def test_completing_unreached_case_is_refused_even_with_assessment(
    clock, caseworker, supervisor, status
):
    case = CaseFactory(
        status=status, assignee=caseworker if status == Status.ASSIGNED else None
    )
    f.RiskAssessmentFactory(case=case, assessed_by=caseworker)

    with pytest.raises(IllegalTransition):
        item_complete(item=case, by=supervisor)

    case.refresh_from_db()
    assert case.status == status
    assert case.completed_at is None


def test_completing_unreached_contact_is_refused(clock, call_handler):
    contact = assigned_contact(call_handler)

    with pytest.raises(IllegalTransition):
        item_complete(item=contact, by=call_handler)

    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.completed_at is None


def test_completing_a_completed_contact_again_is_refused(clock, call_handler):
    contact = reached_contact(call_handler)
    item_complete(item=contact, by=call_handler)
    clock.shift(HOUR)

    with pytest.raises(IllegalTransition):
        item_complete(item=contact, by=call_handler)

    contact.refresh_from_db()
    assert contact.completed_at == NOW


# --- escalate --------------------------------------------------------------------------


def test_escalate_assigned_contact_hands_it_to_its_areas_team(clock, call_handler):
    contact = assigned_contact(call_handler)

    escalation = item_escalate(
        item=contact, reason=Escalation.Reason.UNREACHED, detail="3 tries"
    )

    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.escalated_at == NOW
    assert contact.local_team == sheffield_team()
    assert contact.assignee is None
    assert contact.next_attempt_at is None
    assert contact.escalate_due_at is None
    saved = Escalation.objects.get(pk=escalation.pk)
    assert saved.contact_id == contact.pk
    assert saved.status == Escalation.Status.NEW
    assert saved.local_team == sheffield_team()
    assert saved.area_unknown is False
    assert saved.created_at == NOW
    assert saved.due_at == NOW + 24 * HOUR
    assert saved.closed_at is None


def test_escalate_new_case_hands_it_to_its_areas_team(clock):
    case = CaseFactory()

    item_escalate(item=case, reason=Escalation.Reason.OTHER)

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert case.escalated_at == NOW
    assert Escalation.objects.get(case=case).local_team == sheffield_team()


def test_escalate_item_without_area_goes_to_the_fallback_team(clock):
    contact = ContactFactory(area=None, area_unknown=True)

    escalation = item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert contact.local_team.is_fallback
    assert contact.local_team.code == settings.TRACING_FALLBACK_TEAM_CODE
    assert escalation.local_team.is_fallback
    assert escalation.area_unknown is True


def test_escalating_twice_is_refused(clock):
    contact, first = escalated_contact()
    clock.shift(HOUR)

    with pytest.raises(IllegalTransition):
        item_escalate(item=contact, reason=Escalation.Reason.OTHER)

    contact.refresh_from_db()
    assert contact.escalated_at == NOW
    assert list(Escalation.objects.filter(contact=contact)) == [first]


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CLOSED])
def test_escalating_a_finished_case_is_refused(clock, status):
    case = CaseFactory(status=status)

    with pytest.raises(IllegalTransition):
        item_escalate(item=case, reason=Escalation.Reason.OTHER)

    case.refresh_from_db()
    assert case.status == status
    assert case.escalated_at is None
    assert not Escalation.objects.filter(case=case).exists()


# --- claim and actions -----------------------------------------------------------------


def test_claim_picks_up_the_escalation(clock, local_team_member):
    _, escalation = escalated_contact()

    escalation_claim(escalation=escalation, by=local_team_member)

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert escalation.picked_up_by == local_team_member
    assert escalation.picked_up_at == NOW


def test_second_claim_is_refused_and_keeps_the_first(clock, local_team_member):
    _, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    other = f.StaffProfileFactory(local=True).user
    clock.shift(HOUR)

    with pytest.raises(IllegalTransition):
        escalation_claim(escalation=escalation, by=other)

    escalation.refresh_from_db()
    assert escalation.picked_up_by == local_team_member
    assert escalation.picked_up_at == NOW


def test_record_action_on_open_escalation(clock, local_team_member):
    _, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)

    escalation_record_action(
        escalation=escalation,
        kind=EscalationAction.Kind.DOORSTEP,
        note="No one in",
        by=local_team_member,
    )

    action = EscalationAction.objects.get(escalation=escalation)
    assert action.kind == EscalationAction.Kind.DOORSTEP
    assert action.note == "No one in"
    assert action.by == local_team_member
    assert action.at == NOW


def test_record_action_on_closed_escalation_is_refused(clock, local_team_member):
    _, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.NOT_FOUND,
        by=local_team_member,
    )

    with pytest.raises(IllegalTransition):
        escalation_record_action(
            escalation=escalation,
            kind=EscalationAction.Kind.LETTER,
            note="late",
            by=local_team_member,
        )

    assert not EscalationAction.objects.filter(escalation=escalation).exists()


# --- close -----------------------------------------------------------------------------


def test_close_reached_counts_the_item_reached_by_the_local_route(
    clock, local_team_member
):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    clock.shift(2 * HOUR)
    closed_at = NOW + 2 * HOUR

    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.REACHED,
        note="Door-step visit",
        by=local_team_member,
    )

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert contact.status == Status.CLOSED
    assert contact.closed_at == closed_at
    assert contact.reached_at == closed_at
    assert contact.reached_route == Route.LOCAL
    assert escalation.status == Escalation.Status.CLOSED
    assert escalation.outcome == Escalation.Outcome.REACHED
    assert escalation.outcome_note == "Door-step visit"
    assert escalation.closed_at == closed_at
    assert escalation.picked_up_by == local_team_member
    assert escalation.picked_up_at == NOW


def test_close_not_found_leaves_the_item_unreached(clock, local_team_member):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)

    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.NOT_FOUND,
        by=local_team_member,
    )

    contact.refresh_from_db()
    assert contact.status == Status.CLOSED
    assert contact.closed_at == NOW
    assert contact.reached_at is None
    assert contact.reached_route == ""


def test_close_reached_keeps_the_national_route_of_an_item_already_reached(
    clock, caseworker, local_team_member
):
    case = reached_case(caseworker)
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Worried about a child",
    )
    escalation = Escalation.objects.get(case=case)
    escalation_claim(escalation=escalation, by=local_team_member)

    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=local_team_member
    )

    case.refresh_from_db()
    assert case.status == Status.CLOSED
    assert case.reached_at == NOW - HOUR
    assert case.reached_route == Route.NATIONAL


def test_close_keeps_who_picked_the_escalation_up(clock, local_team_member):
    _, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    other = f.StaffProfileFactory(local=True).user
    clock.shift(HOUR)

    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.MOVED_AWAY, by=other
    )

    escalation.refresh_from_db()
    assert escalation.picked_up_by == local_team_member
    assert escalation.picked_up_at == NOW
    assert escalation.closed_at == NOW + HOUR


def test_closing_with_outcome_returned_is_refused(clock, local_team_member):
    contact, escalation = escalated_contact()

    with pytest.raises(IllegalTransition):
        escalation_close(
            escalation=escalation,
            outcome=Escalation.Outcome.RETURNED,
            by=local_team_member,
        )

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert escalation.closed_at is None


def test_closing_an_escalation_twice_is_refused(clock, local_team_member):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.NOT_FOUND,
        by=local_team_member,
    )
    clock.shift(HOUR)

    with pytest.raises(IllegalTransition):
        escalation_close(
            escalation=escalation,
            outcome=Escalation.Outcome.REACHED,
            by=local_team_member,
        )

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert escalation.outcome == Escalation.Outcome.NOT_FOUND
    assert escalation.closed_at == NOW
    assert contact.closed_at == NOW
    assert contact.reached_at is None


@pytest.mark.parametrize(
    "status", [Status.NEW, Status.ASSIGNED, Status.REACHED, Status.COMPLETED]
)
def test_closing_a_non_escalated_item_is_refused(clock, local_team_member, status):
    contact = ContactFactory(
        status=status,
        assignee=local_team_member if status == Status.ASSIGNED else None,
    )
    # An open escalation row whose item is not (or no longer) with the local team.
    escalation = f.EscalationFactory(contact=contact)

    with pytest.raises(IllegalTransition):
        escalation_close(
            escalation=escalation,
            outcome=Escalation.Outcome.REACHED,
            by=local_team_member,
        )

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert contact.status == status
    assert contact.closed_at is None
    assert escalation.status == Escalation.Status.NEW
    assert escalation.closed_at is None


# --- send back -------------------------------------------------------------------------


def test_return_sends_item_back_to_new_with_a_fresh_clock(clock, local_team_member):
    contact, escalation = escalated_contact(
        status=Status.ASSIGNED,
        assignee=f.StaffProfileFactory().user,
        attempts=3,
        first_attempt_at=NOW - 5 * HOUR,
    )
    escalation_claim(escalation=escalation, by=local_team_member)
    clock.shift(6 * HOUR)
    returned_at = NOW + 6 * HOUR

    escalation_return(
        escalation=escalation, note="Found a new number", by=local_team_member
    )

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert contact.status == Status.NEW
    assert contact.local_team is None
    assert contact.assignee is None
    assert contact.attempts == 0
    assert contact.next_attempt_at == returned_at
    assert contact.escalate_due_at == returned_at + window("contact")
    assert escalation.status == Escalation.Status.CLOSED
    assert escalation.outcome == Escalation.Outcome.RETURNED
    assert escalation.outcome_note == "Found a new number"
    assert escalation.closed_at == returned_at


def test_return_with_a_new_phone_saves_it_on_the_person(clock, local_team_member):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)

    escalation_return(
        escalation=escalation,
        note="Neighbour gave a number",
        by=local_team_member,
        new_phone="07911 123457",
    )

    contact.person.refresh_from_db()
    assert str(contact.person.phone) == "+447911123457"


def test_return_with_an_invalid_phone_is_refused_and_changes_nothing(
    clock, local_team_member
):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    phone = str(contact.person.phone)

    with pytest.raises(ValidationError):
        escalation_return(
            escalation=escalation, note="typo", by=local_team_member, new_phone="12345"
        )

    contact.refresh_from_db()
    contact.person.refresh_from_db()
    escalation.refresh_from_db()
    assert str(contact.person.phone) == phone
    assert contact.status == Status.ESCALATED
    assert escalation.closed_at is None


def test_return_of_a_reached_case_keeps_it_reached(
    clock, caseworker, local_team_member
):
    case = reached_case(caseworker)
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Worried about a child",
    )
    escalation = Escalation.objects.get(case=case)
    escalation_claim(escalation=escalation, by=local_team_member)

    escalation_return(escalation=escalation, note="Safe now", by=local_team_member)

    case.refresh_from_db()
    assert case.status == Status.REACHED
    assert case.reached_at == NOW - HOUR
    assert case.local_team is None


def test_returning_a_closed_escalation_is_refused(clock, local_team_member):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.NOT_FOUND,
        by=local_team_member,
    )

    with pytest.raises(IllegalTransition):
        escalation_return(escalation=escalation, note="too late", by=local_team_member)

    contact.refresh_from_db()
    escalation.refresh_from_db()
    assert contact.status == Status.CLOSED
    assert escalation.outcome == Escalation.Outcome.NOT_FOUND


def test_returned_item_can_be_escalated_again(clock, local_team_member):
    contact, escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=local_team_member)
    escalation_return(escalation=escalation, note="new number", by=local_team_member)
    clock.shift(HOUR)

    second = item_escalate(item=contact, reason=Escalation.Reason.WRONG_NUMBER)

    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED
    assert contact.escalated_at == NOW + HOUR
    assert Escalation.objects.filter(contact=contact, closed_at__isnull=True).get() == (
        second
    )


# --- the database's guard ----------------------------------------------------------------


def test_database_refuses_a_second_open_escalation_for_a_contact(clock):
    contact = ContactFactory(status=Status.ESCALATED)
    f.EscalationFactory(contact=contact)

    with pytest.raises(IntegrityError), transaction.atomic():
        f.EscalationFactory(contact=contact)

    assert Escalation.objects.filter(contact=contact).count() == 1


def test_database_refuses_a_second_open_escalation_for_a_case(clock):
    case = CaseFactory(status=Status.ESCALATED)
    team = sheffield_team()
    f.EscalationFactory(contact=None, case=case, local_team=team)

    with pytest.raises(IntegrityError), transaction.atomic():
        f.EscalationFactory(contact=None, case=case, local_team=team)

    assert Escalation.objects.filter(case=case).count() == 1


def test_database_allows_a_new_open_escalation_beside_a_closed_one(clock):
    contact = ContactFactory(status=Status.ESCALATED)
    f.EscalationFactory(contact=contact, closed_at=NOW, status=Escalation.Status.CLOSED)

    f.EscalationFactory(contact=contact)

    assert Escalation.objects.filter(contact=contact).count() == 2
