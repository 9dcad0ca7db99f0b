"""A safeguarding concern nobody at the local team has picked up by its due time is
escalated further: its team's supervisors and the caller's supervisors are emailed,
once, that it is waiting, with the link each may open and none of the concern.

Before, the team and the supervisors were emailed once when it was logged, and
nothing more happened: four hours on it sat overdue in the queue (and, for a team
with no active member, on the administrator's home page), and nobody was told.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.scale.plans import nodes
from work.areas import area_save
from work.calls import (
    OVERDUE_ALERT_NOBODY,
    call_record,
    safeguarding_overdue_unsent,
)
from work.escalation import escalation_claim
from work.tasks import safeguarding_overdue_sweep_task

pytestmark = pytest.mark.django_db

SITE = "https://tracing.example.org"
CONCERN = "Child of 9 alone at home; mother in hospital."
NATIONAL_SUPERVISOR = "sup.calls@example.org"
LOCAL_SUPERVISOR = "sup.sheffield@example.org"
LOCAL_MEMBER = "local.sheffield@example.org"
# The concern is logged at 10:00 (the test clock), due by 14:00.
DUE = dt.timedelta(hours=4)
MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(autouse=True)
def _site(settings):
    settings.TRACING_SITE_URL = SITE


@pytest.fixture
def sheffield():
    return f.area().local_team


@pytest.fixture
def national_supervisor(call_handler):
    return f.StaffProfileFactory(
        is_supervisor=True,
        team=call_handler.staff.team,
        user__email=NATIONAL_SUPERVISOR,
    ).user


@pytest.fixture
def local_supervisor(sheffield):
    return f.StaffProfileFactory(
        local=True,
        local_team=sheffield,
        is_supervisor=True,
        user__email=LOCAL_SUPERVISOR,
    ).user


@pytest.fixture
def local_member(sheffield):
    return f.StaffProfileFactory(
        local=True, local_team=sheffield, user__email=LOCAL_MEMBER
    ).user


@pytest.fixture
def concern(clock, call_handler, mailoutbox, run_tasks_here) -> Escalation:
    """A concern logged by the call handler at 10:00 on a Sheffield contact they
    held, its first emails (the team's, the supervisors') sent at once and set
    aside: what is asserted is what follows."""
    contact = f.ContactFactory()
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    with run_tasks_here():
        call_record(
            item=contact,
            caller=call_handler,
            outcome=Outcome.SAFEGUARDING,
            notes=CONCERN,
        )
    mailoutbox.clear()
    return Escalation.objects.get(contact=contact)


def sweep_at(clock, concern: Escalation, at: dt.timedelta) -> int:
    """The beat's sweep, `at` after the concern was logged."""
    clock.move_to(concern.created_at + at)
    return safeguarding_overdue_sweep_task.run()


def test_a_concern_picked_up_in_time_is_not_emailed_when_due(
    clock, national_supervisor, local_supervisor, local_member, concern, mailoutbox
):
    clock.shift(dt.timedelta(hours=1))
    escalation_claim(escalation=concern, by=local_member)

    assert sweep_at(clock, concern, DUE + MINUTE) == 0
    assert sweep_at(clock, concern, DUE + 10 * MINUTE) == 0

    assert mailoutbox == []
    concern.refresh_from_db()
    assert concern.overdue_alert_sent_at is None


def test_a_concern_not_picked_up_by_its_due_time_is_emailed_once_after(
    clock, national_supervisor, local_supervisor, local_member, concern, mailoutbox
):
    assert sweep_at(clock, concern, DUE - MINUTE) == 0  # not due yet
    assert mailoutbox == []

    assert sweep_at(clock, concern, DUE + MINUTE) == 1

    [mail] = mailoutbox
    # The team's supervisors and the caller's, not the team's other members (who
    # were told when it was logged, and still have it in their queue).
    assert sorted(mail.to) == sorted([LOCAL_SUPERVISOR, NATIONAL_SUPERVISOR])
    team = concern.local_team.name
    assert team in mail.subject
    assert f"has not been picked up at {team}" in mail.body
    assert "It was due at 14:00" in mail.body
    # The link each may open: the escalation's page for the team's supervisors,
    # the contact's page for the national supervisors.
    assert f"{SITE}/local/escalations/{concern.pk}/" in mail.body
    assert f"{SITE}/contacts/{concern.contact_id}/" in mail.body
    assert CONCERN not in mail.body  # read on the page, not in a mailbox
    concern.refresh_from_db()
    assert concern.overdue_alert_sent_at == timezone.now()
    assert concern.overdue_alert_claimed_until is None

    # Once: the next sweeps find nothing more to send.
    assert sweep_at(clock, concern, DUE + 2 * MINUTE) == 0
    assert sweep_at(clock, concern, DUE + 60 * MINUTE) == 0
    assert len(mailoutbox) == 1


