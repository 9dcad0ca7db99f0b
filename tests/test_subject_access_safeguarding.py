"""A safeguarding concern in a subject access export.

A call handler logs a safeguarding concern on a contact, naming the neighbour who
reported it and asking that he is not told who did. Before, the person's subject
access export handed that note over word for word, twice (the call's notes and the
escalation's detail), and said that notes typed by staff are given as written. Now
everything recorded as part of a safeguarding concern is withheld in its place with
a line saying so, for the data protection officer to review before release; the
call itself and its date stay, and an ordinary call's notes are still given."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from calls.models import Outcome
from escalations.models import Escalation
from tests import factories as f
from tests.local_teams.builders import (
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    local_member,
    person_in,
)
from work.assignment import item_assign
from work.calls import call_record
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_record_action,
    escalation_reopen,
)
from work.subject_access import person_export

pytestmark = pytest.mark.django_db

CONCERN = (
    "Neighbour (Mrs Khan, no 14) says he hits the children when drinking. "
    "Do not tell him who reported."
)
VISIT = "Visited with police; Mrs Khan confirmed what she saw."
CLOSED = "Referred to children's services after Mrs Khan's account."
ORDINARY = "Has a cough; isolating at home."
# What the person is given in place of each note.
SAFEGUARDING_WITHHELD = (
    "Withheld: recorded as part of a safeguarding concern; reviewed by the data "
    "protection officer before release"
)


@pytest.fixture
def administrator(db):
    return f.UserFactory(username="dpo_admin", is_superuser=True, is_staff=True)


@pytest.fixture
def contact(call_handler):
    """A Sheffield contact held by the call handler, called once before (no answer,
    with an ordinary note)."""
    person = person_in(SHEFFIELD)
    contact = ContactFactory(person=person, area=person.area)
    item_assign(item=contact, to=call_handler)
    call_record(
        item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER, notes=ORDINARY
    )
    contact.refresh_from_db()
    if contact.assignee_id != call_handler.pk:
        item_assign(item=contact, to=call_handler)
    return contact


@pytest.fixture
def concern(contact, call_handler) -> Escalation:
    logged = call_record(
        item=contact, caller=call_handler, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )
    assert logged.escalation is not None
    return logged.escalation


def rows(export, key: str) -> list[dict]:
    return export["sections"][key]["rows"]


def test_the_concern_is_withheld_and_the_call_still_shown(
    contact, concern, administrator
):
    export = person_export(person=contact.person, by=administrator)

    text = json.dumps(export, ensure_ascii=False)
    assert "Mrs Khan" not in text
    calls = {row["outcome"]: row for row in rows(export, "calls")}
    concern_call = calls["Safeguarding concern"]
    assert concern_call["notes"] == SAFEGUARDING_WITHHELD
    assert concern_call["started_at"]  # the call was made, and when, stays
    assert calls["No answer"]["notes"] == ORDINARY
    (escalation,) = rows(export, "escalations")
    assert escalation["detail"] == SAFEGUARDING_WITHHELD
    assert escalation["reason"] == "Safeguarding concern"


def test_the_export_says_what_it_withholds_and_how_much(
    contact, concern, administrator
):
    export = person_export(person=contact.person, by=administrator)

    assert any("safeguarding" in note for note in export["withheld"])
    assert not any(
        note.startswith("Notes typed by staff are given as written")
        for note in export["withheld"]
    )
    assert export["withheld_for_review"] == 2


def test_what_the_local_team_noted_about_the_concern_is_withheld(
    contact, concern, administrator
):
    member = local_member(SHEFFIELD, "sheffield_member")
    escalation_claim(escalation=concern, by=member)
    escalation_record_action(escalation=concern, kind="doorstep", note=VISIT, by=member)
    escalation_close(escalation=concern, outcome="reached", note=CLOSED, by=member)
    escalation_reopen(escalation=concern, reason="Closed too soon.", by=member)
    escalation_close(escalation=concern, outcome="reached", note=CLOSED, by=member)

    export = person_export(person=contact.person, by=administrator)

    text = json.dumps(export, ensure_ascii=False)
    assert "Mrs Khan" not in text
    assert "Closed too soon." not in text
    (escalation,) = rows(export, "escalations")
    assert escalation["outcome_note"] == SAFEGUARDING_WITHHELD
    notes = [action["note"] for action in rows(export, "escalation_actions")]
    assert notes == [SAFEGUARDING_WITHHELD, SAFEGUARDING_WITHHELD]
    # The call's notes, the escalation's detail and close, and the two actions.
    assert export["withheld_for_review"] == 5


def test_a_case_s_safeguarding_note_is_withheld(caseworker, administrator):
    person = person_in(SHEFFIELD)
    case = CaseFactory(person=person, area=person.area)
    item_assign(item=case, to=caseworker)
    call_record(
        item=case, caller=caseworker, outcome=Outcome.SAFEGUARDING, notes=CONCERN
    )

    export = person_export(person=person, by=administrator)

    assert "Mrs Khan" not in json.dumps(export, ensure_ascii=False)
    (row,) = rows(export, "cases")
    assert row["safeguarding_note"] == SAFEGUARDING_WITHHELD
    assert row["safeguarding_flag"] is True


def test_an_export_without_a_concern_withholds_nothing_for_review(
    contact, administrator
):
    export = person_export(person=contact.person, by=administrator)

    assert export["withheld_for_review"] == 0
    assert SAFEGUARDING_WITHHELD not in json.dumps(export, ensure_ascii=False)


def test_the_administrator_s_page_says_how_many_to_review(
    client, contact, concern, administrator
):
    client.force_login(administrator)

    page = client.get(
        reverse("admin:people_person_subject_access", args=[contact.person.pk])
    )
    download = client.get(
        reverse("admin:people_person_subject_access_json", args=[contact.person.pk])
    )

    assert page.status_code == 200
    assert "Mrs Khan" not in page.text
    assert SAFEGUARDING_WITHHELD in page.text
    assert ORDINARY in page.text
    assert 'id="withheld-for-review"' in page.text
    assert "2 items recorded as part of a safeguarding concern" in page.text
    assert "Mrs Khan" not in download.content.decode()
