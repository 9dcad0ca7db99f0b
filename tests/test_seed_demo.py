"""The demo data: realistic, every stage present, and the same after a second run."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from calls.models import CallAttempt, Script
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from staffing.models import Shift, StaffProfile, Tier

MODELS = [get_user_model(), StaffProfile, Shift, Case, Contact, CallAttempt, Escalation]


def counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def seed(**options) -> None:
    # A smaller demo than `make run` makes, to keep the suite quick; same code.
    call_command("seed_demo", demo_cases=60, stdout=StringIO(), **options)


@pytest.fixture
def seeded(db):
    seed()


def test_seed_demo_twice_changes_nothing(seeded):
    before = counts()
    statuses = sorted(Case.objects.values_list("lab_reference", "status"))

    seed()

    assert counts() == before
    assert sorted(Case.objects.values_list("lab_reference", "status")) == statuses


def test_seed_demo_has_cases_at_every_stage(seeded):
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {Status.NEW, Status.ASSIGNED, Status.COMPLETED, Status.ESCALATED} <= statuses
    assert Contact.objects.filter(status=Status.REACHED).exists()
    assert Escalation.objects.filter(reason=Escalation.Reason.COMPLEX).exists()


def test_seed_demo_has_staff_of_every_tier_and_scripts(seeded):
    tiers = set(StaffProfile.objects.values_list("tier", flat=True))
    assert tiers == {Tier.LOCAL, Tier.CLINICAL, Tier.CALL_HANDLER}
    assert StaffProfile.objects.filter(is_supervisor=True).count() >= 2
    assert Script.objects.filter(steps__isnull=False).distinct().count() == 2


def test_seed_demo_keeps_everyone_within_their_open_work_cap(seeded):
    for profile in StaffProfile.objects.exclude(tier=Tier.LOCAL).select_related("user"):
        model = Case if profile.tier == Tier.CLINICAL else Contact
        assert model.objects.held().filter(assignee=profile.user).count() <= (
            profile.open_work_cap
        )


def test_demo_users_can_sign_in(seeded, client):
    from ops.demo import DEMO_PASSWORD

    response = client.post(
        "/accounts/login/", {"username": "nurse.ada", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/work/").status_code == 200


def test_seed_demo_bulk_adds_cases_with_contacts(seeded):
    before = Case.objects.count()

    seed(cases=50)

    assert Case.objects.count() == before + 50
    bulk = Case.objects.filter(lab_reference__startswith="BULK")
    assert Contact.objects.filter(case__in=bulk).count() == 150
