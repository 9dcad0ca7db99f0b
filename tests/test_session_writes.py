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
    client.force_login(caseworker)
    client.get(MY_WORK)
    session = client.session
    session[TOUCHED] = int(timezone.now().timestamp()) - settings.SESSION_TOUCH_SECONDS
    session.save()
    Session.objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() + dt.timedelta(minutes=5)
    )

    assert client.get(MY_WORK).status_code == 200

    expires = Session.objects.get(session_key=session.session_key).expire_date
    assert expires > timezone.now() + dt.timedelta(
        seconds=settings.SESSION_COOKIE_AGE - 60
    )


def test_a_visitors_first_request_makes_no_session(client):
    client.get(reverse("login"))
    client.get(reverse("health"))
    assert not Session.objects.exists()
