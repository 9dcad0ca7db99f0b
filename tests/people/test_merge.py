"""Merging two records of one human (work/merge.py): every row moves to the survivor,
two contacts of one case fold into one, two contacts still to be told of two cases
are joined into one contact to call, the fields chosen are kept, and an
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
from cases.workitem import Status
from contacts.models import Contact, Exposure
from escalations.models import Escalation
from figures.weekly import Period, Scope, forget_cached_figures, weekly_figures
from online.models import OnlineLink
from people.models import Message, Person, PersonChange, PersonMerge, PossibleDuplicate
from people.selectors import possible_duplicates
from people.services import PersonDetails, person_find_or_create
from retention.models import LegalHold
from retention.services import legal_hold_place
from tests import factories as f
from work.access.people import parse_person_query, people_search
from work.assignment import assignable_pool
from work.errors import WorkRefused
from work.escalation import escalate_unreached, item_escalate
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


def further(contact: Contact, *, on: dt.date, case=None) -> Exposure:
    """A further naming of `contact` by another case (as contact_add makes one)."""
    return Exposure.objects.create(
        contact=contact,
        case=case or f.CaseFactory(),
        exposure_date=on,
        exposure=Contact.Exposure.FACE_TO_FACE,
        created_at=timezone.now(),
    )


def everything() -> dict[str, list]:
    """Every row a merge touches, as the serializer writes it (a person's
    updated_at left out: saving it moves it)."""
    models = [Person, Case, Contact, CallAttempt, Message, PersonChange]
    models += [OnlineLink, Escalation, PossibleDuplicate, Exposure]
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
    # Of an earlier episode: a case of the same one would become a further
    # result (tests/people/test_merge_two_open_cases.py).
    kept_case = f.CaseFactory(
        person=maria,
        specimen_date=timezone.localdate() - dt.timedelta(days=120),
        result_date=timezone.localdate() - dt.timedelta(days=119),
    )
    pair = pair_of(maria, mariya)

    merge = person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)

    assert list(Case.objects.filter(person=maria).order_by("pk")) == [case, kept_case]
    assert list(Contact.objects.filter(person=maria)) == [contact]
    assert set(CallAttempt.objects.filter(case=case)) == {case_call}
    assert set(CallAttempt.objects.filter(contact=contact)) == {contact_call}
    assert list(Message.objects.filter(person=maria)) == [message]
    assert list(PersonChange.objects.filter(person=maria).exclude(source="merge")) == [
        history
    ]
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


def test_a_folded_contact_that_had_reached_them_leaves_the_kept_one_reached(
    supervisor, admin, maria, mariya
):
    # Two contacts of one case, one per record: the survivor's still to be called,
    # the other's reached. Folded, the survivor's stayed "new" with a reaching call,
    # and the person was called again.
    case = f.CaseFactory()
    kept = f.ContactFactory(case=case, person=maria)
    reached_at = timezone.now() - dt.timedelta(hours=2)
    told = f.ContactFactory(
        case=case,
        person=mariya,
        status=Status.REACHED,
        reached_at=reached_at,
        reached_route="national",
        next_attempt_at=None,
    )
    f.CallAttemptFactory(contact=told, outcome="reached")

    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )

    kept.refresh_from_db()
    assert (kept.status, kept.reached_at, kept.next_attempt_at) == (
        Status.REACHED,
        reached_at,
        None,
    )
    assert kept not in assignable_pool(Contact, timezone.now())

    person_merge_undo(merge=merge, by=admin)

    kept.refresh_from_db()
    assert (kept.status, kept.reached_at) == (Status.NEW, None)
    assert Contact.objects.get(pk=told.pk).status == Status.REACHED


def test_a_folded_contact_with_its_local_team_leaves_the_kept_one_with_them(
    supervisor, admin, maria, mariya
):
    """Before, the kept contact stayed "new" with the open escalation moved onto it:
    it was handed to a call handler while the local team worked it, and every sweep
    after failed on it (a second open escalation), so no contact in England was
    escalated again."""
    case = f.CaseFactory(status=Status.COMPLETED)
    kept = f.ContactFactory(case=case, person=maria)
    gone = f.ContactFactory(case=case, person=mariya)
    escalation = item_escalate(item=gone, reason=Escalation.Reason.UNREACHED)
    due = f.ContactFactory(escalate_due_at=timezone.now() - dt.timedelta(hours=1))

    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )

    kept.refresh_from_db()
    assert (kept.status, kept.local_team_id, kept.assignee_id) == (
        Status.ESCALATED,
        escalation.local_team_id,
        None,
    )
    assert list(Escalation.objects.filter(contact=kept)) == [escalation]
    assert kept not in assignable_pool(Contact, timezone.now())
    # The sweep goes on: the contact due is escalated, the kept one left alone.
    escalate_unreached()
    assert Contact.objects.get(pk=due.pk).status == Status.ESCALATED
    assert Escalation.objects.filter(contact=kept).count() == 1

    person_merge_undo(merge=merge, by=admin)

    kept.refresh_from_db()
    assert (kept.status, kept.local_team_id) == (Status.NEW, None)
    assert Escalation.objects.get(pk=escalation.pk).contact_id == gone.pk


def test_an_escalated_contact_is_not_folded_into_one_that_told_them(
    supervisor, maria, mariya
):
    case = f.CaseFactory(status=Status.COMPLETED)
    f.ContactFactory(
        case=case,
        person=maria,
        status=Status.REACHED,
        reached_at=timezone.now(),
        reached_route="national",
    )
    item_escalate(
        item=f.ContactFactory(case=case, person=mariya),
        reason=Escalation.Reason.UNREACHED,
    )
    pair = pair_of(maria, mariya)
    before = everything()

    with pytest.raises(WorkRefused, match="the local team closes the escalation"):
        person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)

    assert everything() == before


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


# --- one contact to call -------------------------------------------------------------


def test_two_waiting_contacts_of_two_cases_become_one_contact_to_call(
    supervisor, caseworker, maria, mariya
):
    """Maria named by one case (exposed 5 January), Mariya by another (9 January),
    both still waiting: one contact after, isolating until 19 January (10 full days
    after the 9th). Mariya's contact is the older, so it is kept."""
    her_case, their_case = f.CaseFactory(), f.CaseFactory()
    # Both within their hours for calls: past them, the pool leaves them to the sweep.
    older = timezone.now() - dt.timedelta(hours=12)
    kept = f.ContactFactory(
        person=mariya,
        case=their_case,
        exposure_date=dt.date(2021, 1, 9),
        created_at=older,
    )
    joined = f.ContactFactory(
        person=maria,
        case=her_case,
        exposure_date=dt.date(2021, 1, 5),
        exposure=Contact.Exposure.PROXIMITY,
        identified_by=caseworker,
        created_at=older + dt.timedelta(hours=5),
    )
    assert joined.isolation_ends_on == dt.date(2021, 1, 15)
    call = f.CallAttemptFactory(contact=joined)
    message = f.MessageFactory(person=maria, contact=joined)
    online = link(maria, contact=joined)
    earlier = further(joined, on=dt.date(2021, 1, 4))
    assert assignable_pool(Contact, timezone.now()).count() == 2

    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )

    assert list(Contact.objects.filter(person=maria)) == [kept]
    assert not Contact.objects.filter(pk=joined.pk).exists()
    kept.refresh_from_db()
    assert kept.isolation_ends_on == dt.date(2021, 1, 19)
    assert (kept.case, kept.exposure_date, kept.status) == (
        their_case,
        dt.date(2021, 1, 9),
        Status.NEW,
    )
    exposures = kept.further_exposures.order_by("exposure_date")
    assert list(exposures) == [earlier, Exposure.objects.get(case=her_case)]
    made = exposures.get(case=her_case)
    assert (made.exposure_date, made.exposure) == (dt.date(2021, 1, 5), "proximity")
    assert (made.identified_by, made.created_at) == (caseworker, joined.created_at)
    assert list(CallAttempt.objects.filter(contact=kept)) == [call]
    assert list(Message.objects.filter(contact=kept)) == [message]
    assert list(OnlineLink.objects.filter(contact=kept)) == [online]
    assert list(assignable_pool(Contact, timezone.now())) == [kept]
    (join,) = merge.snapshot["joined"]
    assert join["contact"]["pk"] == joined.pk
    event = AuditEvent.objects.get(object_type="contacts.contact", object_id=kept.pk)
    assert event.person_id == maria.pk
    assert event.detail["joined_contact"] == joined.pk
    assert event.detail["isolation_ends_on"] == "2021-01-19"


