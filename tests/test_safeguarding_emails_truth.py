"""The safeguarding emails reach the team that has the concern, and say what is true.

Four ways they did not, each seen by a user:

- An area given to another local team in the admin took its open safeguarding
  escalation with it, but not its email: the new team was never told, while the old
  team's link now showed them "not found".
- A local team whose members have no address of their own but whose team address
  (the admin's "Email" on the local team, where retention's warnings go) is filled
  was never emailed, and the caller's supervisors were told nobody there could be.
- An email held up (the mail server down) went once mail was back even when the
  team had picked the concern up, closed it or sent it back meanwhile: the team was
  asked to pick up what it had dealt with, and the supervisors told it was waiting
  in the queue.
- A supervisor logging a concern was "their supervisor": the page said "your
  supervisor is being emailed" while the only email went to themselves.

And three more since:

- A concern picked up while its email was held up (stamped "Not needed"), then given
  back to the queue when its holder left, kept the stamp: the team was never told a
  concern waited in its queue with nobody on it.
- A team reached only at its own mailbox, with no active member to sign in, was said
  to have been told ("The team has been emailed"), with nothing asking the
  supervisors to make sure someone there knows.
- A call handler with no team (run by their tier's supervisors with no team) had no
  supervisor emailed, and the page said none had an address.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin
from work.calls import TEAM_ALERT_NOT_NEEDED, call_record, safeguarding_email_send
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_record_action,
    escalation_return,
    release_escalations_of_leavers,
)
from work.tasks import safeguarding_alerts_sweep_task, safeguarding_overdue_sweep_task

pytestmark = pytest.mark.django_db

SITE = "https://tracing.example.org"
CONCERN = "Child of 9 alone at home; mother in hospital."
SUPERVISOR = "sup.calls@example.org"
LATER = dt.timedelta(minutes=30)  # the mail server back, the beat's sweep run


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TRACING_SITE_URL = SITE


def area_given_to(team) -> None:
    """An administrator gives Sheffield's area to `team` in the admin (signed in
    then: a session idle for an hour has ended)."""
    administrator = Client()
    administrator.force_login(f.UserFactory(is_staff=True, is_superuser=True))
    save_in_admin(administrator, f.area(), local_team=team.pk)


@pytest.fixture
def sheffield():
    return f.area().local_team


def held_by(user):
    """A Sheffield contact in `user`'s queue."""
    contact = f.ContactFactory()
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


@pytest.fixture
def held_contact(call_handler):
    return held_by(call_handler)


@pytest.fixture
def national_supervisor(call_handler):
    """The supervisor of the call handler's own (national) team."""
    return f.StaffProfileFactory(
        is_supervisor=True, team=call_handler.staff.team, user__email=SUPERVISOR
    ).user


def local_member(team, email: str, **kwargs):
    return f.StaffProfileFactory(
        local=True, local_team=team, user__email=email, **kwargs
    ).user


def concern(caller, contact) -> Escalation:
    """The concern logged, its emails' own task not run (the broker, or the mail
    server, down when the call was saved)."""
    call_record(
        item=contact, caller=caller, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )
    return Escalation.objects.get(contact=contact)


def link_to(escalation: Escalation) -> str:
    return f"{SITE}/local/escalations/{escalation.pk}/"


def deactivated(user) -> None:
    """An administrator turns the account off: they have left."""
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)


# An open concern moved with its area


