"""Typing sent from the case page after the session ended is kept through signing in
again (pages.typed); meanwhile a supervisor moved the case back to the pool. Signing
in again leads back to the case page, no longer hers: she is told on My work what
she typed and that it was not saved, as for a call typed so. Before, only a kept call
was told: contact rows, a visit or an assessment led to a bare 403 ("This case is
not yours to work"), the typing kept in the session, never shown."""

from __future__ import annotations

import datetime as dt
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, RiskAssessment
from cases.workitem import Status
from staffing.access import supervisor_profile
from tests import factories as f
from work import workload
from work.assignment import items_reassign_as_shown

pytestmark = pytest.mark.django_db

POOL = "a supervisor, for whoever takes it next."


@pytest.fixture
def lead(caseworker):
    """The caseworker's supervisor, who may move her work."""
    return f.StaffProfileFactory(
        clinical=True, is_supervisor=True, team=caseworker.staff.team
    ).user


@pytest.fixture
def open_case(caseworker):
    return f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)


def page_open_then_session_ended(user, case: Case) -> Client:
    """Her case page drawn while the case was hers; then her session ends by
    idleness, the browser still sending its cookie."""
    client = Client()
    client.force_login(user)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    return client


def sent_from_the_page(client: Client, case: Case, form: str, data: dict) -> str:
    """A form of the case page sent after the session ended: the sign-in page it is
    sent to (back to the case page after)."""
    page = reverse("cases:detail", args=[case.pk])
    answer = client.post(
        reverse(f"cases:{form}", args=[case.pk]),
        data,
        HTTP_REFERER=f"http://testserver{page}",
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
    return answer["Location"]


def back_to_the_pool(case: Case, *, by, holder) -> None:
    """The supervisor moves the case back to the pool (her shift is ending), as the
    work page does."""
    moved = items_reassign_as_shown(
        model=Case,
        item_ids=[case.pk],
        scope=workload.work_scope(supervisor_profile(by)),
        to=None,
        reason="End of her shift",
        by=by,
        shown={case.pk: holder.pk},
    )
    assert moved.moved == 1


def sign_in_again(client: Client, sign_in_url: str, user):
    (back_to,) = parse_qs(urlsplit(sign_in_url).query)["next"]
    return client.post(
        sign_in_url,
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )


def told_on_my_work(answer) -> str:
    assert answer.status_code == 200
    assert answer.redirect_chain[-1][0] == reverse("cases:queue")
    return unescape(answer.content.decode())


def told_once(client: Client, case: Case) -> None:
    """The kept typing is used up: the case page is refused as any other not hers."""
    assert not client.session.get("typed_forms")
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 403


def test_contact_rows_typed_as_the_session_ended_are_told_when_the_case_went(
    caseworker, lead, open_case
):
    client = page_open_then_session_ended(caseworker, open_case)
    sign_in = sent_from_the_page(
        client,
        open_case,
        "contacts",
        {
            "contacts-TOTAL_FORMS": "1",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-first_name": "Maya",
            "contacts-0-last_name": "Reed",
            "contacts-0-phone": "07700 900123",
            "contacts-0-postcode": "S1 2HE",
            "contacts-0-exposure_date": "2026-12-03",
            "contacts-0-exposure": "household",
        },
    )
    back_to_the_pool(open_case, by=lead, holder=caseworker)

    text = told_on_my_work(sign_in_again(client, sign_in, caseworker))

    assert "Not saved. This case went back to the pool for someone else to take." in (
        text
    )
    assert (
        "The contact you typed (Maya Reed, phone “07700 900123”, postcode “S1 2HE”, "
        "last in contact “3 Dec 2026”, household) was not added: pass it on to " + POOL
    ) in text
    assert not open_case.contacts.exists()
    told_once(client, open_case)


def test_a_visit_typed_as_the_session_ended_is_told_when_the_case_went(
    caseworker, lead, open_case
):
    client = page_open_then_session_ended(caseworker, open_case)
    sign_in = sent_from_the_page(
        client,
        open_case,
        "visit",
        {
            "visit-name": "Crown Inn",
            "visit-kind": "venue",
            "visit-postcode": "S1 2HE",
            "visit-visited_on": "2026-12-01",
        },
    )
    back_to_the_pool(open_case, by=lead, holder=caseworker)

    text = told_on_my_work(sign_in_again(client, sign_in, caseworker))

    assert (
        "Not saved. This case went back to the pool for someone else to take. The "
        "visit you typed (Crown Inn, hospitality or venue, postcode “S1 2HE”, on "
        "“1 Dec 2026”) was not recorded: pass it on to " + POOL
    ) in text
    assert not open_case.visits.exists()
    told_once(client, open_case)


def test_an_assessment_draft_and_a_call_typed_as_the_session_ended_are_both_told(
    caseworker, lead, open_case
):
    """The assessment's draft (sent as she typed) and the call she then logged, both
    kept: each is told, in one message."""
    client = page_open_then_session_ended(caseworker, open_case)
    sent_from_the_page(
        client,
        open_case,
        "draft",
        {"section": "assessment", "occupation": "Teacher", "household_size": "3"},
    )
    sign_in = sent_from_the_page(
        client, open_case, "call", {"outcome": "no_answer", "notes": "rang out"}
    )
    back_to_the_pool(open_case, by=lead, holder=caseworker)

    text = told_on_my_work(sign_in_again(client, sign_in, caseworker))

    assert "(outcome “no answer” notes “rang out”) was not logged" in text
    assert (
        "The risk assessment you typed (occupation “Teacher”; people in the "
        "household (including them) “3”) was not saved: pass it on to " + POOL
    ) in text
    assert not RiskAssessment.objects.filter(case=open_case).exists()
    told_once(client, open_case)
