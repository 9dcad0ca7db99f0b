"""An item escalated to one local team, sent back, and escalated again to another:
the second team's page tells that it went to another local team before, when and how
it ended, but not which team, who there picked it up, what they did or their notes.
What a local team does with an item is the team's (docs/access.md); administrators
see all of it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from areas.models import Area
from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from escalations.selectors import escalation_history
from people.models import Person
from tests import factories as f
from work.access.escalations import escalations_visible_to
from work.escalation import (
    escalation_claim,
    escalation_record_action,
    escalation_return,
    item_escalate,
)

from .builders import (
    HOUR,
    LEEDS,
    POSTCODES,
    SHEFFIELD,
    escalated_contact,
    local_member,
)

pytestmark = pytest.mark.django_db

LEEDS_NOTE = "Neighbour at number 12 says she is staying with her sister"
SEND_BACK_NOTE = "Sister gave a mobile number, ring it"


@pytest.fixture
def leeds_then_sheffield(clock, leeds_member):
    """Leeds picks the contact up, knocks on the door, sends it back; they move to
    Sheffield (their contact with them: work.contact_area) and it is escalated
    again, now to Sheffield."""
    leeds_member.first_name, leeds_member.last_name = "Lorna", "Leeming"
    leeds_member.save()
    first = escalated_contact(LEEDS)
    escalation_claim(escalation=first, by=leeds_member)
    clock.shift(HOUR)
    escalation_record_action(
        escalation=first,
        kind=EscalationAction.Kind.DOORSTEP,
        note=LEEDS_NOTE,
        by=leeds_member,
    )
    clock.shift(HOUR)
    escalation_return(escalation=first, note=SEND_BACK_NOTE, by=leeds_member)
    sheffield = Area.objects.get(code=SHEFFIELD)
    Person.objects.filter(pk=first.contact.person_id).update(
        area=sheffield, postcode=POSTCODES[SHEFFIELD]
    )
    Contact.objects.filter(pk=first.contact_id).update(area=sheffield)
    clock.shift(30 * HOUR)
    second = item_escalate(
        item=Contact.objects.get(pk=first.contact_id),
        reason=Escalation.Reason.UNREACHED,
    )
    assert second.local_team == f.area(SHEFFIELD).local_team
    return first, second


def _detail(client, escalation):
    return client.get(reverse("escalations:detail", args=[escalation.pk]))


def test_the_next_team_sees_only_that_another_team_had_it(
    sheffield_client, leeds_then_sheffield
):
    first, second = leeds_then_sheffield

    response = _detail(sheffield_client, second)

    assert response.status_code == 200
    body = response.content.decode()
    for told in (LEEDS_NOTE, SEND_BACK_NOTE, "Lorna", "Leeming", "leeds_member"):
        assert told not in body
    assert first.local_team.name not in body
    assert "Door-step visit" not in body
    assert "Tue 12 Jan to another local team: Not reached after every attempt" in body
    assert "sent back to the national queue on Tue 12 Jan" in body
    assert "Sent back to the national queue by the other team" in body
    titles = [e.title for e in response.context["history"].entries]
    assert "Picked up" not in titles


def test_the_next_team_sees_its_own_earlier_escalations_in_full(
    clock, sheffield_client, sheffield_member, leeds_then_sheffield
):
    _, second = leeds_then_sheffield
    escalation_claim(escalation=second, by=sheffield_member)
    escalation_return(escalation=second, note="Answered at last", by=sheffield_member)
    clock.shift(30 * HOUR)
    third = item_escalate(item=second.contact, reason=Escalation.Reason.UNREACHED)

    body = _detail(sheffield_client, third).content.decode()

    assert "Answered at last" in body
    assert f"to {second.local_team.name}: Not reached" in body
    assert LEEDS_NOTE not in body
    assert "to another local team" in body


def test_an_administrator_sees_every_teams_escalation_in_full(
    client, leeds_then_sheffield
):
    first, second = leeds_then_sheffield
    admin = f.UserFactory(is_superuser=True, is_staff=True)

    history = escalation_history(second, visible=escalations_visible_to(admin))

    entries = [(e.title, e.who, e.note) for e in history.entries]
    assert ("Door-step visit", "Lorna Leeming", LEEDS_NOTE) in entries
    assert ("Picked up", "Lorna Leeming", "") in entries
    assert [(e.pk, e.team) for e in history.earlier] == [
        (first.pk, first.local_team.name)
    ]


def test_the_same_team_member_sees_the_earlier_team_as_a_fact_through_the_selector(
    leeds_then_sheffield,
):
    first, second = leeds_then_sheffield
    member = local_member(SHEFFIELD, "sheffield_reader")

    history = escalation_history(second, visible=escalations_visible_to(member))

    assert all(e.note == "" and e.who == "" for e in history.entries if e.earlier)
    assert [(e.pk, e.team, e.in_full) for e in history.earlier] == [
        (first.pk, "", False)
    ]
