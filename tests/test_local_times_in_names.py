"""What the admin and the audit name a call, an escalation's action, a retention run
or an erasure by: its time on England's clock, as every page shows it. In summer it
was UTC, an hour behind."""

from __future__ import annotations

import datetime as dt

import pytest

from calls.models import Outcome
from retention.models import RetentionRun
from tests import factories as f

pytestmark = pytest.mark.django_db

SUMMER_NOON_UTC = dt.datetime(2026, 7, 1, 11, 0, tzinfo=dt.UTC)  # 12:00 BST


def test_a_call_is_named_by_its_local_time():
    call = f.CallAttemptFactory(started_at=SUMMER_NOON_UTC, outcome=Outcome.REACHED)
    assert str(call).endswith("at 01 Jul 12:00")


def test_an_escalation_action_is_named_by_its_local_time():
    action = f.EscalationActionFactory(at=SUMMER_NOON_UTC)
    assert str(action).endswith("at 01 Jul 12:00")


def test_a_retention_run_is_named_by_its_local_time():
    run = RetentionRun(pk=7, started_at=SUMMER_NOON_UTC)
    assert str(run) == "Retention run 7 of 01 Jul 2026 12:00"