def test_an_assigned_contact_is_kept_over_an_older_waiting_one(
    supervisor, call_handler, maria, mariya
):
    waiting = f.ContactFactory(
        person=maria, created_at=timezone.now() - dt.timedelta(days=1)
    )
    assigned = f.ContactFactory(
        person=mariya, status=Status.ASSIGNED, assignee=call_handler
    )

    person_merge(pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor)

    assert list(Contact.objects.filter(person=maria)) == [assigned]
    assigned.refresh_from_db()
    assert (assigned.status, assigned.assignee) == (Status.ASSIGNED, call_handler)
    assert list(assigned.further_exposures.values_list("case", flat=True)) == [
        waiting.case_id
    ]


def test_an_escalated_contact_is_kept_with_its_local_team(
    supervisor, call_handler, maria, mariya
):
    assigned = f.ContactFactory(
        person=maria,
        status=Status.ASSIGNED,
        assignee=call_handler,
        created_at=timezone.now() - dt.timedelta(days=1),
    )
    escalated = f.ContactFactory(person=mariya, status=Status.ESCALATED)
    escalation = f.EscalationFactory(contact=escalated)
    Contact.objects.filter(pk=escalated.pk).update(local_team=escalation.local_team)

    person_merge(pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor)

    assert not Contact.objects.filter(pk=assigned.pk).exists()
    escalated.refresh_from_db()
    assert escalated.person == maria
    assert escalated.status == Status.ESCALATED
    assert escalated.local_team == escalation.local_team
    assert list(Escalation.objects.filter(contact=escalated, closed_at=None)) == [
        escalation
    ]
    assert escalated.further_exposures.get().case == assigned.case


