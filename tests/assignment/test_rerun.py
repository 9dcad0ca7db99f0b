"""A task killed midway loses and doubles nothing: running it again ends in the same
state as one clean run.

Why this holds under a real worker: with acks_late the message is acknowledged only
after the task returns, and with reject_on_worker_lost a worker that dies mid-task
hands the message back, so the task always runs again. Each batch is one database
transaction, so a kill leaves either the whole batch or none of it; and every write is
conditional (only rows still waiting are assigned, only unreached due rows are
escalated, one open escalation per item by constraint), so the re-run does exactly the
part that was lost. These tests make the kill happen at the worst places.
"""

from __future__ import annotations

from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests.sweep_kill import killed_once_the_sweep_audits
from work import assignment
from work.escalation import escalate_unreached
from work.tasks import assign_work_task

from .conftest import (
    HOUR,
    ContactFactory,
    call_handler_on_shift,
    caseworker_on_shift,
    waiting_cases,
    waiting_contacts,
)

pytestmark = pytest.mark.django_db

CAP = settings.TRACING_OPEN_WORK_CAP


class Killed(Exception):
    """Stands for the worker process dying at this point."""


def snapshot() -> dict:
    return {
        "cases": sorted(Case.objects.values_list("pk", "assignee_id", "status")),
        "contacts": sorted(Contact.objects.values_list("pk", "assignee_id", "status")),
        "escalations": sorted(
            Escalation.objects.values_list("contact_id", "case_id", "local_team_id")
        ),
    }


def test_assignment_killed_after_cases_then_rerun_ends_as_one_clean_run():
    caseworker_on_shift()
    call_handler_on_shift()
    waiting_cases(3)
    waiting_contacts(4)
    real = assignment._hand_out

    def die_on_contacts(model, pairs, *, now):
        if model is Contact:
            raise Killed
        return real(model, pairs, now=now)

    with (
        mock.patch.object(assignment, "_hand_out", die_on_contacts),
        pytest.raises(Killed),
    ):
        assign_work_task.apply(throw=True)
    assert Case.objects.filter(status=Status.ASSIGNED).count() == 3
    assert Contact.objects.filter(status=Status.NEW).count() == 4
    after_kill = snapshot()

    assign_work_task.apply(throw=True)
    assign_work_task.apply(throw=True)

    state = snapshot()
    assert state["cases"] == after_kill["cases"]  # nothing given a second time
    assert [s for _, _, s in state["contacts"]] == [Status.ASSIGNED] * 4


def test_assignment_rerun_gives_the_same_result_as_a_single_run():
    caseworkers = [caseworker_on_shift() for _ in range(2)]
    waiting_cases(CAP["tier2"] * 2 + 3)

    assign_work_task.apply(throw=True)
    once = snapshot()
    assign_work_task.apply(throw=True)

    assert snapshot() == once
    assert all(
        Case.objects.filter(assignee=c).count() == CAP["tier2"] for c in caseworkers
    )


def test_sweep_killed_mid_batch_leaves_nothing_half_done():
    contacts = [ContactFactory(created_at=timezone.now() - 25 * HOUR) for _ in range(3)]

    with (
        killed_once_the_sweep_audits(Killed),
        pytest.raises(Killed),
    ):
        escalate_unreached()

    assert not Escalation.objects.exists()
    for contact in contacts:
        contact.refresh_from_db()
        assert contact.status == Status.NEW


def test_sweep_rerun_after_a_kill_escalates_each_item_exactly_once():
    contacts = [ContactFactory(created_at=timezone.now() - 25 * HOUR) for _ in range(5)]
    with (
        killed_once_the_sweep_audits(Killed),
        pytest.raises(Killed),
    ):
        escalate_unreached(batch=2)

    while escalate_unreached(batch=2)[1]:
        pass
    escalate_unreached()

    for contact in contacts:
        assert Escalation.objects.filter(contact=contact).count() == 1
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ESCALATE).count() == 5
