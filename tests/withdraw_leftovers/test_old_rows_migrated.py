"""The escalations earlier withdrawals closed with no outcome are given theirs on the
upgrade (escalations 0018): each closed one whose case or contact is withdrawn and
whose outcome is blank is "withdrawn"; nothing else changes (one a team closed with
an outcome of its own, a safeguarding concern still open, a close with no outcome
of an item that stands).

Each test migrates the database back to just before the upgrade, writes the rows as
an earlier withdrawal left them, and migrates forward again, as the deployment does."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work.withdraw import ESCALATION_NOTE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BEFORE = [("escalations", "0017_withdrawn_outcome")]
NOTE = f"{ESCALATION_NOTE}: the lab's mix-up"


@pytest.fixture
def upgrade() -> Callable[[], None]:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)

    def forward() -> None:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())

    return forward


def closed_as_before(item, *, outcome: str = "", note: str = NOTE, **kwargs):
    """An escalation of the item, closed as an earlier withdrawal closed it (no
    outcome, a note) unless said."""
    on_item = {"case": None, "contact": None, item.kind: item}
    now = timezone.now()
    return f.EscalationFactory(
        **on_item,
        local_team=f.area().local_team,
        status=Escalation.Status.CLOSED,
        closed_at=now,
        outcome=outcome,
        outcome_note=note,
        **kwargs,
    )


def withdrawn_case():
    case = f.CaseFactory()
    type(case).objects.filter(pk=case.pk).update(
        status=Status.WITHDRAWN,
        withdrawn_at=timezone.now(),
        withdrawn_reason="the lab's mix-up",
    )
    return case


def withdrawn_contact(case):
    contact = f.ContactFactory(case=case)
    type(contact).objects.filter(pk=contact.pk).update(status=Status.WITHDRAWN)
    return contact


def outcome(escalation: Escalation) -> str:
    escalation.refresh_from_db()
    return escalation.outcome


def test_a_withdrawals_closes_are_given_the_withdrawn_outcome(upgrade):
    case = withdrawn_case()
    of_case = closed_as_before(case)
    of_contact = closed_as_before(withdrawn_contact(case))

    upgrade()

    assert outcome(of_case) == outcome(of_contact) == Escalation.Outcome.WITHDRAWN
    of_case.refresh_from_db()
    assert of_case.outcome_note == NOTE
    assert of_case.get_outcome_display() == "Result withdrawn (sent in error)"


def test_what_a_withdrawal_did_not_close_is_left_as_it_was(upgrade):
    case = withdrawn_case()
    # The team closed its concern after the withdrawal, with an outcome of its own.
    concern = closed_as_before(
        withdrawn_contact(case),
        outcome=Escalation.Outcome.REACHED,
        note="Seen at home",
        reason=Escalation.Reason.SAFEGUARDING,
    )
    # A concern the withdrawal left open.
    still_open = f.EscalationFactory(
        contact=withdrawn_contact(case),
        local_team=f.area().local_team,
        reason=Escalation.Reason.SAFEGUARDING,
    )
    # A close with no outcome of a case that stands (closed before outcomes were
    # kept): not a withdrawal's.
    standing = closed_as_before(f.CaseFactory(), note="")

    upgrade()

    assert outcome(concern) == Escalation.Outcome.REACHED
    assert outcome(still_open) == ""
    still_open.refresh_from_db()
    assert still_open.status == Escalation.Status.NEW
    assert outcome(standing) == ""