def test_two_escalated_contacts_of_two_cases_are_refused_and_nothing_changes(
    supervisor, maria, mariya
):
    f.EscalationFactory(contact__person=maria)
    f.EscalationFactory(contact__person=mariya)
    pair = pair_of(maria, mariya)
    before = everything()

    with pytest.raises(WorkRefused, match="escalation must be closed"):
        person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)

    assert everything() == before
    assert not PersonMerge.objects.exists()


@pytest.mark.parametrize("told", [Status.REACHED, Status.COMPLETED])
def test_a_contact_told_and_one_still_to_tell_are_not_joined(
    supervisor, maria, mariya, told
):
    """Maria was told her date; Mariya's naming by another case must still be
    called (with its own, later date): two contacts after the merge."""
    reached = f.ContactFactory(
        person=maria,
        status=told,
        reached_at=timezone.now() - dt.timedelta(days=1),
        exposure_date=dt.date(2021, 1, 5),
    )
    waiting = f.ContactFactory(person=mariya, exposure_date=dt.date(2021, 1, 9))

    merge = person_merge(
        pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
    )

    assert set(Contact.objects.filter(person=maria)) == {reached, waiting}
    assert not Exposure.objects.exists()
    assert list(assignable_pool(Contact, timezone.now())) == [waiting]
    reached.refresh_from_db()
    assert reached.isolation_ends_on == dt.date(2021, 1, 15)
    assert merge.snapshot["joined"] == []


