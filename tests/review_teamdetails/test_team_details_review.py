"""Review of c851d8a ("Their details" on a local team's escalation page), with
67b702a (a concern on a completed case). Each test fails on what a team member sees
now; its docstring says what they see and what they should see."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from calls.models import Outcome
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from tests.conftest import current_code, enrolled_device
from tests.local_teams.builders import CaseFactory, local_member
from work.assignment import item_assign
from work.calls import call_record
from work.casework import item_complete
from work.escalation import escalation_claim, escalation_return, item_escalate

from .conftest import (
    CARDIFF_POSTCODE,
    LEEDS,
    LEEDS_POSTCODE,
    SHEFFIELD,
    detail_url,
    details_url,
    form_as_drawn,
    signed_in,
)

pytestmark = pytest.mark.django_db


def test_a_concern_on_a_completed_case_does_not_say_the_case_stays_with_the_team(
    clock, caseworker, sheffield_member, jon
):
    """A caseworker completes Jon's case, then hears a safeguarding concern: the
    concern alone goes to Sheffield's team, the case stays completed, its
    caseworker's (67b702a). On the concern's page, "Their details" tells the team
    "This case stays with your team whatever you save" - it is not with the team
    at all. It should not say so (it may say the case stays completed)."""
    case = CaseFactory(person=jon, area=jon.area)
    item_assign(item=case, to=caseworker)
    call_record(item=case, caller=caseworker, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=case, assessed_by=caseworker)
    item_complete(item=case, by=caseworker)
    concern = call_record(
        item=case, caller=caseworker, outcome=Outcome.SAFEGUARDING, notes="Shouting"
    ).escalation

    body = signed_in(sheffield_member).get(detail_url(concern)).content.decode()

    assert 'name="details-phone"' in body  # the team may correct them
    assert "This case stays with your team whatever you save" not in body


def test_a_case_sent_back_after_the_team_moved_them_to_leeds_is_leeds_work(
    escalation, sheffield_member, jon
):
    """Sheffield's team learns at the door that Jon now lives in Leeds, corrects his
    postcode ("This case stays with its local team"), and sends the case back to the
    national queue as the page tells them to. The case goes back still in
    Sheffield's area: unreached again, it lands in Sheffield's queue, for someone
    who lives in Leeds. Back with the phones, it should follow him to Leeds, as
    his other work with the phones did when the postcode was saved."""
    team = signed_in(sheffield_member)
    saved = team.post(
        details_url(escalation), form_as_drawn(jon, postcode=LEEDS_POSTCODE)
    )
    assert saved.status_code == 302
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_return(escalation=escalation, note="Moved to Leeds", by=sheffield_member)

    case = Case.objects.get(pk=escalation.case_id)
    again = item_escalate(item=case, reason=Escalation.Reason.UNREACHED)

    assert case.area.code == LEEDS
    assert again.local_team == f.area(LEEDS).local_team


def test_a_contact_sent_back_after_a_move_to_cardiff_is_of_no_area(
    contact_escalation, sheffield_member, jon
):
    """Sheffield's team corrects Jon's postcode to Cardiff's from his contact's
    escalation ("CF10 1EP is outside England: ... go to the fallback team if they
    are escalated") and sends the contact back. It goes back in Sheffield's area,
    not flagged: escalated again it is Sheffield's, though Jon is outside England.
    Back with the phones it should be of no area (area_unknown), as his other
    contacts with the phones became when the postcode was saved."""
    team = signed_in(sheffield_member)
    saved = team.post(
        details_url(contact_escalation), form_as_drawn(jon, postcode=CARDIFF_POSTCODE)
    )
    assert saved.status_code == 302
    escalation_claim(escalation=contact_escalation, by=sheffield_member)
    escalation_return(escalation=contact_escalation, note="Moved", by=sheffield_member)

    contact = Contact.objects.get(pk=contact_escalation.contact_id)

    assert (contact.area, contact.area_unknown) == (None, True)


def test_details_typed_before_the_session_ended_are_shown_open(escalation, jon):
    """A team member types Jon's new email into "Their details", their session ends,
    they save, sign in again (password and code) and are back on the escalation's
    page: "What you typed is back in the form" - but the section is drawn closed
    ("Correct their details" folded), so the typing is hidden and easily left
    unsaved. The section should be drawn open, as it is when typing is refused."""
    member = local_member(SHEFFIELD, "typist")
    device = enrolled_device(member)
    client = Client()
    client.force_login(member)
    page = detail_url(escalation)
    assert client.get(page).status_code == 200
    Session.objects.filter(session_key=client.cookies["sessionid"].value).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    sent = client.post(
        details_url(escalation),
        form_as_drawn(jon, email="jon@example.org"),
        HTTP_REFERER=f"http://testserver{page}",
    )
    (back_to,) = parse_qs(urlsplit(sent["Location"]).query)["next"]
    signed = client.post(
        sent["Location"],
        {"username": "typist", "password": f.PASSWORD, "next": back_to},
    )
    second = client.get(signed["Location"])
    back = client.post(second["Location"], {"code": current_code(device)}, follow=True)

    html = back.content.decode()
    assert back.request["PATH_INFO"] == page
    assert "What you typed is back in the form" in html
    assert 'value="jon@example.org"' in html
    assert 'id="their-details" open' in html
