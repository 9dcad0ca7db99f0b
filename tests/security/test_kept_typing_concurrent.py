"""Typing kept from forms sent at the same moment after a session ended: every form
comes back after signing in, each to its own form, and only for the person whose
session it was.

In the browser: nurse.ada's session ends while she has the visit form filled and is
typing in the risk assessment's Household box; she clicks "Add the visit", and leaving
the box sends the assessment's draft alongside. Both requests carry the ended
session's cookie. Before, each was kept in a new session of its own and the browser
kept only the last cookie set: the page said her typing was back, but the visit's
fields were empty."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import RiskAssessment
from tests import factories as f
from tests.conftest import clear_own_cache_keys

pytestmark = pytest.mark.django_db

TYPING_BACK = "What you typed is back in the form"
VISIT = {
    "visit-name": "Crucible Theatre",
    "visit-kind": "venue",
    "visit-postcode": "S1 1DA",
    "visit-visited_on": "2026-12-03",
}
HOUSEHOLD = "Lives with her partner and two teenagers"


@pytest.fixture(autouse=True)
def _an_empty_cache():
    """What one test keeps in the shared cache is no other test's."""
    clear_own_cache_keys()
    yield
    clear_own_cache_keys()


def signed_in(user, *, by_hand: bool) -> Client:
    """Signed in through the sign-in page (the browser's typist cookie names them),
    or not (only the ended session's row names them)."""
    client = Client()
    if by_hand:
        answer = client.post(
            reverse("login"), {"username": user.username, "password": f.PASSWORD}
        )
        assert answer.status_code == 302
    else:
        client.force_login(user)
    return client


def ended(client: Client) -> str:
    """The session ends by idleness; the browser still sends its cookie, returned."""
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    return key


def sent_at_once(client: Client, case, *, last: str) -> str:
    """The visit and the assessment's draft, sent at the same moment with the ended
    session's cookie: the browser keeps the cookie of the answer that came `last`.
    Returns where the visit's answer sends the browser."""
    page = reverse("cases:detail", args=[case.pk])
    dead = ended(client)

    def visit():
        return client.post(
            reverse("cases:visit", args=[case.pk]),
            VISIT,
            HTTP_REFERER=f"http://testserver{page}",
        )

    def draft():
        return client.post(
            reverse("cases:draft", args=[case.pk]),
            {"section": "assessment", "household_notes": HOUSEHOLD},
            HTTP_HX_REQUEST="true",
            HTTP_HX_CURRENT_URL=f"http://testserver{page}",
        )

    first, second = (draft, visit) if last == "visit" else (visit, draft)
    answers = {first.__name__: first()}
    client.cookies["sessionid"] = dead  # sent before the first answer came back
    answers[second.__name__] = second()
    assert answers["draft"]["HX-Redirect"].startswith(reverse("login"))
    assert answers["visit"].status_code == 302
    return answers["visit"]["Location"]


def sign_in_again(client: Client, sign_in_url: str, user):
    (back_to,) = parse_qs(urlsplit(sign_in_url).query)["next"]
    return client.post(
        sign_in_url,
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )


@pytest.mark.parametrize("last", ["draft", "visit"])
@pytest.mark.parametrize("by_hand", [True, False], ids=["typist cookie", "ended row"])
def test_a_visit_and_a_draft_sent_at_once_both_come_back(caseworker, last, by_hand):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = signed_in(caseworker, by_hand=by_hand)
    sent_to = sent_at_once(client, case, last=last)

    back = sign_in_again(client, sent_to, caseworker)

    assert back.request["PATH_INFO"] == reverse("cases:detail", args=[case.pk])
    html = back.content.decode()
    assert TYPING_BACK in html
    assert 'value="Crucible Theatre"' in html
    assert 'value="S1 1DA"' in html
    assert 'value="2026-12-03"' in html
    assert back.context["assessment_form"]["household_notes"].value() == HOUSEHOLD
    assert not case.visits.exists()  # typed, not saved until she sends it
    assert not RiskAssessment.objects.filter(case=case).exists()


def test_each_form_comes_back_once(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = signed_in(caseworker, by_hand=True)
    sign_in_again(client, sent_at_once(client, case, last="draft"), caseworker)

    again = client.get(reverse("cases:detail", args=[case.pk]))

    html = again.content.decode()
    assert TYPING_BACK not in html
    assert "Crucible Theatre" not in html


@pytest.fixture
def f_someone_else(db):
    profile = f.StaffProfileFactory(clinical=True, user__username="sup.clinical")
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.mark.parametrize("last", ["draft", "visit"])
def test_someone_else_signing_in_on_that_browser_sees_neither(
    caseworker, f_someone_else, last
):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = signed_in(caseworker, by_hand=True)
    sent_to = sent_at_once(client, case, last=last)
    type(case).objects.filter(pk=case.pk).update(assignee=f_someone_else)

    back = sign_in_again(client, sent_to, f_someone_else)

    assert back.request["PATH_INFO"] == reverse("cases:detail", args=[case.pk])
    html = back.content.decode()
    assert TYPING_BACK not in html
    assert "Crucible Theatre" not in html
    assert HOUSEHOLD not in html
    # Nor later, when the one whose typing it was signs in on this browser.
    client.post(reverse("logout"))
    back = sign_in_again(client, sent_to, caseworker)
    html = back.content.decode()
    assert TYPING_BACK not in html
    assert "Crucible Theatre" not in html
    assert HOUSEHOLD not in html


def test_with_the_cache_down_the_form_whose_session_was_kept_still_comes_back(
    caseworker, monkeypatch, request, caplog
):
    """The cache is where forms sent at once meet; without it each is kept as before,
    in its own session, and the one the browser kept comes back."""
    from pages.typed import outage

    request.addfinalizer(outage.reset)  # the next test finds the cache up

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for name in ("add", "incr", "set", "get", "get_many", "delete_many", "touch"):
        monkeypatch.setattr(cache, name, down)
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = signed_in(caseworker, by_hand=True)
    sent_to = sent_at_once(client, case, last="visit")

    back = sign_in_again(client, sent_to, caseworker)

    html = back.content.decode()
    assert TYPING_BACK in html
    assert 'value="Crucible Theatre"' in html
    assert "kept apart: the cache cannot be reached" in caplog.text
