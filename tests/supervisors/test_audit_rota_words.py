"""The audit trail words the rota (a slot published, booked, given back, cancelled,
cut short), a new starter's call reviewed, a training module created or made
required, and a contact taking their person's new area (after a new result or a
merge), with names and UK times: before, /staff/audit/ said only "Changed shift
108", "Created training module 4", "Changed call review 5: reviewed", "Changed
contact 12"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails
from staffing.models import CallReview, Tier, TrainingModule
from staffing.services import (
    SlotPlan,
    call_review_record,
    shift_assign,
    shift_book,
    shift_cancel,
    shift_release_own,
    shifts_publish,
    training_module_save,
)
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import LEEDS, SHEFFIELD
from work.calls import call_record
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.merge import person_merge

from .conftest import NOW, at, member
from .test_audit_staff_changes import (
    national_supervisor,
    on_staff_audit,
    on_who_has_seen,
)

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
BORN = dt.date(1979, 3, 2)


@pytest.fixture(autouse=True)
def ons_areas(db):
    ensure_ons_areas()


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser(
        "admin", "a@example.org", "x", first_name="Ann", last_name="Admin"
    )


@pytest.fixture
def gus(calls_team):
    return member(
        calls_team, on_shift=False, user__first_name="Gus", user__last_name="Hill"
    )


def trail_of(client, admin, shift_id: int) -> list[str]:
    return on_staff_audit(
        client, admin, object_type="staffing.shift", object_id=str(shift_id)
    )


# --- the rota -----------------------------------------------------------------------


def test_a_slot_published_booked_and_given_back_reads_in_uk_time(
    clock, client, admin, calls_lead, calls_team, gus
):
    # Monday 15 June 2026: British Summer Time, 08:00 there is 07:00 UTC.
    june = dt.date(2026, 6, 15)
    plan = SlotPlan(june, june, frozenset({0}), dt.time(8), dt.time(16), count=1)
    (slot,) = shifts_publish(
        team=calls_team, plan=plan, by=calls_lead.user, reason="Forecast gap"
    )
    clock.shift(HOUR)
    shift_book(shift_id=slot.pk, profile=gus)
    clock.shift(HOUR)
    shift_release_own(shift=slot, profile=gus)

    window = f"Mon 15 Jun 08:00-16:00 (shift {slot.pk})"
    assert trail_of(client, admin, slot.pk) == [
        f"Gave back Gus Hill's shift of {window}: the slot is open again",
        f"Booked {window} for Gus Hill",
        f"Published the open slot {window} for team Calls North: Forecast gap",
    ]
    # The search is the administrators': a supervisor may not open it.
    client.force_login(calls_lead.user)
    assert client.get(reverse("staffing:audit_search")).status_code == 403


def test_a_slot_taken_meanwhile_reads_which_one_was_booked_instead(
    clock, client, admin, calls_lead, calls_team, gus
):
    day = dt.date(2026, 1, 19)
    plan = SlotPlan(day, day, frozenset({0}), dt.time(8), dt.time(16), count=2)
    first, second = shifts_publish(team=calls_team, plan=plan, by=calls_lead.user)
    shift_book(shift_id=first.pk, profile=member(calls_team, on_shift=False))

    shift_book(shift_id=first.pk, profile=gus)

    assert trail_of(client, admin, second.pk)[0] == (
        f"Booked Mon 19 Jan 08:00-16:00 (shift {second.pk}) for Gus Hill "
        f"(shift {first.pk}, the slot asked for, had just been taken)"
    )


def test_a_shift_cut_short_reads_its_hours_and_the_rest_cancelled(
    clock, client, admin, calls_lead, gus
):
    under_way = shift_assign(
        profile=gus,
        starts_at=NOW - 2 * HOUR,
        ends_at=NOW + 6 * HOUR,
        by=calls_lead.user,
    )
    clock.shift(HOUR)
    rest = shift_cancel(shift=under_way, by=calls_lead.user, reason="Off sick")

    assert trail_of(client, admin, under_way.pk) == [
        f"Ended Gus Hill's shift of Wed 14 Jan 08:00-16:00 (shift {under_way.pk}) "
        "early at 11:00: Off sick",
        f"Booked Wed 14 Jan 08:00-16:00 (shift {under_way.pk}) for Gus Hill",
    ]
    assert trail_of(client, admin, rest.pk) == [
        f"Cancelled the rest of Gus Hill's shift {under_way.pk}, Wed 14 Jan "
        f"11:00-16:00 (shift {rest.pk}): Off sick"
    ]


def test_a_shift_cancelled_and_a_slot_withdrawn_read_with_the_reason(
    clock, client, admin, calls_lead, calls_team, gus
):
    tomorrow = NOW.date() + dt.timedelta(days=1)
    booked = shift_assign(
        profile=gus,
        starts_at=at(tomorrow, 8),
        ends_at=at(tomorrow, 16),
        by=calls_lead.user,
    )
    plan = SlotPlan(
        tomorrow, tomorrow, frozenset({tomorrow.weekday()}), dt.time(9), dt.time(17), 1
    )
    (slot,) = shifts_publish(team=calls_team, plan=plan, by=calls_lead.user)
    clock.shift(HOUR)
    shift_cancel(shift=booked, by=calls_lead.user, reason="Training day")
    shift_cancel(shift=slot, by=calls_lead.user, reason="Not needed")

    assert trail_of(client, admin, booked.pk)[0] == (
        f"Cancelled Gus Hill's shift of Thu 15 Jan 08:00-16:00 (shift {booked.pk}): "
        "Training day"
    )
    assert trail_of(client, admin, slot.pk)[0] == (
        f"Withdrew the open slot Thu 15 Jan 09:00-17:00 (shift {slot.pk}): Not needed"
    )


# --- a new starter's call reviewed ----------------------------------------------------


def test_a_new_starters_call_reviewed_names_them_the_call_and_the_verdict(
    clock, client, admin, calls_lead, calls_team
):
    fay = member(
        calls_team, new_starter=True, user__first_name="Fay", user__last_name="Lee"
    )
    contact = f.ContactFactory(
        case__status=Status.COMPLETED,
        status=Status.ASSIGNED,
        assignee=fay.user,
        assigned_at=NOW,
    )
    call_record(
        item=contact,
        caller=fay.user,
        outcome=Outcome.NO_ANSWER,
        duration_seconds=60,
        now=NOW + 5 * dt.timedelta(minutes=1),
    )
    review = CallReview.objects.get()
    clock.shift(HOUR)

    call_review_record(
        review=review,
        verdict=CallReview.Verdict.NEEDS_SUPPORT,
        note="Read the isolation date twice",
        by=calls_lead.user,
    )

    assert on_staff_audit(
        client, admin, object_type="staffing.callreview", object_id=str(review.pk)
    ) == ["Reviewed Fay Lee's call of Wed 14 Jan 10:05: Needs support"]


# --- a training module ----------------------------------------------------------------


def test_a_training_module_created_then_made_required_reads_by_name_and_tier(
    clock, client, admin
):
    module = TrainingModule(
        name="Vaccine status script", tier=Tier.CALL_HANDLER, required=False
    )
    training_module_save(module=module, by=admin)
    clock.shift(HOUR)
    module.required = True
    training_module_save(module=module, by=admin)
    clock.shift(HOUR)
    module.name = "Vaccine status script (2026)"
    training_module_save(module=module, by=admin)

    assert on_staff_audit(
        client, admin, object_type="staffing.trainingmodule", object_id=str(module.pk)
    ) == [
        "Renamed the training module “Vaccine status script” to “Vaccine status "
        "script (2026)”",
        "Made the training module “Vaccine status script” required for tier 3 "
        "(call handler)",
        "Created the training module “Vaccine status script”, optional for tier 3 "
        "(call handler)",
    ]


# --- a contact taking their person's new area -----------------------------------------


def sheffield_person(**kwargs) -> Person:
    return f.PersonFactory(
        first_name="Frances",
        last_name="Cole",
        date_of_birth=BORN,
        postcode="S1 2HH",
        area=f.area(SHEFFIELD),
        **kwargs,
    )


def test_a_contact_moved_by_a_new_result_reads_both_areas_and_why(clock, client, admin):
    person = sheffield_person(nhs_number="9434765919")
    contact = f.ContactFactory(person=person, area=person.area)

    case_intake(
        result=LabResult(
            lab_reference="LAB-LEEDS-1",
            person=PersonDetails(
                first_name=person.first_name,
                last_name=person.last_name,
                date_of_birth=person.date_of_birth,
                nhs_number=person.nhs_number,
                phone=str(person.phone),
                postcode="LS6 3QE",
            ),
            specimen_date=timezone.localdate() - dt.timedelta(days=2),
            result_date=timezone.localdate() - dt.timedelta(days=1),
        )
    )

    moved = (
        f"Moved contact {contact.pk} from area {f.area(SHEFFIELD).name} to area "
        f"{f.area(LEEDS).name} (their new result's postcode)"
    )
    assert moved in on_staff_audit(client, admin, person=str(person.pk))
    # A national supervisor reads it on the person's trail too.
    assert moved in on_who_has_seen(client, national_supervisor(), person.pk)


def test_a_merge_reads_the_contacts_it_moved_to_the_survivors_area(
    clock, client, admin, lead
):
    frances = sheffield_person()
    francis = f.PersonFactory(
        first_name="Francis",
        last_name="Cole",
        date_of_birth=BORN,
        postcode="LS6 3QE",
        area=f.area(LEEDS),
    )
    contact = f.ContactFactory(person=frances, area=frances.area)
    a, b = sorted((frances.pk, francis.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )

    person_merge(
        pair=pair,
        survivor=frances,
        fields={"postcode": "a" if francis.pk == a else "b"},
        by=lead.user,
    )

    merged = (
        f"Changed person {frances.pk}: record {francis.pk} merged into it, its "
        f"postcode kept, contact {contact.pk} moved from area "
        f"{f.area(SHEFFIELD).name} to area {f.area(LEEDS).name}"
    )
    assert merged in on_staff_audit(client, admin, person=str(frances.pk))
    assert merged in on_who_has_seen(client, national_supervisor(), frances.pk)
    # A local team's supervisor may not read the person's trail.
    local = f.StaffProfileFactory(
        local=True,
        is_supervisor=True,
        local_team=f.area(LEEDS).local_team,
        user__username="local.leeds",
    )
    client.force_login(local.user)
    page = client.get(reverse("staffing:person_audit", args=[frances.pk]))
    assert page.status_code == 403
