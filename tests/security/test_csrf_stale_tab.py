"""A form sent from a tab opened before signing in again (signing in changes the
form's token) comes back with its typing and a message, never Django's bare
"CSRF verification failed" page."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt
from pages.accounts.csrf import csrf_failure
from tests import factories as f

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("csrf_failure_view"),
]

STALE_PAGE = (
    "What you sent was not saved: the page was from before you signed in again. "
    "Check it and send it again."
)


@pytest.fixture
def csrf_failure_view():
    with override_settings(CSRF_FAILURE_VIEW="pages.accounts.csrf.csrf_failure"):
        yield


def form_token(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def tab_opened_then_signed_in_again_elsewhere(user, page: str) -> tuple[Client, str]:
    """A browser with `page` open in one tab; the session ended and the person
    signed in again in another tab. Returns the browser and the old tab's token."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    old_token = form_token(client.get(page).content.decode())
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    sign_in = client.get(reverse("login"))
    signed_in = client.post(
        reverse("login"),
        {
            "username": user.username,
            "password": f.PASSWORD,
            "csrfmiddlewaretoken": form_token(sign_in.content.decode()),
        },
    )
    assert signed_in.status_code == 302
    return client, old_token


def test_a_call_sent_from_a_tab_older_than_signing_in_comes_back_typed(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client, old_token = tab_opened_then_signed_in_again_elsewhere(caseworker, page)

    sent = client.post(
        reverse("cases:call", args=[case.pk]),
        {
            "outcome": "no_answer",
            "notes": "Rang twice, no voicemail",
            "csrfmiddlewaretoken": old_token,
        },
        HTTP_REFERER=f"http://testserver{page}",
    )

    assert sent.status_code == 302
    assert sent["Location"] == page
    back = client.get(sent["Location"])
    html = back.content.decode()
    assert STALE_PAGE in html
    assert "Rang twice, no voicemail" in html
    assert "CSRF verification failed" not in html
    assert not CallAttempt.objects.exists()  # not saved until sent again


def test_an_htmx_request_with_the_old_token_sends_the_whole_page_back(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client, old_token = tab_opened_then_signed_in_again_elsewhere(caseworker, page)

    sent = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer", "notes": "Left a message"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
        HTTP_X_CSRFTOKEN=old_token,
    )

    assert sent["HX-Redirect"] == page
    html = client.get(page).content.decode()
    assert STALE_PAGE in html
    assert "Left a message" in html


def test_the_way_back_never_leaves_the_site(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client, old_token = tab_opened_then_signed_in_again_elsewhere(caseworker, page)

    for referer in ("https://evil.example/cases/", "http://testserver//evil.example/"):
        sent = client.post(
            reverse("cases:call", args=[case.pk]),
            {"notes": "Rang", "csrfmiddlewaretoken": old_token},
            HTTP_REFERER=referer,
        )
        assert sent.status_code == 302
        assert sent["Location"] == "/"


def test_a_stranger_gets_the_sites_own_403_page(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    stranger = Client(enforce_csrf_checks=True)

    sent = stranger.post(
        reverse("cases:call", args=[case.pk]), {"notes": "anything" * 1000}
    )

    assert sent.status_code == 403
    html = sent.content.decode()
    assert "CSRF verification failed" not in html
    assert "Reload the page" in html
    assert 'class="nhsuk-header' in html  # the site's own page, with its header
    assert Session.objects.count() == 0


def test_the_api_still_answers_json(rf):
    """DRF checks its own sessions' tokens (a JSON 403); anything else under /api/
    refused by the middleware answers JSON too, never a page."""
    answer = csrf_failure(rf.post("/api/v1/cases/"), reason="CSRF cookie not set.")

    assert answer.status_code == 403
    assert json.loads(answer.content) == {"detail": "CSRF Failed: CSRF cookie not set."}
