"""The demo data: realistic, every stage present, and the same after a second run."""

from __future__ import annotations

from io import StringIO
from itertools import pairwise

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.urls import reverse

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


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo seeded once for the module (some 5 s a seed), in a transaction
    rolled back after its tests, each of which rolls back to it (as
    tests/assignment/test_pool_plans.py's peak): nothing is committed, as when each
    test seeded for itself. `--dist loadgroup` keeps the module on one worker, its
    tests one after the other (WORKER_GROUPS in tests/conftest.py)."""
    with (
        django_db_blocker.unblock(),
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            NOTIFY_FILE_DIR=str(tmp_path_factory.mktemp("messages")),
        ),
        transaction.atomic(),
    ):
        seed()
        # Checked once here: left deferred, each test's end would check them again.
        connection.check_constraints()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db):
    """The demo as seeded (seeded_once), each test's changes rolled back after it."""


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


# --- room for new work, and shifts within the rules ----------------------------------


def handlers_on_shift_now():
    from django.utils import timezone

    return list(
        StaffProfile.objects.filter(
            tier=Tier.CALL_HANDLER,
            is_supervisor=False,
            shifts__in=Shift.objects.on_now(timezone.now()),
        )
        .select_related("user")
        .distinct()
    )


def test_seed_demo_leaves_call_handlers_room_after_an_assignment_run(seeded):
    from work.assignment import assign_work

    assign_work()
    on_shift = handlers_on_shift_now()
    assert len(on_shift) >= 3
    for profile in on_shift:
        held = Contact.objects.held().filter(assignee=profile.user).count()
        assert held < profile.open_work_cap, f"{profile} is at their cap"
    assert not Contact.objects.filter(
        status=Status.NEW, person__needs_interpreter=False
    ).exists(), "contacts anyone could take are still waiting"


def test_a_contact_added_after_the_seed_reaches_a_handler_at_the_next_run(seeded):
    """What a new user sees: they add a contact to a case they hold, and within a
    minute (the next assignment run) a call handler has it."""
    from datetime import date, timedelta

    from django.utils import timezone

    from people.services import PersonDetails
    from work.assignment import assign_work
    from work.casework import ContactDetails, contact_add

    assign_work()
    case = Case.objects.filter(
        status__in=[Status.ASSIGNED, Status.REACHED], assignee__isnull=False
    ).first()
    contacts = [
        contact_add(
            case=case,
            by=case.assignee,
            details=ContactDetails(
                person=PersonDetails(
                    first_name="New",
                    last_name=f"Contact{n}",
                    date_of_birth=date(1990, 1, 1 + n),
                    phone=f"+4474009{n:05d}",
                    postcode="S1 2HE",
                ),
                exposure_date=timezone.localdate() - timedelta(days=1),
                exposure=Contact.Exposure.values[0],
            ),
        )
        for n in range(3)
    ]
    assign_work()
    handlers = {p.user_id for p in handlers_on_shift_now()}
    for contact in contacts:
        contact.refresh_from_db()
        assert contact.status == Status.ASSIGNED
        assert contact.assignee_id in handlers


def test_seed_demo_books_shifts_within_the_caps_and_the_rest(seeded):
    from collections import defaultdict

    from django.utils import timezone

    from clock import monday_of
    from staffing.services import min_rest

    booked = Shift.objects.filter(status=Shift.Status.BOOKED).select_related("staff")
    by_person = defaultdict(list)
    for shift in booked.order_by("starts_at"):
        by_person[shift.staff].append(shift)
    assert by_person
    for profile, shifts in by_person.items():
        weeks = defaultdict(float)
        for shift in shifts:
            weeks[monday_of(timezone.localtime(shift.starts_at).date())] += shift.hours
        assert max(weeks.values()) <= profile.weekly_hours_cap, profile
        for before, after in pairwise(shifts):
            gap = after.starts_at - before.ends_at
            assert gap.total_seconds() == 0 or gap >= min_rest(), (profile, before)


def test_seed_demo_has_a_realistic_mix(seeded):
    """Most on shift now, someone starting later, caseworkers busy."""
    from django.utils import timezone

    from work.workload import explain_readiness, team_overview

    now = timezone.now()
    calls_lead = StaffProfile.objects.get(user__username="sup.calls")
    members = {m.user.username: m for m in team_overview(calls_lead, now=now)}
    explain_readiness(list(members.values()), now=now)
    assert members["handler.hal"].blocked_by[0].startswith("off shift until")
    assert sum(1 for m in members.values() if m.can_take_work) >= 3
    assert Shift.objects.filter(status=Shift.Status.OPEN).exists()
    assert Case.objects.filter(status=Status.NEW).exists()  # work waits for nurses


def test_seed_demo_results_come_before_their_cases(seeded):
    """A case comes in once its result is out: a third of the demo's were results
    dated after the case arrived (My work said "Result 6 Dec" for a case due since
    the 5th), which the API refuses from a real lab."""
    from django.utils import timezone

    cases = Case.objects.filter(source=Case.Source.DEMO)
    assert cases.exists()
    for case in cases:
        assert case.result_date <= timezone.localdate(case.created_at), case


def test_after_the_seed_a_supervisors_dashboard_shows_the_capacity_forecast(
    seeded, client
):
    """`make run` seeds, then starts the web server: the beat's first forecast is
    minutes away, so the seed makes it."""
    seed()  # each test starts with no forecast cached (tests/conftest.py)
    client.force_login(get_user_model().objects.get(username="sup.clinical"))
    page = client.get(reverse("staffing:dashboard"))
    assert 'id="capacity-summary"' in page.text
    assert "is not ready yet" not in page.text
