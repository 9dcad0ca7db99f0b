"""Someone with no number to call has their items due to their local team at once
(or, sent a link by email, when their wait for an answer ends). Three more ways
their record gains a number now send their other items still waiting for it back
to the phones, as a naming or a result bringing one does
(work.casework.items_back_to_the_phones): a phone they give in a contact's answer
online, a new number a local team sends an item back with, and a merge into (or
with) a record that has one. Before, only the item in hand was the phones' again:
the rest went to the local team at the old deadline, and nobody rang the number.

A merge sends back only the items of the record that had no number: the other
record's keep their deadlines. Its undo puts the deadlines from before back.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status, WorkItem
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person, PossibleDuplicate
from tests import factories as f
from work.assignment import assign_work
from work.escalation import (
    escalate_unreached,
    escalation_claim,
    escalation_return,
    item_escalate,
)
from work.merge import person_merge, person_merge_undo
from work.online import online_contact_answer, online_contact_tell
from work.rules import CallRule

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
CONTACT_WAIT = dt.timedelta(hours=8)  # ONLINE_CONTACT_HOURS
PHONE = "07911 123402"


@pytest.fixture(autouse=True)
def _online_waits(settings):
    settings.TRACING_ONLINE_CASE_HOURS = 4
    settings.TRACING_ONLINE_CONTACT_HOURS = 8


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def sheffield_member(db):
    return f.StaffProfileFactory(
        local=True, local_team=f.area().local_team, user__username="sheffield_member"
    ).user


def noah(**fields) -> Person:
    """Noah, in Sheffield, with an email address and no number to call."""
    fields.setdefault("phone", "")
    return f.PersonFactory(
        first_name="Noah",
        last_name="Nonumber",
        phone_alt="",
        email="noah@example.org",
        **fields,
    )


def due_to_their_local_team(item: WorkItem) -> WorkItem:
    """As intake or a naming leaves an item of someone with no number: due to their
    local team now (the sweep's next run takes it)."""
    now = timezone.now()
    type(item).objects.filter(pk=item.pk).update(
        escalate_due_at=now, next_attempt_at=now
    )
    return fresh(item)


def fresh(item):
    item.refresh_from_db()
    return item


def phones_deadline(item: WorkItem, now: dt.datetime) -> dt.datetime:
    return CallRule.for_kind(item.kind).escalate_due_at(now)


def told_by_email(person: Person) -> tuple[Contact, object]:
    """A contact of another case, told by email with a link, waiting for their
    answer (and due to their local team when the wait ends)."""
    contact = f.ContactFactory(person=person)
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    contact = fresh(contact)
    assert contact.escalate_due_at == timezone.now() + CONTACT_WAIT
    return contact, link


# --- a phone given in a contact's answer online ------------------------------------


def test_a_phone_given_online_sends_their_own_case_to_a_caseworker(clock, caseworker):
    person = noah()
    case = due_to_their_local_team(f.CaseFactory(person=person))
    _contact, link = told_by_email(person)
    clock.shift(MINUTE)
    now = timezone.now()

    online_contact_answer(link=link, will_isolate=True, phone=PHONE)

    case = fresh(case)
    assert case.escalate_due_at == phones_deadline(case, now)
    assert case.next_attempt_at == now
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    case = fresh(case)
    assert case.status == Status.ASSIGNED
    assert case.assignee == caseworker
    event = AuditEvent.objects.get(
        object_type="cases.case", object_id=str(case.pk), detail__phone="added"
    )
    assert event.detail["source"] == "online"


def test_the_contact_who_will_isolate_is_still_reached_online(clock):
    person = noah()
    f.CaseFactory(person=person)
    contact, link = told_by_email(person)
    clock.shift(MINUTE)
    now = timezone.now()

    online_contact_answer(link=link, will_isolate=True, phone=PHONE)

    contact = fresh(contact)
    assert contact.status == Status.REACHED
    assert contact.reached_at == now
    assert contact.escalate_due_at is None
    assert contact.next_attempt_at is None


def test_the_contact_asking_for_help_still_goes_to_their_local_team(clock, caseworker):
    person = noah()
    case = due_to_their_local_team(f.CaseFactory(person=person))
    contact, link = told_by_email(person)
    clock.shift(MINUTE)
    now = timezone.now()

    online_contact_answer(link=link, will_isolate=True, support=["food"], phone=PHONE)

    contact = fresh(contact)
    assert contact.status == Status.ESCALATED
    assert Escalation.objects.get(contact=contact).reason == Escalation.Reason.SUPPORT
    assert fresh(case).escalate_due_at == phones_deadline(case, now)


def test_the_contact_asking_to_be_phoned_is_phoned_now_with_their_case(
    clock, caseworker
):
    person = noah()
    case = due_to_their_local_team(f.CaseFactory(person=person))
    contact, link = told_by_email(person)
    clock.shift(dt.timedelta(hours=1))
    now = timezone.now()

    online_contact_answer(link=link, will_isolate=False, phone=PHONE)

    contact = fresh(contact)
    # As before: the call rule's time to reach them, and a call due now, not when
    # the wait for their answer would have ended.
    assert contact.escalate_due_at == phones_deadline(contact, now)
    assert contact.next_attempt_at == now
    # The change of deadline is written once, from the one their wait gave.
    moved = AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__source="online",
    ).get()
    told_at = now - dt.timedelta(hours=1)
    assert moved.detail["was_due_at"] == (told_at + CONTACT_WAIT).isoformat()
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    # Their caseworker speaks to them, as a case, and the contact waits with it.
    assert fresh(case).assignee == caseworker
    assert fresh(contact).status == Status.NEW


