"""A short note on a safeguarding escalation (a local team's action "Phone call",
noted "No answer") once made the export withhold every value containing those
words, as "recorded as part of a safeguarding concern": the outcome of each ordinary
call logged "No answer", which the person was then told was safeguarding."""

from __future__ import annotations

import pytest

from calls.models import Outcome
from tests.local_teams.builders import SHEFFIELD, local_member
from tests.test_subject_access_safeguarding import (  # noqa: F401
    CONCERN,
    SAFEGUARDING_WITHHELD,
    administrator,
    contact,
    rows,
)
from work.calls import call_record
from work.escalation import escalation_claim, escalation_record_action
from work.subject_access import person_export

pytestmark = pytest.mark.django_db


def test_an_ordinary_no_answer_call_is_not_withheld_as_safeguarding(
    contact,  # noqa: F811
    call_handler,
    administrator,  # noqa: F811
):
    concern = call_record(
        item=contact, caller=call_handler, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    ).escalation
    member = local_member(SHEFFIELD, "sheffield_member")
    escalation_claim(escalation=concern, by=member)
    escalation_record_action(
        escalation=concern, kind="phone", note="No answer", by=member
    )

    export = person_export(person=contact.person, by=administrator)

    outcomes = [row["outcome"] for row in rows(export, "calls")]
    assert outcomes == ["No answer", "Safeguarding concern"], outcomes
    # The call's notes, the escalation's detail and the action's note: three.
    assert export["withheld_for_review"] == 3, export["withheld_for_review"]
