"""Team A never sees team B's items: not on a page, in a list, a search or an export."""

from __future__ import annotations

import pytest
from django.urls import reverse

from escalations.models import Escalation, EscalationAction
from tests import factories as f
from work.access.cases import cases_visible_to
from work.access.contacts import contacts_visible_to
from work.access.escalations import escalations_visible_to

from .builders import (
    LEEDS,
    SHEFFIELD,
    CaseFactory,
    ContactFactory,
    escalated_case,
    escalated_contact,
    person_in,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def leeds_escalation(clock):
    return escalated_contact(
        LEEDS,
        person=person_in(
            LEEDS, first_name="Lydia", last_name="Leodis", phone="+447911000111"
        ),
    )


@pytest.fixture
def sheffield_escalation(clock):
    return escalated_contact(
        SHEFFIELD, person=person_in(SHEFFIELD, first_name="Sam", last_name="Steel")
    )


def test_queue_lists_only_the_teams_own_escalations(
    sheffield_client, sheffield_escalation, leeds_escalation
):
    for tab in ("new", "picked_up", "closed"):
        response = sheffield_client.get(reverse("escalations:queue"), {"tab": tab})
        assert leeds_escalation.pk not in [e.pk for e in response.context["page"]]
    response = sheffield_client.get(reverse("escalations:queue"))
    assert [e.pk for e in response.context["page"]] == [sheffield_escalation.pk]
    assert "Lydia" not in response.content.decode()


def test_counts_include_only_the_teams_own_escalations(
    sheffield_client, sheffield_escalation, leeds_escalation
):
    response = sheffield_client.get(reverse("escalations:queue"))

    assert response.context["counts"]["new"] == 1


def test_another_teams_escalation_page_is_not_found(sheffield_client, leeds_escalation):
    response = sheffield_client.get(
        reverse("escalations:detail", args=[leeds_escalation.pk])
    )

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("claim", {}),
        ("action", {"kind": "doorstep", "note": "x"}),
        ("close", {"outcome": "reached"}),
        ("return", {"note": "x"}),
        ("reassign", {"to": "1"}),
    ],
)
def test_another_teams_escalation_cannot_be_worked(
    client, leeds_escalation, name, data
):
    from .builders import local_member

    client.force_login(local_member(SHEFFIELD, "sheffield_boss", is_supervisor=True))

    response = client.post(
        reverse(f"escalations:{name}", args=[leeds_escalation.pk]), data
    )

    assert response.status_code == 404
    leeds_escalation.refresh_from_db()
    assert leeds_escalation.status == Escalation.Status.NEW
    assert not EscalationAction.objects.exists()


@pytest.mark.parametrize(
    "search", ["Lydia", "Leodis", "07911 000111", "LS1 1UR", "LS1"]
)
def test_search_never_finds_another_teams_items(
    sheffield_client, sheffield_escalation, leeds_escalation, search
):
    response = sheffield_client.get(reverse("escalations:queue"), {"q": search})

    assert list(response.context["page"]) == []


def test_export_holds_only_the_teams_own_escalations(
    sheffield_client, sheffield_escalation, leeds_escalation
):
    response = sheffield_client.get(reverse("escalations:export"))

    body = b"".join(response.streaming_content).decode()
    assert "Steel" in body
    assert "Leodis" not in body


def test_complex_view_shows_only_the_teams_own_complex_cases(sheffield_client, clock):
    own = escalated_case(SHEFFIELD)
    escalated_case(LEEDS)

    response = sheffield_client.get(reverse("escalations:complex"))

    assert [e.pk for e in response.context["page"]] == [own.pk]


def test_another_areas_cluster_is_neither_listed_nor_shown(sheffield_client, clock):
    leeds_cluster = f.ClusterFactory(
        setting=f.ExposureSettingFactory(area=f.area(LEEDS), name="Leeds Gym")
    )

    listing = sheffield_client.get(reverse("escalations:clusters"))
    page = sheffield_client.get(reverse("escalations:cluster", args=[leeds_cluster.pk]))
    reviewed = sheffield_client.post(
        reverse("escalations:cluster_reviewed", args=[leeds_cluster.pk])
    )

    assert "Leeds Gym" not in listing.content.decode()
    assert page.status_code == 404
    assert reviewed.status_code == 404
    leeds_cluster.refresh_from_db()
    assert leeds_cluster.reviewed_at is None


def test_cluster_page_hides_cases_living_in_another_teams_area(sheffield_client, clock):
    cluster = f.ClusterFactory(setting=f.ExposureSettingFactory(name="Crucible"))
    own = CaseFactory(person=person_in(SHEFFIELD, last_name="Steel"))
    visitor = CaseFactory(person=person_in(LEEDS, last_name="Leodis"))
    ContactFactory(case=own, person=person_in(LEEDS, last_name="Elsewhere"))
    cluster.cases.add(own, visitor)

    response = sheffield_client.get(reverse("escalations:cluster", args=[cluster.pk]))

    body = response.content.decode()
    assert "Steel" in body
    assert "Leodis" not in body
    assert "Elsewhere" not in body
    assert "1 more case in this cluster lives in another team" in body


def test_tier1_sees_only_cases_and_contacts_of_the_teams_areas(sheffield_member, clock):
    own_case = CaseFactory(person=person_in(SHEFFIELD))
    leeds_case = CaseFactory(person=person_in(LEEDS))
    own_contact = ContactFactory(case=own_case, person=person_in(SHEFFIELD))
    ContactFactory(case=leeds_case, person=person_in(LEEDS))

    assert list(cases_visible_to(sheffield_member)) == [own_case]
    assert list(contacts_visible_to(sheffield_member)) == [own_contact]


def test_an_item_from_nowhere_held_by_the_team_is_visible_to_it(sheffield_member):
    """An item handed to a team (e.g. by a supervisor) counts as the team's."""
    contact = ContactFactory(
        case=CaseFactory(person=person_in(LEEDS)),
        person=person_in(LEEDS),
        local_team=f.area(SHEFFIELD).local_team,
    )

    assert contact in contacts_visible_to(sheffield_member)


@pytest.mark.parametrize("who", ["call_handler", "caseworker", "outsider"])
def test_staff_outside_local_teams_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))

    for name in ("queue", "complex", "clusters", "export"):
        assert client.get(reverse(f"escalations:{name}")).status_code == 403


def test_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("escalations:queue"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_nobody_outside_local_teams_sees_escalations(
    call_handler, supervisor, sheffield_escalation
):
    assert not escalations_visible_to(call_handler).exists()
    assert not escalations_visible_to(supervisor).exists()


def test_nav_links_local_team_staff_to_their_workspace(sheffield_client):
    response = sheffield_client.get(reverse("home"), follow=True)

    assert f'href="{reverse("escalations:queue")}"' in response.content.decode()


def test_nav_has_no_workspace_link_for_national_staff(client, call_handler):
    client.force_login(call_handler)

    response = client.get(reverse("home"), follow=True)

    assert f'href="{reverse("escalations:queue")}"' not in response.content.decode()
