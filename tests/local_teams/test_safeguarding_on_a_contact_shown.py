"""A safeguarding concern logged on a call to a contact shows on the local team's
escalation page as one logged on a case does: the warning card and the red "Concern
raised" tag (a contact has no safeguarding flag of its own: its escalation's reason
says it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.models import Outcome
from escalations.models import Escalation
from tests import factories as f
from work.assignment import item_assign
from work.calls import call_record

from .builders import (
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    escalated_contact,
    person_in,
)

CARD = '<span class="nhsuk-u-visually-hidden">Important: </span>Safeguarding concern'
TAG = '<strong class="nhsuk-tag nhsuk-tag--red">Concern raised</strong>'
NOTE = "Child at home alone; said an adult hits them."


def _caller(kind: str):
    """A caseworker for a case, a call handler for a contact, on shift."""
    profile = f.StaffProfileFactory(clinical=kind == "case")
    f.ShiftFactory(staff=profile)
    return profile.user


def _page(client, escalation: Escalation) -> str:
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_a_concern_logged_on_a_call_shows_its_card_and_tag(sheffield_client, kind):
    caller = _caller(kind)
    person = person_in(SHEFFIELD)
    factory = CaseFactory if kind == "case" else ContactFactory
    item = factory(person=person, area=person.area)
    item_assign(item=item, to=caller)
    logged = call_record(
        item=item, caller=caller, outcome=Outcome.SAFEGUARDING, notes=NOTE
    )

    html = _page(sheffield_client, logged.escalation)

    assert CARD in html
    assert TAG in html
    # The card says what was raised, on the concern's own page.
    card = html[html.index(CARD) : html.index("</div>", html.index(CARD))]
    assert NOTE in card


def test_an_escalation_for_another_reason_shows_neither(sheffield_client):
    html = _page(sheffield_client, escalated_contact())

    assert CARD not in html
    assert "Concern raised" not in html
