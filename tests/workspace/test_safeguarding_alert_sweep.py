"""A safeguarding alert to the caller's supervisors is never lost to a mail server
down for a while, or a broker down when the call was saved: the beat's sweep sends
what is still unsent a few minutes on, once. Before, five tries over half a minute
and the alert was gone for good, while the caller had been told their supervisor
was being emailed."""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.apps import apps as django_apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from escalations.models import Escalation
from tests import factories as f
from work.calls import ALERT_LATE_AFTER, ALERT_SWEPT_FOR, call_record
from work.tasks import safeguarding_alerts_sweep_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(caseworker):
    return f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=caseworker.staff.team,
        user__email="boss@example.org",
    )


def concern(caseworker, case, *, minutes_ago: float) -> Escalation:
    """A concern recorded `minutes_ago`, whose own task never ran (in these tests
    nothing is queued on commit: as when the broker was down)."""
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Child left alone at home",
        now=timezone.now() - timedelta(minutes=minutes_ago),
    )
    return Escalation.objects.get(case=case)


def test_an_alert_never_sent_is_sent_by_the_sweep_once(
    caseworker, held_case, boss, mailoutbox
):
    escalation = concern(caseworker, held_case, minutes_ago=10)

    assert safeguarding_alerts_sweep_task.run() == 1
    assert safeguarding_alerts_sweep_task.run() == 0

    assert [m.to for m in mailoutbox] == [["boss@example.org"]]
    # Where to read the concern, and none of it: an email is no place for it.
    assert "Child left alone at home" not in mailoutbox[0].body
    path = reverse("cases:detail", args=[escalation.case_id])
    page = f"{settings.TRACING_SITE_URL}{path}"
    assert (
        "Sign in to read what they noted, in the call history of the case's page:\n"
        f"{page}\n\nWhat they noted is on that page, not in this email.\n"
    ) in mailoutbox[0].body
    escalation.refresh_from_db()
    assert escalation.alert_sent_at is not None


def test_a_mail_server_down_for_the_sweep_leaves_the_alert_for_the_next(
    caseworker, held_case, boss, mailoutbox, monkeypatch
):
    concern(caseworker, held_case, minutes_ago=40)

    def server_down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("work.calls.send_mail", server_down)
    assert safeguarding_alerts_sweep_task.run() == 0  # not an error: the next sweep
    monkeypatch.undo()
    assert mailoutbox == []

    assert safeguarding_alerts_sweep_task.run() == 1
    assert [m.to for m in mailoutbox] == [["boss@example.org"]]


def test_the_sweep_leaves_an_alert_to_its_own_task_for_a_few_minutes(
    caseworker, held_case, boss, mailoutbox
):
    concern(caseworker, held_case, minutes_ago=ALERT_LATE_AFTER.total_seconds() / 120)

    assert safeguarding_alerts_sweep_task.run() == 0
    assert mailoutbox == []


def test_an_escalation_older_than_the_sweep_reaches_is_left_alone(
    caseworker, held_case, boss, mailoutbox
):
    concern(caseworker, held_case, minutes_ago=ALERT_SWEPT_FOR.total_seconds() / 60 + 5)

    assert safeguarding_alerts_sweep_task.run() == 0
    assert mailoutbox == []


def test_alerts_no_one_can_be_sent_do_not_keep_the_newest_from_the_sweep(
    caseworker, held_case, boss, mailoutbox, monkeypatch
):
    """A concern by someone in a team with no supervisor's email stays unsent; with
    a batch full of those, the newest alert was never reached."""
    lonely = f.StaffProfileFactory(clinical=True)  # a team of their own, no boss
    f.ShiftFactory(staff=lonely)
    older = f.CaseFactory(status="assigned", assignee=lonely.user)
    concern(lonely.user, older, minutes_ago=60)
    concern(caseworker, held_case, minutes_ago=10)
    monkeypatch.setattr("work.calls.ALERT_SWEEP_BATCH", 1)

    assert safeguarding_alerts_sweep_task.run() == 1
    assert [m.to for m in mailoutbox] == [["boss@example.org"]]


def test_an_alert_cut_short_by_the_time_limit_is_given_back(
    caseworker, held_case, boss, mailoutbox, monkeypatch
):
    escalation = concern(caseworker, held_case, minutes_ago=10)

    def time_is_up(*args, **kwargs):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr("work.calls.send_mail", time_is_up)
    with pytest.raises(SoftTimeLimitExceeded):
        safeguarding_alerts_sweep_task.run()
    monkeypatch.undo()
    escalation.refresh_from_db()
    assert escalation.alert_sent_at is None  # not taken for sent

    assert safeguarding_alerts_sweep_task.run() == 1


def test_concerns_recorded_before_the_sweep_came_are_not_emailed_again(
    caseworker, held_case, boss, mailoutbox
):
    """Their alerts went by the task of the time, which did not record it: the
    migration marks them sent, so the first sweeps do not email a week again."""
    escalation = concern(caseworker, held_case, minutes_ago=3 * 24 * 60)
    Escalation.objects.filter(pk=escalation.pk).update(alert_sent_at=None)
    migration = import_module(
        "escalations.migrations.0009_earlier_alerts_not_sent_again"
    )

    migration.mark_earlier_alerts_sent(django_apps, None)

    assert safeguarding_alerts_sweep_task.run() == 0
    assert mailoutbox == []
    escalation.refresh_from_db()
    assert escalation.alert_sent_at == escalation.created_at
