"""A contact who became a case follows their case's date whenever it changes: the
case's symptom onset revised in the risk assessment (earlier or later), or a
clinician's override of the case's date, through the page or the API. One person is
told one date, the one their case gives; the contact page reads out the case's.

Each change is recorded as the switch is ("became a case", with the date it
replaced) and audited; a clinician's override of the contact still stands against an
earlier date, and a later one applies. Nothing more is texted for the contact row: the
switch itself texts nothing, and an override of the case texts the person once.

The clock stands at Monday 7 December 2026, 10:00 GMT. Sam was exposed on Saturday
5 December: 5 + 10 = Tuesday 15 December, their date as a contact.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case
from contacts.models import Contact, IsolationChange
from people.models import Message
from work.casework import (
    AssessmentDetails,
    ContactDetails,
    case_assessment_record,
    contact_add,
)
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.isolation import IsolationChangedSince, isolation_override

from .conftest import LONDON, SAM, D, a_naming_case, hold, shortened_before_the_rule

DECEMBER_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

EXPOSED = D(2026, 12, 5)
TODAY = D(2026, 12, 7)


@pytest.fixture
def contact(clock, caseworker, call_handler) -> Contact:
    """Sam, named by the caseworker's case as exposed on 5 December (until the
    15th), held by the call handler."""
    naming = hold(a_naming_case(EXPOSED), caseworker)
    contact = contact_add(
        case=naming,
        details=ContactDetails(
            person=SAM, exposure_date=EXPOSED, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )
    assert contact.isolation_ends_on == D(2026, 12, 15)
    return hold(contact, call_handler)


def positive(*, specimen: dt.date, caseworker) -> Case:
    """Sam's positive result of 7 December, no symptoms given: a case the
    caseworker holds."""
    case, created = case_intake(
        result=LabResult(
            lab_reference="LAB-SAM-ONSET",
            person=SAM,
            specimen_date=specimen,
            result_date=TODAY,
        )
    )
    assert created
    return hold(case, caseworker)


def assess(case: Case, caseworker, onset: dt.date) -> None:
    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=True, symptom_onset=onset),
        by=caseworker,
    )


def read_out(client, call_handler, contact: Contact) -> str:
    """The date the call handler reads out on the contact page."""
    client.force_login(call_handler)
    response = client.get(reverse("contacts:detail", args=[contact.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    start = text.index('data-testid="isolation"')
    return text[start : text.index("</p>", start)]


def follows(contact: Contact) -> list[tuple[int, dt.date, dt.date]]:
    """The contact's "became a case" changes: (case, replaced, ends_on), in order."""
    return list(
        IsolationChange.objects.filter(
            contact=contact, kind=IsolationChange.Kind.BECAME_CASE
        )
        .order_by("pk")
        .values_list("became_case_id", "replaced", "ends_on")
    )


def test_an_earlier_onset_brings_the_contacts_date_forward_with_the_case(
    client, caseworker, call_handler, contact
):
    # Tested 7 December: 7 + 10 = Thursday 17 December, the contact's too.
    case = positive(specimen=TODAY, caseworker=caseworker)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 17)

    # Symptoms from 3 December after all: 3 + 10 = Sunday 13 December.
    assess(case, caseworker, D(2026, 12, 3))

    case.refresh_from_db()
    contact.refresh_from_db()
    assert case.isolation_ends_on == D(2026, 12, 13)
    assert contact.isolation_ends_on == D(2026, 12, 13)
    said = read_out(client, call_handler, contact)
    assert "Sunday 13 December 2026" in said
    assert "17 December" not in said


def test_a_later_onset_takes_the_contacts_date_later_with_the_case(
    client, caseworker, call_handler, contact
):
    # Tested 4 December, the result on the 7th: 4 + 10 = Monday 14 December.
    case = positive(specimen=D(2026, 12, 4), caseworker=caseworker)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)

    # Symptoms from 7 December: 7 + 10 = Thursday 17 December.
    assess(case, caseworker, TODAY)

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 17)
    assert "Thursday 17 December 2026" in read_out(client, call_handler, contact)