def test_a_case_that_always_had_a_number_keeps_its_deadline(clock):
    person = noah(phone="")
    Person.objects.filter(pk=person.pk).update(phone_alt="+447400111888")
    person = fresh(person)
    case = f.CaseFactory(person=person)
    due = case.escalate_due_at
    contact = f.ContactFactory(person=person)
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    clock.shift(dt.timedelta(hours=2))

    online_contact_answer(link=link, will_isolate=True, phone=PHONE)

    assert fresh(case).escalate_due_at == due


# --- a new number from the local team ----------------------------------------------


def test_sent_back_with_a_new_number_their_other_items_go_to_the_phones(
    clock, caseworker, sheffield_member
):
    person = noah()
    escalation = item_escalate(
        item=f.ContactFactory(person=person),
        reason=Escalation.Reason.WRONG_NUMBER,
        detail="No number to call",
    )
    escalation_claim(escalation=escalation, by=sheffield_member)
    case = due_to_their_local_team(f.CaseFactory(person=person))
    clock.shift(MINUTE)
    now = timezone.now()

    escalation_return(
        escalation=escalation,
        note="Found a number on the GP record",
        by=sheffield_member,
        new_phone=PHONE,
    )

    case = fresh(case)
    assert case.escalate_due_at == phones_deadline(case, now)
    assert case.next_attempt_at == now
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    case = fresh(case)
    assert case.status == Status.ASSIGNED
    assert case.assignee == caseworker


def test_the_item_sent_back_is_returned_once(clock, sheffield_member):
    person = noah()
    case = f.CaseFactory(person=person)
    escalation = item_escalate(
        item=case, reason=Escalation.Reason.WRONG_NUMBER, detail="No number to call"
    )
    escalation_claim(escalation=escalation, by=sheffield_member)
    clock.shift(MINUTE)
    now = timezone.now()

    escalation_return(
        escalation=escalation,
        note="Found a number",
        by=sheffield_member,
        new_phone=PHONE,
    )

    case = fresh(case)
    assert case.status == Status.NEW
    assert case.escalate_due_at == phones_deadline(case, now)
    assert case.next_attempt_at == now
    assert not AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk), detail__source="local team"
    ).exists()


def test_sent_back_with_another_number_their_other_items_keep_their_deadlines(
    clock, sheffield_member
):
    person = noah(phone="+447400111777")
    escalation = item_escalate(
        item=f.CaseFactory(person=person),
        reason=Escalation.Reason.WRONG_NUMBER,
        detail="Wrong number",
    )
    escalation_claim(escalation=escalation, by=sheffield_member)
    contact = f.ContactFactory(person=person)
    due = contact.escalate_due_at
    clock.shift(dt.timedelta(hours=2))

    escalation_return(
        escalation=escalation, note="A new number", by=sheffield_member, new_phone=PHONE
    )

    assert fresh(contact).escalate_due_at == due


# --- a merge -------------------------------------------------------------------------


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.7,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


def with_a_number() -> Person:
    return f.PersonFactory(
        first_name="Noah",
        last_name="Nonumber",
        phone="+447400111777",
        phone_alt="",
        email="",
    )


