"""Isolation that follows the facts: the people, their work and the messages."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import IsolationChange
from people.services import PersonDetails
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
D = dt.date
# The week England's contact rule changed (14 days, then 10 from 14 December 2020):
# Thursday 17 December 2020, 10:00 GMT.
DECEMBER_17 = dt.datetime(2020, 12, 17, 10, 0, tzinfo=LONDON)

# One human, as a case names them and as a lab result names them: the same NHS
# number, so every door finds the same person.
SAM = PersonDetails(
    first_name="Sam",
    last_name="Okafor",
    date_of_birth=D(1990, 4, 2),
    nhs_number="9434765919",
    phone="07911 123457",
    postcode="S1 2HE",
)
# The same person as the API takes them.
SAM_JSON = {
    "first_name": "Sam",
    "last_name": "Okafor",
    "date_of_birth": "1990-04-02",
    "nhs_number": "9434765919",
    "phone": "07911 123457",
    "postcode": "S1 2HE",
}


def hold(item, user):
    """Put an item in someone's queue, already assigned."""
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def shortened_before_the_rule(contact, ends_on: dt.date, clinician) -> None:
    """A clinician's override of a contact row to a date before the end of the
    person's own case, as saved before such an override was refused (work.rules.
    isolation_override_problems): records like it stand in the database, and the
    rules that follow a case's date still meet them."""
    IsolationChange.objects.create(
        contact=contact,
        kind=IsolationChange.Kind.OVERRIDE,
        ends_on=ends_on,
        replaced=contact.isolation_ends_on,
        reason="clinical judgement",
        by=clinician,
        at=timezone.now(),
    )
    type(contact).objects.filter(pk=contact.pk).update(isolation_ends_on=ends_on)
    contact.refresh_from_db()


def a_case(**fields):
    """A case in Sheffield, its dates as given (its end date by the rules)."""
    fields.setdefault("symptom_onset", None)
    return f.CaseFactory(**fields)


def a_naming_case(exposed_on: dt.date):
    """A case that could have passed it on by `exposed_on`, so it may name a contact
    exposed then (work.rules): symptoms from that day (at most its result date)."""
    return a_case(symptom_onset=exposed_on)


@pytest.fixture
def held_case(clock, caseworker):
    """A case the caseworker holds (its dates by the test's clock)."""
    return hold(a_case(), caseworker)