def test_the_contact_follows_each_revision_either_way_and_each_is_recorded(
    caseworker, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)  # 17 December

    assess(case, caseworker, D(2026, 12, 3))  # 13 December
    assess(case, caseworker, D(2026, 12, 5))  # 15 December
    assess(case, caseworker, D(2026, 12, 2))  # 12 December

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 12)
    assert follows(contact) == [
        (case.pk, D(2026, 12, 15), D(2026, 12, 17)),
        (case.pk, D(2026, 12, 17), D(2026, 12, 13)),
        (case.pk, D(2026, 12, 13), D(2026, 12, 15)),
        (case.pk, D(2026, 12, 15), D(2026, 12, 12)),
    ]
    last = IsolationChange.objects.filter(contact=contact).order_by("pk").last()
    event = AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__isolation_change=last.pk,
    ).get()
    assert event.user == caseworker
    assert event.detail == {
        "isolation_change": last.pk,
        "became_case": case.pk,
        "isolation_ends_on": "2026-12-12",
        "replaced": "2026-12-15",
    }


def test_an_assessment_that_leaves_the_onset_as_it_was_records_nothing(
    caseworker, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)
    assess(case, caseworker, D(2026, 12, 3))

    assess(case, caseworker, D(2026, 12, 3))

    assert len(follows(contact)) == 2


def test_the_case_page_assessment_moves_the_contacts_date(
    client, caseworker, call_handler, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)  # 17 December
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:assessment", args=[case.pk]),
        {"symptomatic": "on", "symptom_onset": "2026-12-03", "household_size": "2"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 13)
    assert "Sunday 13 December 2026" in read_out(client, call_handler, contact)


def test_a_contact_override_stands_against_an_earlier_case_date_not_a_later_one(
    caseworker, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)  # 17 December
    # Before the end of their case: refused now, but saved before.
    shortened_before_the_rule(contact, D(2026, 12, 16), caseworker)

    # Symptoms from 3 December: 13 December, before the override's 16th.
    assess(case, caseworker, D(2026, 12, 3))
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 16)

    # Symptoms from 7 December: 17 December, beyond the override's 16th.
    assess(case, caseworker, TODAY)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 17)


def test_a_clinicians_override_of_the_case_through_the_api_moves_the_contact(
    clock, caseworker, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)  # 17 December
    http = APIClient()
    http.force_login(caseworker)
    told_before = set(Message.objects.values_list("pk", flat=True))

    response = http.post(
        f"/api/v1/cases/{case.pk}/isolation/",
        {"ends_on": "2026-12-21", "reason": "Still febrile on day 9."},
        format="json",
    )

    assert response.status_code == 201, response.content
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 21)
    assert follows(contact)[-1] == (case.pk, D(2026, 12, 17), D(2026, 12, 21))
    # The person is told once, by the case's message: nothing for the contact row.
    told = Message.objects.exclude(pk__in=told_before)
    assert [(m.case_id, m.contact_id) for m in told] == [(case.pk, None)]


def test_a_clinicians_shortening_of_the_case_on_the_page_moves_the_contact(
    client, caseworker, call_handler, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)  # 17 December
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:isolation", args=[case.pk]),
        {"ends_on": "2026-12-14", "reason": "Retested negative twice."},
    )

    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)
    assert "Monday 14 December 2026" in read_out(client, call_handler, contact)


def test_an_override_of_the_contact_from_the_old_date_is_told_the_case_changed_it(
    caseworker, contact
):
    case = positive(specimen=TODAY, caseworker=caseworker)  # 17 December
    assess(case, caseworker, D(2026, 12, 3))  # 13 December

    with pytest.raises(IsolationChangedSince) as refused:
        isolation_override(
            item=contact,
            ends_on=D(2026, 12, 19),
            reason="Lives with a clinically extremely vulnerable person.",
            clinician=caseworker,
            current_ends_on=D(2026, 12, 17),
        )

    assert str(refused.value) == (
        "The end date changed to Sunday 13 December 2026 at 10:00 on Mon 7 Dec, "
        "when their case's end date changed, after the date this change was made "
        "from: it is not saved."
    )