def test_a_concern_whose_area_goes_to_another_team_is_emailed_to_that_team(
    clock,
    client,
    call_handler,
    held_contact,
    national_supervisor,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    local_member(sheffield, "local.sheffield@example.org")
    with run_tasks_here():
        escalation = concern(call_handler, held_contact)
    assert sorted(m.to[0] for m in mailoutbox) == [
        "local.sheffield@example.org",
        SUPERVISOR,
    ]
    leeds = f.LocalTeamFactory(name="Leeds Public Health")
    leeds_member = local_member(leeds, "local.leeds@example.org")
    clock.shift(dt.timedelta(hours=1))

    with run_tasks_here():
        area_given_to(leeds)

    # Leeds is told at once, with the link its member can open; the supervisors,
    # told already, are not emailed again, nor is Sheffield.
    [moved] = mailoutbox[2:]
    assert moved.to == ["local.leeds@example.org"]
    assert "escalated to Leeds Public Health" in moved.body
    assert link_to(escalation) in moved.body
    client.force_login(leeds_member)
    assert client.get(link_to(escalation).removeprefix(SITE)).status_code == 200
    escalation.refresh_from_db()
    assert escalation.team_alert_sent_at == timezone.now()
    # Once: the beat's sweep finds nothing more to send.
    assert safeguarding_alerts_sweep_task.run() == 0
    assert len(mailoutbox) == 3


def test_a_moved_concern_whose_email_task_was_lost_is_sent_by_the_next_sweep(
    clock,
    call_handler,
    held_contact,
    national_supervisor,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    """An hour after the concern, its move's own task lost (the broker down): the
    sweep a minute on sends it, the escalation well inside the sweep's window."""
    local_member(sheffield, "local.sheffield@example.org")
    with run_tasks_here():
        escalation = concern(call_handler, held_contact)
    leeds = f.LocalTeamFactory(name="Leeds Public Health")
    local_member(leeds, "local.leeds@example.org")
    clock.shift(dt.timedelta(hours=1))

    area_given_to(leeds)
    assert len(mailoutbox) == 2
    clock.shift(dt.timedelta(minutes=1))

    assert safeguarding_alerts_sweep_task.run() == 1
    assert [m.to for m in mailoutbox[2:]] == [["local.leeds@example.org"]]
    assert link_to(escalation) in mailoutbox[2].body


def test_a_send_cut_across_by_a_move_is_not_taken_for_the_new_teams(
    clock, call_handler, held_contact, sheffield, mailoutbox, monkeypatch
):
    """The area moves while Sheffield's email is going: the stamp of Sheffield's
    email must not stand for Leeds's, which is still to send."""
    from work.areas import area_save

    local_member(sheffield, "local.sheffield@example.org")
    escalation = concern(call_handler, held_contact)
    leeds = f.LocalTeamFactory(name="Leeds Public Health")
    local_member(leeds, "local.leeds@example.org")
    sent = []

    def sent_while_the_area_moves(**kwargs):
        sent.append(kwargs["recipient_list"])
        area = f.area()
        area.local_team = leeds
        area_save(area=area, by=f.UserFactory(is_superuser=True))

    monkeypatch.setattr("work.calls.send_mail", sent_while_the_area_moves)
    safeguarding_email_send(escalation_id=escalation.pk, caller_id=call_handler.pk)
    monkeypatch.undo()

    assert sent == [["local.sheffield@example.org"]]
    escalation.refresh_from_db()
    assert escalation.local_team == leeds
    assert escalation.team_alert_sent_at is None
    assert safeguarding_email_send(
        escalation_id=escalation.pk, caller_id=call_handler.pk
    ) == ["local.leeds@example.org"]


# The team's own address


def test_a_team_reached_only_at_its_own_address_is_emailed_there(
    clock,
    call_handler,
    held_contact,
    national_supervisor,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    type(sheffield).objects.filter(pk=sheffield.pk).update(
        email="sheffield.ph@example.org"
    )
    local_member(sheffield, "")  # a member with no address of their own

    with run_tasks_here():
        escalation = concern(call_handler, held_contact)

    team_mail, supervisor_mail = mailoutbox
    assert team_mail.to == ["sheffield.ph@example.org"]
    assert link_to(escalation) in team_mail.body
    assert supervisor_mail.to == [SUPERVISOR]
    assert "The team has been emailed that it is in their queue." in (
        supervisor_mail.body
    )
    assert "can be emailed" not in supervisor_mail.body


def test_the_teams_own_address_is_emailed_once_beside_its_members(
    clock, call_handler, held_contact, sheffield, mailoutbox, run_tasks_here
):
    type(sheffield).objects.filter(pk=sheffield.pk).update(
        email="sheffield.ph@example.org"
    )
    local_member(sheffield, "local.sheffield@example.org")
    local_member(sheffield, "sheffield.ph@example.org")  # reads the team's mailbox

    with run_tasks_here():
        concern(call_handler, held_contact)

    [team_mail] = mailoutbox
    assert team_mail.to == ["local.sheffield@example.org", "sheffield.ph@example.org"]


# An email held up, and the concern dealt with meanwhile


@pytest.fixture
def held_up(clock, call_handler, held_contact, national_supervisor, sheffield):
    """The concern logged with its email held up (never sent), and Sheffield's
    member, who has an address, about to deal with it from the queue."""
    member = local_member(sheffield, "local.sheffield@example.org")
    return concern(call_handler, held_contact), member


def worked(escalation: Escalation, member) -> Escalation:
    escalation = escalation_claim(escalation=escalation, by=member)
    escalation_record_action(
        escalation=escalation,
        kind="doorstep",
        note="Visited; the child is with their grandmother.",
        by=member,
    )
    return Escalation.objects.get(pk=escalation.pk)


def swept(clock) -> int:
    clock.shift(LATER)
    return safeguarding_alerts_sweep_task.run()


def test_a_team_that_picked_the_concern_up_is_not_asked_to_pick_it_up(
    clock, held_up, mailoutbox
):
    escalation, member = held_up
    escalation_claim(escalation=escalation, by=member)

    assert swept(clock) == 1

    [supervisor_mail] = mailoutbox  # none to the team: it has the concern
    assert supervisor_mail.to == [SUPERVISOR]
    body = supervisor_mail.body
    assert "Sheffield" in body
    assert "picked it up" in body
    assert "in their queue" not in body
    escalation.refresh_from_db()
    assert escalation.team_alert_sent_at is None  # it did not go
    assert escalation.team_alert_refused == (
        "Not needed: the team had picked it up before the email could go."
    )
    assert escalation.alert_sent_at is not None
    assert swept(clock) == 0  # the sweep is done with it
    assert len(mailoutbox) == 1


def test_a_team_that_closed_the_concern_is_not_asked_to_pick_it_up(
    clock, held_up, mailoutbox
):
    escalation, member = held_up
    escalation_close(
        escalation=worked(escalation, member),
        outcome=Escalation.Outcome.REACHED,
        note="Safe with family.",
        by=member,
    )

    assert swept(clock) == 1

    [supervisor_mail] = mailoutbox
    assert supervisor_mail.to == [SUPERVISOR]
    assert "has closed it: reached and advised." in supervisor_mail.body
    assert "in their queue" not in supervisor_mail.body
    assert "Safe with family" not in supervisor_mail.body  # read on the page
    escalation.refresh_from_db()
    assert escalation.team_alert_refused == (
        "Not needed: the team had closed it before the email could go."
    )
    assert swept(clock) == 0


def test_a_team_that_sent_the_concern_back_is_not_asked_to_pick_it_up(
    clock, held_up, mailoutbox
):
    escalation, member = held_up
    escalation_return(
        escalation=worked(escalation, member),
        note="A new number from the school.",
        new_phone="07911 123457",
        by=member,
    )

    assert swept(clock) == 1

    [supervisor_mail] = mailoutbox
    assert "sent it back to the national queue" in supervisor_mail.body
    assert "in their queue" not in supervisor_mail.body
    escalation.refresh_from_db()
    assert escalation.team_alert_refused == (
        "Not needed: the team had sent it back before the email could go."
    )


def test_a_concern_still_new_is_still_emailed_to_the_team_late(
    clock, held_up, mailoutbox
):
    escalation, _ = held_up

    assert swept(clock) == 1

    team_mail, supervisor_mail = mailoutbox
    assert team_mail.to == ["local.sheffield@example.org"]
    assert link_to(escalation) in team_mail.body
    assert "The team has been emailed that it is in their queue." in (
        supervisor_mail.body
    )


# A concern given back to the team's queue, nobody on it


def test_a_concern_given_back_by_a_leaver_is_emailed_to_the_team(
    clock, held_up, sheffield, mailoutbox
):
    """Picked up while its email was held up (stamped "not needed": the team had
    it), then given back to the queue when its holder left: new and nobody's, so
    the team is told after all."""
    escalation, member = held_up
    local_member(sheffield, "colleague@example.org")
    escalation_claim(escalation=escalation, by=member)
    assert swept(clock) == 1
    [supervisor_mail] = mailoutbox
    assert "picked it up" in supervisor_mail.body
    deactivated(member)
    assert release_escalations_of_leavers() == 1

    assert swept(clock) == 1

    [team_mail] = mailoutbox[1:]
    assert team_mail.to == ["colleague@example.org"]
    assert link_to(escalation) in team_mail.body
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert escalation.team_alert_sent_at == timezone.now()
    assert escalation.team_alert_refused == ""
    assert swept(clock) == 0  # once
    assert len(mailoutbox) == 2


def test_a_concern_given_back_keeps_the_mail_servers_refusal(
    clock, held_up, sheffield, mailoutbox
):
    """A refusal for good by the mail server is no "not needed": given back, the
    concern is not sent to an address the server refuses every time."""
    escalation, member = held_up
    refusal = "The mail server refused it for good: the email itself (554 No)."
    Escalation.objects.filter(pk=escalation.pk).update(team_alert_refused=refusal)
    escalation_claim(escalation=escalation, by=member)
    deactivated(member)

    assert release_escalations_of_leavers() == 1

    escalation.refresh_from_db()
    assert escalation.team_alert_refused == refusal


def test_a_concern_given_back_after_its_overdue_email_was_not_needed_is_overdue_again(
    clock, held_up, mailoutbox
):
    """Picked up just as its overdue email was to go (tests/test_safeguarding_overdue:
    stamped "not needed"), then given back when its holder left: still waiting past
    its due time, with nobody on it, the supervisors are told."""
    escalation, member = held_up
    escalation_claim(escalation=escalation, by=member)
    Escalation.objects.filter(pk=escalation.pk).update(
        overdue_alert_refused=TEAM_ALERT_NOT_NEEDED["picked_up"]
    )
    clock.move_to(escalation.due_at + dt.timedelta(minutes=5))
    deactivated(member)
    assert release_escalations_of_leavers() == 1
    mailoutbox.clear()

    assert safeguarding_overdue_sweep_task.run() == 1

    [overdue] = mailoutbox
    assert overdue.to == [SUPERVISOR]
    assert "has not been picked up" in overdue.body
    escalation.refresh_from_db()
    assert escalation.overdue_alert_sent_at == timezone.now()


# A team's mailbox, and nobody at the team


def test_a_team_mailbox_with_no_active_member_is_not_said_to_have_told_the_team(
    clock,
    call_handler,
    held_contact,
    national_supervisor,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    """The team's own mailbox is emailed, but nobody can sign in to pick the concern
    up: the supervisors are asked to make sure someone there knows."""
    type(sheffield).objects.filter(pk=sheffield.pk).update(
        email="sheffield.ph@example.org"
    )
    deactivated(local_member(sheffield, "gone@example.org"))

    with run_tasks_here():
        concern(call_handler, held_contact)

    team_mail, supervisor_mail = mailoutbox
    assert team_mail.to == ["sheffield.ph@example.org"]
    assert supervisor_mail.to == [SUPERVISOR]
    assert "The team has been emailed that it is in their queue" not in (
        supervisor_mail.body
    )
    assert (
        f"{sheffield.name}'s mailbox has been emailed, but the team has no active "
        "member to pick it up: make sure someone there knows."
    ) in supervisor_mail.body


# A supervisor logging a concern


def concern_on_the_page(client, caller, contact, run_tasks_here) -> str:
    client.force_login(caller)
    with run_tasks_here():
        response = client.post(
            reverse("contacts:call", args=[contact.pk]),
            {"outcome": Outcome.SAFEGUARDING, "duration_minutes": 5, "notes": CONCERN},
            follow=True,
        )
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def supervisor_on_shift(call_handler):
    """A supervisor of the call handler's team, on a shift of its own, with an
    address."""
    profile = f.StaffProfileFactory(
        is_supervisor=True, team=call_handler.staff.team, user__email=SUPERVISOR
    )
    f.ShiftFactory(staff=profile)
    return profile.user


def test_a_supervisor_logging_a_concern_is_not_told_their_supervisor_is_emailed(
    clock, client, supervisor_on_shift, sheffield, mailoutbox, run_tasks_here
):
    local_member(sheffield, "local.sheffield@example.org")

    page = concern_on_the_page(
        client, supervisor_on_shift, held_by(supervisor_on_shift), run_tasks_here
    )

    assert "your supervisor is being emailed" not in page
    assert "No supervisor of your team has an email address on file" in page
    assert [m.to for m in mailoutbox] == [["local.sheffield@example.org"]]


def test_a_supervisor_logging_a_concern_has_the_other_supervisors_emailed(
    clock,
    client,
    call_handler,
    supervisor_on_shift,
    sheffield,
    mailoutbox,
    run_tasks_here,
):
    f.StaffProfileFactory(
        is_supervisor=True,
        team=call_handler.staff.team,
        user__email="sup.other@example.org",
    )

    page = concern_on_the_page(
        client, supervisor_on_shift, held_by(supervisor_on_shift), run_tasks_here
    )

    assert "your supervisor is being emailed" in page
    assert [m.to for m in mailoutbox] == [["sup.other@example.org"]]


# A call handler with no team


def test_a_call_handler_with_no_team_has_their_tiers_teamless_supervisor_emailed(
    clock, client, sheffield, mailoutbox, run_tasks_here
):
    """Staff with no team are run by their tier's supervisors with no team
    (staffing.selectors.members.team_members): those are theirs to email, not
    another tier's."""
    handler = f.StaffProfileFactory(team=None, user__username="teamless_handler")
    f.ShiftFactory(staff=handler)
    f.StaffProfileFactory(
        team=None, is_supervisor=True, user__email="sup.teamless@example.org"
    )
    f.StaffProfileFactory(
        clinical=True,
        team=None,
        is_supervisor=True,
        user__email="sup.clinical@example.org",
    )
    local_member(sheffield, "local.sheffield@example.org")

    page = concern_on_the_page(
        client, handler.user, held_by(handler.user), run_tasks_here
    )

    assert "your supervisor is being emailed" in page
    assert "No supervisor of your team has an email address on file" not in page
    assert sorted(m.to for m in mailoutbox) == [
        ["local.sheffield@example.org"],
        ["sup.teamless@example.org"],
    ]
