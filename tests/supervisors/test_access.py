"""Only supervisors reach the supervisor pages; staff reach their own shifts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f

from .conftest import member

pytestmark = pytest.mark.django_db

SUPERVISOR_PAGES = [
    ("staffing:dashboard", []),
    ("staffing:work", []),
    ("staffing:team", []),
    ("staffing:team_shifts", []),
    ("staffing:shifts_publish", []),
    ("staffing:registrations", []),
    ("staffing:reviews", []),
    ("staffing:utilisation", []),
    ("staffing:utilisation_csv", []),
]


@pytest.mark.parametrize(("name", "args"), SUPERVISOR_PAGES)
def test_caseworkers_are_refused_supervisor_pages(client, caseworker, name, args):
    client.force_login(caseworker)
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), SUPERVISOR_PAGES)
def test_accounts_without_a_profile_are_refused_supervisor_pages(
    client, outsider, name, args
):
    client.force_login(outsider)
    assert client.get(reverse(name, args=args)).status_code == 403


@pytest.mark.parametrize(("name", "args"), SUPERVISOR_PAGES)
def test_supervisors_reach_supervisor_pages(client, lead, name, args):
    client.force_login(lead.user)
    assert client.get(reverse(name, args=args)).status_code == 200


def test_local_team_supervisors_are_refused_the_national_dashboard(client):
    local_lead = f.StaffProfileFactory(local=True, is_supervisor=True)
    client.force_login(local_lead.user)
    assert client.get(reverse("staffing:dashboard")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("staffing:dashboard"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_caseworker_cannot_reassign_work(client, caseworker, clinical_team):
    case = f.CaseFactory()
    client.force_login(caseworker)
    response = client.post(
        reverse("staffing:work"),
        {"items": [case.pk], "to": "pool", "reason": "x"},
    )
    assert response.status_code == 403


def test_caseworker_cannot_verify_a_registration(client, caseworker, clinical_team):
    other = member(clinical_team)
    client.force_login(caseworker)
    response = client.post(reverse("staffing:registration_verify", args=[other.pk]))
    assert response.status_code == 403


def test_caseworker_cannot_raise_their_own_cap(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("staffing:hours_cap", args=[caseworker.staff.pk]),
        {"new_cap": "60", "reason": "More money"},
    )
    assert response.status_code == 403
    caseworker.staff.refresh_from_db()
    assert caseworker.staff.weekly_hours_cap == 42


def test_supervisor_cannot_open_another_teams_member(client, lead):
    stranger = f.StaffProfileFactory(clinical=True)
    client.force_login(lead.user)
    assert (
        client.get(reverse("staffing:hours_cap", args=[stranger.pk])).status_code == 404
    )


def test_staff_reach_their_own_shifts_page(client, call_handler):
    client.force_login(call_handler)
    assert client.get(reverse("staffing:my_shifts")).status_code == 200


def test_accounts_without_a_profile_have_no_shifts_page(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("staffing:my_shifts")).status_code == 403


def test_nav_hides_staffing_links_from_accounts_without_a_profile(client, outsider):
    client.force_login(outsider)
    page = client.get(reverse("home")).text
    assert ">Shifts</a>" not in page
    assert "Supervisor dashboard" not in page


def test_nav_shows_supervisor_links_only_to_supervisors(client, lead, call_handler):
    client.force_login(lead.user)
    assert "Supervisor dashboard" in client.get(reverse("home"), follow=True).text
    client.force_login(call_handler)
    page = client.get(reverse("home"), follow=True).text
    assert "Supervisor dashboard" not in page
    assert ">Shifts</a>" in page
