"""An ended session never loses the page or the typing: sign in, and back."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import RiskAssessment
from pages.typed import typed_form
from tests import factories as f

pytestmark = pytest.mark.django_db


def expired_client(user) -> Client:
    """A browser whose session has ended by idleness: its row is past its expiry (kept
    until the beat clears it), and the browser still sends its cookie."""
    client = Client()
    client.force_login(user)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
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


# --- every form of the service, not only the case and contact pages --------------------
# Each was posted after the session ended and came back empty (and, where the page and
# the form share an address, the browser came back to the home page).


@pytest.fixture
def no_second_factor(settings):
    """Signing in again is the password alone here (the second factor's own tests
    show the session, typing and all, carried through it)."""
    settings.TRACING_TWO_FACTOR_REQUIRED_FOR = []


def typed_back_after_signing_in(client, user, *, action, page, data):
    """Post `data` to `action` from `page` with the session ended, sign in again as
    the browser does, and return the page it comes back to."""
    sent_away = client.post(action, data, HTTP_REFERER=f"http://testserver{page}")
    assert sent_away.status_code == 302
    signed_in = sign_in_again(client, sent_away["Location"], user)
    assert signed_in.request["PATH_INFO"] == page.split("?")[0]
    html = signed_in.content.decode()
    assert "What you typed is back in the form" in html
    return html


def test_a_clinicians_isolation_change_is_typed_back(caseworker):
    case = f.CaseFactory(status="assigned", assignee=caseworker)
    page = reverse("cases:isolation", args=[case.pk])
    new_end = case.isolation_ends_on + dt.timedelta(days=3)

    html = typed_back_after_signing_in(
        expired_client(caseworker),
        caseworker,
        action=page,
        page=page,
        data={"ends_on": new_end.isoformat(), "reason": "Symptoms began later"},
    )

    assert f'value="{new_end.isoformat()}"' in html
    assert "Symptoms began later</textarea>" in html
    case.refresh_from_db()
    assert case.isolation_ends_on != new_end  # typed, not saved


def test_a_local_teams_action_is_typed_back(local_team_member, no_second_factor):
    escalation = f.EscalationFactory(
        contact__area=local_team_member.staff.local_team.areas.first(),
        status="picked_up",
        picked_up_by=local_team_member,
    )
    page = reverse("escalations:detail", args=[escalation.pk])

    html = typed_back_after_signing_in(
        expired_client(local_team_member),
        local_team_member,
        action=reverse("escalations:action", args=[escalation.pk]),
        page=page,
        data={"kind": "phone", "note": "Rang her daughter, no reply"},
    )

    assert "Rang her daughter, no reply</textarea>" in html
    assert re.search(r'value="phone"[^>]*checked', html)
    assert not escalation.actions.exists()


def test_a_supervisors_hours_cap_is_typed_back(supervisor, no_second_factor):
    member = f.StaffProfileFactory(
        clinical=True, team=supervisor.staff.team, weekly_hours_cap=42
    )
    page = reverse("staffing:hours_cap", args=[member.pk])

    html = typed_back_after_signing_in(
        expired_client(supervisor),
        supervisor,
        action=page,
        page=page,
        data={"new_cap": "30", "reason": "Agreed part-time hours"},
    )

    assert 'value="30"' in html
    assert 'value="Agreed part-time hours"' in html
    member.refresh_from_db()
    assert member.weekly_hours_cap == 42


def test_a_reassignment_is_typed_back_with_its_ticks(supervisor, no_second_factor):
    member = f.StaffProfileFactory(clinical=True, team=supervisor.staff.team)
    held = f.CaseFactory(status="assigned", assignee=member.user)
    page = reverse("staffing:work")

    html = typed_back_after_signing_in(
        expired_client(supervisor),
        supervisor,
        action=page,
        page=page,
        data={"items": [str(held.pk)], "to": "pool", "reason": "Off sick"},
    )

    assert re.search(rf'value="{held.pk}"[^>]*checked', html)
    assert "Off sick" in html
    held.refresh_from_db()
    assert held.assignee_id == member.user_id
