"""Work held by someone on shift who may no longer do it goes back to the pool: a
member of staff moved to another tier, a caseworker whose registration lapsed. Being
over one's cap, or a new starter, is not a reason to lose work one holds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from staffing.models import Tier
from tests import factories as f
from work.assignment import release_stranded_work
from work.tasks import assign_work_task

from .conftest import (
    CaseFactory,
    call_handler_on_shift,
    caseworker_on_shift,
    held_by,
)

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)
OTHER_TIER = "The holder no longer works in this tier."
LAPSED_REGISTRATION = "The holder's registration is no longer current."


def move_to_tier(user, tier: int) -> None:
    profile = user.staff
    profile.tier = tier
    if tier == Tier.LOCAL:
        profile.local_team = f.area().local_team
    profile.save()


def release_reasons(item) -> list[str]:
    return [
        event.detail.get("reason")
        for event in AuditEvent.objects.filter(
            object_type=item._meta.label_lower,
            object_id=str(item.pk),
            action=AuditEvent.Action.REASSIGN,
        )
    ]


def test_cases_of_a_caseworker_moved_to_tier_3_go_to_another_caseworker(client):
    moved = caseworker_on_shift()
    assigned = held_by(moved)
    reached = CaseFactory(
        status=Status.REACHED,
        assignee=moved,
        assigned_at=timezone.now(),
        reached_at=timezone.now(),
    )
    other = caseworker_on_shift()
    move_to_tier(moved, Tier.CALL_HANDLER)

    assign_work_task()

    assigned.refresh_from_db()
    reached.refresh_from_db()
    assert assigned.assignee == other
    assert assigned.status == Status.ASSIGNED
    assert reached.assignee == other
    assert reached.status == Status.REACHED
    assert release_reasons(assigned) == [OTHER_TIER]
    client.force_login(other)
    assert client.get(reverse("cases:detail", args=[assigned.pk])).status_code == 200


def test_contacts_of_a_call_handler_moved_to_tier_2_go_back_to_the_pool():
    moved = call_handler_on_shift()
    contact = held_by(moved, kind="contact")
    move_to_tier(moved, Tier.CLINICAL)

    assert release_stranded_work() == 1

    contact.refresh_from_db()
    assert contact.assignee is None
    assert contact.status == Status.NEW
    assert release_reasons(contact) == [OTHER_TIER]


def test_reached_case_of_someone_moved_tier_waits_still_reached():
    moved = caseworker_on_shift()
    case = CaseFactory(status=Status.REACHED, assignee=moved, reached_at=timezone.now())
    move_to_tier(moved, Tier.LOCAL)

    release_stranded_work()

    case.refresh_from_db()
    assert case.assignee is None
    assert case.status == Status.REACHED


@pytest.mark.parametrize(
    "lapse",
    [
        {"registration_expires_on": timezone.localdate() - DAY},
        {"registration_verified_on": None},
    ],
    ids=["expired", "unverified"],
)
def test_cases_of_a_caseworker_whose_registration_lapsed_go_to_another(lapse):
    lapsed = caseworker_on_shift()
    case = held_by(lapsed)
    other = caseworker_on_shift()
    profile = lapsed.staff
    for name, value in lapse.items():
        setattr(profile, name, value)
    profile.save()

    assign_work_task()

    case.refresh_from_db()
    assert case.assignee == other
    assert release_reasons(case) == [LAPSED_REGISTRATION]


def test_someone_over_their_cap_or_a_new_starter_keeps_their_work():
    cap = settings.TRACING_OPEN_WORK_CAP
    over = caseworker_on_shift()
    new_starter = call_handler_on_shift(new_starter=True)
    cases = [held_by(over) for _ in range(cap["tier2"] + 1)]
    contacts = [
        held_by(new_starter, kind="contact")
        for _ in range(cap["tier3_new_starter"] + 1)
    ]

    assert release_stranded_work() == 0

    assert Case.objects.filter(assignee=over).count() == len(cases)
    for contact in contacts:
        contact.refresh_from_db()
        assert contact.assignee == new_starter


def test_a_second_run_releases_nothing_more():
    moved = caseworker_on_shift()
    case = held_by(moved)
    move_to_tier(moved, Tier.CALL_HANDLER)

    assert release_stranded_work() == 1
    assert release_stranded_work() == 0

    assert release_reasons(case) == [OTHER_TIER]


def test_with_training_required_only_the_lapsed_registration_is_released():
    module = f.TrainingModuleFactory(tier=Tier.CLINICAL, required=True)
    lapsed = caseworker_on_shift(registration_expires_on=timezone.localdate() - DAY)
    f.TrainingCompletionFactory(profile=lapsed.staff, module=module)
    training_due = caseworker_on_shift()
    lapsed_case, training_due_case = held_by(lapsed), held_by(training_due)

    assert release_stranded_work() == 1

    lapsed_case.refresh_from_db()
    training_due_case.refresh_from_db()
    assert lapsed_case.assignee is None
    assert release_reasons(lapsed_case) == [LAPSED_REGISTRATION]
    assert training_due_case.assignee == training_due


def test_a_lapsed_registration_is_released_with_training_still_due():
    # A module newly required leaves every caseworker with training due for a while:
    # a lapsed registration among them must still give back its cases.
    module = f.TrainingModuleFactory(tier=Tier.CLINICAL, required=True)
    lapsed = caseworker_on_shift(registration_expires_on=timezone.localdate() - DAY)
    case = held_by(lapsed)
    other = caseworker_on_shift()
    f.TrainingCompletionFactory(profile=other.staff, module=module)

    assign_work_task()

    case.refresh_from_db()
    assert case.assignee == other
    assert release_reasons(case) == [LAPSED_REGISTRATION]
