"""A lab retries a result exactly as it first sent it (a request that timed out, a
file uploaded again) after the person's details were updated since: by a later
result, or by a local team sending back a corrected mobile.

The retry is the same result, and nothing in it is new: it must not put the old
phone, address or postcode back over the newer one (texts and calls would go to the
old, possibly someone else's, number). Only details that differ from what the lab
sent the first time are a correction. A case made before what was first sent was
kept (its create event holds no record of the contact details) takes nothing from a
result sent again.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from people.services import PersonDetails
from work.intake import TestResult, case_intake_many, case_intake_one

pytestmark = pytest.mark.django_db

OLD = "07911 123450"
NEW = "07911 123456"


def result(ref, *, days_ago, **person) -> TestResult:
    today = timezone.localdate()
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Nell",
            last_name="Corrected",
            date_of_birth=dt.date(1940, 1, 2),
            postcode=person.pop("postcode", "S1 1AA"),
            **person,
        ),
        specimen_date=today - dt.timedelta(days=days_ago),
        result_date=today - dt.timedelta(days=days_ago - 1),
    )


def test_a_retry_of_an_old_result_does_not_bring_back_an_old_phone(clock):
    first = case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD))
    # A later result (same episode: a further result) with the person's new number.
    later = case_intake_one(result=result("LAB-2", days_ago=2, phone=NEW))
    assert later.case.pk == first.case.pk
    person = Case.objects.get(pk=first.case.pk).person
    assert str(person.phone) == "+447911123456"

    # The first lab retries its result exactly as it sent it (a timeout, a re-sent
    # file): nothing new in it.
    again = case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD))
    assert again.created is False

    person.refresh_from_db()
    assert str(person.phone) == "+447911123456"


def test_a_retry_in_a_batch_does_not_bring_back_an_old_address(clock):
    case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD, address="1 Old Road"))
    case_intake_one(result=result("LAB-2", days_ago=2, phone=OLD, address="2 New Road"))
    case_intake_many(
        results=[result("LAB-1", days_ago=3, phone=OLD, address="1 Old Road")]
    )
    person = Case.objects.get(lab_reference="LAB-1").person
    assert person.address == "2 New Road"


def test_a_retry_of_a_further_result_does_not_bring_back_its_old_postcode(clock):
    case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD))
    case_intake_one(result=result("LAB-2", days_ago=2, phone=OLD, postcode="S1 2AA"))
    case_intake_one(result=result("LAB-3", days_ago=1, phone=OLD, postcode="S1 3AA"))
    person = Case.objects.get(lab_reference="LAB-1").person
    assert person.postcode == "S1 3AA"

    # The second lab's retry of its (further) result, written otherwise but the same.
    case_intake_many(
        results=[result("LAB-2", days_ago=2, phone="+447911123450", postcode="s12aa")]
    )
    person.refresh_from_db()
    assert person.postcode == "S1 3AA"


def test_a_result_and_its_retry_in_one_batch_after_a_newer_one_change_nothing(clock):
    case_intake_many(
        results=[
            result("LAB-1", days_ago=3, phone=OLD),
            result("LAB-2", days_ago=2, phone=NEW),
            result("LAB-1", days_ago=3, phone=OLD),
        ]
    )
    person = Case.objects.get(lab_reference="LAB-1").person
    assert str(person.phone) == "+447911123456"


def test_a_correction_after_a_newer_result_is_still_taken(clock):
    case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD, address="1 Road"))
    case_intake_one(result=result("LAB-2", days_ago=2, phone=OLD, address="2 Road"))
    # The first lab corrects its phone: the phone is taken, its address (as first
    # sent) is not.
    case_intake_one(result=result("LAB-1", days_ago=3, phone=NEW, address="1 Road"))
    person = Case.objects.get(lab_reference="LAB-1").person
    assert str(person.phone) == "+447911123456"
    assert person.address == "2 Road"


def test_a_case_made_before_first_sendings_were_kept_takes_nothing(clock):
    from tests import factories as f
    from work import intake

    sent = result("LAB-1", days_ago=3, phone=OLD)
    case = f.CaseFactory(
        lab_reference="LAB-1",
        specimen_date=sent.specimen_date,
        result_date=sent.result_date,
        person=f.PersonFactory(
            first_name="Nell",
            last_name="Corrected",
            date_of_birth=dt.date(1940, 1, 2),
            phone="+447911123450",
        ),
    )
    # Its create event as it was written then: the compared fields only.
    f.AuditEventFactory(
        action=AuditEvent.Action.CREATE,
        object_type="cases.case",
        object_id=str(case.pk),
        detail={"source": "api", "received": intake._digests(intake._received(sent))},
    )

    again = case_intake_one(result=result("LAB-1", days_ago=3, phone=NEW))

    assert again.created is False
    case.person.refresh_from_db()
    assert str(case.person.phone) == "+447911123450"


@pytest.fixture
def sheffield_member(db):
    from tests import factories as f

    return f.StaffProfileFactory(
        local=True, local_team=f.area().local_team, user__username="sheffield_member"
    ).user


def test_a_retry_does_not_undo_a_local_teams_corrected_number(clock, sheffield_member):
    from escalations.models import Escalation
    from work.escalation import escalation_claim, escalation_return, item_escalate

    first = case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD))
    person = first.case.person
    person.phone_alt = "0114 496 0000"  # a landline on file
    person.save(update_fields=["phone_alt"])
    escalation = item_escalate(
        item=Case.objects.get(pk=first.case.pk),
        reason=Escalation.Reason.WRONG_NUMBER,
        detail="Wrong number",
    )
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_return(
        escalation=escalation,
        note="GP record has the right mobile",
        by=sheffield_member,
        new_phone=NEW,
    )
    person.refresh_from_db()
    assert str(person.phone) == "+447911123456"

    # The lab's retry of its original result, as it was first sent.
    case_intake_one(result=result("LAB-1", days_ago=3, phone=OLD))

    person.refresh_from_db()
    assert str(person.phone) == "+447911123456"
