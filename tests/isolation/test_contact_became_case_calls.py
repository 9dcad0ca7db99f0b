"""A contact waiting for a call who tests positive is one person, called once: while
their case is open (waiting, held or reached) the caseworker speaks to them, and the
contact's calls stop. Neither the pool, nor a call handler's "Next item", nor My
work offers the contact as due. Once the case is completed or closed, the contact
is worked as before.

The hunter's day: Tuesday 12 January 2021 (GMT). 10:00 Sam is named as a contact
and a call handler is given them, due at once; 10:05 Sam's own positive result
arrives and the new case goes to a caseworker."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.assignment import assign_work
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake

from .conftest import LONDON, SAM, D

pytestmark = pytest.mark.django_db

# Sam on a landline: no link is texted, so the case's call is due as it arrives.
TOM = replace(SAM, phone="0114 496 0012")


def sam_named_as_a_contact() -> Contact:
    """10:00: a case with symptoms from 10 January names Sam, exposed that day
    (its own call done with, so that only Sam's calls are due)."""
    naming = f.CaseFactory(symptom_onset=D(2021, 1, 10))
    contact = contact_add(
        case=naming,
        details=ContactDetails(
            person=TOM,
            exposure_date=D(2021, 1, 10),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )
    complete(naming)
    return contact


def complete(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(
        status=Status.COMPLETED,
        reached_at=timezone.now(),
        completed_at=timezone.now(),
        next_attempt_at=None,
        escalate_due_at=None,
    )


def sam_tests_positive() -> Case:
    case, created = case_intake(
        result=LabResult(
            lab_reference="LAB-SAM-TWO",
            person=TOM,
            specimen_date=D(2021, 1, 11),
            result_date=D(2021, 1, 12),
        )
    )
    assert created
    return case


def AT(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2021, 1, 12, hour, minute, tzinfo=LONDON)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_next_item_does_not_open_a_contact_who_has_become_a_case(
    clock, call_handler, caseworker
):
    contact = sam_named_as_a_contact()
    assign_work()
    contact.refresh_from_db()
    assert contact.assignee == call_handler  # due at once, in their queue
    clock.move_to(AT(10, 5))
    case = sam_tests_positive()
    assign_work()
    case.refresh_from_db()
    assert case.assignee == caseworker
    clock.move_to(AT(10, 6))

    handler_next = signed_in(call_handler).post(reverse("cases:next"))
    caseworker_next = signed_in(caseworker).post(reverse("cases:next"))

    contact_page = reverse("contacts:detail", args=[contact.pk])
    assert handler_next.status_code == 302
    assert handler_next["Location"] != contact_page
    # Sam is called once: by the caseworker, about their case.
    assert caseworker_next["Location"] == reverse("cases:detail", args=[case.pk])


def test_my_work_does_not_show_the_contact_due_while_their_case_is_open(
    clock, call_handler, caseworker
):
    contact = sam_named_as_a_contact()
    assign_work()
    sam_tests_positive()
    assign_work()

    page = signed_in(call_handler).get(reverse("cases:queue"))

    html = page.content.decode()
    contact_link = reverse("contacts:detail", args=[contact.pk])
    row = next(r for r in html.split("<tr") if contact_link in r)
    assert "Due now" not in row
    assert "Overdue" not in row


def test_the_pool_does_not_give_out_a_contact_who_has_become_a_case(
    clock, call_handler
):
    contact = sam_named_as_a_contact()  # nobody has been given it yet
    sam_tests_positive()

    assign_work()

    contact.refresh_from_db()
    assert (contact.status, contact.assignee) == (Status.NEW, None)


def test_a_contact_whose_case_is_completed_is_called_as_before(
    clock, call_handler, caseworker
):
    contact = sam_named_as_a_contact()
    case = sam_tests_positive()
    complete(case)
    assign_work()
    contact.refresh_from_db()
    assert contact.assignee == call_handler

    handler_next = signed_in(call_handler).post(reverse("cases:next"))

    assert handler_next["Location"] == reverse("contacts:detail", args=[contact.pk])
