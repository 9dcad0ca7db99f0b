"""Someone with no number to call is due to their local team at once (or, sent a
link by email, when their wait for an answer ends). If their record gains a number
while that item still waits (a second case naming them with a phone, a later result
of theirs arriving with one), the item is the phones' again: its deadline is its
call rule's counted from when the number arrived, a call is due, and a call handler
or caseworker is given it. Before, it still went to the local team at the old
deadline, and nobody ever rang the number.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from people.services import PersonDetails
from tests import factories as f
from work import intake
from work.assignment import assign_work
from work.casework import ContactDetails, contact_add
from work.escalation import escalate_unreached
from work.intake import case_intake, case_intake_many
from work.online import CaseAnswer, online_case_invite, online_case_submit
from work.rules import CallRule

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
CONTACT_WAIT = dt.timedelta(hours=8)  # ONLINE_CONTACT_HOURS
PHONE = "07911 123402"


@pytest.fixture(autouse=True)
def _online_waits(settings):
    settings.TRACING_ONLINE_CASE_HOURS = 4
    settings.TRACING_ONLINE_CONTACT_HOURS = 8


def noah(**details) -> PersonDetails:
    """Noah, as a case names them: no number unless given one."""
    return PersonDetails(
        first_name="Noah",
        last_name="Nonumber",
        date_of_birth=dt.date(1970, 5, 6),
        postcode="S1 2HE",
        **details,
    )


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def a_case(**fields) -> Case:
    """A case that could have passed it on to Noah on any day named here."""
    return f.CaseFactory(symptom_onset=days_ago(6), **fields)


def named(person: PersonDetails, days: int = 4) -> Contact:
    return contact_add(
        case=a_case(),
        details=ContactDetails(
            person=person, exposure_date=days_ago(days), exposure="household"
        ),
    )


def result(ref: str, **details) -> intake.TestResult:
    return intake.TestResult(
        lab_reference=ref,
        person=noah(**details),
        specimen_date=days_ago(2),
        result_date=days_ago(1),
    )


def fresh(item):
    item.refresh_from_db()
    return item


def test_a_contact_named_again_with_a_phone_goes_to_a_call_handler(clock, call_handler):
    first = named(noah())
    assert first.escalate_due_at == timezone.now()  # their local team's at once
    clock.shift(MINUTE)  # before the sweep's next run
    now = timezone.now()

    again = named(noah(phone=PHONE), days=3)

    assert again.pk == first.pk
    contact = fresh(first)
    assert contact.escalate_due_at == CallRule.for_kind("contact").escalate_due_at(now)
    assert contact.next_attempt_at == now
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    contact = fresh(contact)
    assert contact.status == Status.ASSIGNED
    assert contact.assignee == call_handler


def test_naming_them_with_a_phone_asks_for_an_assignment_run(
    clock, django_capture_on_commit_callbacks
):
    # Made as intake or a naming made it, without asking for a run already (one
    # run is asked for per transaction, and the test's never commits).
    person = f.PersonFactory(
        first_name="Noah",
        last_name="Nonumber",
        date_of_birth=dt.date(1970, 5, 6),
        postcode="S1 2HE",
        phone="",
    )
    waiting = f.ContactFactory(case=a_case(), person=person, exposure_date=days_ago(4))
    Contact.objects.filter(pk=waiting.pk).update(escalate_due_at=timezone.now())
    clock.shift(MINUTE)

    with (
        mock.patch("work.tasks.assign_work_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        again = named(noah(phone=PHONE), days=3)

    assert again.pk == waiting.pk
    delay.assert_called_once_with()


def test_the_change_of_deadline_is_audited(clock):
    first = named(noah())
    was = first.escalate_due_at
    clock.shift(MINUTE)
    now = timezone.now()

    named(noah(phone=PHONE), days=3)

    event = AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=str(first.pk),
        detail__phone="added",
    ).get()
    assert event.detail["escalate_due_at"] == (
        CallRule.for_kind("contact").escalate_due_at(now).isoformat()
    )
    assert event.detail["was_due_at"] == was.isoformat()
    assert event.detail["source"] == "named as a contact"


def test_an_emailed_contact_given_a_phone_is_phoned_when_their_wait_ends(
    clock, call_handler
):
    case = a_case(person__phone="+447400111777")
    link = online_case_invite(case=case, now=timezone.now())
    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[
                ContactDetails(
                    person=noah(email="noah@example.org"),
                    exposure_date=days_ago(4),
                    exposure="household",
                )
            ],
            visits=[],
        ),
    )
    contact = Contact.objects.get(case=case)
    waits_until = timezone.now() + CONTACT_WAIT
    assert contact.next_attempt_at == contact.escalate_due_at == waits_until
    clock.shift(dt.timedelta(hours=1))
    now = timezone.now()

    named(noah(phone=PHONE), days=3)

    contact = fresh(contact)
    rule = CallRule.for_kind("contact")
    assert contact.escalate_due_at == rule.escalate_due_at(now)
    # Not phoned at once: their wait for an answer online goes on, as far as every
    # attempt of the call rule still fits before the new deadline...
    assert contact.next_attempt_at == min(
        waits_until, rule.latest_first_attempt(contact.escalate_due_at)
    )
    assert contact.next_attempt_at > now
    assign_work(now=now + MINUTE)
    assert fresh(contact).assignee is None
    # ...and then a call handler's, still theirs when the old wait ends, not their
    # local team's.
    assign_work(now=contact.next_attempt_at + MINUTE)
    escalate_unreached(now=waits_until + MINUTE)
    contact = fresh(contact)
    assert contact.status == Status.ASSIGNED
    assert contact.assignee == call_handler


def test_a_case_with_no_number_whose_further_result_brings_one_goes_to_a_caseworker(
    clock, caseworker
):
    case, created = case_intake(result=result("NOAH-1"))
    assert created
    assert case.escalate_due_at == timezone.now()
    clock.shift(MINUTE)
    now = timezone.now()

    same, created = case_intake(result=result("NOAH-2", phone=PHONE))

    assert same.pk == case.pk
    assert not created  # a further result of the same episode
    case = fresh(case)
    assert case.escalate_due_at == CallRule.for_kind("case").escalate_due_at(now)
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    case = fresh(case)
    assert case.status == Status.ASSIGNED
    assert case.assignee == caseworker


def test_a_batch_bringing_a_number_sends_the_waiting_case_to_a_caseworker(
    clock, caseworker
):
    case, _ = case_intake(result=result("NOAH-1"))
    clock.shift(MINUTE)
    now = timezone.now()
    other = intake.TestResult(
        lab_reference="OTHER-1",
        person=PersonDetails(
            first_name="Olu",
            last_name="Other",
            date_of_birth=dt.date(1981, 2, 3),
            phone="07911 123403",
            postcode="S1 2HE",
        ),
        specimen_date=days_ago(2),
        result_date=days_ago(1),
    )

    case_intake_many(results=[other, result("NOAH-2", phone=PHONE)])

    case = fresh(case)
    assert case.escalate_due_at == CallRule.for_kind("case").escalate_due_at(now)
    escalate_unreached(now=now + MINUTE)
    assert fresh(case).status != Status.ESCALATED


def test_a_contact_whose_own_result_brings_a_number_is_phoned(clock, call_handler):
    contact = named(noah())
    clock.shift(MINUTE)
    now = timezone.now()

    case, created = case_intake(result=result("NOAH-1", phone=PHONE))

    assert created
    assert case.person_id == contact.person_id
    contact = fresh(contact)
    assert contact.escalate_due_at == CallRule.for_kind("contact").escalate_due_at(now)
    escalate_unreached(now=now + MINUTE)
    assert fresh(contact).status != Status.ESCALATED


def test_a_contact_with_a_number_keeps_its_deadline(clock):
    first = named(noah(phone=PHONE))
    due = first.escalate_due_at
    clock.shift(dt.timedelta(hours=2))

    named(noah(phone="07911 123499"), days=3)

    assert fresh(first).escalate_due_at == due


def test_a_contact_already_with_its_local_team_stays_there(clock, call_handler):
    first = named(noah())
    clock.shift(MINUTE)
    escalate_unreached(now=timezone.now())
    contact = fresh(first)
    assert contact.status == Status.ESCALATED
    due = contact.escalate_due_at
    clock.shift(MINUTE)

    named(noah(phone=PHONE), days=3)

    contact = fresh(contact)
    assert contact.status == Status.ESCALATED
    assert contact.escalate_due_at == due
    assign_work(now=timezone.now())
    assert fresh(contact).assignee is None