def test_a_concern_picked_up_after_the_claim_is_not_emailed(
    clock,
    national_supervisor,
    local_supervisor,
    local_member,
    concern,
    mailoutbox,
    monkeypatch,
):
    """The sweep claims the overdue email, and the team picks the concern up before
    it goes: it does not go, and why is recorded in its place."""
    from rows.lease import sent_under_claim

    def picked_up_once_claimed(unsent, *, send, **kwargs):
        def picked_up_then_send():
            escalation_claim(escalation=concern, by=local_member)
            send()

        return sent_under_claim(unsent, send=picked_up_then_send, **kwargs)

    monkeypatch.setattr("work.calls.sent_under_claim", picked_up_once_claimed)

    assert sweep_at(clock, concern, DUE + MINUTE) == 0

    assert mailoutbox == []
    concern.refresh_from_db()
    assert concern.status == Escalation.Status.PICKED_UP
    assert concern.overdue_alert_sent_at is None
    assert concern.overdue_alert_refused == (
        "Not needed: the team had picked it up before the email could go."
    )
    assert concern.overdue_alert_claimed_until is None


def test_a_concern_with_nobody_to_email_says_so_and_is_not_tried_again(
    clock, call_handler, sheffield, local_member, concern, mailoutbox
):
    """No supervisor at the team, none of the caller's team: recorded, not sent."""
    assert sweep_at(clock, concern, DUE + MINUTE) == 0

    assert mailoutbox == []
    concern.refresh_from_db()
    assert concern.overdue_alert_sent_at is None
    assert concern.overdue_alert_refused == OVERDUE_ALERT_NOBODY
    assert concern.overdue_alert_refused.startswith("Nobody to email")
    assert safeguarding_overdue_unsent(timezone.now()) == []


def test_a_team_with_no_supervisor_has_the_national_supervisors_told_so(
    clock, national_supervisor, local_member, concern, mailoutbox
):
    assert sweep_at(clock, concern, DUE + MINUTE) == 1

    [mail] = mailoutbox
    assert mail.to == [NATIONAL_SUPERVISOR]
    assert "No supervisor at" in mail.body
    assert "make sure someone there knows" in mail.body
    assert f"{SITE}/local/escalations/" not in mail.body  # a page they cannot open


def test_a_team_supervisor_alone_is_emailed_the_escalations_page(
    clock, local_supervisor, concern, mailoutbox
):
    assert sweep_at(clock, concern, DUE + MINUTE) == 1

    [mail] = mailoutbox
    assert mail.to == [LOCAL_SUPERVISOR]
    assert f"{SITE}/local/escalations/{concern.pk}/" in mail.body
    assert f"{SITE}/contacts/" not in mail.body


