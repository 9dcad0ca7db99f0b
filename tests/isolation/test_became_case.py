"""A contact who becomes a case: a positive result for a person whose contact is
still to be reached or was told to isolate, and whose isolation has not ended,
switches their isolation to the case's, counted from the case's onset or test by the
rule of that day. The case's rule supersedes the contact's, even ending sooner
(work.isolation.contacts_become_cases says why); a clinician's override still stands
against an earlier date. Each end date is worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from work.casework import ContactDetails, contact_add
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.isolation import isolation_override

from .conftest import DECEMBER_17, SAM, SAM_JSON, D, a_case, a_naming_case, hold

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_17)]


def contact_named_on(day, case=None) -> Contact:
    return contact_add(
        case=case or a_naming_case(day),
        details=ContactDetails(
            person=SAM, exposure_date=day, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )


def positive(*, specimen, onset=None, reference="LAB-SAM-1") -> Case:
    case, created = case_intake(
        result=LabResult(
            lab_reference=reference,
            person=SAM,
            specimen_date=specimen,
            result_date=D(2020, 12, 17),
            symptom_onset=onset,
        )
    )
    assert created
    return case


def test_a_waiting_contact_who_tests_positive_isolates_as_a_case(clock):
    # Exposed 14 December, the 10-day rule: 14 + 10 = 24 December.
    contact = contact_named_on(D(2020, 12, 14))

    # Symptoms from 16 December, a case: 16 + 10 = 26 December.
    case = positive(specimen=D(2020, 12, 17), onset=D(2020, 12, 16))

    assert case.person_id == contact.person_id
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 26)
    change = IsolationChange.objects.get()
    assert (change.contact, change.kind, change.became_case) == (
        contact,
        IsolationChange.Kind.BECAME_CASE,
        case,
    )
    assert (change.replaced, change.ends_on) == (D(2020, 12, 24), D(2020, 12, 26))


def test_the_case_rule_supersedes_a_contact_period_that_would_end_later(clock):
    # Exposed 10 December, the 14-day rule of the time: 10 + 14 = 24 December.
    contact = contact_named_on(D(2020, 12, 10))

    # Tested on 11 December, no symptoms, a case: 11 + 10 = 21 December, three days
    # sooner: from the positive test they isolate as a case.
    positive(specimen=D(2020, 12, 11))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 21)
    assert IsolationChange.objects.get().replaced == D(2020, 12, 24)


def test_a_case_named_as_a_contact_afterwards_is_told_their_case_date(clock):
    """Two positives in one household naming each other: the second naming comes
    after the first's own case. One person is told one date, their case's, not a
    later one from the new exposure."""
    case = positive(specimen=D(2020, 12, 11))  # 11 + 10 = 21 December

    contact = contact_named_on(D(2020, 12, 16))  # as a contact: 16 + 10 = 26

    assert contact.person_id == case.person_id
    assert contact.isolation_ends_on == D(2020, 12, 21)
    change = IsolationChange.objects.get(contact=contact)
    assert (change.kind, change.became_case, change.replaced) == (
        IsolationChange.Kind.BECAME_CASE,
        case,
        D(2020, 12, 26),
    )
    # Named again by another case: still their case's date.
    again = contact_named_on(D(2020, 12, 16))
    assert again == contact
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 21)


def test_a_contact_told_to_isolate_follows_their_case_too(clock):
    contact = contact_named_on(D(2020, 12, 14))  # 14 + 10 = 24 December
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.COMPLETED, reached_at=timezone.now()
    )

    positive(specimen=D(2020, 12, 16))  # 16 + 10 = 26 December

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 26)


def test_a_contact_whose_isolation_has_ended_keeps_its_date(clock):
    # Exposed 1 December, 14 days: ended on 15 December, two days before today.
    # Named the next day (a contact whose isolation is over is not traced).
    clock.move_to(DECEMBER_17 - dt.timedelta(days=15))
    contact = contact_named_on(D(2020, 12, 1))
    clock.move_to(DECEMBER_17)

    positive(specimen=D(2020, 12, 16))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 15)
    assert not IsolationChange.objects.exists()


def test_a_contact_closed_by_a_local_team_that_never_reached_them_keeps_its_date(
    clock,
):
    contact = contact_named_on(D(2020, 12, 14))  # 24 December
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.CLOSED, closed_at=timezone.now()
    )

    positive(specimen=D(2020, 12, 16))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 24)
    assert not IsolationChange.objects.exists()


def test_becoming_a_case_is_audited_with_the_date_it_replaced(clock):
    contact = contact_named_on(D(2020, 12, 14))  # 24 December

    case = positive(specimen=D(2020, 12, 16))  # 26 December

    event = AuditEvent.objects.get(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        action=AuditEvent.Action.UPDATE,
    )
    assert event.person_id == contact.person_id
    assert event.detail == {
        "isolation_change": IsolationChange.objects.get().pk,
        "became_case": case.pk,
        "isolation_ends_on": "2020-12-26",
        "replaced": "2020-12-24",
    }


def test_an_override_stands_against_a_case_ending_sooner(clock, caseworker):
    contact = contact_named_on(D(2020, 12, 14), case=hold(a_case(), caseworker))
    isolation_override(
        item=contact,
        ends_on=D(2020, 12, 30),
        reason="Lives with a clinically extremely vulnerable person.",
        clinician=caseworker,
    )

    # A case from 16 December: 16 + 10 = 26 December, before the override's 30th.
    positive(specimen=D(2020, 12, 16))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 30)
    became = IsolationChange.objects.get(kind=IsolationChange.Kind.BECAME_CASE)
    assert (became.replaced, became.ends_on) == (D(2020, 12, 30), D(2020, 12, 30))


def test_a_case_ending_later_than_an_override_applies(clock, caseworker):
    contact = contact_named_on(D(2020, 12, 14), case=hold(a_case(), caseworker))
    isolation_override(
        item=contact,
        ends_on=D(2020, 12, 20),
        reason="Exposure was outdoors and brief.",
        clinician=caseworker,
    )

    # A case with symptoms from 17 December: 17 + 10 = 27 December.
    positive(specimen=D(2020, 12, 17), onset=D(2020, 12, 17))

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 27)


def test_a_result_received_again_changes_nothing_more(clock):
    contact = contact_named_on(D(2020, 12, 14))
    positive(specimen=D(2020, 12, 16))

    _, created = case_intake(
        result=LabResult(
            lab_reference="LAB-SAM-1",
            person=SAM,
            specimen_date=D(2020, 12, 16),
            result_date=D(2020, 12, 17),
        )
    )

    assert not created
    assert IsolationChange.objects.filter(contact=contact).count() == 1


def test_a_result_through_the_api_switches_the_contact(clock, supervisor):
    contact = contact_named_on(D(2020, 12, 14))  # 24 December
    http = APIClient()
    http.force_login(supervisor)

    response = http.post(
        reverse("api-test-results"),
        {
            "lab_reference": "LAB-SAM-API",
            "person": SAM_JSON,
            "specimen_date": "2020-12-16",
            "result_date": "2020-12-17",
        },
        format="json",
    )

    # A case tested on 16 December: 16 + 10 = 26 December.
    assert response.status_code == 201, response.content
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2020, 12, 26)
    assert IsolationChange.objects.get().by == supervisor


def test_the_contact_page_says_they_became_a_case(clock, client, call_handler):
    contact = hold(contact_named_on(D(2020, 12, 14)), call_handler)
    positive(specimen=D(2020, 12, 16))
    client.force_login(call_handler)

    response = client.get(reverse("contacts:detail", args=[contact.pk]))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Saturday 26 December 2020" in text
    assert (
        "Became a case on 17 Dec 2020: from then they isolate as a case, until "
        "Saturday 26 December 2020 (it was Thursday 24 December 2020)."
    ) in text