def test_merged_into_a_record_with_a_number_their_case_is_phoned(
    clock, admin, caseworker
):
    survivor = with_a_number()
    own = f.ContactFactory(person=survivor)
    survivor_due = own.escalate_due_at
    merged = noah()
    case = due_to_their_local_team(f.CaseFactory(person=merged))
    clock.shift(dt.timedelta(hours=2))
    now = timezone.now()

    person_merge(pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=admin)

    case = fresh(case)
    assert case.person_id == survivor.pk
    assert case.escalate_due_at == phones_deadline(case, now)
    assert case.next_attempt_at == now
    # The survivor's own contact always had a number: its deadline stands.
    assert fresh(own).escalate_due_at == survivor_due
    event = AuditEvent.objects.get(
        object_type="cases.case", object_id=str(case.pk), detail__phone="added"
    )
    assert event.detail["source"] == "merge"
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    case = fresh(case)
    assert case.status == Status.ASSIGNED
    assert case.assignee == caseworker


def test_a_survivor_given_the_other_records_number_has_its_case_phoned(
    clock, admin, caseworker
):
    survivor = noah()
    case = due_to_their_local_team(f.CaseFactory(person=survivor))
    merged = with_a_number()
    theirs = f.ContactFactory(person=merged)
    theirs_due = theirs.escalate_due_at
    clock.shift(dt.timedelta(hours=2))
    now = timezone.now()
    pair = pair_of(survivor, merged)

    person_merge(
        pair=pair, survivor=survivor, fields={"phone": side_of(pair, merged)}, by=admin
    )

    case = fresh(case)
    assert case.escalate_due_at == phones_deadline(case, now)
    assert fresh(theirs).escalate_due_at == theirs_due
    escalate_unreached(now=now + MINUTE)
    assign_work(now=now + MINUTE)
    assert fresh(case).assignee == caseworker


def test_a_survivor_keeping_the_other_number_as_its_other_phone_is_phoned(clock, admin):
    survivor = noah()
    case = due_to_their_local_team(f.CaseFactory(person=survivor))
    merged = with_a_number()
    clock.shift(MINUTE)
    now = timezone.now()

    person_merge(pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=admin)

    assert str(fresh(survivor).phone_alt) == "+447400111777"
    assert fresh(case).escalate_due_at == phones_deadline(case, now)


def test_a_merge_leaving_no_number_leaves_the_deadlines(clock, admin):
    survivor = noah()
    case = due_to_their_local_team(f.CaseFactory(person=survivor))
    merged = noah()
    contact = due_to_their_local_team(f.ContactFactory(person=merged))
    due = timezone.now()
    clock.shift(MINUTE)

    person_merge(pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=admin)

    assert fresh(case).escalate_due_at == due
    assert fresh(contact).escalate_due_at == due
    assert not AuditEvent.objects.filter(detail__source="merge").exists()


def test_undoing_the_merge_puts_the_deadlines_back(clock, admin):
    survivor = with_a_number()
    merged = noah()
    contact, _ = told_by_email(merged)
    was_due, was_next = contact.escalate_due_at, contact.next_attempt_at
    clock.shift(MINUTE)
    merge = person_merge(
        pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=admin
    )
    assert fresh(contact).escalate_due_at != was_due
    clock.shift(MINUTE)

    person_merge_undo(merge=merge, by=admin)

    contact = fresh(contact)
    assert contact.person_id == merged.pk
    assert contact.escalate_due_at == was_due
    assert contact.next_attempt_at == was_next
    # Their local team's when their wait for an answer ends, as before the merge.
    escalate_unreached(now=was_due - MINUTE)
    assert fresh(contact).status == Status.NEW
    escalate_unreached(now=was_due + MINUTE)
    assert fresh(contact).status == Status.ESCALATED


def test_undoing_the_merge_leaves_an_item_reached_since(clock, admin):
    survivor = with_a_number()
    merged = noah()
    case = due_to_their_local_team(f.CaseFactory(person=merged))
    clock.shift(MINUTE)
    merge = person_merge(
        pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=admin
    )
    Case.objects.filter(pk=case.pk).update(
        status=Status.REACHED,
        reached_at=timezone.now(),
        escalate_due_at=None,
        next_attempt_at=None,
    )

    person_merge_undo(merge=merge, by=admin)

    case = fresh(case)
    assert case.status == Status.REACHED
    assert case.escalate_due_at is None
