"""`manage.py load_areas` on a database an earlier load made: an area outside the
service that records keep goes to the team that serves its people now (a replaced
district to its successor authority's team, a Welsh one to the fallback team), its
open escalations and the cases and contacts they are about going with it, audited;
an area an administrator moved stays where they put it, however often it runs."""

from __future__ import annotations

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps as global_apps
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from areas.models import Area, LocalTeam
from audit.models import AuditEvent
from escalations.models import Escalation
from tests import factories as f
from tests.conftest import ensure_ons_areas
from work.areas import area_save
from work.escalation import escalate_unreached, item_escalate

pytestmark = pytest.mark.django_db

CARDIFF = "W06000015"
CARLISLE = "E07000028"
CUMBRIA = "E10000006"
CUMBERLAND = "E06000063"
WESTMORLAND = "E06000064"
QUEUE = reverse("escalations:queue")


@pytest.fixture(autouse=True)
def ons_areas(db):
    ensure_ons_areas()


def old_area(code: str, name: str, ut_code: str, ut_name: str) -> Area:
    """An area as an earlier load made it, with its upper tier's own team."""
    team, _ = LocalTeam.objects.get_or_create(
        code=ut_code, defaults={"name": f"{ut_name} Public Health"}
    )
    area, _ = Area.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "upper_tier_code": ut_code,
            "upper_tier_name": ut_name,
            "local_team": team,
        },
    )
    return area


def carlisle() -> Area:
    return old_area(CARLISLE, "Carlisle", CUMBRIA, "Cumbria")


def cardiff() -> Area:
    return old_area(CARDIFF, "Cardiff", CARDIFF, "Cardiff")


def escalated_case_in(area: Area, postcode: str) -> Escalation:
    person = f.PersonFactory(postcode=postcode, area=area)
    case = f.CaseFactory(person=person, area=area, symptom_onset=None)
    return item_escalate(
        item=case, reason=Escalation.Reason.COMPLEX, detail="care home"
    )


def unreached_contact_in(area: Area, postcode: str, case):
    past = timezone.now() - dt.timedelta(days=3)
    return f.ContactFactory(
        person=f.PersonFactory(postcode=postcode, area=area),
        case=case,
        area=area,
        created_at=past,
        escalate_due_at=past,
    )


def team_of(code: str) -> LocalTeam:
    return Area.objects.select_related("local_team").get(code=code).local_team


def member_of(team: LocalTeam, username: str):
    return f.StaffProfileFactory(
        local=True, local_team=team, user__username=username
    ).user


def queue_of(client, member) -> list[int]:
    client.force_login(member)
    response = client.get(QUEUE, {"tab": "new"})
    assert response.status_code == 200
    return sorted(e.pk for e in response.context["page"])


def load_areas() -> str:
    out = io.StringIO()
    call_command("load_areas", stdout=out)
    return out.getvalue()


def test_load_areas_moves_a_replaced_districts_work_to_its_successors_team(client):
    escalation = escalated_case_in(carlisle(), "CA1 1AA")
    cumberland_team = team_of(CUMBERLAND)
    cumberland_member = member_of(cumberland_team, "cumberland_member")
    cumbria_member = member_of(LocalTeam.objects.get(code=CUMBRIA), "cumbria_member")

    load_areas()

    # Cumberland's team, which serves Carlisle's postcodes now, has the case on its
    # queue, to pick up; Cumbria's old team, with no area left, no longer does.
    assert queue_of(client, cumberland_member) == [escalation.pk]
    assert queue_of(client, cumbria_member) == []
    assert team_of(CARLISLE) == cumberland_team
    escalation.refresh_from_db()
    assert escalation.item.local_team == cumberland_team
    moved = AuditEvent.objects.get(
        action=AuditEvent.Action.REASSIGN, detail__escalation=escalation.pk
    )
    assert moved.detail["team"] == CUMBERLAND
    assert moved.detail["reason"] == (
        "The area moved to Cumberland Public Health: Carlisle is no longer an area "
        "of the service."
    )


def test_load_areas_moves_the_next_unreached_carlisle_contact_to_cumberland():
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    contact = unreached_contact_in(area, "CA1 1AA", escalation.case)

    load_areas()
    escalate_unreached()

    assert Escalation.objects.get(contact=contact).local_team == team_of(CUMBERLAND)


def test_load_areas_moves_a_welsh_areas_work_to_the_fallback_team(client):
    escalation = escalated_case_in(cardiff(), "CF10 1EP")
    fallback = LocalTeam.objects.get(is_fallback=True)
    fallback_member = member_of(fallback, "fallback_member")

    said = load_areas()

    assert queue_of(client, fallback_member) == [escalation.pk]
    assert team_of(CARDIFF) == fallback
    escalation.refresh_from_db()
    assert escalation.item.local_team == fallback
    assert "Cardiff (W06000015)" in said
    assert "1 open escalation" in said


