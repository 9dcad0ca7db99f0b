"""An ended session never loses the page or the typing: sign in, and back."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pages.typed import typed_form
from tests import factories as f

pytestmark = pytest.mark.django_db


def expired_client(user) -> Client:
    """A browser whose session has ended: it still sends the old session cookie."""
    client = Client()
    client.force_login(user)
    client.session.flush()
    client.cookies["sessionid"] = "expired-session-key"
    return client


def test_an_htmx_update_after_the_session_ended_sends_the_whole_page_to_sign_in(
    caseworker,
):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = expired_client(caseworker)
    page = reverse("cases:detail", args=[case.pk])

    response = client.post(
        reverse("cases:call", args=[case.pk]),
        {"outcome": "no_answer"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )

    assert response.status_code == 200
    assert response.content == b""  # never a sign-in page inside the panel
    target = response["HX-Redirect"]
    assert target.startswith(reverse("login"))
    assert f"next={page.replace('/', '%2F')}" in target
    assert "expired=1" in target


def test_a_form_posted_after_the_session_ended_returns_to_its_page_not_its_address(
    caseworker,
):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = expired_client(caseworker)
    page = reverse("cases:detail", args=[case.pk])

    response = client.post(
        reverse("cases:assessment", args=[case.pk]),
        {"occupation": "Teacher", "clinical_notes": "Asthma"},
        HTTP_REFERER=f"http://testserver{page}",
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert f"next={page.replace('/', '%2F')}" in response["Location"]


def test_the_typing_is_kept_through_signing_in(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = expired_client(caseworker)
    action = reverse("cases:assessment", args=[case.pk])
    client.post(
        action,
        {"occupation": "Teacher", "clinical_notes": "Asthma, on inhaler"},
        HTTP_REFERER=f"http://testserver{reverse('cases:detail', args=[case.pk])}",
    )

    signed_in = client.post(
        reverse("login"), {"username": caseworker.username, "password": f.PASSWORD}
    )

    assert signed_in.status_code == 302
    request = type("Request", (), {"session": client.session})()
    kept = typed_form(request, action=action)
    assert kept["clinical_notes"] == "Asthma, on inhaler"
    assert "csrfmiddlewaretoken" not in kept
    assert typed_form(request, action=action) is None  # given back once


def test_the_sign_in_page_says_why_after_a_session_ended(client):
    response = client.get(reverse("login") + "?next=/work/&expired=1")

    assert "You were signed out after a while without activity" in (
        response.content.decode()
    )


def test_stay_signed_in_answers_204_while_signed_in_and_401_after(client, caseworker):
    client.force_login(caseworker)
    assert client.post(reverse("keep_alive")).status_code == 204
    client.logout()
    assert client.post(reverse("keep_alive")).status_code == 401
