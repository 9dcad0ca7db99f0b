"""An ended session never loses the page or the typing: sign in, and back."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from cases.models import RiskAssessment
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


def sign_in_again(client: Client, sign_in_url: str, user):
    """Sign in on the page the ended session was sent to, as the browser would."""
    (back_to,) = parse_qs(urlsplit(sign_in_url).query)["next"]
    return client.post(
        sign_in_url,
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )


def test_after_signing_in_the_case_page_shows_the_typing_again_unsaved(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = expired_client(caseworker)
    page = reverse("cases:detail", args=[case.pk])
    client.post(
        reverse("cases:assessment", args=[case.pk]),
        {"occupation": "Teacher", "clinical_notes": "Asthma, on inhaler"},
        HTTP_REFERER=f"http://testserver{page}",
    )
    sent_away = client.post(
        reverse("cases:contacts", args=[case.pk]),
        {
            "contacts-TOTAL_FORMS": "3",
            "contacts-INITIAL_FORMS": "0",
            "contacts-0-first_name": "Grace",
            "contacts-0-phone": "07400 123452",
        },
        HTTP_REFERER=f"http://testserver{page}",
    )

    signed_in = sign_in_again(client, sent_away["Location"], caseworker)

    assert signed_in.request["PATH_INFO"] == page
    html = signed_in.content.decode()
    assert "What you typed is back in the form" in html
    assert "Asthma, on inhaler" in html
    assert 'value="Grace"' in html
    assert not RiskAssessment.objects.filter(case=case).exists()
    assert not case.contacts.exists()  # typed, not saved until they send it
    # Given back once: the next visit draws the saved state.
    again = client.get(page).content.decode()
    assert "Asthma, on inhaler" not in again


def test_after_signing_in_the_contact_page_shows_the_call_typed(call_handler):
    contact = f.ContactFactory(status="assigned", assignee=call_handler)
    client = expired_client(call_handler)
    page = reverse("contacts:detail", args=[contact.pk])
    sent_away = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "no_answer", "notes": "Rang twice, no voicemail"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver{page}",
    )

    signed_in = sign_in_again(client, sent_away["HX-Redirect"], call_handler)

    assert signed_in.request["PATH_INFO"] == page
    html = signed_in.content.decode()
    assert "Rang twice, no voicemail" in html
    assert "What you typed is back in the form" in html
    assert not contact.calls.exists()  # typed, not logged until they send it


def test_after_signing_in_the_settings_visited_form_shows_the_visit_typed(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    client = expired_client(caseworker)
    page = reverse("cases:detail", args=[case.pk])
    sent_away = client.post(
        reverse("cases:visit", args=[case.pk]),
        {
            "visit-name": "Crown Inn",
            "visit-kind": "venue",
            "visit-postcode": "S1 2HE",
            "visit-visited_on": str(case.specimen_date),
        },
        HTTP_REFERER=f"http://testserver{page}",
    )

    signed_in = sign_in_again(client, sent_away["Location"], caseworker)

    html = signed_in.content.decode()
    assert "What you typed is back in the form" in html
    assert 'value="Crown Inn"' in html
    assert 'value="S1 2HE"' in html
    assert f'value="{case.specimen_date}"' in html
    assert '<option value="venue" selected>' in html
    assert not case.visits.exists()  # typed, not saved until they send it
