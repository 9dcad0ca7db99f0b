"""Typing kept when a session ends mid-form: only for the person whose session it
was, only so much of it, and never longer than sessions are kept."""

from __future__ import annotations

import datetime as dt
from secrets import token_hex
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt
from tests import factories as f

pytestmark = pytest.mark.django_db


def ended_session(client: Client) -> None:
    """The client's session ends by idleness, as in the browser: its row is past its
    expiry, and the browser still sends its cookie (a cookie of the browser session)."""
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )


def signed_in_then_ended(user) -> Client:
    client = Client()
    client.force_login(user)
    ended_session(client)
    return client


def sign_in_again(client: Client, sign_in_url: str, user):
    (back_to,) = parse_qs(urlsplit(sign_in_url).query)["next"]
    return client.post(
        sign_in_url,
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )


def test_a_strangers_post_writes_no_session(caseworker):
    """Before: anyone, never signed in, could post megabytes to any sign-in-only
    address and each post left a session row holding all of it."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    stranger = Client()
    notes = "x" * 3_000_000

    for _ in range(2):
        answer = stranger.post(
            reverse("cases:call", args=[case.pk]),
            {"outcome": "no_answer", "notes": notes},
        )
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("login"))

    assert Session.objects.count() == 0


def test_a_stranger_with_a_made_up_session_cookie_writes_no_session(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    stranger = Client()
    stranger.cookies["sessionid"] = "made-up-session-key"

    stranger.post(reverse("cases:call", args=[case.pk]), {"notes": "y" * 100_000})

    assert Session.objects.count() == 0


def test_what_an_ended_session_keeps_is_capped(caseworker):
    """The one whose session ended keeps their typing, but at most 1 MB of it in all:
    a 3 MB field is not kept. (Random text: a session is stored compressed.)"""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = signed_in_then_ended(caseworker)
    before = set(Session.objects.values_list("session_key", flat=True))

    client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer", "notes": "Rang twice", "extra": token_hex(1_500_000)},
    )
    client.post(  # many fields of a fair size each: 180 KB in all
        reverse("cases:assessment", args=[case.pk]),
        {f"field{i}": token_hex(4_500) for i in range(20)},
    )

    (kept,) = Session.objects.exclude(session_key__in=before)
    assert len(kept.session_data) < 1_500_000
    typed = kept.get_decoded()["typed_forms"]
    assert typed[reverse("cases:call", args=[case.pk])]["notes"] == ["Rang twice"]
    assert "extra" not in typed[reverse("cases:call", args=[case.pk])]
    assert len(typed[reverse("cases:assessment", args=[case.pk])]) == 20


def test_the_next_person_to_sign_in_does_not_see_the_notes_typed_before(
    caseworker, f_caseworker_two
):
    """nurse.ada's session ends with a case open; she sends the call. Before: the
    next person to sign in on that browser was shown her notes in the form, and
    saving them recorded the call as theirs."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client = signed_in_then_ended(caseworker)
    sent_away = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer", "notes": "patient disclosed a private matter"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    # Someone else, allowed to see the case, signs in on the same browser.
    type(case).objects.filter(pk=case.pk).update(assignee=f_caseworker_two)

    signed_in = sign_in_again(client, sent_away["Location"], f_caseworker_two)

    assert signed_in.request["PATH_INFO"] == page
    html = signed_in.content.decode()
    assert "patient disclosed" not in html
    assert "What you typed is back in the form" not in html
    assert "patient disclosed" not in str(dict(client.session))
    assert not CallAttempt.objects.exists()


def test_the_person_whose_session_ended_still_gets_their_notes_back(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client = signed_in_then_ended(caseworker)
    sent_away = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer", "notes": "Rang twice, no voicemail"},
        HTTP_REFERER=f"http://testserver{page}",
    )

    signed_in = sign_in_again(client, sent_away["Location"], caseworker)

    html = signed_in.content.decode()
    assert "Rang twice, no voicemail" in html
    assert "What you typed is back in the form" in html


@pytest.fixture
def f_caseworker_two(db):
    profile = f.StaffProfileFactory(clinical=True, user__username="sup.clinical")
    f.ShiftFactory(staff=profile)
    return profile.user


def signed_in_by_hand(user) -> Client:
    """Signed in through the sign-in page, as in the browser."""
    client = Client()
    answer = client.post(
        reverse("login"), {"username": user.username, "password": f.PASSWORD}
    )
    assert answer.status_code == 302
    return client


@pytest.mark.parametrize("first", ["the tab's timer", "another page", "the clear"])
def test_typing_is_kept_when_another_request_came_first(caseworker, first):
    """Before: the first request after the session's end (the tab's own timer asking
    how long is left, another tab, the sign-in page) was answered by deleting the
    session cookie, or the hourly clear took its row, and the form sent next was
    taken for a stranger's: the notes were lost."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client = signed_in_by_hand(caseworker)
    client.get(page)
    ended_session(client)
    if first == "the tab's timer":
        client.get(reverse("session_left"))
    elif first == "another page":
        client.get(reverse("cases:queue"))
    else:
        Session.objects.filter(expire_date__lt=timezone.now()).delete()

    sent_away = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer", "notes": "Rang at lunchtime, no answer"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    signed_in = sign_in_again(client, sent_away["Location"], caseworker)

    html = signed_in.content.decode()
    assert "Rang at lunchtime, no answer" in html
    assert "What you typed is back in the form" in html


def test_long_clinical_notes_come_back_whole(caseworker):
    """Before: notes over 16,000 characters were left out of what was kept, so the
    form came back with the box empty, and saving it as told wiped the notes."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    notes = "Long history. " * 1_500  # 21,000 characters
    client = signed_in_then_ended(caseworker)

    sent_away = client.post(
        reverse("cases:assessment", args=[case.pk]),
        {"clinical_notes": notes, "symptomatic": "on"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    signed_in = sign_in_again(client, sent_away["Location"], caseworker)

    assert signed_in.context["assessment_form"]["clinical_notes"].value() == notes


def test_after_signing_out_a_form_sent_keeps_nothing(caseworker):
    """Signing out is no session that ended: the browser names no one any more."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = signed_in_by_hand(caseworker)
    client.post(reverse("logout"))
    Session.objects.all().delete()

    client.post(reverse("cases:call", args=[case.pk]), {"notes": "after sign-out"})

    assert not Session.objects.exists()
