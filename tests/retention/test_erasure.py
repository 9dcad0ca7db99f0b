"""Erasure on request: every row of one person goes, nothing of anyone else; refused
with the reason where the records must be kept; audited without naming them."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from cases.models import CaseDraft, RiskAssessment, SettingKind
from cases.workitem import Status
from contacts.models import Exposure
from escalations.models import Escalation
from online.models import OnlineLink
from people.models import Message, PersonChange, PersonMerge, PossibleDuplicate
from retention.errors import RetentionRefused
from retention.models import Erasure, LegalHold
from retention.services import (
    legal_hold_lift,
    legal_hold_place,
    person_erase,
    person_erasure_plan,
)
from tests import factories as f

from .builders import (
    CLOSED,
    DAY,
    completed_case,
    every_row,
    reached_contact,
    reaching_call,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


def rows_of(*objects) -> dict[str, set]:
    found: dict[str, set] = {}
    for obj in objects:
        found.setdefault(obj._meta.label_lower, set()).add(obj.pk)
    return found


def hand_built_person(admin):
    """Ada, with a case of her own (completed, assessed, called, messaged, visited
    her home, escalated and closed by the local team), a contact of someone else's
    case (named twice), the history of her details, a merged record, a possible
    duplicate, a link, a lifted hold and the audit events about her. Returns her
    and every row that is hers."""
    ada = f.PersonFactory(first_name="Ada")
    case = completed_case(person=ada)
    assessment = RiskAssessment.objects.create(
        case=case, assessed_by=admin, assessed_at=CLOSED, clinical_notes="Mild"
    )
    case_call = reaching_call(case)
    home = f.ExposureSettingFactory(kind=SettingKind.HOUSEHOLD, name="Ada's home")
    visit = f.SettingVisitFactory(case=case, setting=home)
    draft = CaseDraft.objects.create(case=case, user=admin, section="contacts")
    case_message = f.MessageFactory(
        person=ada, case=case, status=Message.Status.DELIVERED
    )
    other_case = completed_case()
    contact = reached_contact(case=other_case, person=ada)
    contact_call = reaching_call(contact)
    further = Exposure.objects.create(
        contact=contact,
        case=completed_case(),
        exposure_date=CLOSED.date(),
        exposure="proximity",
        created_at=CLOSED,
    )
    escalation = f.EscalationFactory(
        contact=None,
        case=case,
        local_team=case.area.local_team,
        created_at=CLOSED - DAY,
        status=Escalation.Status.CLOSED,
        closed_at=CLOSED,
    )
    action = f.EscalationActionFactory(escalation=escalation, at=CLOSED - DAY)
    link = OnlineLink.objects.create(
        token_hash="a" * 64,
        purpose=OnlineLink.Purpose.CONTACT,
        person=ada,
        contact=contact,
        expires_at=CLOSED + DAY,
    )
    change = PersonChange.objects.create(
        person=ada, field="email", old_value="ada@old.example", new_value="", at=CLOSED
    )
    merged = f.PersonFactory(first_name="Ada", merged_into=ada)
    merge = PersonMerge.objects.create(
        survivor=ada, merged=merged, by=admin, at=CLOSED, snapshot={"survivor": {}}
    )
    stranger = f.PersonFactory()
    low, high = sorted([ada, stranger], key=lambda p: p.pk)
    pair = PossibleDuplicate.objects.create(
        person_a=low, person_b=high, score=0.7, created_at=CLOSED
    )
    hold = legal_hold_place(person=ada, reason="Complaint", by=admin)
    legal_hold_lift(hold=hold, by=admin, reason="Complaint answered")
    views = [
        AuditEvent.objects.create(
            at=CLOSED,
            action=AuditEvent.Action.VIEW,
            person=person,
            object_type="people.person",
            object_id=str(person.pk),
        )
        for person in (ada, merged)
    ]
    hers = rows_of(
        ada,
        merged,
        case,
        assessment,
        case_call,
        contact_call,
        home,
        visit,
        draft,
        case_message,
        contact,
        further,
        escalation,
        action,
        link,
        change,
        merge,
        pair,
        hold,
        *views,
        *AuditEvent.objects.filter(person=ada),  # the hold's own events
    )
    return ada, hers


def test_erasure_removes_every_row_of_the_person_and_nothing_else(admin):
    ada, hers = hand_built_person(admin)
    # Someone else, with much the same, who must be left whole.
    f.MessageFactory(status=Message.Status.SENT)
    reaching_call(reached_contact())
    before = every_row()

    erasure = person_erase(person=ada, by=admin, reason=Erasure.Reason.ERROR)

    after = every_row()
    removed = {kind: before[kind] - after[kind] for kind in before}
    assert {kind: pks for kind, pks in removed.items() if pks} == hers
    added = {kind: after[kind] - before[kind] for kind in before}
    assert {kind for kind, pks in added.items() if pks} == {
        "retention.erasure",
        "audit.auditevent",
    }
    assert erasure.removed["people.person"] == 2
    assert erasure.removed["calls.callattempt"] == 2


def test_the_erasure_is_audited_without_the_person(admin):
    ada, _ = hand_built_person(admin)

    erasure = person_erase(person=ada, by=admin, reason=Erasure.Reason.ERROR)

    event = AuditEvent.objects.get(object_type="retention.erasure")
    assert event.person_id is None
    assert event.user == admin
    assert event.object_id == str(erasure.pk)
    # Who, why and how many rows of each kind: nothing of Ada herself.
    assert event.detail == {
        "erased": True,
        "reason": "error",
        "removed": erasure.removed,
    }
    assert all(isinstance(n, int) for n in erasure.removed.values())


def test_the_plan_counts_what_the_erasure_removes_and_changes_nothing(admin):
    ada, hers = hand_built_person(admin)
    before = every_row()

    plan = person_erasure_plan(person=ada)

    assert every_row() == before
    assert plan.allowed
    assert plan.removes == {kind: len(pks) for kind, pks in hers.items()}


def test_an_open_case_is_kept(admin):
    case = f.CaseFactory(status=Status.NEW)

    with pytest.raises(RetentionRefused, match="still open"):
        person_erase(person=case.person, by=admin, reason=Erasure.Reason.ERROR)

    assert type(case).objects.filter(pk=case.pk).exists()


def test_a_legal_hold_stops_erasure(admin):
    case = completed_case()
    legal_hold_place(person=case.person, reason="Inquest", by=admin)

    with pytest.raises(RetentionRefused, match="legal hold"):
        person_erase(person=case.person, by=admin, reason=Erasure.Reason.ERROR)


def test_an_open_safeguarding_escalation_stops_erasure(admin):
    contact = reached_contact()
    f.EscalationFactory(
        contact=contact,
        local_team=contact.area.local_team,
        reason=Escalation.Reason.SAFEGUARDING,
    )

    plan = person_erasure_plan(person=contact.person)

    assert "A safeguarding escalation about them is still open." in plan.refusals


def test_a_case_that_named_other_people_is_kept(admin):
    contact = reached_contact()

    with pytest.raises(RetentionRefused, match="named 1 other people"):
        person_erase(
            person=contact.case.person, by=admin, reason=Erasure.Reason.OBJECTION
        )


def test_only_an_administrator_may_erase(supervisor):
    case = completed_case()

    with pytest.raises(RetentionRefused, match="administrator"):
        person_erase(person=case.person, by=supervisor, reason=Erasure.Reason.ERROR)


def test_a_hold_is_placed_and_lifted_with_audit(admin):
    person = f.PersonFactory()

    hold = legal_hold_place(person=person, reason="Litigation", by=admin)
    with pytest.raises(RetentionRefused, match="already"):
        legal_hold_place(person=person, reason="Again", by=admin)
    legal_hold_lift(hold=hold, by=admin, reason="Settled")

    hold.refresh_from_db()
    assert hold.lifted_by == admin
    assert hold.lift_reason == "Settled"
    assert list(
        AuditEvent.objects.filter(object_type="retention.legalhold")
        .order_by("id")
        .values_list("person_id", "detail")
    ) == [
        (person.pk, {"legal_hold": "placed"}),
        (person.pk, {"legal_hold": "lifted"}),
    ]
    assert not LegalHold.objects.filter(lifted_at__isnull=True).exists()
