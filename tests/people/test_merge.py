"""Merging two records of one human (work/merge.py): every row moves to the survivor,
two contacts of one case fold into one, the fields chosen are kept, and an
administrator's undo puts everything back exactly."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
from django.core import serializers
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation
from figures.weekly import Period, Scope, weekly_figures
from online.models import OnlineLink
from people.models import Message, Person, PersonChange, PersonMerge, PossibleDuplicate
from people.selectors import possible_duplicates
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from work.access.people import parse_person_query, people_search
from work.errors import WorkRefused
from work.merge import person_merge, person_merge_defaults, person_merge_undo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1985, 6, 14)
NHS = "9434765919"
SHEFFIELD, BARNSLEY = "E08000019", "E08000016"


def pair_of(one: Person, other: Person, score: float = 0.7) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    pair, _ = PossibleDuplicate.objects.get_or_create(
        person_a_id=a,
        person_b_id=b,
        defaults={
            "score": score,
            "reasons": ["same date of birth"],
            "created_at": timezone.now(),
        },
    )
    return pair


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


def link(person: Person, *, case=None, contact=None) -> OnlineLink:
    return OnlineLink.objects.create(
        token_hash=secrets.token_hex(32),
        purpose="case" if case is not None else "contact",
        person=person,
        case=case,
        contact=contact,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )


def change(person: Person) -> PersonChange:
    return PersonChange.objects.create(
        person=person,
        field="phone",
        old_value="+447700900001",
        new_value=str(person.phone),
        source="intake",
        at=timezone.now(),
    )


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def maria(db) -> Person:
    """The record that survives: Maria Ivanova, the older one."""
    return f.PersonFactory(
        first_name="Maria",
        last_name="Ivanova",
        date_of_birth=BORN,
        phone="+447911100111",
        email="",
    )


@pytest.fixture
def mariya(db) -> Person:
    """The same woman, typed again with another phone and her NHS number."""
    return f.PersonFactory(
        first_name="Mariya",
        last_name="Ivanova",
        date_of_birth=BORN,
        phone="+447911100222",
        nhs_number=NHS,
        email="maria@example.org",
        postcode="S70 2TA",
        area=f.area(BARNSLEY),
    )


def everything() -> dict[str, list]:
    """Every row a merge touches, as the serializer writes it (a person's
    updated_at left out: saving it moves it)."""
    models = [Person, Case, Contact, CallAttempt, Message, PersonChange]
    models += [OnlineLink, Escalation, PossibleDuplicate]
    state = {}
    for model in models:
        rows = json.loads(serializers.serialize("json", model.objects.order_by("pk")))
        for row in rows:
            row["fields"].pop("updated_at", None)
        state[model._meta.label] = rows
    return state


# --- what moves ----------------------------------------------------------------------


def test_merge_moves_every_case_contact_call_message_change_and_link(
    supervisor, maria, mariya
):
    case = f.CaseFactory(person=mariya)
    contact = f.ContactFactory(person=mariya)  # of someone else's case
    case_call = f.CallAttemptFactory(case=case, contact=None)
    contact_call = f.CallAttemptFactory(contact=contact)
    message = f.MessageFactory(person=mariya, case=case)
    history = change(mariya)
    case_link = link(mariya, case=case)
    contact_link = link(mariya, contact=contact)
    kept_case = f.CaseFactory(person=maria)
    pair = pair_of(maria, mariya)

    merge = person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)

    assert list(Case.objects.filter(person=maria).order_by("pk")) == [case, kept_case]
    assert list(Contact.objects.filter(person=maria)) == [contact]
    assert set(CallAttempt.objects.filter(case=case)) == {case_call}
    assert set(CallAttempt.objects.filter(contact=contact)) == {contact_call}
    assert list(Message.objects.filter(person=maria)) == [message]
    assert list(PersonChange.objects.filter(person=maria)) == [history]
    assert set(OnlineLink.objects.filter(person=maria)) == {case_link, contact_link}
    for model in (Case, Contact, Message, PersonChange, OnlineLink):
        assert not model.objects.filter(person=mariya).exists(), model
    mariya.refresh_from_db()
    assert mariya.merged_into == maria
    pair.refresh_from_db()
    assert pair.status == PossibleDuplicate.Status.MERGED
    assert pair.decided_by == supervisor
    assert merge.survivor == maria
    assert merge.merged == mariya


def test_two_contacts_of_one_case_fold_into_the_survivors_contact(
    supervisor, maria, mariya
):
    """Named twice by one case, once as each record: one contact to call after."""
    case = f.CaseFactory()
    kept = f.ContactFactory(case=case, person=maria)
    folded = f.ContactFactory(case=case, person=mariya)
    call = f.CallAttemptFactory(contact=folded)
    message = f.MessageFactory(person=mariya, contact=folded)
    online = link(mariya, contact=folded)
    escalation = f.EscalationFactory(contact=folded)

    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )

    assert not Contact.objects.filter(pk=folded.pk).exists()
    assert list(Contact.objects.filter(case=case)) == [kept]
    assert list(CallAttempt.objects.filter(contact=kept)) == [call]
    assert list(Message.objects.filter(contact=kept, person=maria)) == [message]
    assert list(OnlineLink.objects.filter(contact=kept, person=maria)) == [online]
    assert list(Escalation.objects.filter(contact=kept)) == [escalation]
    (fold,) = merge.snapshot["folded"]
    assert fold["contact"]["pk"] == folded.pk
    assert fold["contact"]["fields"]["person"] == mariya.pk


def test_contacts_with_an_open_escalation_each_are_refused_and_nothing_changes(
    supervisor, maria, mariya
):
    case = f.CaseFactory()
    f.EscalationFactory(contact=f.ContactFactory(case=case, person=maria))
    f.EscalationFactory(contact=f.ContactFactory(case=case, person=mariya))
    pair = pair_of(maria, mariya)
    before = everything()

    with pytest.raises(WorkRefused, match="cannot be combined"):
        person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)

    after = everything()
    assert after == before
    assert not PersonMerge.objects.exists()


def test_the_survivor_takes_the_values_chosen_and_keeps_the_rest(
    supervisor, maria, mariya
):
    pair = pair_of(maria, mariya)
    theirs = side_of(pair, mariya)
    fields = {"nhs_number": theirs, "email": theirs, "postcode": theirs}

    person_merge(pair=pair, survivor=maria, fields=fields, by=supervisor)

    maria.refresh_from_db()
    mariya.refresh_from_db()
    assert maria.nhs_number == NHS  # moved: an NHS number names one record
    assert mariya.nhs_number == ""
    assert maria.email == "maria@example.org"
    assert (maria.postcode, maria.area.code) == ("S70 2TA", BARNSLEY)
    assert maria.first_name == "Maria"  # not chosen: the survivor's own
    assert str(maria.phone) == "+447911100111"


def test_the_default_choice_is_the_newer_records_value_unless_blank(maria, mariya):
    """Mariya is newer: her values, but for the blank she has (alternative phone)."""
    Person.objects.filter(pk=maria.pk).update(phone_alt="+447911100333")
    maria.refresh_from_db()
    defaults = person_merge_defaults(person_a=maria, person_b=mariya)
    assert defaults["first_name"] == "b"
    assert defaults["phone"] == "b"
    assert defaults["nhs_number"] == "b"
    assert defaults["phone_alt"] == "a"  # Mariya has none
    assert "last_name" not in defaults  # they agree
    assert "date_of_birth" not in defaults


def test_the_merged_persons_other_pairs_follow_them_to_the_survivor(
    supervisor, maria, mariya
):
    third, fourth = f.PersonFactory(), f.PersonFactory()
    follows = pair_of(mariya, third)
    repeats = pair_of(mariya, fourth)
    held = pair_of(maria, fourth)

    person_merge(pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor)

    follows.refresh_from_db()
    repeats.refresh_from_db()
    held.refresh_from_db()
    assert {follows.person_a_id, follows.person_b_id} == {maria.pk, third.pk}
    assert follows.status == PossibleDuplicate.Status.OPEN
    assert repeats.status == PossibleDuplicate.Status.MERGED
    assert held.status == PossibleDuplicate.Status.OPEN
    listed = {(p.person_a_id, p.person_b_id) for p in possible_duplicates()}
    assert all(mariya.pk not in ids for ids in listed)


def test_a_merge_is_audited_against_both_people(supervisor, maria, mariya):
    pair = pair_of(maria, mariya)
    person_merge(
        pair=pair,
        survivor=maria,
        fields={"email": side_of(pair, mariya)},
        by=supervisor,
    )
    survivor_event = AuditEvent.objects.get(
        person=maria, action=AuditEvent.Action.UPDATE
    )
    merged_event = AuditEvent.objects.get(
        person=mariya, action=AuditEvent.Action.UPDATE
    )
    assert survivor_event.user == supervisor
    assert survivor_event.detail["merged"] == mariya.pk
    assert survivor_event.detail["fields"] == {"email": side_of(pair, mariya)}
    assert merged_event.detail["merged_into"] == maria.pk


# --- refusals ------------------------------------------------------------------------


def test_a_pair_already_decided_is_refused(supervisor, maria, mariya):
    pair = pair_of(maria, mariya)
    PossibleDuplicate.objects.filter(pk=pair.pk).update(status="not_same")
    with pytest.raises(WorkRefused, match="already been decided"):
        person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)
    assert Person.objects.get(pk=mariya.pk).merged_into is None


def test_a_survivor_outside_the_pair_is_refused(supervisor, maria, mariya):
    with pytest.raises(WorkRefused, match="one of the two"):
        person_merge(
            pair=pair_of(maria, mariya),
            survivor=f.PersonFactory(),
            fields={},
            by=supervisor,
        )


def test_a_call_handler_may_not_merge(call_handler, maria, mariya):
    with pytest.raises(WorkRefused, match="Only supervisors"):
        person_merge(
            pair=pair_of(maria, mariya), survivor=maria, fields={}, by=call_handler
        )


# --- undo ----------------------------------------------------------------------------


def test_undo_puts_back_every_field_and_row_exactly(supervisor, admin, maria, mariya):
    case = f.CaseFactory(person=mariya)
    f.CallAttemptFactory(case=case, contact=None)
    f.MessageFactory(person=mariya, case=case)
    change(mariya)
    link(mariya, case=case)
    shared = f.CaseFactory()
    f.ContactFactory(case=shared, person=maria)
    folded = f.ContactFactory(case=shared, person=mariya)
    f.CallAttemptFactory(contact=folded)
    f.MessageFactory(person=mariya, contact=folded)
    link(mariya, contact=folded)
    f.EscalationFactory(contact=folded)
    other = f.ContactFactory(person=mariya)
    f.CallAttemptFactory(contact=other)
    pair_of(mariya, f.PersonFactory())
    fourth = f.PersonFactory()
    pair_of(mariya, fourth)
    pair_of(maria, fourth)
    pair = pair_of(maria, mariya)
    before = everything()
    theirs = side_of(pair, mariya)

    merge = person_merge(
        pair=pair,
        survivor=maria,
        fields={"nhs_number": theirs, "first_name": theirs, "postcode": theirs},
        by=supervisor,
    )
    assert everything() != before
    person_merge_undo(merge=merge, by=admin)

    assert everything() == before
    merge.refresh_from_db()
    assert merge.undone_by == admin
    assert merge.undone_at is not None
    assert AuditEvent.objects.filter(
        person=maria, action=AuditEvent.Action.UPDATE, detail__unmerged=mariya.pk
    ).exists()


def test_undo_twice_is_refused(supervisor, admin, maria, mariya):
    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )
    person_merge_undo(merge=merge, by=admin)
    with pytest.raises(WorkRefused, match="already undone"):
        person_merge_undo(merge=merge, by=admin)


def test_only_an_administrator_may_undo(supervisor, maria, mariya):
    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )
    with pytest.raises(WorkRefused, match="administrator"):
        person_merge_undo(merge=merge, by=supervisor)
    assert Person.objects.get(pk=mariya.pk).merged_into_id == maria.pk


# --- after a merge: matching, search, figures ----------------------------------------


def test_a_merged_person_is_neither_matched_nor_found(supervisor, maria, mariya):
    f.CaseFactory(person=mariya)
    pair = pair_of(maria, mariya)
    person_merge(
        pair=pair,
        survivor=maria,
        fields={"phone": side_of(pair, mariya)},
        by=supervisor,
    )

    # Mariya again, by her name, date of birth and phone: the survivor is found
    # (close name, same date of birth, the phone she took), not the merged record.
    found, created = person_find_or_create(
        details=PersonDetails(
            first_name="Mariya",
            last_name="Ivanova",
            date_of_birth=BORN,
            phone="07911 100222",
        )
    )
    assert found == maria
    assert not created
    assert not PossibleDuplicate.objects.filter(
        Q(person_a=mariya) | Q(person_b=mariya), status="open"
    ).exists()
    by_phone = people_search(supervisor, parse_person_query("07911 100222"))
    assert list(by_phone) == [maria]
    by_name = people_search(supervisor, parse_person_query("Ivanova"))
    assert list(by_name) == [maria]


def test_the_figures_count_a_merged_person_once(supervisor, maria, mariya):
    """Two records of one woman (no NHS number, different phones), a contact of two
    cases: two people in the week's figures, then one."""
    Person.objects.filter(pk=mariya.pk).update(nhs_number="")
    f.ContactFactory(person=maria)
    f.ContactFactory(person=mariya)
    week = Period(dt.date(2021, 1, 7))  # Thursday 7 to Wednesday 13 January 2021

    def identified() -> int:
        figures = weekly_figures(period=week, scope=Scope.england())
        return figures.contacts.identified

    assert identified() == 2
    person_merge(pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor)
    assert identified() == 1
