"""A safeguarding alert whose worker dies mid-send (killed, out of memory, a deploy)
is sent later, once, by the task redelivered or by the beat's sweep. Before, the
alert was marked sent before the mail went, as its claim: a worker killed there
could not give the claim back, so the alert was never sent while its record said it
had been. Now the claim lapses after a lease longer than any sending task may run,
and only the mail that went marks it sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from escalations.models import Escalation
from tests import factories as f
from tests.dead_worker import WorkerKilled, worker_killed_at_send_mail
from tests.workspace.conftest import CaseFactory, hold
from tracing.celery import app
from work import calls
from work.calls import ALERT_LATE_AFTER, call_record
from work.tasks import safeguarding_alerts_sweep_task, safeguarding_email_task

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


@pytest.fixture
def concern(clock, caseworker, mailoutbox):
    """A safeguarding concern recorded now by a caseworker whose team has a
    supervisor with an email (its own task not run: the test runs it)."""
    f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=caseworker.staff.team,
        user__email="boss@example.org",
    )
    case = hold(CaseFactory(), caseworker)
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Child left alone at home",
    )
    escalation = Escalation.objects.get(case=case)
    return escalation, {"escalation_id": escalation.pk, "caller_id": caseworker.pk}


def test_an_alert_whose_worker_died_mid_send_is_sent_by_the_sweep_once(
    clock, concern, mailoutbox, monkeypatch
):
    escalation, task = concern
    with (
        worker_killed_at_send_mail(monkeypatch, "work.calls.send_mail"),
        pytest.raises(WorkerKilled),
    ):
        safeguarding_email_task.run(**task)
    escalation.refresh_from_db()
    assert escalation.alert_sent_at is None  # not shown as sent: it was not

    # Redelivered at once (the worker's child was killed), and a sweep while the
    # claim could still be a live worker's: neither sends it.
    assert safeguarding_email_task.run(**task) == 0
    clock.shift(ALERT_LATE_AFTER + MINUTE)
    assert safeguarding_alerts_sweep_task.run() == 0
    assert mailoutbox == []

    clock.shift(calls.ALERT_CLAIM_LEASE)
    assert safeguarding_alerts_sweep_task.run() == 1
    assert safeguarding_alerts_sweep_task.run() == 0
    assert safeguarding_email_task.run(**task) == 0

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
    assert escalation.alert_sent_at == timezone.now()


def test_an_alert_whose_worker_died_mid_send_is_sent_by_its_task_redelivered(
    clock, concern, mailoutbox, monkeypatch
):
    """A worker node lost whole: the broker hands the task back only after its
    visibility timeout, by when the claim has lapsed."""
    escalation, task = concern
    with (
        worker_killed_at_send_mail(monkeypatch, "work.calls.send_mail"),
        pytest.raises(WorkerKilled),
    ):
        safeguarding_email_task.run(**task)

    clock.shift(calls.ALERT_CLAIM_LEASE + MINUTE)
    assert safeguarding_email_task.run(**task) == 1
    assert safeguarding_email_task.run(**task) == 0

    assert [m.to for m in mailoutbox] == [["boss@example.org"]]
    escalation.refresh_from_db()
    assert escalation.alert_sent_at == timezone.now()


def test_a_sweep_beside_a_worker_sending_the_alert_does_not_send_it_again(
    clock, concern, mailoutbox, monkeypatch
):
    _, task = concern
    clock.shift(ALERT_LATE_AFTER + MINUTE)  # late enough for the sweep
    swept = []
    send_mail = calls.send_mail

    def slow_send(*args, **kwargs):
        swept.append(safeguarding_alerts_sweep_task.run())  # while the mail goes
        return send_mail(*args, **kwargs)

    monkeypatch.setattr("work.calls.send_mail", slow_send)
    assert safeguarding_email_task.run(**task) == 1

    assert swept == [0]
    assert [m.to for m in mailoutbox] == [["boss@example.org"]]


def test_the_claim_outlasts_every_task_that_sends_an_alert():
    """A claim lapses only once no live worker can still be sending under it."""
    for task in (safeguarding_email_task, safeguarding_alerts_sweep_task):
        hard_limit = task.time_limit or app.conf.task_time_limit
        assert hard_limit
        assert timedelta(seconds=hard_limit) < calls.ALERT_CLAIM_LEASE
