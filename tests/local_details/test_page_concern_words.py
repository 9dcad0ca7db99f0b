"""'Their details' on the page of a concern raised on a completed case: the case
stays completed, its caseworker's; only the concern is the team's (WorkItem.
mark_escalated). The section says so, not that the case stays with the team."""

from __future__ import annotations

import pytest

from calls.models import Outcome
from tests import factories as f
from tests.local_teams.builders import CaseFactory
from work.assignment import item_assign
from work.calls import call_record
from work.casework import item_complete

from .conftest import (
    LEEDS_POSTCODE,
    detail_url,
    details_url,
    form_as_drawn,
    signed_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def concern(clock, caseworker, jon):
    case = CaseFactory(person=jon, area=jon.area)
    item_assign(item=case, to=caseworker)
    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=caseworker)
    item_complete(item=case, by=caseworker)
    return call_record(
        item=case, caller=caseworker, outcome=Outcome.SAFEGUARDING, notes="Shouting"
    ).escalation


def test_a_concern_on_a_completed_case_says_the_case_stays_completed(
    concern, sheffield_member
):
    body = signed_in(sheffield_member).get(detail_url(concern)).content.decode()

    assert (
        "This case is completed, and stays completed and its caseworker&#x27;s "
        "whatever you save: only the concern raised on it is your team&#x27;s."
    ) in body
    assert "stays with your team" not in body


def test_an_escalated_case_says_it_stays_with_the_team(escalation, sheffield_member):
    body = signed_in(sheffield_member).get(detail_url(escalation)).content.decode()

    assert "This case stays with your team whatever you save." in body


def test_a_correction_on_a_concern_says_nothing_of_the_case_staying(
    concern, sheffield_member, jon
):
    team = signed_in(sheffield_member)
    team.post(details_url(concern), form_as_drawn(jon, postcode=LEEDS_POSTCODE))

    body = team.get(detail_url(concern)).content.decode()

    assert "Postcode updated. They now live in Leeds." in body
    assert "stays with its local team" not in body
