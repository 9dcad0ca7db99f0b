"""Signing in lands each role on its own home; sign-out; idle sessions expire."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from tests import factories as f
from tests.conftest import current_code, enrolled_device

pytestmark = pytest.mark.django_db


def sign_in(client, user):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": f.PASSWORD},
        follow=True,
    )


def test_caseworker_lands_on_my_work(client, caseworker):
    response = sign_in(client, caseworker)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert b"My work" in response.content


def test_call_handler_lands_on_my_work(client, call_handler):
    response = sign_in(client, call_handler)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")


def give_code(client, user):
    """The second step of signing in, with the code the user's app shows."""
    return client.post(
        reverse("two_factor"),
        {"code": current_code(enrolled_device(user)), "next": "/"},
        follow=True,
    )


def test_supervisor_lands_on_the_supervisor_dashboard(client, supervisor):
    enrolled_device(supervisor)
    response = sign_in(client, supervisor)
    assert response.redirect_chain[-1][0].startswith(reverse("two_factor"))
    response = give_code(client, supervisor)
    assert response.redirect_chain[-1][0] == reverse("staffing:dashboard")
    assert response.status_code == 200


def test_local_team_member_lands_on_their_escalation_queue(client, local_team_member):
    enrolled_device(local_team_member)
    sign_in(client, local_team_member)
    response = give_code(client, local_team_member)
    assert response.redirect_chain[-1][0] == reverse("escalations:queue")
    assert response.status_code == 200


def test_wrong_password_shows_the_login_page_again(client, caseworker):
    response = client.post(
        reverse("login"), {"username": caseworker.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_sign_out_ends_the_session(client, caseworker):
    client.force_login(caseworker)
    client.post(reverse("logout"))
    response = client.get(reverse("cases:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_idle_session_expires_and_redirects_to_login(client, caseworker):
    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(caseworker)
        assert client.get(reverse("cases:queue")).status_code == 200
        clock.shift(dt.timedelta(seconds=settings.SESSION_COOKIE_AGE + 60))
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_activity_keeps_the_session_alive(client, caseworker):
    half = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE * 2 // 3)
    start = dt.datetime.now(tz=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(caseworker)
        clock.shift(half)
        assert client.get(reverse("cases:queue")).status_code == 200
        clock.shift(half)
        response = client.get(reverse("cases:queue"))
    assert response.status_code == 200


def test_idle_expiry_is_configured():
    # Requests push an idle session's expiry on (at most once a minute).
    assert "pages.accounts.middleware.session_touched" in settings.MIDDLEWARE
    assert 0 < settings.SESSION_TOUCH_SECONDS <= 5 * 60
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
