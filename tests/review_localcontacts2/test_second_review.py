"""A second review of 54e5a75 (a local team adds the contacts a case names):
three things a team member sees wrong, each failing now."""

from __future__ import annotations

from html import unescape

import pytest
from django.utils import timezone

from escalations.models import Escalation
from tests import factories as f
from tests.local_contacts.conftest import (
    contact_rows,
    contacts_url,
    detail_url,
    row,
    signed_in,
)
from tests.local_teams.builders import SHEFFIELD, CaseFactory, person_in
from tests.online.test_dead_link_oracle_names import (  # noqa: F401 (a fixture)
    _fresh_allowance,
    alices_answer,
    url,
)
from work.escalation import escalation_claim, escalation_close, item_escalate
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def words(response) -> str:
    return unescape(response.content.decode())


def test_rows_added_then_sent_again_after_the_close_say_they_were_added(
    escalation, sheffield_member
):
    """Mary adds Ann, closes the escalation, then her browser sends the rows again
    (Back and resend): Ann is on the case, yet she is told only that the
    escalation is closed, an error, as if Ann had not been added."""
    client = signed_in(sheffield_member)
    data = contact_rows(row("Ann", "07911 123451"))
    assert client.post(contacts_url(escalation), data).status_code == 302
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation.refresh_from_db()
    escalation_close(
        escalation=escalation,
        outcome=Escalation.Outcome.REACHED,
        by=sheffield_member,
    )

    again = signed_in(sheffield_member).post(
        contacts_url(escalation), data, follow=True
    )

    said = [(m.level_tag, str(m)) for m in again.context["messages"]]
    assert any("added" in text for _, text in said), said
    assert not any(level == "error" for level, _ in said), said


def test_a_date_before_the_window_says_it_counts_from_their_test(
    escalation, sheffield_member
):
    """A care home case from intake has no symptom onset recorded, and the team's
    page cannot record one: a contact the case met on 5 January is refused as
    'before ... could have passed it on (from 8 January)', with no word that the
    window counts from their test, for want of a symptom onset, as the visits'
    refusal says ('from 14 days before their test')."""
    response = signed_in(sheffield_member).post(
        contacts_url(escalation),
        contact_rows(row("Ann", "07911 123451", exposure_date="2021-01-05")),
    )

    assert response.status_code == 400
    page = words(response)
    start = page.index("could have passed it on")
    message = page[start : page.index("</a>", start)]
    assert "8 January 2021" in message
    assert "test" in message, message


def test_people_typed_online_while_with_the_team_are_shown_to_the_team(
    client, sheffield_member
):
    """Alice's case is sent to Sheffield's team while her link's page is open;
    she sends Carol and Dave, and is told they were not saved and to call 119.
    The phones cannot add them (the case is with its team); the team can, but its
    escalation page says nothing of the people it could not save."""
    case = CaseFactory(
        person=person_in(SHEFFIELD, first_name="Alice", phone="+447400123456"),
        area=f.area(),
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert client.get(url(link)).status_code == 200
    escalation = item_escalate(item=case, reason=Escalation.Reason.REFUSED)
    sent = client.post(url(link), alices_answer())
    assert "We could not save these people" in words(sent)
    # Told to tell the team, who can add them, not 119, whose caseworkers cannot.
    assert "Tell them about these people" in words(sent)
    assert "Please call 119 and tell us about them" not in words(sent)

    page = words(signed_in(sheffield_member).get(detail_url(escalation)))

    assert "2 people they entered online could not be saved" in page
