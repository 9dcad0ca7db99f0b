"""Review of 67b702a: a completed case whose safeguarding concern is open with the
local team, reached by the retention run."""

from __future__ import annotations

import pytest

from escalations.models import Escalation
from people.models import Person
from retention.services import retention_run
from tests import factories as f
from tests.retention.builders import DAY, completed_case
from tests.retention.test_pseudonymise import DUE
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db


def test_an_open_concern_on_a_completed_case_stops_pseudonymisation(clock, supervisor):
    """What the local team sees: a concern raised on a case completed months ago
    (the case stays completed, 67b702a) is in their queue, open; the next nightly
    retention run pseudonymises the person (name "Pseudonymised", address gone,
    the concern's own notes replaced) because every case of theirs is "completed"
    past the days kept. Before, the concern made the case "With local team" (not
    done), which kept them. Should: kept while a concern about them is open, as
    the erasure refuses ("A safeguarding escalation about them is still open").
    Fix in retention/selectors.py people_kept (an open escalation keeps them)."""
    case = completed_case(person=f.PersonFactory(first_name="Ada"))
    clock.move_to(DUE - DAY)
    concern = item_escalate(
        item=case,
        reason=Escalation.Reason.SAFEGUARDING,
        detail="Partner heard shouting",
        by=supervisor,
    )
    clock.move_to(DUE + DAY)

    retention_run()

    assert Person.objects.get(pk=case.person_id).first_name == "Ada"
    concern.refresh_from_db()
    assert concern.closed_at is None
    assert concern.detail == "Partner heard shouting"
