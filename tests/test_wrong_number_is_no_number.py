"""A number a call logged "Wrong number" on is no number to call, in every query
as in Python.

d7d9389 made work.rules.has_number_to_call treat a number a stranger answered
(Person.wrong_numbers) as no number, but the queries kept "no number" as "phone
and other phone empty" (work.rules.no_number_to_call_q, and the sweep's own
statement, work.escalation_sql). So, for someone whose only number a stranger
answered:

- named as a contact again with the same number, the item was due to their local
  team at once, and the sweep handed it over minutes later as "Not reached within
  24 hours: never called", reason "Not reached" (counted in the weekly figures as
  not reached after calls), while the same item escalated alone said "Wrong or
  missing number";
- a merge with a record that had a number sent their items to the phones, and its
  undo left them the phones' deadline: a caller given someone with nothing to
  dial, their local team a day late;
- the call panel told the caller their record had no phone while the page showed
  the phone.

Now the queries ask what has_number_to_call asks, on PostgreSQL and SQLite, and
the words say the numbers on their record were answered by someone else.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from work import escalation
from work.calls import number_logged_wrong
from work.casework import ContactDetails, contact_add
from work.escalation import escalate_unreached, item_escalate_unreached
from work.merge import person_merge, person_merge_undo
from work.online import online_contact_tell
from work.rules import has_number_to_call, no_number_to_call_q

pytestmark = pytest.mark.django_db

MINUTE = dt.timedelta(minutes=1)
STRANGER = "+447911123450"
OTHER_STRANGER = "+447911123460"
THEIRS = "+447911123470"
# What a caller and a local team read of someone with no number at all, and what
# they read of someone whose numbers a stranger answered.
NO_PHONE = "no phone or other phone"
ANSWERED = "answered by someone else"


def stranger_only(first_name: str = "Bryn", phone: str = STRANGER, **fields) -> Person:
    """Someone whose numbers a call logged "Wrong number" on: a stranger answered
    each."""
    person = f.PersonFactory(
        first_name=first_name,
        last_name="Evans",
        date_of_birth=dt.date(1988, 6, 1),
        phone=phone,
        **{"phone_alt": "", "email": "", **fields},
    )
    for number in (person.phone, person.phone_alt):
        if number:
            number_logged_wrong(person, str(number), now=timezone.now())
    return person


def fresh(item):
    item.refresh_from_db()
    return item


# --- the query asks what has_number_to_call asks ---------------------------------


def test_the_query_finds_no_number_where_has_number_to_call_finds_none(clock):
    nothing = f.PersonFactory(phone="", phone_alt="")
    strangers = stranger_only()
    number_logged_wrong(strangers, OTHER_STRANGER, now=timezone.now())
    Person.objects.filter(pk=strangers.pk).update(phone_alt=OTHER_STRANGER)
    other_phone_only_wrong = stranger_only(phone="", phone_alt=STRANGER)
    # A number typed as it could not be read is kept as typed, and compared so.
    typed = stranger_only(phone="ring the neighbour")
    with_their_other_phone = stranger_only()
    Person.objects.filter(pk=with_their_other_phone.pk).update(phone_alt=THEIRS)
    with_their_phone = f.PersonFactory(phone=THEIRS, phone_alt="")
    number_logged_wrong(with_their_phone, STRANGER, now=timezone.now())
    someone = f.PersonFactory(phone=THEIRS, phone_alt=STRANGER)
    everyone = Person.objects.filter(
        pk__in=[
            p.pk
            for p in (
                nothing,
                strangers,
                other_phone_only_wrong,
                typed,
                with_their_other_phone,
                with_their_phone,
                someone,
            )
        ]
    )

    found = set(everyone.filter(no_number_to_call_q()).values_list("pk", flat=True))

    assert found == {p.pk for p in everyone if not has_number_to_call(p)}
    assert found == {nothing.pk, strangers.pk, other_phone_only_wrong.pk, typed.pk}
    # ... and through a relation, either way round.
    contacts = {
        person.pk: f.ContactFactory(person=person).pk
        for person in (strangers, with_their_other_phone)
    }
    assert set(
        Contact.objects.filter(no_number_to_call_q("person__")).values_list(
            "pk", flat=True
        )
    ) >= {contacts[strangers.pk]}
    assert set(
        Contact.objects.filter(pk__in=contacts.values())
        .exclude(no_number_to_call_q("person__"))
        .values_list("pk", flat=True)
    ) == {contacts[with_their_other_phone.pk]}


# --- the sweep -------------------------------------------------------------------


@pytest.fixture(params=["one statement", "row by row"])
def way(request, monkeypatch):
    """The sweep's batch as PostgreSQL writes it (one statement) and as SQLite, the
    embedded default, writes it (row by row)."""
    if request.param == "row by row":
        monkeypatch.setattr(escalation, "_batch_in_one_statement", lambda: False)
    return request.param


def named_again(person: Person, phone: str) -> Contact:
    """The person named as a contact of a new case, with the number on their
    record (as typed by the caseworker)."""
    contact = contact_add(
        case=f.CaseFactory(),
        details=ContactDetails(
            person=PersonDetails(
                first_name=person.first_name,
                last_name=person.last_name,
                date_of_birth=person.date_of_birth,
                postcode="S1 1AA",
                phone=phone,
            ),
            exposure_date=timezone.localdate() - dt.timedelta(days=1),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )
    assert contact.person_id == person.pk
    return contact


def test_the_sweep_words_it_as_the_single_escalation_does(clock, way):
    first = named_again(stranger_only(), "07911 123450")
    second = named_again(stranger_only("Nia", OTHER_STRANGER), "07911 123460")
    now = timezone.now()
    assert first.escalate_due_at == now  # no number to call: their team's at once

    alone = item_escalate_unreached(item=second, now=now)
    escalate_unreached(now=now)
    swept = Escalation.objects.get(contact=first)

    assert alone.reason == Escalation.Reason.WRONG_NUMBER
    assert swept.reason == alone.reason
    assert swept.detail == alone.detail, swept.detail
    said = swept.detail.splitlines()[0]
    assert ANSWERED in said
    assert NO_PHONE not in said


def test_the_sweep_does_not_say_a_day_passed_for_an_item_minutes_old(clock, way):
    contact = named_again(stranger_only(), "07911 123450")
    clock.shift(5 * MINUTE)  # the sweep's next run

    escalate_unreached(now=timezone.now())

    escalated = Escalation.objects.get(contact=contact)
    assert escalated.reason == Escalation.Reason.WRONG_NUMBER
    assert escalated.get_reason_display() == "Wrong or missing number"
    assert "Not reached" not in escalated.detail, escalated.detail
    assert fresh(contact).status == Status.ESCALATED


# --- the call panel --------------------------------------------------------------


def test_the_call_panel_says_a_stranger_answered_not_that_they_have_no_phone(
    clock, client, call_handler
):
    contact = f.ContactFactory(person=stranger_only())
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )
    client.force_login(call_handler)

    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert "There is no number to call" in page
    assert ANSWERED in page
    assert NO_PHONE not in page


# --- a merge undone --------------------------------------------------------------


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.7,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )


def test_undoing_a_merge_puts_back_their_local_teams_deadline(clock, settings):
    settings.TRACING_ONLINE_CONTACT_HOURS = 8
    admin = f.UserFactory(username="admin", is_superuser=True, is_staff=True)
    survivor = f.PersonFactory(phone=THEIRS, phone_alt="", email="")
    merged = stranger_only(email="bryn@example.org")
    contact = f.ContactFactory(person=merged)
    assert online_contact_tell(contact=contact, now=timezone.now()) is not None
    contact = fresh(contact)
    # Due to their local team when their wait for an answer online ends.
    was = (contact.escalate_due_at, contact.next_attempt_at)
    clock.shift(MINUTE)
    merge = person_merge(
        pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=admin
    )
    assert fresh(contact).escalate_due_at != was[0]  # the phones' deadline
    clock.shift(MINUTE)

    person_merge_undo(merge=merge, by=admin)

    contact = fresh(contact)
    assert contact.person_id == merged.pk
    assert (contact.escalate_due_at, contact.next_attempt_at) == was
    escalate_unreached(now=was[0] + MINUTE)
    assert fresh(contact).status == Status.ESCALATED
