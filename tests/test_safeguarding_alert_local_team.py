"""A safeguarding concern is emailed to the local team that must act on it.

Before, a call handler's "Safeguarding concern" on a Sheffield contact went to
Sheffield Public Health, due within 4 hours, and the only email went to the handler's
own national supervisor, with the concern's notes in it: a supervisor who cannot open
the escalation, while the Sheffield team, whose members have email addresses, heard
nothing. Now the team's active members (its supervisors among them) are emailed that
a safeguarding escalation is in their queue, due by when, with the link to it and
none of the concern in the email; the national supervisor is told which team has it
and by when, with no link they cannot open, or, when nobody at the team can be
emailed, to make sure someone there knows. Once per concern, after the call is saved.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.tasks import safeguarding_email_task

pytestmark = pytest.mark.django_db

SITE = "https://tracing.example.org"
CONCERN = "Child of 9 alone at home; mother in hospital."
# The test clock stands at 10:00: a safeguarding concern is due within 4 hours.
DUE = "14:00"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TRACING_SITE_URL = SITE


@pytest.fixture
def sheffield():
    return f.area().local_team


@pytest.fixture
def held_contact(call_handler):
    """A Sheffield contact in the call handler's queue."""
    contact = f.ContactFactory()
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED,
        assignee=call_handler,
        assigned_at=timezone.now(),
    )
    contact.refresh_from_db()
    return contact


@pytest.fixture
def national_supervisor(call_handler):
    """The supervisor of the call handler's own (national) team."""
    return f.StaffProfileFactory(
        is_supervisor=True,
        team=call_handler.staff.team,
        user__email="sup.calls@example.org",
    ).user


def local_member(team, email: str, **kwargs):
    return f.StaffProfileFactory(
        local=True, local_team=team, user__email=email, **kwargs
    ).user


def concern_logged(client, caller, contact, run_tasks_here):
    """The concern logged on the contact's call page, its email sent once the call
    is saved (as a worker would)."""
    client.force_login(caller)
    with run_tasks_here():
        response = client.post(
            reverse("contacts:call", args=[contact.pk]),
            {"outcome": Outcome.SAFEGUARDING, "duration_minutes": 5, "notes": CONCERN},
            follow=True,
        )
    assert response.status_code == 200
    return response, Escalation.objects.get(contact=contact)


def mail_to(outbox, address: str):
    [mail] = [m for m in outbox if address in m.to]
    return mail


def test_the_local_team_is_emailed_a_link_to_the_escalation_and_not_the_concern(
    clock,
    client,
    call_handler,
    held_contact,
    national_supervisor,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    member = local_member(sheffield, "local.sheffield@example.org")
    local_member(sheffield, "local.sheffield2@example.org")
    local_member(sheffield, "lead.sheffield@example.org", is_supervisor=True)
    local_member(sheffield, "")  # no address on file
    local_member(sheffield, "gone.sheffield@example.org", user__is_active=False)
    local_member(f.LocalTeamFactory(), "someone.else@example.org")

    _, escalation = concern_logged(client, call_handler, held_contact, run_tasks_here)

    link = f"{SITE}/local/escalations/{escalation.pk}/"
    team_mail = mail_to(mailoutbox, "local.sheffield@example.org")
    assert sorted(team_mail.to) == [
        "lead.sheffield@example.org",
        "local.sheffield2@example.org",
        "local.sheffield@example.org",
    ]
    assert "safeguarding" in team_mail.subject.lower()
    assert f"due by {DUE}" in team_mail.body
    assert link in team_mail.body
    assert "Child" not in team_mail.subject + team_mail.body  # read on the page
    # The link is one the team can open.
    client.force_login(member)
    assert client.get(link.removeprefix(SITE)).status_code == 200

    supervisor_mail = mail_to(mailoutbox, "sup.calls@example.org")
    assert supervisor_mail.to == ["sup.calls@example.org"]
    assert f"{sheffield.name}, due by {DUE}" in supervisor_mail.body
    assert "/local/escalations/" not in supervisor_mail.body  # a page they cannot open
    assert len(mailoutbox) == 2

    # Once per concern: the task run again (redelivered) sends nothing more.
    task = {"escalation_id": escalation.pk, "caller_id": call_handler.pk}
    assert safeguarding_email_task.run(**task) == 0
    assert len(mailoutbox) == 2


def test_nobody_at_the_team_to_email_is_said_plainly_to_the_national_supervisor(
    clock,
    client,
    call_handler,
    held_contact,
    national_supervisor,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    local_member(sheffield, "")
    local_member(sheffield, "gone.sheffield@example.org", user__is_active=False)

    _, escalation = concern_logged(client, call_handler, held_contact, run_tasks_here)

    assert [m.to for m in mailoutbox] == [["sup.calls@example.org"]]
    assert (
        f"nobody at {sheffield.name} can be emailed: make sure someone there knows"
    ) in mailoutbox[0].body
    # The escalation is as it would be anyway: Sheffield's, new, due in 4 hours.
    assert escalation.local_team == sheffield
    assert escalation.status == Escalation.Status.NEW
    assert escalation.due_at - escalation.created_at == dt.timedelta(hours=4)


def test_the_team_is_emailed_when_the_callers_supervisors_cannot_be(
    clock, client, call_handler, held_contact, sheffield, mailoutbox, run_tasks_here
):
    local_member(sheffield, "local.sheffield@example.org")

    response, escalation = concern_logged(
        client, call_handler, held_contact, run_tasks_here
    )

    assert [m.to for m in mailoutbox] == [["local.sheffield@example.org"]]
    assert f"{SITE}/local/escalations/{escalation.pk}/" in mailoutbox[0].body
    # The caller is still told to tell their supervisor themselves.
    assert b"No supervisor of your team has an email address on file" in (
        response.content
    )