def test_a_case_that_named_both_records_is_one_naming_at_the_later_date(
    supervisor, maria, mariya
):
    """One case named Maria (6 January) and Mariya (8 January), each joining their
    own contact: one naming by it after, on the 8th."""
    both = f.CaseFactory()
    kept = f.ContactFactory(
        person=maria,
        exposure_date=dt.date(2021, 1, 2),
        created_at=timezone.now() - dt.timedelta(days=1),
    )
    theirs = f.ContactFactory(person=mariya, exposure_date=dt.date(2021, 1, 3))
    further(kept, case=both, on=dt.date(2021, 1, 6))
    further(theirs, case=both, on=dt.date(2021, 1, 8))

    person_merge(pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor)

    kept.refresh_from_db()
    namings = dict(kept.further_exposures.values_list("case", "exposure_date"))
    assert namings == {
        both.pk: dt.date(2021, 1, 8),
        theirs.case_id: dt.date(2021, 1, 3),
    }
    assert kept.isolation_ends_on == dt.date(2021, 1, 18)


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


@pytest.mark.parametrize("held", ["survivor", "merged"])
def test_a_record_under_a_legal_hold_is_not_merged(
    supervisor, admin, maria, mariya, held
):
    legal_hold_place(
        person=maria if held == "survivor" else mariya, reason="Inquiry", by=admin
    )
    case = f.CaseFactory(person=mariya)

    with pytest.raises(WorkRefused, match="A legal hold is on"):
        person_merge(
            pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
        )

    assert Person.objects.get(pk=mariya.pk).merged_into is None
    assert Case.objects.get(pk=case.pk).person == mariya
    assert LegalHold.objects.get().person in (maria, mariya)
    assert (LegalHold.objects.get().person == maria) == (held == "survivor")


def test_a_record_named_by_the_others_case_is_not_merged_into_its_own_contact(
    supervisor, maria, mariya
):
    case = f.CaseFactory(person=maria)
    contact = f.ContactFactory(case=case, person=mariya)

    with pytest.raises(WorkRefused, match="contact of their own case"):
        person_merge(
            pair=pair_of(maria, mariya), survivor=maria, fields={}, by=supervisor
        )

    assert Contact.objects.get(pk=contact.pk).person == mariya
    assert Person.objects.get(pk=mariya.pk).merged_into is None


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


def test_undo_of_a_join_puts_back_both_contacts_exactly(
    supervisor, admin, caseworker, maria, mariya
):
    """Mariya's assigned contact is kept; Maria's older waiting one is joined to it,
    their common case's naming moving to the later date (8 January). Undone: both
    contacts, all their exposures and rows as they were."""
    both = f.CaseFactory()
    waiting = f.ContactFactory(
        person=maria,
        exposure_date=dt.date(2021, 1, 2),
        created_at=timezone.now() - dt.timedelta(days=1),
    )
    further(waiting, case=both, on=dt.date(2021, 1, 8))
    further(waiting, on=dt.date(2021, 1, 7))
    f.CallAttemptFactory(contact=waiting)
    f.MessageFactory(person=maria, contact=waiting)
    link(maria, contact=waiting)
    assigned = f.ContactFactory(
        person=mariya,
        status=Status.ASSIGNED,
        assignee=caseworker,
        exposure_date=dt.date(2021, 1, 9),
        identified_by=caseworker,
    )
    common = further(assigned, case=both, on=dt.date(2021, 1, 6))
    pair = pair_of(maria, mariya)
    before = everything()

    merge = person_merge(pair=pair, survivor=maria, fields={}, by=supervisor)
    assert list(Contact.objects.filter(person=maria)) == [assigned]
    assert Exposure.objects.get(pk=common.pk).exposure_date == dt.date(2021, 1, 8)
    assert assigned.further_exposures.count() == 3  # both, the 7th, Maria's own
    assert Contact.objects.get(pk=assigned.pk).isolation_ends_on == dt.date(2021, 1, 19)
    person_merge_undo(merge=merge, by=admin)

    assert everything() == before
    assert AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=assigned.pk,
        person=mariya,
        detail__unjoined_contact=waiting.pk,
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
    # The cached figures are forgotten by the pages that merge (tested with them).
    forget_cached_figures()
    assert identified() == 1
