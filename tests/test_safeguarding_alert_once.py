"""A safeguarding concern's two emails, the local team's and the caller's national
supervisors', are each sent once, and neither carries the concern.

Before, both went under one claim and one sent-stamp: when the mail server refused
the supervisor's address (a mailbox full, once; or no such user, for good) after the
team's email had gone, nothing was stamped, and the retry and every 3-minute sweep
for 7 days emailed the team the same alert again. One alert put off stopped the whole
sweep, holding up every older alert behind it. And the supervisor's email quoted the
concern word for word, though the team's leaves it out because an email is no place
for it. Now each email is sent and stamped on its own, an address refused for good is
recorded and not tried again, the sweep goes on past an alert put off, and the
supervisor's email says which page to read the concern on.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.test_safeguarding_alert_local_team import (  # noqa: F401
    CONCERN,
    SITE,
    _site,
    concern_logged,
    held_contact,
    local_member,
    mail_to,
    national_supervisor,
    sheffield,
)
from work.calls import call_record, safeguarding_email_send
from work.tasks import safeguarding_alerts_sweep_task

pytestmark = pytest.mark.django_db

TEAM = "team@example.org"
SUPERVISOR = "sup.calls@example.org"
MAILBOX_FULL = (452, b"4.2.2 Mailbox full")
NO_SUCH_USER = (550, b"5.1.1 No such user")
SWEEP_EVERY = dt.timedelta(minutes=3)


class RefusingBackend(LocmemBackend):
    """A mail server that refuses the addresses in `refusing` with the answer given
    (on RCPT TO, as smtplib reports it when it refuses every recipient of a mail),
    and takes the rest. `tried` is every address it was asked to send to."""

    refusing: dict[str, tuple[int, bytes]] = {}
    tried: list[str] = []

    def send_messages(self, messages):
        for message in messages:
            RefusingBackend.tried.extend(message.to)
            refused = {
                address: RefusingBackend.refusing[address]
                for address in message.to
                if address in RefusingBackend.refusing
            }
            if refused and len(refused) == len(message.to):
                raise smtplib.SMTPRecipientsRefused(refused)
        return super().send_messages(messages)


@pytest.fixture
def refusing(settings):
    """The refusing mail server in place; the test says what it refuses."""
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    RefusingBackend.refusing = {}
    RefusingBackend.tried = []
    yield RefusingBackend.refusing
    RefusingBackend.refusing = {}
    RefusingBackend.tried = []


def concern_on_a_contact(caller, *, team_address=TEAM, supervisor=SUPERVISOR):
    """A safeguarding concern logged by `caller` on a contact of a local team with a
    member at `team_address`, the caller's team having a supervisor at `supervisor`
    (its own task not run: the test runs the sending)."""
    team = f.area().local_team
    if team_address:
        local_member(team, team_address)
    f.StaffProfileFactory(
        is_supervisor=True, team=caller.staff.team, user__email=supervisor
    )
    contact = f.ContactFactory()
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=caller, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    call_record(
        item=contact,
        caller=caller,
        outcome=Outcome.SAFEGUARDING,
        duration_seconds=60,
        notes="Child alone at home.",
    )
    return Escalation.objects.get(contact=contact)


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if address in m.to]


def test_the_team_is_emailed_once_when_the_supervisors_email_is_put_off_then_retried(
    clock, call_handler, refusing, mailoutbox
):
    escalation = concern_on_a_contact(call_handler)
    task = {"escalation_id": escalation.pk, "caller_id": call_handler.pk}

    refusing[SUPERVISOR] = MAILBOX_FULL
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        safeguarding_email_send(**task)
    refusing.clear()  # the retry (the task's own, or the sweep's)
    assert safeguarding_email_send(**task) == [SUPERVISOR]
    assert safeguarding_email_send(**task) == []

    assert len(sent_to(TEAM)) == 1, (
        f"the local team was emailed the same safeguarding alert {len(sent_to(TEAM))} "
        "times"
    )
    assert len(sent_to(SUPERVISOR)) == 1


def test_a_supervisor_address_refused_for_good_is_recorded_and_not_tried_again(
    clock, call_handler, refusing, mailoutbox, caplog
):
    refusing[SUPERVISOR] = NO_SUCH_USER
    escalation = concern_on_a_contact(call_handler)

    with caplog.at_level(logging.WARNING, logger="work.calls"):
        for _ in range(3):
            clock.shift(SWEEP_EVERY)
            safeguarding_alerts_sweep_task.run()

    assert len(sent_to(TEAM)) == 1, (
        f"the team was emailed the same alert {len(sent_to(TEAM))} times"
    )
    assert RefusingBackend.tried.count(SUPERVISOR) == 1  # not every sweep
    escalation.refresh_from_db()
    assert escalation.alert_sent_at is None  # it did not go
    assert escalation.alert_refused == (
        f"The mail server refused it for good: {SUPERVISOR} (550 5.1.1 No such user)."
    )
    assert escalation.team_alert_sent_at is not None
    assert f"refused the email to {SUPERVISOR} for good" in caplog.text


def test_an_email_refused_for_good_as_a_whole_is_not_tried_again(
    clock, call_handler, settings, mailoutbox, monkeypatch
):
    """The mail server refuses the email itself (554 on its content): the same
    email would be refused every time."""
    escalation = concern_on_a_contact(call_handler, team_address="")
    tried = []

    def rejected(*args, **kwargs):
        tried.append(kwargs["recipient_list"])
        raise smtplib.SMTPDataError(554, b"5.7.1 Message rejected")

    monkeypatch.setattr("work.calls.send_mail", rejected)
    for _ in range(3):
        clock.shift(SWEEP_EVERY)
        assert safeguarding_alerts_sweep_task.run() == 0

    assert tried == [[SUPERVISOR]]
    escalation.refresh_from_db()
    assert escalation.alert_refused == (
        "The mail server refused it for good: the email itself "
        "(554 5.7.1 Message rejected)."
    )


def test_the_supervisor_is_told_to_make_sure_the_team_knows_when_its_email_is_refused(
    clock, call_handler, refusing, mailoutbox
):
    refusing[TEAM] = NO_SUCH_USER
    escalation = concern_on_a_contact(call_handler)

    assert safeguarding_email_send(
        escalation_id=escalation.pk, caller_id=call_handler.pk
    ) == [SUPERVISOR]

    [supervisor_mail] = sent_to(SUPERVISOR)
    team = escalation.local_team.name
    assert (
        f"but the mail server refused the email to {team}: make sure someone there "
        "knows."
    ) in supervisor_mail.body
    escalation.refresh_from_db()
    assert escalation.team_alert_refused == (
        f"The mail server refused it for good: {TEAM} (550 5.1.1 No such user)."
    )


def test_one_alert_put_off_does_not_hold_up_the_others_in_the_sweep(
    clock, call_handler, refusing, mailoutbox
):
    other_handler = f.StaffProfileFactory().user
    f.ShiftFactory(staff=other_handler.staff)
    older = concern_on_a_contact(other_handler, supervisor="sup.other@example.org")
    clock.shift(dt.timedelta(minutes=1))
    concern_on_a_contact(call_handler, team_address="")  # the newest: swept first
    refusing[SUPERVISOR] = MAILBOX_FULL

    clock.shift(SWEEP_EVERY)
    safeguarding_alerts_sweep_task.run()

    assert len(sent_to("sup.other@example.org")) == 1, (
        "the older alert waited behind the one put off"
    )
    older.refresh_from_db()
    assert older.alert_sent_at is not None
    assert len(sent_to(TEAM)) == 2  # each concern's, once


def test_the_national_supervisors_email_links_the_page_and_carries_none_of_the_concern(
    clock,
    client,
    call_handler,
    held_contact,  # noqa: F811
    national_supervisor,  # noqa: F811
    sheffield,  # noqa: F811
    mailoutbox,
    run_tasks_here,
):
    local_member(sheffield, "local.sheffield@example.org")
    concern_logged(client, call_handler, held_contact, run_tasks_here)

    supervisor_mail = mail_to(mailoutbox, SUPERVISOR)
    assert CONCERN not in supervisor_mail.body, supervisor_mail.body
    assert "Child" not in supervisor_mail.subject + supervisor_mail.body
    link = f"{SITE}{reverse('contacts:detail', args=[held_contact.pk])}"
    assert (
        "Sign in to read what they noted, in the call history of the contact's page:"
        f"\n{link}\n\nWhat they noted is on that page, not in this email.\n"
    ) in supervisor_mail.body
    # The national supervisor can open that page, and the concern is on it.
    client.force_login(national_supervisor)
    page = client.get(link.removeprefix(SITE))
    assert page.status_code == 200
    assert CONCERN in page.content.decode()


def test_concerns_emailed_before_the_stamps_came_apart_are_not_emailed_again(
    clock, call_handler, refusing, mailoutbox
):
    """Both emails went under the one stamp then: the migration takes the team's as
    sent with it, so the first sweeps do not email the teams a week again."""
    escalation = concern_on_a_contact(call_handler)
    Escalation.objects.filter(pk=escalation.pk).update(
        alert_sent_at=escalation.created_at, team_alert_sent_at=None
    )
    migration = import_module(
        "escalations.migrations.0014_safeguarding_team_alert_stamped_apart"
    )

    migration.team_alerts_stamped_as_sent_with_the_old_stamp(django_apps, None)

    clock.shift(SWEEP_EVERY)
    assert safeguarding_alerts_sweep_task.run() == 0
    assert mailoutbox == []
    escalation.refresh_from_db()
    assert escalation.team_alert_sent_at == escalation.created_at
