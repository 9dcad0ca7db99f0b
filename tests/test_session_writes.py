"""A page view does not write the session (it is written when it changes, or at most
once a minute to push an idle session's expiry on), and idleness still ends it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pages.accounts.middleware import TOUCHED
from tests import factories as f

pytestmark = pytest.mark.django_db

MY_WORK = "/work/"


def _session_writes(queries) -> list[str]:
    return [
        q["sql"]
        for q in queries
        if "django_session" in q["sql"] and q["sql"].lstrip().startswith("UPDATE")
    ]


def test_page_views_within_a_minute_do_not_write_the_session(client, caseworker):
    client.force_login(caseworker)
    client.get(MY_WORK)  # the first touch after signing in

    with CaptureQueriesContext(connection) as queries:
        for _ in range(3):
            assert client.get(MY_WORK).status_code == 200

    assert _session_writes(queries.captured_queries) == []


def test_a_view_a_minute_after_the_last_touch_pushes_the_expiry_on(
    client, caseworker, settings
):
    key = _stale_session(client, caseworker, settings)

    assert client.get(MY_WORK).status_code == 200

    expires = Session.objects.get(session_key=key).expire_date
    assert expires > timezone.now() + dt.timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )


def test_a_visitors_first_request_makes_no_session(client):
    client.get(reverse("login"))
    client.get(reverse("health"))
    assert not Session.objects.exists()


def _stale_session(client, user, settings):
    """Signed in, last touched a minute ago, five minutes left."""
    client.force_login(user)
    client.get(MY_WORK)
    session = client.session
    session[TOUCHED] = int(timezone.now().timestamp()) - settings.SESSION_TOUCH_SECONDS
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=5)
    )
    return session.session_key


def test_a_pages_own_refresh_does_not_keep_the_session_going(
    client, supervisor, settings
):
    """The dashboard refreshes itself every minute: it kept its supervisor signed in
    for good, however long they were away."""
    key = _stale_session(client, supervisor, settings)
    settings.TRACING_TWO_FACTOR_REQUIRED_FOR = []

    answer = client.get(
        reverse("staffing:dashboard"),
        headers={"HX-Request": "true", "X-Background": "1"},
    )

    assert answer.status_code == 200
    expires = Session.objects.get(session_key=key).expire_date
    assert expires < timezone.now() + dt.timedelta(minutes=6)


def test_a_tab_asks_how_long_is_left_without_pushing_it_on(
    client, caseworker, settings
):
    key = _stale_session(client, caseworker, settings)

    answer = client.get(reverse("session_left"))

    assert answer.status_code == 200
    left = answer.json()["seconds"]
    age = settings.SESSION_COOKIE_AGE
    assert (
        age - settings.SESSION_TOUCH_SECONDS - 5
        <= left
        <= age - settings.SESSION_TOUCH_SECONDS
    )
    expires = Session.objects.get(session_key=key).expire_date
    assert expires < timezone.now() + dt.timedelta(minutes=6)


def test_a_tab_whose_session_ended_is_told_so(client):
    assert client.get(reverse("session_left")).status_code == 401


def test_a_form_refused_at_its_own_address_names_its_page_for_signing_in_again(
    client, caseworker
):
    """The page drawn at the address a form posts to (which answers no GET) gives
    the page it came from as where signing in again returns (static/js/app.js)."""
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client.force_login(caseworker)
    page = reverse("cases:detail", args=[case.pk])

    refused = client.post(
        reverse("cases:visit", args=[case.pk]),
        {"visit-name": ""},
        HTTP_REFERER=f"http://testserver{page}",
    )

    assert f'data-page-url="{page}"' in refused.content.decode()
    assert f'data-page-url="{page}"' in client.get(page).content.decode()
