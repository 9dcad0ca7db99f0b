"""A case under a legal hold is kept whole, with the people it named: none of them is
erased on request, pseudonymised, or loses their audit trail while the hold is on.
A record still kept (open work) keeps its audit trail too, and the trail holds no
postcode a person gave online (pseudonymisation cuts theirs to the district)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.workitem import Status
from contacts.models import Contact, Exposure
from people.models import Message, Person, PersonChange
from retention.errors import RetentionRefused
from retention.models import Erasure
from retention.pseudonymise import NAME
from retention.services import (
    legal_hold_lift,
    legal_hold_place,
    person_erase,
    person_erasure_plan,
    retention_run,
)
from tests import factories as f
from work.online import online_contact_answer, online_contact_tell

from .builders import (
    AUDIT_DAYS,
    CLOSED,
    DAY,
    PSEUDONYMISE_DAYS,
    completed_case,
    reached_contact,
    reaching_call,
)

pytestmark = pytest.mark.django_db

PSEUDONYMISE_DUE = CLOSED + dt.timedelta(days=PSEUDONYMISE_DAYS)
AUDIT_DUE = CLOSED + dt.timedelta(days=AUDIT_DAYS)


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


def held_case(admin):
    """Case A of P, closed, naming X1 and X2, and X3 (another case's contact, named
    by A too); then a hold on P. Returns A and the three contacts."""
    case = completed_case()
    x1 = reached_contact(case=case, person=f.PersonFactory(first_name="Xavier"))
    x2 = reached_contact(case=case, person=f.PersonFactory(first_name="Xena"))
    x3 = reached_contact(person=f.PersonFactory(first_name="Xander"))
    Exposure.objects.create(
        contact=x3,
        case=case,
        exposure_date=x3.exposure_date,
        exposure=x3.exposure,
        created_at=CLOSED - DAY,
    )
    legal_hold_place(person=case.person, reason="Inquest", by=admin)
    return case, x1, x2, x3


def event(at: dt.datetime, person) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at,
        action=AuditEvent.Action.VIEW,
        person=person,
        object_type="people.person",
        object_id=str(person.pk),
    )


# --- erasure on request --------------------------------------------------------------


def test_a_contact_of_a_held_case_is_not_erased(clock, admin):
    """Before, the plan was allowed and X2's contact row was deleted from the held
    case."""
    case, _, x2, _ = held_case(admin)

    plan = person_erasure_plan(person=x2.person)
    with pytest.raises(RetentionRefused, match="legal hold named them"):
        person_erase(person=x2.person, by=admin, reason=Erasure.Reason.OBJECTION)

    assert not plan.allowed
    assert plan.refusals == [
        f"A case under a legal hold named them as a contact (case {case.pk}): a "
        "held case is kept whole, with the people it named. Lift that hold first "
        "if it no longer applies."
    ]
    assert Contact.objects.filter(pk=x2.pk, case=case).exists()


def test_a_person_a_held_case_named_again_is_not_erased(clock, admin):
    case, _, _, x3 = held_case(admin)

    plan = person_erasure_plan(person=x3.person)

    assert not plan.allowed
    assert any(f"(case {case.pk})" in refusal for refusal in plan.refusals)
    assert Exposure.objects.filter(contact=x3, case=case).exists()


def test_a_contact_of_a_case_whose_hold_is_lifted_may_be_erased(clock, admin):
    case, _, x2, _ = held_case(admin)
    legal_hold_lift(hold=case.person.legal_holds.get(), by=admin, reason="Closed")

    person_erase(person=x2.person, by=admin, reason=Erasure.Reason.OBJECTION)

    assert not Contact.objects.filter(pk=x2.pk).exists()


# --- pseudonymisation ----------------------------------------------------------------


def test_the_people_a_held_case_named_are_not_pseudonymised(clock, admin):
    """Before, X1 became "Pseudonymised" (phone hashed, call notes blanked) and the
    held case listed a pseudonymised contact."""
    _, x1, _, x3 = held_case(admin)
    phone = str(x1.person.phone)
    call = reaching_call(x1)
    unrelated = reached_contact(person=f.PersonFactory(first_name="Una"))
    clock.move_to(PSEUDONYMISE_DUE + DAY)

    retention_run()

    x1_person = Person.objects.get(pk=x1.person_id)
    assert (x1_person.first_name, str(x1_person.phone)) == ("Xavier", phone)
    call.refresh_from_db()
    assert call.notes == "Spoke to them at home; lives with their sister"
    assert call.phone == phone
    assert Person.objects.get(pk=x3.person_id).first_name == "Xander"
    # The run did pseudonymise someone the hold has nothing to do with.
    assert Person.objects.get(pk=unrelated.person_id).first_name == NAME


def test_the_people_a_held_case_named_are_pseudonymised_once_it_is_lifted(clock, admin):
    case, x1, _, _ = held_case(admin)
    clock.move_to(PSEUDONYMISE_DUE + DAY)
    retention_run()
    legal_hold_lift(hold=case.person.legal_holds.get(), by=admin, reason="Closed")

    retention_run()

    assert Person.objects.get(pk=x1.person_id).first_name == NAME


# --- the audit purge -----------------------------------------------------------------


def test_the_audit_trail_of_the_people_a_held_case_named_is_kept(clock, admin):
    _, x1, _, x3 = held_case(admin)
    theirs = [event(CLOSED, x1.person), event(CLOSED, x3.person)]
    unrelated = event(CLOSED, reached_contact().person)
    clock.move_to(AUDIT_DUE + DAY)

    retention_run()

    assert AuditEvent.objects.filter(pk__in=[e.pk for e in theirs]).count() == 2
    assert not AuditEvent.objects.filter(pk=unrelated.pk).exists()


def test_the_audit_trail_of_open_work_is_kept(clock):
    """Before, a run 11 years on deleted every event by its own date, those of cases
    and contacts still open too."""
    open_case = f.CaseFactory(status=Status.NEW)
    open_contact = f.ContactFactory(case=completed_case())
    kept = [event(CLOSED, open_case.person), event(CLOSED, open_contact.person)]
    closed = event(CLOSED, reached_contact().person)
    clock.move_to(CLOSED + dt.timedelta(days=11 * 365))

    retention_run()

    assert AuditEvent.objects.filter(pk__in=[e.pk for e in kept]).count() == 2
    assert not AuditEvent.objects.filter(pk=closed.pk).exists()


# --- a postcode given online ---------------------------------------------------------


def test_the_audit_trail_keeps_no_postcode_given_online(clock):
    """Before, the answer's audit event kept both full postcodes ("S1 2HE" and
    "S10 2TN") for ten years, after pseudonymisation had cut the person's to the
    district."""
    contact = f.ContactFactory(
        case=completed_case(), person=f.PersonFactory(postcode="S1 2HE")
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    online_contact_answer(link=link, will_isolate=True, postcode="S10 2TN")
    change = PersonChange.objects.get(person=contact.person, field="postcode")
    answered = AuditEvent.objects.filter(
        object_type="contacts.contact", object_id=str(contact.pk)
    ).latest("pk")
    Message.objects.filter(person=contact.person).update(
        status=Message.Status.DELIVERED
    )
    clock.move_to(PSEUDONYMISE_DUE + DAY)

    retention_run()

    person = Person.objects.get(pk=contact.person_id)
    assert (person.first_name, person.postcode) == (NAME, "S10")
    assert not PersonChange.objects.filter(person=person).exists()
    answered.refresh_from_db()
    assert answered.detail["postcode"] == {"changed": True, "person_change": change.pk}
    trail = [str(e.detail) for e in AuditEvent.objects.filter(person=person)]
    assert not [d for d in trail if "2TN" in d or "2HE" in d]


def test_a_postcode_given_online_as_held_is_audited_as_unchanged(clock):
    contact = f.ContactFactory(
        case=completed_case(), person=f.PersonFactory(postcode="S1 2HE")
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None

    online_contact_answer(link=link, will_isolate=True, postcode="s1 2he")

    answered = AuditEvent.objects.filter(
        object_type="contacts.contact", object_id=str(contact.pk)
    ).latest("pk")
    assert answered.detail["postcode"] == {"changed": False}
