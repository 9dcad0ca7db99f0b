"""A warning covers its records for a warning's days after the day it named: a
record kept longer than that (its person had something open) is told of again and
goes a warning's days later, while one whose purge came a day or two late (runs
missed) still goes on its warning."""

from __future__ import annotations

import datetime as dt

import pytest

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from retention.models import PurgeWarning
from retention.services import legal_hold_lift, legal_hold_place, retention_run
from tests import factories as f

from .builders import CLOSED, DAY, PURGE_CONTACTS_DAYS, reached_contact

pytestmark = pytest.mark.django_db

DUE = CLOSED + dt.timedelta(days=PURGE_CONTACTS_DAYS)


@pytest.fixture
def warn_days(settings) -> dt.timedelta:
    return dt.timedelta(days=int(settings.TRACING_RETENTION["warn_days_before_purge"]))


def run_at(clock, moment: dt.datetime) -> None:
    clock.move_to(moment)
    retention_run()


def told() -> list[tuple[dt.date, int]]:
    return list(
        PurgeWarning.objects.order_by("purge_on").values_list("purge_on", "contacts")
    )


def test_a_record_kept_months_past_its_warning_is_warned_again_before_it_goes(
    clock, warn_days
):
    contact = reached_contact()
    run_at(clock, DUE - warn_days)
    assert told() == [(DUE.date(), 1)]
    still_open = f.CaseFactory(person=contact.person, status=Status.NEW)
    run_at(clock, DUE)
    assert Contact.objects.filter(pk=contact.pk).exists()
    Case.objects.filter(pk=still_open.pk).update(
        status=Status.COMPLETED, completed_at=DUE + 60 * DAY
    )

    run_at(clock, DUE + 61 * DAY)

    assert Contact.objects.filter(pk=contact.pk).exists()
    purge_on = (DUE + 61 * DAY + warn_days).date()
    assert told() == [(DUE.date(), 1), (purge_on, 1)]
    run_at(clock, DUE + 61 * DAY + warn_days - DAY)
    assert Contact.objects.filter(pk=contact.pk).exists()
    run_at(clock, DUE + 61 * DAY + warn_days)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert told() == [(DUE.date(), 1), (purge_on, 1)]  # told once more, no further


@pytest.mark.parametrize("late", [1, 2])
def test_a_purge_run_a_day_or_two_late_takes_the_record_on_its_warning(
    clock, warn_days, late
):
    contact = reached_contact()
    run_at(clock, DUE - warn_days)

    run_at(clock, DUE + late * DAY)

    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert told() == [(DUE.date(), 1)]


def test_a_record_held_past_its_warning_is_warned_again_once_the_hold_is_lifted(
    clock, warn_days, django_user_model
):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    contact = reached_contact()
    run_at(clock, DUE - warn_days)
    hold = legal_hold_place(person=contact.person, reason="Complaint", by=admin)
    run_at(clock, DUE)
    clock.move_to(DUE + 30 * DAY)
    legal_hold_lift(hold=hold, by=admin, reason="Complaint settled")

    run_at(clock, DUE + 31 * DAY)

    assert Contact.objects.filter(pk=contact.pk).exists()
    assert told() == [(DUE.date(), 1), ((DUE + 31 * DAY + warn_days).date(), 1)]
    run_at(clock, DUE + 31 * DAY + warn_days)
    assert not Contact.objects.filter(pk=contact.pk).exists()