def test_load_areas_moves_work_an_earlier_load_left_at_the_old_team(client):
    # The earlier load gave Carlisle to another team with a bare save, leaving its
    # escalation with Cumbria's old team; an administrator has since put Carlisle
    # with Cumberland. The work goes where the area is.
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    area.local_team = LocalTeam.objects.get(is_fallback=True)
    area.save()
    area.local_team = team_of(CUMBERLAND)
    area_save(area=area, by=f.UserFactory(is_superuser=True))
    cumberland_member = member_of(team_of(CUMBERLAND), "cumberland_member")

    load_areas()

    assert queue_of(client, cumberland_member) == [escalation.pk]
    assert team_of(CARLISLE) == team_of(CUMBERLAND)


def test_load_areas_moves_no_area_an_administrator_moved(client):
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    westmorland_team = team_of(WESTMORLAND)
    westmorland_member = member_of(westmorland_team, "westmorland_member")
    area.local_team = westmorland_team
    area_save(area=area, by=f.UserFactory(is_superuser=True))

    load_areas()
    load_areas()

    assert team_of(CARLISLE) == westmorland_team
    assert queue_of(client, westmorland_member) == [escalation.pk]


def test_load_areas_run_again_leaves_an_administrators_later_move(client):
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    load_areas()
    westmorland_team = team_of(WESTMORLAND)
    westmorland_member = member_of(westmorland_team, "westmorland_member")
    area.refresh_from_db()
    area.local_team = westmorland_team
    area_save(area=area, by=f.UserFactory(is_superuser=True))

    load_areas()

    assert team_of(CARLISLE) == westmorland_team
    assert queue_of(client, westmorland_member) == [escalation.pk]


def test_load_areas_moves_the_work_the_migration_left_at_the_old_team(client):
    # Migration 0003 runs on historical models: it gives the area to its successor's
    # team alone; the command, run after it, takes the open escalation there too.
    escalation = escalated_case_in(carlisle(), "CA1 1AA")
    cumberland_member = member_of(team_of(CUMBERLAND), "cumberland_member")
    migration = importlib.import_module("areas.migrations.0003_england_only")
    migration.remove_areas_outside_the_service(global_apps, None)
    assert team_of(CARLISLE) == team_of(CUMBERLAND)

    load_areas()

    assert queue_of(client, cumberland_member) == [escalation.pk]


# --- a database the old load (or migration 0003 as it first ran) left -------------


def old_load_gave_to_the_fallback_team(area: Area) -> None:
    """What the old load_areas did to a kept area: a bare save, unaudited."""
    area.local_team = LocalTeam.objects.get(is_fallback=True)
    area.save()


def test_load_areas_moves_a_district_the_old_load_gave_the_fallback_team(client):
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    old_load_gave_to_the_fallback_team(area)
    # Meanwhile the sweep escalated Carlisle's next unreached contact to the
    # fallback team, the area's team then.
    contact = unreached_contact_in(area, "CA1 1AA", escalation.case)
    escalate_unreached()
    later = Escalation.objects.get(contact=contact)
    assert later.local_team.is_fallback
    cumberland_member = member_of(team_of(CUMBERLAND), "cumberland_member")
    fallback_member = member_of(
        LocalTeam.objects.get(is_fallback=True), "fallback_member"
    )

    said = load_areas()

    # Cumberland's team, which serves CA1 1AA, has both on its queue; the fallback
    # team no longer does.
    assert queue_of(client, cumberland_member) == sorted([escalation.pk, later.pk])
    assert queue_of(client, fallback_member) == []
    assert team_of(CARLISLE) == team_of(CUMBERLAND)
    assert "Carlisle (E07000028)" in said
    assert "now served by Cumberland Public Health" in said
    assert "2 open escalations went with it" in said
    # It no longer asks for records to be moved that the service cannot move.
    assert "Move those records" not in said
    assert "nothing is needed from you" in said


def test_load_areas_leaves_a_district_an_administrator_gave_the_fallback_team(client):
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    fallback = LocalTeam.objects.get(is_fallback=True)
    fallback_member = member_of(fallback, "fallback_member")
    area.local_team = fallback
    area_save(area=area, by=f.UserFactory(is_superuser=True))

    load_areas()
    load_areas()

    assert team_of(CARLISLE) == fallback
    assert queue_of(client, fallback_member) == [escalation.pk]


def test_load_areas_run_again_after_the_old_load_changes_nothing(client):
    area = carlisle()
    escalation = escalated_case_in(area, "CA1 1AA")
    old_load_gave_to_the_fallback_team(area)
    cumberland_member = member_of(team_of(CUMBERLAND), "cumberland_member")
    load_areas()
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()

    said = load_areas()

    assert team_of(CARLISLE) == team_of(CUMBERLAND)
    assert queue_of(client, cumberland_member) == [escalation.pk]
    # Nothing moved again: no area's team changed, no escalation reassigned.
    assert not AuditEvent.objects.filter(
        pk__gt=last,
        action__in=[AuditEvent.Action.UPDATE, AuditEvent.Action.REASSIGN],
    ).exists()
    assert "now served by" not in said
    assert "went with it" not in said
