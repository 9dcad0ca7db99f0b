"""A local team is told, once, a week before the records of its areas are purged."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from retention.models import PurgeWarning
from retention.services import retention_run
from tests import factories as f

from .builders import CLOSED, DAY, PURGE_CASES_DAYS, PURGE_CONTACTS_DAYS
from .builders import reached_contact as contact_closed

pytestmark = pytest.mark.django_db

PURGE = CLOSED + dt.timedelta(days=PURGE_CONTACTS_DAYS)


@pytest.fixture
def sheffield():
    team = f.area().local_team
    team.email = "health.protection@sheffield.example"
    team.save(update_fields=["email"])
    f.StaffProfileFactory(
        local=True, is_supervisor=True, user__email="lead@sheffield.example"
    )
    f.StaffProfileFactory(local=True, user__email="member@sheffield.example")
    return team


def run_sending(run_tasks_here):
    with run_tasks_here():
        retention_run()


def test_the_local_team_is_warned_a_week_before(clock, sheffield, run_tasks_here):
    contact_closed()
    clock.move_to(PURGE - 7 * DAY)

    run_sending(run_tasks_here)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["health.protection@sheffield.example", "lead@sheffield.example"]
    assert "1 contact record(s)" in email.body
    assert PURGE.strftime("%d %B %Y") in email.subject
    warning = PurgeWarning.objects.get()
    assert (warning.local_team, warning.purge_on) == (sheffield, PURGE.date())
    assert (warning.contacts, warning.cases) == (1, 0)
    assert warning.sent_at is not None


def test_the_warning_is_not_sent_twice(clock, sheffield, run_tasks_here):
    contact_closed()
    clock.move_to(PURGE - 7 * DAY)
    run_sending(run_tasks_here)
    clock.move_to(PURGE - 6 * DAY)

    run_sending(run_tasks_here)

    assert len(mail.outbox) == 1
    assert PurgeWarning.objects.count() == 1


def test_no_warning_eight_days_before(clock, sheffield, run_tasks_here):
    contact_closed()
    clock.move_to(PURGE - 8 * DAY)

    run_sending(run_tasks_here)

    assert mail.outbox == []
    assert not PurgeWarning.objects.exists()


def test_cases_are_warned_of_before_their_own_purge(clock, sheffield, run_tasks_here):
    contact = contact_closed()
    contact.delete()  # a case with no contacts left, purged after 8 years
    purge = CLOSED + dt.timedelta(days=PURGE_CASES_DAYS)
    clock.move_to(purge - 7 * DAY)

    run_sending(run_tasks_here)

    warning = PurgeWarning.objects.get()
    assert (warning.cases, warning.contacts, warning.purge_on) == (1, 0, purge.date())
    assert "1 case record(s)" in mail.outbox[0].body
