"""Escalations 0018 on rows as they stand at the upgrade.

"withdrawn" is the outcome of the closes a withdrawal made, and of nothing else.
Which closes those were is written on them (the withdrawal's note, its time: the
case's withdrawn_at), not read from the item's status today:
- a contact whose case was withdrawn, later folded into by a merge with a contact
  of the same person another case named (work.merge._fold: the contact kept takes
  the other's status, open again), still has the escalation the withdrawal closed;
- a team's close with no outcome from before outcomes were kept, of a case whose
  result was withdrawn weeks later, was the team's, not the withdrawal's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from tests.withdraw_leftovers.test_old_rows_migrated import (
    NOTE,
    closed_as_before,
    outcome,
    upgrade,
    withdrawn_case,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

__all__ = ["upgrade"]


def test_a_withdrawals_close_on_a_contact_a_merge_reopened_is_given_its_outcome(
    upgrade,
):
    case = withdrawn_case()
    contact = f.ContactFactory(case=case)
    # The withdrawal closed its escalation; a merge since folded an open contact of
    # the same person into it, which took that one's status (escalated, say).
    closed = closed_as_before(contact)
    type(contact).objects.filter(pk=contact.pk).update(status=Status.ESCALATED)

    upgrade()

    assert outcome(closed) == Escalation.Outcome.WITHDRAWN


def test_a_teams_old_close_with_no_outcome_is_not_said_to_be_a_withdrawal(upgrade):
    case = withdrawn_case()
    # Closed by the team a month before the result was withdrawn, before outcomes
    # were kept: the team's own note, no outcome.
    month_ago = timezone.now() - dt.timedelta(days=30)
    teams = closed_as_before(case, note="Visited twice, nobody in")
    Escalation.objects.filter(pk=teams.pk).update(
        created_at=month_ago - dt.timedelta(days=1),
        due_at=month_ago,
        closed_at=month_ago,
    )

    upgrade()

    assert outcome(teams) == ""


def test_the_withdrawals_own_close_is_still_given_its_outcome(upgrade):
    """The rule above leaves the withdrawal's close as 0018 gives it now."""
    withdrawn = closed_as_before(withdrawn_case(), note=NOTE)

    upgrade()

    assert outcome(withdrawn) == Escalation.Outcome.WITHDRAWN
