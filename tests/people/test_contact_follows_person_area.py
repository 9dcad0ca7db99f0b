"""A contact nobody has reached yet follows their person's address when a merge of
two records or a new result corrects it: unreached, it goes to the local team of
where the person now lives, who can see them. A contact reached, closed or with a
local team keeps the area it had (as work.casework's further naming does)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from work.escalation import escalate_unreached, item_escalate
from work.intake import TestResult as LabResult
from work.intake import case_intake, case_intake_many
from work.merge import person_merge, person_merge_undo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHEFFIELD, LEEDS = "E08000019", "E08000035"
BORN = dt.date(1979, 3, 2)
NHS = "9434765919"


def sheffield_person(**kwargs) -> Person:
    kwargs.setdefault("first_name", "Frances")
    kwargs.setdefault("last_name", "Cole")
    kwargs.setdefault("date_of_birth", BORN)
    return f.PersonFactory(
        postcode="S1 2HH",
        area=f.area(SHEFFIELD),
        **kwargs,
    )


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same date of birth"],
        created_at=timezone.now(),
    )


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


def team_of(contact: Contact) -> str:
    contact.refresh_from_db()
    assert contact.area is not None
    return contact.area.local_team.name


def escalated_to(contact: Contact) -> str:
    """The local team the sweep gives `contact` once its rule is spent."""
    Contact.objects.filter(pk=contact.pk).update(
        escalate_due_at=timezone.now() - dt.timedelta(minutes=1)
    )
    escalate_unreached()
    return Escalation.objects.get(contact=contact).local_team.name


def completed(case: Case) -> None:
    """The caseworker has finished the person's case: while it was being worked
    their contact was held back (work.queues.called_as_case); now it is worked, and
    swept, as before."""
    Case.objects.filter(pk=case.pk).update(
        status=Status.COMPLETED,
        reached_at=timezone.now(),
        completed_at=timezone.now(),
        next_attempt_at=None,
        escalate_due_at=None,
    )


def reached_contact(person: Person) -> Contact:
    return f.ContactFactory(
        person=person,
        area=person.area,
        status=Status.REACHED,
        reached_at=timezone.now() - dt.timedelta(hours=3),
        reached_route="national",
        next_attempt_at=None,
    )


# --- a merge of duplicates ------------------------------------------------------------


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def frances_and_francis():
    """Contact 92, Frances in Sheffield, and contact 93, Francis at LS6 3QE in Leeds:
    one woman, each named by another case, both still to be called."""
    frances = sheffield_person()
    francis = f.PersonFactory(
        first_name="Francis",
        last_name="Cole",
        date_of_birth=BORN,
        postcode="LS6 3QE",
        area=f.area(LEEDS),
    )
    in_sheffield = f.ContactFactory(person=frances, area=frances.area)
    in_leeds = f.ContactFactory(person=francis, area=francis.area)
    return frances, francis, in_sheffield, in_leeds


def test_a_merge_keeping_the_leeds_postcode_sends_the_contact_to_leeds(
    supervisor, frances_and_francis
):
    frances, francis, in_sheffield, in_leeds = frances_and_francis
    assert team_of(in_sheffield).startswith("Sheffield")
    pair = pair_of(frances, francis)

    person_merge(
        pair=pair,
        survivor=frances,
        fields={"postcode": side_of(pair, francis)},
        by=supervisor,
    )

    frances.refresh_from_db()
    assert frances.postcode == "LS6 3QE"
    (kept,) = Contact.objects.filter(person=frances)
    # The older of the two, the other joined into it.
    assert kept.pk == in_sheffield.pk
    assert not Contact.objects.filter(pk=in_leeds.pk).exists()
    assert team_of(kept).startswith("Leeds")
    assert (kept.area_id, kept.area_unknown) == (frances.area_id, False)
    # Unreached, it goes to the team where she lives, not to Sheffield's.
    assert escalated_to(kept).startswith("Leeds")


def test_a_merge_leaves_a_contact_already_told_with_its_own_area(
    supervisor, frances_and_francis
):
    frances, francis, in_sheffield, _ = frances_and_francis
    told = reached_contact(frances)
    pair = pair_of(frances, francis)

    person_merge(
        pair=pair,
        survivor=frances,
        fields={"postcode": side_of(pair, francis)},
        by=supervisor,
    )

    assert team_of(told).startswith("Sheffield")
    assert team_of(in_sheffield).startswith("Leeds")


def test_a_merge_leaves_a_contact_with_its_local_team_where_it_was(
    supervisor, frances_and_francis
):
    frances, francis, in_sheffield, _ = frances_and_francis
    escalation = item_escalate(item=in_sheffield, reason=Escalation.Reason.UNREACHED)
    pair = pair_of(frances, francis)

    person_merge(
        pair=pair,
        survivor=frances,
        fields={"postcode": side_of(pair, francis)},
        by=supervisor,
    )

    # Kept (furthest along) and still Sheffield's, whose team is working it.
    assert list(Contact.objects.filter(person=frances)) == [in_sheffield]
    assert team_of(in_sheffield).startswith("Sheffield")
    assert Escalation.objects.get(pk=escalation.pk).local_team.name.startswith(
        "Sheffield"
    )


def test_undoing_the_merge_puts_each_contact_back_in_its_own_area(
    supervisor, admin, frances_and_francis
):
    frances, francis, in_sheffield, in_leeds = frances_and_francis
    pair = pair_of(frances, francis)
    merge = person_merge(
        pair=pair,
        survivor=frances,
        fields={"postcode": side_of(pair, francis)},
        by=supervisor,
    )
    assert team_of(in_sheffield).startswith("Leeds")

    person_merge_undo(merge=merge, by=admin)

    assert team_of(in_sheffield).startswith("Sheffield")
    assert team_of(Contact.objects.get(pk=in_leeds.pk)).startswith("Leeds")


def test_the_merge_is_audited_with_the_contacts_that_moved(
    supervisor, frances_and_francis
):
    frances, francis, in_sheffield, _ = frances_and_francis
    pair = pair_of(frances, francis)

    person_merge(
        pair=pair,
        survivor=frances,
        fields={"postcode": side_of(pair, francis)},
        by=supervisor,
    )

    event = AuditEvent.objects.get(
        person=frances, object_type="people.person", action=AuditEvent.Action.UPDATE
    )
    assert event.user == supervisor
    assert event.detail["contacts_followed"] == [
        {
            "contact": in_sheffield.pk,
            "area_was": f.area(SHEFFIELD).pk,
            "area": f.area(LEEDS).pk,
        }
    ]


# --- a new result ---------------------------------------------------------------------


def new_result(ref: str, person: Person, postcode: str = "LS6 3QE") -> LabResult:
    return LabResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth,
            nhs_number=person.nhs_number,
            phone=str(person.phone),
            postcode=postcode,
        ),
        specimen_date=timezone.localdate() - dt.timedelta(days=2),
        result_date=timezone.localdate() - dt.timedelta(days=1),
    )


def test_a_new_result_at_a_leeds_postcode_sends_their_contact_to_leeds():
    """Contact 94, in Sheffield; a result for her from LS6 3QE."""
    person = sheffield_person(nhs_number=NHS)
    contact = f.ContactFactory(person=person, area=person.area)
    told = reached_contact(person)
    with_team = f.ContactFactory(person=person, area=person.area)
    item_escalate(item=with_team, reason=Escalation.Reason.UNREACHED)

    case, created = case_intake(result=new_result("LAB-LEEDS-1", person))

    assert created
    assert case.person_id == person.pk
    person.refresh_from_db()
    assert person.postcode == "LS6 3QE"
    assert case.area.local_team.name.startswith("Leeds")
    assert team_of(contact).startswith("Leeds")
    assert not contact.area_unknown
    assert team_of(told).startswith("Sheffield")
    assert team_of(with_team).startswith("Sheffield")
    event = AuditEvent.objects.get(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__follows="new result",
    )
    assert (event.detail["area_was"], event.detail["area"]) == (
        f.area(SHEFFIELD).pk,
        f.area(LEEDS).pk,
    )
    completed(case)
    assert escalated_to(contact).startswith("Leeds")


def test_a_batch_of_new_results_moves_every_unreached_contact_in_one_update():
    """Set-wise: people found in a batch who moved to Leeds each take their
    unreached contacts with them, in one UPDATE however many there are."""
    names = ["Aled", "Bethan", "Ceri", "Dafydd", "Eira", "Ffion"]
    names += ["Gareth", "Huw", "Iolo", "Jac", "Lowri", "Megan"]
    movers = [
        sheffield_person(first_name=name, date_of_birth=dt.date(1980, 1, 1 + n))
        for n, name in enumerate(names)
    ]
    contacts = [f.ContactFactory(person=p, area=p.area) for p in movers]
    told = [reached_contact(p) for p in movers[:3]]
    stayer = sheffield_person(first_name="Nia", date_of_birth=dt.date(1975, 5, 5))
    staying = f.ContactFactory(person=stayer, area=stayer.area)
    results = [new_result(f"LAB-B-{p.pk}", p) for p in movers]
    results.append(new_result("LAB-B-STAYS", stayer, postcode=stayer.postcode))
    results += [
        LabResult(
            lab_reference=f"LAB-B-NEW-{n}",
            person=PersonDetails(
                first_name="New",
                last_name=f"Person{n}",
                date_of_birth=dt.date(1990, 1, 1 + n),
                postcode="S1 2HH",
            ),
            specimen_date=timezone.localdate() - dt.timedelta(days=2),
            result_date=timezone.localdate() - dt.timedelta(days=1),
        )
        for n in range(20)
    ]

    with CaptureQueriesContext(connection) as queries:
        outcomes = case_intake_many(results=results)

    assert all(o.created and o.error is None for o in outcomes)
    assert [o.case.person_id for o in outcomes[:12]] == [p.pk for p in movers]
    for contact in contacts:
        assert team_of(contact).startswith("Leeds")
    for contact in told:
        assert team_of(contact).startswith("Sheffield")
    assert team_of(staying).startswith("Sheffield")
    area_updates = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('UPDATE "contacts_contact" SET "area_id"')
    ]
    assert len(area_updates) == 1
    completed(outcomes[0].case)
    assert escalated_to(contacts[0]).startswith("Leeds")


def test_a_new_result_from_outside_england_takes_their_contact_to_no_area():
    """Contact 95, in Sheffield; a result for her from CF10 1EP, in Cardiff: she
    lives outside England now, so her contact still to be called is no Sheffield
    team's: it has no area, as a contact named at that postcode would, and goes to
    the fallback team if the phones cannot reach her. Before, it stayed Sheffield's."""
    person = sheffield_person(nhs_number=NHS)
    contact = f.ContactFactory(person=person, area=person.area)
    told = reached_contact(person)

    case, created = case_intake(result=new_result("LAB-CARDIFF-1", person, "CF10 1EP"))

    assert created
    person.refresh_from_db()
    assert (person.postcode, person.area_id) == ("CF10 1EP", None)
    contact.refresh_from_db()
    assert (contact.area_id, contact.area_unknown) == (None, True)
    assert team_of(told).startswith("Sheffield")
    event = AuditEvent.objects.get(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__follows="new result",
    )
    assert (event.detail["area_was"], event.detail["area"]) == (
        f.area(SHEFFIELD).pk,
        None,
    )
    completed(case)
    escalated_to(contact)
    assert Escalation.objects.get(contact=contact).local_team.is_fallback
