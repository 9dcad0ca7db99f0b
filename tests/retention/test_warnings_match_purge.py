"""What a local team is warned of is what the purge then takes, on the day it was
told: the warnings are chosen by the purge's own rules, and the purge takes nothing
a warning did not cover (a record kept past its day is told of first)."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, Exposure
from retention.models import PurgeWarning
from retention.services import legal_hold_place, retention_run
from tests import factories as f

from .builders import (
    CLOSED,
    DAY,
    PURGE_CASES_DAYS,
    PURGE_CONTACTS_DAYS,
    completed_case,
    reached_contact,
)

pytestmark = pytest.mark.django_db

CONTACTS_DUE = CLOSED + dt.timedelta(days=PURGE_CONTACTS_DAYS)
CASES_DUE = CLOSED + dt.timedelta(days=PURGE_CASES_DAYS)
WEEK = 7 * DAY


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


def run_at(clock, moment: dt.datetime) -> None:
    clock.move_to(moment)
    retention_run()


def told() -> dict[str, list[tuple[dt.date, int]]]:
    """The warnings given: (day, count) of contacts and of cases."""
    warnings = PurgeWarning.objects.order_by("purge_on")
    return {
        "contacts": [(w.purge_on, w.contacts) for w in warnings if w.contacts],
        "cases": [(w.purge_on, w.cases) for w in warnings if w.cases],
    }


def test_contacts_a_held_case_named_are_neither_warned_of_nor_purged(clock, admin):
    case = completed_case()
    named = [reached_contact(case=case) for _ in range(2)]
    other = reached_contact()
    legal_hold_place(person=case.person, reason="Inquiry", by=admin)

    run_at(clock, CONTACTS_DUE - WEEK)

    assert told()["contacts"] == [(CONTACTS_DUE.date(), 1)]
    run_at(clock, CONTACTS_DUE)
    assert not Contact.objects.filter(pk=other.pk).exists()
    assert Contact.objects.filter(pk__in=[c.pk for c in named]).count() == 2


def test_a_case_its_contacts_still_point_at_is_not_warned_of(clock, admin):
    kept = completed_case()
    contact = reached_contact(case=kept)
    legal_hold_place(person=contact.person, reason="Complaint", by=admin)
    alone = completed_case()
    cases = Case.objects.count()

    run_at(clock, CASES_DUE - WEEK)
    [(day, warned)] = told()["cases"]
    run_at(clock, CASES_DUE)

    assert day == CASES_DUE.date()
    assert warned == cases - Case.objects.count()
    assert Case.objects.filter(pk=kept.pk).exists()
    assert not Case.objects.filter(pk=alone.pk).exists()


def test_a_record_kept_past_its_day_is_warned_of_before_it_goes(clock):
    """Its person had a case open through its warning week: once that closes, the
    record is told of for a warning's days on, not deleted by the next run."""
    contact = reached_contact()
    still_open = f.CaseFactory(person=contact.person, status=Status.NEW)
    run_at(clock, CONTACTS_DUE - WEEK)
    assert told()["contacts"] == []
    run_at(clock, CONTACTS_DUE)
    Case.objects.filter(pk=still_open.pk).update(
        status=Status.COMPLETED, completed_at=CONTACTS_DUE + DAY
    )

    run_at(clock, CONTACTS_DUE + 2 * DAY)

    assert Contact.objects.filter(pk=contact.pk).exists()
    purge_on = (CONTACTS_DUE + 9 * DAY).date()
    assert told()["contacts"] == [(purge_on, 1)]
    run_at(clock, CONTACTS_DUE + 8 * DAY)
    assert Contact.objects.filter(pk=contact.pk).exists()
    run_at(clock, CONTACTS_DUE + 9 * DAY)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert told()["contacts"] == [(purge_on, 1)]  # told once


def test_a_contact_named_again_is_warned_of_for_the_day_counted_from_then(clock):
    contact = reached_contact()
    Exposure.objects.create(
        contact=contact,
        case=completed_case(),
        exposure_date=CLOSED.date(),
        exposure="household",
        created_at=CLOSED + 3 * DAY,
    )
    run_at(clock, CONTACTS_DUE - WEEK)
    assert told()["contacts"] == []

    run_at(clock, CONTACTS_DUE + 3 * DAY - WEEK)

    assert told()["contacts"] == [((CONTACTS_DUE + 3 * DAY).date(), 1)]
    run_at(clock, CONTACTS_DUE + 3 * DAY)
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_records_found_on_a_day_already_told_of_are_told_of_for_the_next(clock):
    """A team is told once a day: a second run that day tells of its new records
    for the day after, and the purge keeps to that."""
    first = reached_contact()
    run_at(clock, CONTACTS_DUE - WEEK)
    later = reached_contact(area=first.area)

    run_at(clock, CONTACTS_DUE - WEEK + dt.timedelta(hours=1))

    assert told()["contacts"] == [
        (CONTACTS_DUE.date(), 1),
        ((CONTACTS_DUE + DAY).date(), 1),
    ]
    run_at(clock, CONTACTS_DUE + dt.timedelta(hours=1))
    assert not Contact.objects.filter(pk=first.pk).exists()
    assert Contact.objects.filter(pk=later.pk).exists()
    run_at(clock, CONTACTS_DUE + DAY)
    assert not Contact.objects.filter(pk=later.pk).exists()
