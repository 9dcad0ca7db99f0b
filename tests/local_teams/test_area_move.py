"""An area given to another local team in the admin takes its open escalations with
it: the new team sees them on its queue and through its API client, new for it to
pick up (one picked up at the old team too), each move audited with the reason; the
old team's queue no longer holds them, and closed ones stay with it as history."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent
from escalations.models import Escalation
from tests import factories as f
from tests.admin.test_staff_changes_audited import save_in_admin
from work.escalation import escalation_claim, escalation_close

from .builders import SHEFFIELD, escalated_case, escalated_contact, local_member

pytestmark = pytest.mark.django_db

CITY = "E09000001"  # City of London
HACKNEY = "E09000012"
QUEUE = reverse("escalations:queue")
MOVED = "The area moved to Hackney Public Health."


def in_the_city(**kwargs):
    return f.PersonFactory(area=f.area(CITY), postcode="EC2V 7HH", **kwargs)


@pytest.fixture
def city_member(db):
    return local_member(CITY, "city_member")


@pytest.fixture
def hackney_member(db):
    return local_member(HACKNEY, "hackney_member")


@pytest.fixture
def city_work(clock, city_member):
    """City of London's escalations: one new, one picked up, one closed."""
    waiting = escalated_contact(CITY, person=in_the_city(first_name="Waiting"))
    held = escalation_claim(
        escalation=escalated_case(CITY, person=in_the_city(first_name="Held")),
        by=city_member,
    )
    closed = escalated_contact(CITY, person=in_the_city(first_name="Closed"))
    escalation_close(
        escalation=escalation_claim(escalation=closed, by=city_member),
        outcome=Escalation.Outcome.REACHED,
        by=city_member,
    )
    return waiting, held, closed


def queue_of(client, member, tab: str = "new") -> list[int]:
    client.force_login(member)
    response = client.get(QUEUE, {"tab": tab})
    assert response.status_code == 200
    return sorted(e.pk for e in response.context["page"])


def api_of(team_code: str) -> APIClient:
    _, token = api_client_create(
        name=f"{team_code} dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(team_code).local_team,
        rate_limit_per_minute=1000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def move_the_city_to_hackney(admin_client) -> list[str]:
    return save_in_admin(
        admin_client, f.area(CITY), local_team=f.area(HACKNEY).local_team_id
    )


def test_open_escalations_go_with_the_area_to_the_new_teams_queue(
    city_work, admin_client, client, city_member, hackney_member
):
    waiting, held, closed = city_work
    city_team = f.area(CITY).local_team
    hackney_api = api_of(HACKNEY)

    said = move_the_city_to_hackney(admin_client)

    # Hackney's queue holds both, new for it to pick up; the City's holds neither.
    assert queue_of(client, hackney_member) == sorted([waiting.pk, held.pk])
    assert queue_of(client, city_member) == []
    assert queue_of(client, city_member, tab="picked_up") == []
    listed = [
        e["id"] for e in hackney_api.get("/api/v1/escalations/").json()["results"]
    ]
    assert sorted(listed) == sorted([waiting.pk, held.pk])
    for escalation in (waiting, held):
        assert (
            hackney_api.get(f"/api/v1/escalations/{escalation.pk}/").status_code == 200
        )
        escalation.refresh_from_db()
        assert escalation.status == Escalation.Status.NEW
        assert escalation.picked_up_by is None
        assert escalation.item.local_team == f.area(HACKNEY).local_team
    # The closed one stays the City's, as it was closed.
    assert hackney_api.get(f"/api/v1/escalations/{closed.pk}/").status_code == 404
    closed.refresh_from_db()
    assert closed.local_team == city_team
    assert closed.status == Escalation.Status.CLOSED
    # Hackney picks up what the City's member had picked up.
    client.force_login(hackney_member)
    page = client.post(reverse("escalations:claim", args=[held.pk]), follow=True)
    assert "You picked this up: it is yours to work." in page.content.decode()
    assert (
        "Moved 2 open escalations of City of London to Hackney Public Health's "
        "queue, as new (1 had been picked up at the old team)."
    ) in said


def test_each_escalation_moved_is_audited_with_the_reason(
    city_work, admin_client, city_member
):
    waiting, held, _ = city_work

    move_the_city_to_hackney(admin_client)

    events = AuditEvent.objects.filter(action=AuditEvent.Action.REASSIGN)
    assert {
        (e.user.username, e.object_type, e.object_id, e.person_id): e.detail
        for e in events
    } == {
        (
            "admin",
            "contacts.contact",
            str(waiting.contact_id),
            waiting.contact.person_id,
        ): {
            "escalation": waiting.pk,
            "from": None,
            "to": None,
            "team": f.area(HACKNEY).local_team.code,
            "reason": MOVED,
        },
        ("admin", "cases.case", str(held.case_id), held.case.person_id): {
            "escalation": held.pk,
            "from": city_member.pk,
            "to": None,
            "team": f.area(HACKNEY).local_team.code,
            "reason": MOVED,
        },
    }


def test_another_areas_escalations_stay(clock, admin_client):
    sheffield = escalated_contact(SHEFFIELD)

    said = move_the_city_to_hackney(admin_client)

    assert (
        "City of London had no open escalations: none moved to Hackney Public Health."
    ) in said
    sheffield.refresh_from_db()
    assert sheffield.local_team == f.area(SHEFFIELD).local_team


def test_an_area_saved_without_a_new_team_moves_nothing(
    city_work, admin_client, client, city_member, hackney_member
):
    waiting, held, _ = city_work

    said = save_in_admin(admin_client, f.area(CITY))

    assert not [m for m in said if "escalation" in m]
    assert queue_of(client, city_member) == [waiting.pk]
    assert queue_of(client, city_member, tab="picked_up") == [held.pk]
    assert queue_of(client, hackney_member) == []
    held.refresh_from_db()
    assert held.picked_up_by == city_member
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.REASSIGN).exists()


def test_the_trail_says_each_went_to_the_new_teams_queue(
    city_work, admin_client, city_member
):
    from tests.supervisors.test_audit_staff_changes import what_is_shown

    waiting, held, _ = city_work
    move_the_city_to_hackney(admin_client)

    shown = what_is_shown(admin_client.get(reverse("staffing:audit_search")))
    hackney = f.area(HACKNEY).local_team.code
    assert (
        f"Moved the escalation of contact {waiting.contact_id} to team {hackney}'s "
        f"queue ({MOVED})"
    ) in shown
    assert any(
        said.startswith(f"Moved the escalation of case {held.case_id} from ")
        and said.endswith(f" to team {hackney}'s queue ({MOVED})")
        for said in shown
    ), shown
