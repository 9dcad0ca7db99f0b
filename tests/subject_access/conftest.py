"""A hand-built household for the subject access export: Alice, whose data is
exported, and Barnaby, who shares her cases (each named the other as a contact) and
has rows of every kind of his own, none of which may appear in Alice's export."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case, CaseDraft
from contacts.models import Contact, Exposure
from escalations.models import Escalation
from online.models import OnlineLink
from people.models import Person, PersonChange, PossibleDuplicate
from tests import factories as f


def nhs_number(first_nine: str) -> str:
    """A valid NHS number from nine digits (their modulus 11 check digit added)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    assert check != 10, "nine digits with no check digit: pick others"
    return f"{first_nine}{check}"


@pytest.fixture
def administrator(db):
    return f.UserFactory(
        username="administrator",
        first_name="Ada",
        last_name="Ministrator",
        is_superuser=True,
        is_staff=True,
    )


@dataclass
class Household:
    alice: Person
    barnaby: Person
    case_a1: Case
    case_a2: Case
    case_b1: Case
    contact_alice: Contact  # Alice, named by Barnaby's case
    contact_barnaby: Contact  # Barnaby, named by Alice's first case


def link(*, person, case=None, contact=None) -> OnlineLink:
    return OnlineLink.objects.create(
        token_hash=secrets.token_hex(32),
        purpose="case" if case is not None else "contact",
        person=person,
        case=case,
        contact=contact,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )


def audit(*, person, user, obj, action=AuditEvent.Action.VIEW, detail=None):
    return f.AuditEventFactory(
        person=person,
        user=user,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        detail=detail or {"via": "page"},
    )


def escalate(item, *, by, note: str) -> Escalation:
    escalation = f.EscalationFactory(
        case=item if isinstance(item, Case) else None,
        contact=item if isinstance(item, Contact) else None,
        local_team=item.area.local_team,
        detail="Not reached by phone.",
    )
    f.EscalationActionFactory(escalation=escalation, by=by, note=note)
    return escalation


@pytest.fixture
def household(clock, caseworker, call_handler, local_team_member, supervisor):
    now = timezone.now()
    alice = f.PersonFactory(
        first_name="Alice",
        last_name="Quarrington",
        date_of_birth=dt.date(1988, 2, 9),
        nhs_number=nhs_number("943476591"),
        phone="+447700900111",
        email="alice.q@example.org",
        address="3 Lime Street",
    )
    barnaby = f.PersonFactory(
        first_name="Barnaby",
        last_name="Wrexleigh",
        date_of_birth=dt.date(1951, 3, 17),
        nhs_number=nhs_number("401023213"),
        phone="+447700900222",
        phone_alt="+447700900223",
        email="b.wrexleigh@example.net",
        address="14 Quillon Road",
        postcode="S7 1QQ",
    )
    # Alice: two cases (a second infection months later), each naming Barnaby.
    case_a1 = f.CaseFactory(person=alice, created_at=now - dt.timedelta(days=100))
    case_a2 = f.CaseFactory(person=alice)
    case_b1 = f.CaseFactory(person=barnaby, created_at=now - dt.timedelta(days=101))
    case_b2 = f.CaseFactory(person=barnaby, created_at=now - dt.timedelta(days=1))
    contact_barnaby = f.ContactFactory(case=case_a1, person=barnaby)
    Exposure.objects.create(
        contact=contact_barnaby,
        case=case_a2,
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure=Contact.Exposure.HOUSEHOLD,
        identified_by=caseworker,
        created_at=now,
    )
    # Alice named by Barnaby's first case, and again by his second.
    contact_alice = f.ContactFactory(case=case_b1, person=alice)
    Exposure.objects.create(
        contact=contact_alice,
        case=case_b2,
        exposure_date=timezone.localdate() - dt.timedelta(days=2),
        exposure=Contact.Exposure.HOUSEHOLD,
        identified_by=caseworker,
        created_at=now,
    )

    # Alice's case work.
    f.RiskAssessmentFactory(
        case=case_a1, assessed_by=caseworker, household_notes="Lives with one adult."
    )
    f.SettingVisitFactory(case=case_a1, setting__name="Corner Bakery")
    CaseDraft.objects.create(
        case=case_a1,
        user=caseworker,
        section=CaseDraft.Section.ASSESSMENT,
        data={"occupation": "Baker"},
    )
    CaseDraft.objects.create(
        case=case_a2,
        user=caseworker,
        section=CaseDraft.Section.CONTACTS,
        data={
            "first_name": "Barnaby",
            "last_name": "Wrexleigh",
            "phone": "07700 900222",
        },
    )
    cluster = f.ClusterFactory()
    cluster.cases.add(case_a1, case_b1)
    f.CallAttemptFactory(
        case=case_a1,
        contact=None,
        caller=caseworker,
        phone=str(alice.phone),
        outcome=Outcome.REACHED,
        notes="Has a cough; isolating at home.",
    )
    f.CallAttemptFactory(contact=contact_alice, caller=call_handler)
    f.CallAttemptFactory(contact=contact_alice, caller=call_handler)
    f.MessageFactory(person=alice, case=case_a1)
    link(person=alice, case=case_a1)
    escalate(case_a2, by=local_team_member, note="Left a card at the door.")
    PersonChange.objects.create(
        person=alice,
        field="phone",
        old_value="+447700900100",
        new_value=str(alice.phone),
        source="intake",
        at=now,
    )
    a, b = sorted((alice, barnaby), key=lambda p: p.pk)
    PossibleDuplicate.objects.create(
        person_a=a,
        person_b=b,
        score=0.61,
        reasons=["same address"],
        status=PossibleDuplicate.Status.NOT_SAME,
        created_at=now,
        decided_by=supervisor,
        decided_at=now,
    )
    audit(person=alice, user=caseworker, obj=case_a1)
    audit(
        person=alice,
        user=caseworker,
        obj=contact_alice,
        action=AuditEvent.Action.CREATE,
        detail={"case": case_b1.pk},
    )

    # Barnaby's own rows, as many as share Alice's cases.
    f.RiskAssessmentFactory(
        case=case_b1, assessed_by=caseworker, household_notes="Barnaby's flat."
    )
    f.CallAttemptFactory(
        contact=contact_barnaby,
        caller=call_handler,
        phone=str(barnaby.phone),
        notes="Spoke to Barnaby Wrexleigh.",
    )
    f.CallAttemptFactory(case=case_b1, contact=None, caller=caseworker)
    f.MessageFactory(person=barnaby, contact=contact_barnaby)
    f.MessageFactory(person=barnaby, case=case_b1, to=barnaby.email, channel="email")
    link(person=barnaby, contact=contact_barnaby)
    escalate(contact_barnaby, by=local_team_member, note="Barnaby Wrexleigh was out.")
    PersonChange.objects.create(
        person=barnaby,
        field="email",
        old_value="barnaby@example.net",
        new_value=barnaby.email,
        source="case page",
        at=now,
    )
    audit(person=barnaby, user=caseworker, obj=contact_barnaby)
    audit(person=barnaby, user=call_handler, obj=case_b1)
    return Household(
        alice=alice,
        barnaby=barnaby,
        case_a1=case_a1,
        case_a2=case_a2,
        case_b1=case_b1,
        contact_alice=contact_alice,
        contact_barnaby=contact_barnaby,
    )
