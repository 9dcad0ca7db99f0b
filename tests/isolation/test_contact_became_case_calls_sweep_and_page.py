"""A contact who has become a case, its case being worked: the sweep does not send
the contact to its local team on its own, and the contact's page says the person is
a case a caseworker is calling, offering no contact call. (The pool, "Next item" and
My work: test_contact_became_case_calls.py, whose day and people these are.)"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from work.assignment import assign_work
from work.calls import call_record
from work.escalation import escalate_unreached

from .test_contact_became_case_calls import (
    AT,
    complete,
    sam_named_as_a_contact,
    sam_tests_positive,
    signed_in,
)

pytestmark = pytest.mark.django_db


def test_the_sweep_does_not_escalate_a_contact_whose_case_is_being_worked(
    clock, call_handler, caseworker
):
    contact = sam_named_as_a_contact()
    assign_work()
    clock.move_to(AT(10, 5))
    case = sam_tests_positive()
    assign_work()
    # 10:09: the caseworker reaches them about their case, and works it on.
    clock.move_to(AT(10, 9))
    call_record(
        item=case, caller=caseworker, outcome=Outcome.REACHED, submission=uuid.uuid4()
    )
    contact.refresh_from_db()
    past_the_contacts_deadline = contact.escalate_due_at + dt.timedelta(minutes=1)
    clock.move_to(past_the_contacts_deadline)

    escalate_unreached(now=past_the_contacts_deadline)

    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert not Escalation.objects.filter(contact=contact).exists()


def test_the_sweep_escalates_a_contact_whose_case_is_completed_as_before(
    clock, call_handler, caseworker
):
    contact = sam_named_as_a_contact()
    assign_work()
    case = sam_tests_positive()
    complete(case)
    contact.refresh_from_db()
    past_the_contacts_deadline = contact.escalate_due_at + dt.timedelta(minutes=1)
    clock.move_to(past_the_contacts_deadline)

    escalate_unreached(now=past_the_contacts_deadline)

    contact.refresh_from_db()
    assert contact.status == Status.ESCALATED


def test_the_contact_page_says_they_are_a_case_and_offers_no_contact_call(
    clock, call_handler, caseworker
):
    contact = sam_named_as_a_contact()
    assign_work()
    clock.move_to(AT(10, 5))
    sam_tests_positive()
    assign_work()
    clock.move_to(AT(10, 6))

    page = signed_in(call_handler).get(reverse("contacts:detail", args=[contact.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "now a case: a caseworker is calling them" in html
    assert "Log the call" not in html
    assert "Due now" not in html
