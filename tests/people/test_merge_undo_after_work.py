"""Undoing a merge after work has gone on (work/merge.py): an undo that would put back
a contact's state from before the merge, over what was done since, is refused with
the reason; so is one that would take rows out from under a legal hold; and the
texts and links written while the records were one go back with the case or contact
they are about."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from online.models import OnlineLink
from people.models import Message, Person, PersonMerge, PossibleDuplicate
from retention.models import LegalHold
from retention.services import legal_hold_place
from tests import factories as f
from work.assignment import assignable_pool
from work.calls import call_record
from work.errors import WorkRefused
from work.escalation import escalation_claim, escalation_close, item_escalate
from work.merge import person_merge, person_merge_undo
from work.online import online_link_resend
from work.subject_access import person_export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1990, 3, 2)


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )


def merge_of(survivor: Person, merged: Person, *, by) -> PersonMerge:
    return person_merge(
        pair=pair_of(survivor, merged), survivor=survivor, fields={}, by=by
    )


def still_merged(merge: PersonMerge) -> bool:
    merge.refresh_from_db()
    merged = Person.objects.get(pk=merge.merged_id)
    return merge.undone_at is None and merged.merged_into_id == merge.survivor_id


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def kim(db) -> Person:
    """The record kept: Kim Lee, of Sheffield."""
    return f.PersonFactory(first_name="Kim", last_name="Lee", date_of_birth=BORN)


@pytest.fixture
def kym(db) -> Person:
    """The same woman typed again."""
    return f.PersonFactory(first_name="Kym", last_name="Lee", date_of_birth=BORN)


@pytest.fixture
def folded_escalation(supervisor, kim, kym):
    """One Sheffield case named Kim (K, new) and Kym (C, escalated to Sheffield's
    team); merged with Kim kept, C is folded into K, which takes its escalation."""
    case = f.CaseFactory(status=Status.COMPLETED)
    kept = f.ContactFactory(case=case, person=kim)
    folded = f.ContactFactory(case=case, person=kym)
    escalation = item_escalate(item=folded, reason=Escalation.Reason.UNREACHED)
    merge = merge_of(kim, kym, by=supervisor)
    kept.refresh_from_db()
    assert kept.status == Status.ESCALATED
    escalation.refresh_from_db()
    assert escalation.contact_id == kept.pk
    return merge, kept, folded, escalation


# --- 1. the kept contact, or an escalation moved to it, worked since the merge ----------


def test_undo_is_refused_once_the_local_team_has_reached_the_folded_contact(
    admin, local_team_member, folded_escalation
):
    """Before, the undo put K back to "new" (in the pool, to be called again) and
    brought C back "escalated" with its only escalation closed: in no queue, and the
    local team's reach dropped out of the figures."""
    merge, kept, folded, escalation = folded_escalation
    escalation_claim(escalation=escalation, by=local_team_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=local_team_member
    )

    with pytest.raises(WorkRefused) as refused:
        person_merge_undo(merge=merge, by=admin)

    reason = str(refused.value)
    assert f"Contact {kept.pk}" in reason
    assert "since the merge" in reason
    assert "nothing was changed" in reason
    assert still_merged(merge)
    kept.refresh_from_db()
    assert (kept.status, kept.reached_route) == (Status.CLOSED, "local")
    assert kept.reached_at is not None
    assert kept not in assignable_pool(Contact, timezone.now())
    assert not Contact.objects.filter(pk=folded.pk).exists()
    assert list(Escalation.objects.filter(contact=kept)) == [escalation]


def test_undo_is_refused_once_the_local_team_has_claimed_the_moved_escalation(
    admin, local_team_member, folded_escalation
):
    merge, kept, _folded, escalation = folded_escalation
    escalation_claim(escalation=escalation, by=local_team_member)

    with pytest.raises(WorkRefused, match="picked up"):
        person_merge_undo(merge=merge, by=admin)

    assert still_merged(merge)
    escalation.refresh_from_db()
    assert (escalation.contact_id, escalation.status) == (kept.pk, "picked_up")


def test_undo_is_refused_once_the_contact_that_took_a_reach_has_moved_on(
    supervisor, admin, kim, kym
):
    """Kym's contact was reached; folded, Kim's waiting one took the reach. Then the
    contact was completed: putting it back to "new" would have it called again."""
    case = f.CaseFactory()
    kept = f.ContactFactory(case=case, person=kim)
    f.ContactFactory(
        case=case,
        person=kym,
        status=Status.REACHED,
        reached_at=timezone.now() - dt.timedelta(hours=1),
        reached_route="national",
        next_attempt_at=None,
    )
    merge = merge_of(kim, kym, by=supervisor)
    Contact.objects.filter(pk=kept.pk).update(
        status=Status.COMPLETED, completed_at=timezone.now()
    )

    with pytest.raises(WorkRefused, match="since the merge"):
        person_merge_undo(merge=merge, by=admin)

    assert still_merged(merge)
    assert Contact.objects.get(pk=kept.pk).status == Status.COMPLETED


def test_a_merge_recorded_before_escalations_were_kept_is_judged_by_their_times(
    admin, local_team_member, folded_escalation, clock
):
    """A merge made before the snapshot held the moved escalations' state: an
    escalation picked up after the merge's time refuses the undo all the same."""
    merge, _kept, _folded, escalation = folded_escalation
    for fold in merge.snapshot["folded"]:
        del fold["escalations"]
    merge.save(update_fields=["snapshot"])
    clock.shift(dt.timedelta(minutes=5))
    escalation_claim(escalation=escalation, by=local_team_member)

    with pytest.raises(WorkRefused, match="picked up on 12/01/2021 10:05"):
        person_merge_undo(merge=merge, by=admin)

    assert still_merged(merge)


