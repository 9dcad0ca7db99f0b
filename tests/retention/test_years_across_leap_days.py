"""Contacts are kept 5 years, cases 8 and the audit trail 10: calendar years, counted
from the local day, whatever 29 Februarys the span holds. A record closed on
29 February is due on 1 March when its year has none (kept its years in full). The
warning to the local team names the day the purge then takes the record."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from audit.models import AuditEvent
from contacts.models import Contact
from retention.models import PurgeWarning
from retention.rules import Cutoffs, RetentionDays, years_back, years_on
from retention.services import retention_run

from .builders import LONDON, reached_contact

pytestmark = pytest.mark.django_db


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, 0, tzinfo=LONDON)


def test_the_years_are_calendar_years_and_29_february_goes_to_1_march():
    assert years_on(dt.date(2023, 3, 1), 5) == dt.date(2028, 3, 1)
    assert years_on(dt.date(2024, 2, 29), 5) == dt.date(2029, 3, 1)
    assert years_on(dt.date(2024, 2, 29), 8) == dt.date(2032, 2, 29)
    # The cut-off of a run on 29 February: the same moment so many years before,
    # 28 February when that year has no 29th (what 1 March's run then takes).
    assert years_back(at(2028, 2, 29), 5) == at(2023, 2, 28)
    assert years_back(at(2029, 3, 1), 5) == at(2024, 3, 1)


def test_five_years_from_1_march_2023_end_on_1_march_2028_not_29_february():
    days = RetentionDays.from_settings()
    closed = at(2023, 3, 1, 9)

    on_29_february = Cutoffs.at(at(2028, 2, 29), days)
    on_1_march = Cutoffs.at(at(2028, 3, 1), days)

    assert closed > on_29_february.purge_contacts_before
    assert closed <= on_1_march.purge_contacts_before


def test_ten_years_of_audit_from_1_march_2019_end_on_1_march_2029():
    days = RetentionDays.from_settings()
    event = at(2019, 3, 1, 9)

    assert event > Cutoffs.at(at(2029, 2, 28), days).purge_audit_before
    assert event <= Cutoffs.at(at(2029, 3, 1), days).purge_audit_before


def test_a_contact_closed_on_1_march_2023_is_told_of_and_purged_on_1_march_2028(
    clock,
):
    contact = reached_contact(at(2023, 3, 1, 9))

    # The daily runs of the week before (each warns a warning's days ahead).
    for day in range(20, 30):
        clock.move_to(at(2028, 2, day))
        retention_run()

    assert Contact.objects.filter(pk=contact.pk).exists()
    (warning,) = PurgeWarning.objects.filter(contacts=1)
    assert warning.purge_on == dt.date(2028, 3, 1)
    clock.move_to(at(2028, 3, 1))
    retention_run()
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_an_audit_event_of_1_march_2019_stays_till_1_march_2029(clock):
    event = AuditEvent.objects.create(
        at=at(2019, 3, 1, 9),
        action=AuditEvent.Action.VIEW,
        object_type="cases.case",
        object_id="1",
    )

    clock.move_to(at(2029, 2, 28))
    retention_run()
    assert AuditEvent.objects.filter(pk=event.pk).exists()
    clock.move_to(at(2029, 3, 1))
    retention_run()
    assert not AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("RETENTION_PURGE_CONTACTS_DAYS", "RETENTION_PURGE_CONTACTS_YEARS"),
        ("RETENTION_PURGE_CASES_DAYS", "RETENTION_PURGE_CASES_YEARS"),
        ("RETENTION_AUDIT_DAYS", "RETENTION_AUDIT_YEARS"),
    ],
)
def test_the_old_days_settings_are_refused_by_name_with_the_new_one(old, new):
    env = {**os.environ, old: "1827", "DJANGO_SETTINGS_MODULE": "tracing.settings"}
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert f"{old} is no longer read" in done.stderr
    assert new in done.stderr
