"""Escalations picked up by someone who then leaves the team (deactivated, moved to
another team or tier) go back to the team's queue at the next escalation sweep, so a
colleague can pick them up; an active member's pick-up is left alone."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from escalations.models import Escalation
from staffing.models import Tier
from tests import factories as f
from tests.threads import side_by_side
from work.escalation import escalation_claim, release_escalations_of_leavers
from work.tasks import escalate_unreached_task

from .builders import LEEDS, escalated_contact

pytestmark = pytest.mark.django_db


def _deactivate(user) -> None:
    user.is_active = False
    user.save(update_fields=["is_active"])


def _move_to_leeds(user) -> None:
    profile = user.staff
    profile.local_team = f.area(LEEDS).local_team
    profile.save(update_fields=["local_team"])


def _move_to_call_handling(user) -> None:
    profile = user.staff
    profile.tier = Tier.CALL_HANDLER
    profile.local_team = None
    profile.team = f.TeamFactory(tier=Tier.CALL_HANDLER)
    profile.save(update_fields=["tier", "local_team", "team"])


def _picked_up_by(member) -> Escalation:
    return escalation_claim(escalation=escalated_contact(), by=member)


def _pick_up_through_the_page(client, colleague, escalation) -> str:
    client.force_login(colleague)
    response = client.post(
        reverse("escalations:claim", args=[escalation.pk]), follow=True
    )
    return response.content.decode()


@pytest.mark.parametrize("leave", [_deactivate, _move_to_leeds, _move_to_call_handling])
def test_escalation_of_a_leaver_goes_back_to_the_queue_for_a_colleague(
    clock, client, sheffield_member, sheffield_colleague, leave
):
    escalation = _picked_up_by(sheffield_member)
    leave(sheffield_member)

    escalate_unreached_task()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert escalation.picked_up_by is None
    assert escalation.picked_up_at is None
    page = _pick_up_through_the_page(client, sheffield_colleague, escalation)
    assert "You picked this up: it is yours to work." in page
    assert "already picked up" not in page
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert escalation.picked_up_by == sheffield_colleague


def test_an_active_members_pick_up_is_left_alone(
    clock, client, sheffield_member, sheffield_colleague
):
    escalation = _picked_up_by(sheffield_member)
    picked_up_at = escalation.picked_up_at
    administrator = f.UserFactory(is_superuser=True, is_staff=True)
    by_administrator = _picked_up_by(administrator)

    escalate_unreached_task()

    for held, holder in (
        (escalation, sheffield_member),
        (by_administrator, administrator),
    ):
        held.refresh_from_db()
        assert held.status == Escalation.Status.PICKED_UP
        assert held.picked_up_by == holder
    assert escalation.picked_up_at == picked_up_at
    page = _pick_up_through_the_page(client, sheffield_colleague, escalation)
    assert "already picked up by" in page
    assert not AuditEvent.objects.filter(
        action=AuditEvent.Action.REASSIGN, detail__to=None
    ).exists()


def test_the_release_is_audited_with_a_plain_reason(clock, sheffield_member):
    deactivated = _picked_up_by(sheffield_member)
    moved_member = f.StaffProfileFactory(
        local=True, local_team=deactivated.local_team, user__username="moved"
    ).user
    moved = _picked_up_by(moved_member)
    _deactivate(sheffield_member)
    _move_to_leeds(moved_member)

    escalate_unreached_task()

    events = AuditEvent.objects.filter(action=AuditEvent.Action.REASSIGN)
    reasons = {
        (e.object_type, e.object_id, e.person_id, e.user_id): e.detail for e in events
    }
    assert reasons == {
        (
            "contacts.contact",
            str(deactivated.contact_id),
            deactivated.contact.person_id,
            None,
        ): {
            "escalation": deactivated.pk,
            "from": sheffield_member.pk,
            "to": None,
            "reason": "The holder's account was deactivated.",
        },
        ("contacts.contact", str(moved.contact_id), moved.contact.person_id, None): {
            "escalation": moved.pk,
            "from": moved_member.pk,
            "to": None,
            "reason": "The holder left the team.",
        },
    }


def test_running_the_sweep_twice_releases_once(clock, sheffield_member):
    escalation = _picked_up_by(sheffield_member)
    _deactivate(sheffield_member)

    escalate_unreached_task()
    escalate_unreached_task()

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.NEW
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.REASSIGN, detail__escalation=escalation.pk
        ).count()
        == 1
    )


def _release_without_waiting() -> int:
    """A second sweep, refused rather than left waiting should it wait for the lock."""
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '5s'")
    return release_escalations_of_leavers()


@pytest.mark.django_db(transaction=True)
def test_a_sweep_skips_an_escalation_another_holds_and_releases_it_once(
    sheffield_member,
):
    escalation = _picked_up_by(sheffield_member)
    _deactivate(sheffield_member)
    released_meanwhile: list[int] = []

    with transaction.atomic():
        Escalation.objects.select_for_update().get(pk=escalation.pk)
        errors = side_by_side(
            lambda: released_meanwhile.append(_release_without_waiting())
        )
    released_after = release_escalations_of_leavers()
    released_again = release_escalations_of_leavers()

    assert errors == []
    assert (released_meanwhile, released_after, released_again) == ([0], 1, 0)
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.REASSIGN, detail__escalation=escalation.pk
        ).count()
        == 1
    )