def test_undo_still_goes_through_while_the_moved_escalation_is_untouched(
    admin, folded_escalation
):
    merge, kept, folded, escalation = folded_escalation

    person_merge_undo(merge=merge, by=admin)

    kept.refresh_from_db()
    assert (kept.status, kept.local_team_id) == (Status.NEW, None)
    back = Contact.objects.get(pk=folded.pk)
    assert back.status == Status.ESCALATED
    assert list(Escalation.objects.filter(contact=back, closed_at=None)) == [escalation]


def test_the_admin_page_shows_why_the_undo_was_refused(
    client, admin, local_team_member, folded_escalation
):
    merge, kept, _folded, escalation = folded_escalation
    escalation_claim(escalation=escalation, by=local_team_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=local_team_member
    )
    client.force_login(admin)

    response = client.post(
        reverse("admin:people_personmerge_changelist"),
        {"action": "undo", "_selected_action": [merge.pk]},
        follow=True,
    )

    assert response.status_code == 200
    (shown,) = response.context["messages"]
    assert shown.level_tag == "error"
    assert f"Contact {kept.pk}" in str(shown)
    assert "picked up" in str(shown)
    assert escape(str(shown)) in response.content.decode()
    assert still_merged(merge)


# --- 2. a legal hold ----------------------------------------------------------------


def test_undo_is_refused_while_the_record_kept_is_under_a_legal_hold(
    supervisor, admin, kim, kym
):
    """Before, the undo went through: Kym's case, held as part of Kim's record, went
    back to Kym, who had no hold, and could be purged or erased."""
    case = f.CaseFactory(person=kym)
    merge = merge_of(kim, kym, by=supervisor)
    legal_hold_place(person=kim, reason="Coroner's inquest", by=admin)

    with pytest.raises(WorkRefused) as refused:
        person_merge_undo(merge=merge, by=admin)

    reason = str(refused.value)
    assert f"A legal hold is on Kim Lee (record {kim.pk})" in reason
    assert "lift the hold first" in reason
    assert still_merged(merge)
    case.refresh_from_db()
    assert case.person_id == kim.pk


def test_undo_is_refused_while_the_merged_record_is_under_a_legal_hold(
    supervisor, admin, kim, kym
):
    """The service places no hold on a merged record; one may be there from before
    it refused them."""
    merge = merge_of(kim, kym, by=supervisor)
    LegalHold.objects.create(
        person=kym, reason="Inquiry", placed_by=admin, placed_at=timezone.now()
    )

    with pytest.raises(WorkRefused, match=f"record {kym.pk}"):
        person_merge_undo(merge=merge, by=admin)

    assert still_merged(merge)


# --- 3. rows written while the records were one --------------------------------------


@pytest.fixture
def frances(db) -> Person:
    return f.PersonFactory(
        first_name="Frances",
        last_name="Hart",
        date_of_birth=BORN,
        phone="+447911200101",
    )


@pytest.fixture
def francis(db) -> Person:
    return f.PersonFactory(
        first_name="Francis",
        last_name="Hart",
        date_of_birth=BORN,
        phone="+447911200202",
    )


def test_the_isolation_text_of_a_call_made_while_merged_goes_back_with_its_contact(
    supervisor, admin, call_handler, frances, francis
):
    """Before, the text stayed Francis's: in his subject access export and not
    hers, and erasing him would have deleted it."""
    contact = f.ContactFactory(
        person=frances,
        status=Status.ASSIGNED,
        assignee=call_handler,
        assigned_at=timezone.now(),
    )
    merge = merge_of(francis, frances, by=supervisor)
    logged = call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)
    assert logged.message is not None
    assert logged.message.person_id == francis.pk

    person_merge_undo(merge=merge, by=admin)

    message = Message.objects.get(pk=logged.message.pk)
    assert message.person_id == frances.pk
    assert Contact.objects.get(pk=contact.pk).person_id == frances.pk

    def texts_of(person: Person) -> list[int]:
        export = person_export(person=person, by=admin)
        return [row["id"] for row in export["sections"]["messages"]["rows"]]

    assert message.pk in texts_of(frances)
    assert message.pk not in texts_of(francis)


def test_links_sent_while_merged_go_back_with_their_case_and_contact(
    supervisor, admin, frances, francis
):
    """A new link sent for Frances's case and for her contact while the records were
    one: the page greeted her as Francis, and after the undo still did."""
    case = f.CaseFactory(person=frances, status=Status.ASSIGNED, assignee=supervisor)
    contact = f.ContactFactory(person=frances)
    # Of an earlier episode: a case of the same one would become a further
    # result (tests/people/test_merge_two_open_cases.py).
    kept_case = f.CaseFactory(
        person=francis,
        specimen_date=timezone.localdate() - dt.timedelta(days=120),
        result_date=timezone.localdate() - dt.timedelta(days=119),
    )
    merge = merge_of(francis, frances, by=supervisor)
    case_link = online_link_resend(item=case, by=supervisor)
    contact_link = online_link_resend(item=contact, by=supervisor)
    own_link = online_link_resend(item=kept_case, by=supervisor)
    assert {case_link.person_id, contact_link.person_id} == {francis.pk}

    person_merge_undo(merge=merge, by=admin)

    for link in (case_link, contact_link):
        link = OnlineLink.objects.get(pk=link.pk)
        assert link.person_id == frances.pk
        assert Message.objects.get(pk=link.message_id).person_id == frances.pk
    assert OnlineLink.objects.get(pk=own_link.pk).person_id == francis.pk
    assert Message.objects.get(pk=own_link.message_id).person_id == francis.pk
