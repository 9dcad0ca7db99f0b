"""A local team's purge warning whose worker dies mid-send (killed, out of memory, a
deploy) is sent later, once, by its task redelivered or by the beat's sweep, before
the purge. Before, the warning was marked sent before the mail went, as its claim: a
worker killed there left it marked sent to no one, nothing sent it again, and the
records could be purged without the team told. Now the claim lapses after a lease
longer than any sending task may run, and only the mail that went marks it sent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from retention import services
from retention import tasks as retention_tasks
from retention.models import PurgeWarning
from retention.services import retention_run
from retention.tasks import purge_warning_send_task
from tests import factories as f
from tests.dead_worker import WorkerKilled, worker_killed_at_send_mail
from tracing.celery import app

from .builders import CLOSED, DAY, PURGE_CONTACTS_DAYS
from .builders import reached_contact as contact_closed

pytestmark = pytest.mark.django_db

PURGE = CLOSED + dt.timedelta(days=PURGE_CONTACTS_DAYS)
MINUTE = dt.timedelta(minutes=1)
TOLD = ["health.protection@sheffield.example", "lead@sheffield.example"]


def sweep() -> int:
    """The beat's sweep of warnings still unsent (looked up when called: before
    the fix there was none)."""
    return retention_tasks.purge_warnings_sweep_task.run()


@pytest.fixture
def warning(clock, mailoutbox):
    """Sheffield's warning of a contact purged in a week, made by today's run (its
    own task not run: the test runs it)."""
    team = f.area().local_team
    team.email = TOLD[0]
    team.save(update_fields=["email"])
    f.StaffProfileFactory(local=True, is_supervisor=True, user__email=TOLD[1])
    contact_closed()
    clock.move_to(PURGE - 7 * DAY)
    retention_run()
    return PurgeWarning.objects.get()


def test_a_warning_whose_worker_died_mid_send_is_sent_by_the_sweep_once(
    clock, warning, mailoutbox, monkeypatch
):
    with (
        worker_killed_at_send_mail(monkeypatch, "retention.services.send_mail"),
        pytest.raises(WorkerKilled),
    ):
        purge_warning_send_task.run(warning_id=warning.pk)
    warning.refresh_from_db()
    assert warning.sent_at is None  # not shown as sent: it was not

    # Redelivered at once (the worker's child was killed), and a sweep while the
    # claim could still be a live worker's: neither sends it.
    assert purge_warning_send_task.run(warning_id=warning.pk) == 0
    clock.shift(services.WARNING_LATE_AFTER + MINUTE)
    assert sweep() == 0
    assert mailoutbox == []

    clock.shift(services.WARNING_CLAIM_LEASE)
    assert sweep() == 1
    assert sweep() == 0
    assert purge_warning_send_task.run(warning_id=warning.pk) == 0

    assert [m.to for m in mailoutbox] == [TOLD]
    assert "1 contact record(s)" in mailoutbox[0].body
    warning.refresh_from_db()
    assert (warning.sent_at, warning.recipients) == (timezone.now(), TOLD)


def test_a_warning_whose_worker_died_mid_send_is_sent_by_its_task_redelivered(
    clock, warning, mailoutbox, monkeypatch
):
    with (
        worker_killed_at_send_mail(monkeypatch, "retention.services.send_mail"),
        pytest.raises(WorkerKilled),
    ):
        purge_warning_send_task.run(warning_id=warning.pk)

    clock.shift(services.WARNING_CLAIM_LEASE + MINUTE)
    assert purge_warning_send_task.run(warning_id=warning.pk) == 2
    assert purge_warning_send_task.run(warning_id=warning.pk) == 0

    assert [m.to for m in mailoutbox] == [TOLD]
    warning.refresh_from_db()
    assert (warning.sent_at, warning.recipients) == (timezone.now(), TOLD)


def test_a_sweep_beside_a_worker_sending_the_warning_does_not_send_it_again(
    clock, warning, mailoutbox, monkeypatch
):
    clock.shift(services.WARNING_LATE_AFTER + MINUTE)  # late enough for the sweep
    swept = []
    send_mail = services.send_mail

    def slow_send(*args, **kwargs):
        swept.append(sweep())  # while the mail goes
        return send_mail(*args, **kwargs)

    monkeypatch.setattr("retention.services.send_mail", slow_send)
    assert purge_warning_send_task.run(warning_id=warning.pk) == 2

    assert swept == [0]
    assert [m.to for m in mailoutbox] == [TOLD]


def test_a_warning_never_sent_is_sent_by_the_sweep_before_the_purge_not_after(
    clock, warning, mailoutbox
):
    """Its task's tries ran out while the mail server was down, or it was never
    queued (the broker down when the run committed)."""
    clock.move_to(PURGE)
    assert sweep() == 0  # the day has come: too late to tell
    assert mailoutbox == []

    clock.move_to(PURGE - DAY)
    assert sweep() == 1
    assert [m.to for m in mailoutbox] == [TOLD]


def test_a_team_with_no_one_to_tell_is_not_shown_as_told(clock, warning, mailoutbox):
    """It is told once it has someone, if that is before the purge."""
    warning.local_team.email = ""
    warning.local_team.save(update_fields=["email"])
    get_user_model().objects.filter(email=TOLD[1]).update(is_active=False)

    assert purge_warning_send_task.run(warning_id=warning.pk) == 0
    warning.refresh_from_db()
    assert warning.sent_at is None

    warning.local_team.email = TOLD[0]
    warning.local_team.save(update_fields=["email"])
    clock.shift(services.WARNING_LATE_AFTER + MINUTE)
    assert sweep() == 1
    assert [m.to for m in mailoutbox] == [[TOLD[0]]]


def test_the_claim_outlasts_every_task_that_sends_a_warning():
    """A claim lapses only once no live worker can still be sending under it."""
    for task in (purge_warning_send_task, retention_tasks.purge_warnings_sweep_task):
        hard_limit = task.time_limit or app.conf.task_time_limit
        assert hard_limit
        assert dt.timedelta(seconds=hard_limit) < services.WARNING_CLAIM_LEASE