def test_the_sweep_reads_the_overdue_concerns_from_their_own_index(
    requires_postgres, clock, national_supervisor, concern
):
    """A few rows, whatever the table's size: the partial index of safeguarding
    concerns still new with their overdue email unsent, in due order."""
    clock.shift(DUE + MINUTE)
    with CaptureQueriesContext(connection) as captured:
        assert safeguarding_overdue_unsent(timezone.now()) == [concern.pk]
    [read] = captured.captured_queries
    with connection.cursor() as cursor:
        for setting in ("enable_sort", "enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute(f"EXPLAIN (FORMAT JSON) {read['sql']}")
        (result,) = cursor.fetchone()
        cursor.execute("RESET ALL")
    if isinstance(result, str):
        result = json.loads(result)
    plan = result[0]["Plan"]
    assert not [n for n in nodes(plan) if "Sort" in n["Node Type"]]
    assert "escalation_overdue_unsent" in json.dumps(plan)


# The area given to another local team: the concern goes with it, to the new team's
# queue, and is emailed to them (work.areas).
LEEDS = "Leeds Public Health"
LEEDS_SUPERVISOR = "sup.leeds@example.org"
LEEDS_MEMBER = "local.leeds@example.org"


@pytest.fixture
def leeds():
    team = f.LocalTeamFactory(name=LEEDS)
    f.StaffProfileFactory(
        local=True, local_team=team, is_supervisor=True, user__email=LEEDS_SUPERVISOR
    )
    f.StaffProfileFactory(local=True, local_team=team, user__email=LEEDS_MEMBER)
    return team


def area_moved_at(clock, concern, at, *, to, run_tasks_here):
    """The administrator gives the concern's area to `to`, `at` after it was
    logged; the new team's email, queued on commit, sent as a worker would."""
    clock.move_to(concern.created_at + at)
    area = concern.item.area
    area.local_team = to
    with run_tasks_here():
        area_save(area=area, by=f.UserFactory(is_superuser=True))
    concern.refresh_from_db()


def overdue_mails(mailoutbox, to):
    return [m for m in mailoutbox if to in m.to and "not picked up" in m.subject]


def queue_mails(mailoutbox, to):
    return [m for m in mailoutbox if to in m.to and "in your queue" in m.subject]


def test_an_overdue_email_sent_stays_sent_when_the_area_moves(
    clock,
    national_supervisor,
    local_supervisor,
    local_member,
    concern,
    leeds,
    mailoutbox,
    run_tasks_here,
):
    """Emailed at 14:01 that Sheffield had not picked it up; the area given to Leeds
    at 15:00. The caller's supervisors are not told a second time, and Leeds's are
    not told within a minute that Leeds missed a due time it never had."""
    assert sweep_at(clock, concern, DUE + MINUTE) == 1
    concern.refresh_from_db()
    emailed_at = concern.overdue_alert_sent_at

    area_moved_at(clock, concern, DUE + HOUR, to=leeds, run_tasks_here=run_tasks_here)

    assert concern.overdue_alert_sent_at == emailed_at
    assert sweep_at(clock, concern, DUE + HOUR + MINUTE) == 0
    assert sweep_at(clock, concern, DUE + 2 * HOUR) == 0
    assert len(overdue_mails(mailoutbox, NATIONAL_SUPERVISOR)) == 1
    assert overdue_mails(mailoutbox, LEEDS_SUPERVISOR) == []
    # Leeds is told it is overdue in the email that gives it to them.
    [given] = queue_mails(mailoutbox, LEEDS_MEMBER)
    assert "overdue" in given.subject
    assert "It was due by 14:00 and is overdue: pick it up now." in given.body


def test_a_concern_moved_after_its_due_time_says_overdue_in_the_new_teams_email(
    clock,
    national_supervisor,
    local_supervisor,
    local_member,
    concern,
    leeds,
    mailoutbox,
    run_tasks_here,
):
    """Given to Leeds at 15:00, due at 14:00 and its overdue email not gone yet
    (the sweep held up): Leeds's first email says it is overdue, and the overdue
    email, which would tell Leeds's supervisors a minute later that Leeds did not
    pick it up by 14:00, is not needed: why is recorded in its place."""
    area_moved_at(clock, concern, DUE + HOUR, to=leeds, run_tasks_here=run_tasks_here)

    [given] = queue_mails(mailoutbox, LEEDS_MEMBER)
    assert sorted(given.to) == sorted([LEEDS_SUPERVISOR, LEEDS_MEMBER])
    assert given.subject == (
        "Safeguarding escalation in your queue, overdue: it was due by 14:00"
    )
    assert "It is in your team's queue. It was due by 14:00 and is overdue" in (
        given.body
    )
    assert concern.overdue_alert_sent_at is None
    assert concern.overdue_alert_refused == (
        f"Not needed: moved to {LEEDS} after its due time; that team's email says "
        "it is overdue."
    )
    assert sweep_at(clock, concern, DUE + HOUR + MINUTE) == 0
    assert sweep_at(clock, concern, DUE + 2 * HOUR) == 0
    assert [m for m in mailoutbox if "not picked up" in m.subject] == []


def test_a_concern_moved_before_its_due_time_is_emailed_overdue_at_the_new_team(
    clock,
    national_supervisor,
    local_supervisor,
    local_member,
    concern,
    leeds,
    mailoutbox,
    run_tasks_here,
):
    """Given to Leeds at 13:00, due at 14:00: Leeds's first email gives its due
    time, and, still not picked up at 14:00, Leeds's supervisors and the caller's
    are told, once (not Sheffield's: it is no longer theirs)."""
    area_moved_at(clock, concern, DUE - HOUR, to=leeds, run_tasks_here=run_tasks_here)

    [given] = queue_mails(mailoutbox, LEEDS_MEMBER)
    assert given.subject == "Safeguarding escalation in your queue, due by 14:00"
    assert "overdue" not in given.body
    assert concern.overdue_alert_refused == ""
    assert sweep_at(clock, concern, DUE - MINUTE) == 0

    assert sweep_at(clock, concern, DUE + MINUTE) == 1

    [overdue] = [m for m in mailoutbox if "not picked up" in m.subject]
    assert sorted(overdue.to) == sorted([LEEDS_SUPERVISOR, NATIONAL_SUPERVISOR])
    assert (
        overdue.subject
        == f"Safeguarding concern not picked up at {LEEDS}, due at 14:00"
    )
    assert sweep_at(clock, concern, DUE + HOUR) == 0


def test_an_overdue_email_claimed_when_the_area_moves_is_not_sent(
    clock,
    national_supervisor,
    local_supervisor,
    local_member,
    concern,
    leeds,
    mailoutbox,
    monkeypatch,
    run_tasks_here,
):
    """The sweep claims Sheffield's overdue email at 14:01, and the area is given
    to Leeds before it goes: it does not go (Sheffield no longer has the concern),
    and the move's "not needed" stands in its place."""
    from rows.lease import sent_under_claim

    def moved_once_claimed(unsent, *, send, **kwargs):
        def moved_then_send():
            area_moved_at(
                clock, concern, DUE + MINUTE, to=leeds, run_tasks_here=run_tasks_here
            )
            send()

        return sent_under_claim(unsent, send=moved_then_send, **kwargs)

    monkeypatch.setattr("work.calls.sent_under_claim", moved_once_claimed)

    assert sweep_at(clock, concern, DUE + MINUTE) == 0

    assert [m for m in mailoutbox if "not picked up" in m.subject] == []
    concern.refresh_from_db()
    assert concern.local_team == leeds
    assert concern.overdue_alert_sent_at is None
    assert concern.overdue_alert_refused.startswith(f"Not needed: moved to {LEEDS}")
    assert safeguarding_overdue_unsent(timezone.now()) == []
