"""Two records of one person merged, one a case isolating now, the other a contact
isolating now: the contact becomes a case at the merge (work.merge, by
work.isolation.contacts_follow_own_cases), its date the case's, recorded and audited
as when a result arrives after the naming; an administrator's undo puts it back.
Each end date by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from people.models import Person, PossibleDuplicate
from tests import factories as f
from work.merge import person_merge, person_merge_undo

D = dt.date
# Sunday 6 December 2026, 10:00 GMT: the ten-day rules.
DECEMBER_6 = dt.datetime(2026, 12, 6, 10, 0, tzinfo=ZoneInfo("Europe/London"))

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_6)]


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def as_case(clock) -> Person:
    """Mohammed Ali as his lab result found him: his mobile."""
    return f.PersonFactory(
        first_name="Mohammed",
        last_name="Ali",
        date_of_birth=D(1979, 5, 21),
        phone="+447911100333",
    )


@pytest.fixture
def as_contact(clock) -> Person:
    """Mohammed Ali as a caseworker named him: his landline, no date of birth."""
    return f.PersonFactory(
        first_name="Mohammed",
        last_name="Ali",
        date_of_birth=None,
        phone="+441144960000",
    )


@pytest.fixture
def case(as_case) -> Case:
    # Tested on 4 December, no symptoms: 4 + 10 = 14 December.
    return f.CaseFactory(
        person=as_case,
        specimen_date=D(2026, 12, 4),
        result_date=D(2026, 12, 5),
        symptom_onset=None,
    )


@pytest.fixture
def contact(as_contact) -> Contact:
    # Exposed on 3 December by another case: 3 + 10 = 13 December.
    contact = f.ContactFactory(
        person=as_contact,
        case=f.CaseFactory(symptom_onset=D(2026, 12, 3)),
        exposure_date=D(2026, 12, 3),
    )
    assert contact.isolation_ends_on == D(2026, 12, 13)
    return contact


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.7,
        reasons=["same name", "similar phone"],
        created_at=timezone.now(),
    )


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


def test_merged_on_the_page_the_contact_reads_out_the_case_date(
    client, supervisor, call_handler, as_case, as_contact, case, contact
):
    pair = pair_of(as_case, as_contact)
    client.force_login(supervisor)
    kept = side_of(pair, as_case)

    done = client.post(
        reverse("staffing:duplicate_merge", args=[pair.pk]),
        {"survivor": kept, "date_of_birth": kept, "phone": kept, "confirm": "1"},
    )

    assert done.status_code == 302
    assert Person.objects.get(pk=as_contact.pk).merged_into_id == as_case.pk
    contact.refresh_from_db()
    assert contact.person_id == as_case.pk
    assert contact.isolation_ends_on == D(2026, 12, 14)
    change = IsolationChange.objects.get(contact=contact)
    assert (change.kind, change.became_case, change.replaced, change.ends_on) == (
        IsolationChange.Kind.BECAME_CASE,
        case,
        D(2026, 12, 13),
        D(2026, 12, 14),
    )
    assert change.by == supervisor
    event = AuditEvent.objects.filter(
        object_type="contacts.contact", object_id=str(contact.pk)
    ).get(detail__became_case=case.pk)
    assert event.detail["replaced"] == "2026-12-13"
    # The call handler reads out his case's date.
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )
    client.force_login(call_handler)
    page = client.get(reverse("contacts:detail", args=[contact.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert (
        "please self-isolate until the end of <strong>Monday 14 December 2026"
        "</strong>" in text
    )
    assert "Became a case" in text


def test_the_contacts_record_kept_the_contact_follows_the_case_that_moves_to_it(
    supervisor, as_case, as_contact, case, contact
):
    person_merge(
        pair=pair_of(as_case, as_contact),
        survivor=as_contact,
        fields={},
        by=supervisor,
    )

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)
    assert IsolationChange.objects.get(contact=contact).became_case == case


def test_a_contact_following_its_own_case_already_is_not_switched_again(
    supervisor, as_case, as_contact, case, contact
):
    """The contact's record had a case of its own ending later, which the contact
    follows: the other record's case, ending sooner, changes nothing."""
    own = f.CaseFactory(
        person=as_contact,
        specimen_date=D(2026, 12, 5),
        result_date=D(2026, 12, 6),
        symptom_onset=None,
    )  # 15 December
    IsolationChange.objects.create(
        contact=contact,
        kind=IsolationChange.Kind.BECAME_CASE,
        became_case=own,
        ends_on=D(2026, 12, 15),
        replaced=D(2026, 12, 13),
        at=timezone.now(),
    )
    Contact.objects.filter(pk=contact.pk).update(isolation_ends_on=D(2026, 12, 15))

    person_merge(
        pair=pair_of(as_case, as_contact), survivor=as_case, fields={}, by=supervisor
    )

    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 15)
    assert IsolationChange.objects.filter(contact=contact).count() == 1


def test_an_undo_puts_the_contacts_date_back_and_removes_the_change(
    supervisor, admin, as_case, as_contact, case, contact
):
    merge = person_merge(
        pair=pair_of(as_case, as_contact), survivor=as_case, fields={}, by=supervisor
    )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)

    person_merge_undo(merge=merge, by=admin)

    contact.refresh_from_db()
    assert contact.person_id == as_contact.pk
    assert contact.isolation_ends_on == D(2026, 12, 13)
    assert not IsolationChange.objects.filter(contact=contact).exists()
