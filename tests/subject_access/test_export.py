"""The subject access export (work/subject_access.py): every row held about one
person, kind by kind, and nothing of anyone else; audited; in a fixed number of
queries."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import ForeignObjectRel, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case, CaseDraft, RiskAssessment, SettingVisit
from contacts.models import Contact, Exposure
from escalations.models import Cluster, Escalation, EscalationAction
from online.models import OnlineLink
from people.models import (
    Message,
    Person,
    PersonChange,
    PersonMerge,
    PossibleDuplicate,
)
from tests import factories as f
from work.errors import WorkRefused
from work.merge import person_merge, person_merge_undo
from work.subject_access import NOT_EXPORTED, OMITTED, WITHHELD, person_export

from .conftest import audit, escalate, link

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")


def ids(export, key: str) -> set:
    return {row["id"] for row in export["sections"][key]["rows"]}


def held_about(person: Person) -> dict[str, set[int]]:
    """Every row about `person`, kind by kind, read from the database by their own
    joins (not the export's queries)."""
    mine = Q(case__person=person) | Q(contact__person=person)

    def pks(queryset) -> set[int]:
        return set(queryset.values_list("pk", flat=True))

    return {
        "person": {person.pk},
        "person_changes": pks(PersonChange.objects.filter(person=person)),
        "possible_duplicates": pks(
            PossibleDuplicate.objects.filter(Q(person_a=person) | Q(person_b=person))
        ),
        "cases": pks(Case.objects.filter(person=person)),
        "risk_assessments": pks(RiskAssessment.objects.filter(case__person=person)),
        "visits": pks(SettingVisit.objects.filter(case__person=person)),
        "drafts": pks(CaseDraft.objects.filter(case__person=person)),
        "clusters": pks(Cluster.objects.filter(cases__person=person)),
        "contacts": pks(Contact.objects.filter(person=person)),
        "further_exposures": pks(Exposure.objects.filter(contact__person=person)),
        "calls": pks(CallAttempt.objects.filter(mine)),
        "messages": pks(Message.objects.filter(person=person)),
        "online_links": pks(OnlineLink.objects.filter(person=person)),
        "escalations": pks(Escalation.objects.filter(mine)),
        "escalation_actions": pks(
            EscalationAction.objects.filter(
                Q(escalation__case__person=person)
                | Q(escalation__contact__person=person)
            )
        ),
        "audit_events": pks(AuditEvent.objects.filter(person=person)),
    }


def values_of(person: Person) -> list[str]:
    """What identifies a person, as the export or a page could spell it."""
    values = [
        person.first_name,
        person.last_name,
        person.nhs_number,
        person.email,
        person.address,
        person.postcode,
        person.date_of_birth.isoformat(),
        *(
            lab
            for lab in Case.objects.filter(person=person).values_list(
                "lab_reference", flat=True
            )
        ),
    ]
    for phone in (person.phone, person.phone_alt):
        if phone:
            values += [phone.as_e164, phone.as_national, str(phone.national_number)]
    return [v for v in values if v]


# --- every row of the person -------------------------------------------------------------


def test_export_holds_every_row_of_the_person_kind_by_kind(household, administrator):
    expected = held_about(household.alice)  # before the export's own audit event

    export = person_export(person=household.alice, by=administrator)

    for key, pks in expected.items():
        assert pks, f"the test built no {key} for Alice"
        assert ids(export, key) == pks, key


def test_export_holds_no_value_of_the_other_person(household, administrator):
    text = json.dumps(person_export(person=household.alice, by=administrator))

    found = [v for v in values_of(household.barnaby) if v.lower() in text.lower()]
    assert found == []
    assert "Quarrington" in text


def test_every_column_of_each_kind_is_exported(household, administrator):
    export = person_export(person=household.alice, by=administrator)

    for key, section in export["sections"].items():
        model = {
            "people.person": Person,
            "people.personchange": PersonChange,
            "people.personmerge": PersonMerge,
            "people.possibleduplicate": PossibleDuplicate,
            "cases.case": Case,
            "cases.riskassessment": RiskAssessment,
            "cases.settingvisit": SettingVisit,
            "cases.casedraft": CaseDraft,
            "escalations.cluster": Cluster,
            "contacts.contact": Contact,
            "contacts.exposure": Exposure,
            "calls.callattempt": CallAttempt,
            "people.message": Message,
            "online.onlinelink": OnlineLink,
            "escalations.escalation": Escalation,
            "escalations.escalationaction": EscalationAction,
            "audit.auditevent": AuditEvent,
        }.get(section["model"])
        if model is None:
            continue  # a kind of row added since: exported by its own columns
        columns = {c.name for c in model._meta.concrete_fields} - OMITTED.get(
            model, frozenset()
        )
        assert columns <= set(section["fields"]), key
        for row in section["rows"]:
            assert set(row) == set(section["fields"]), key


def test_every_kind_of_row_pointing_at_their_records_is_exported(
    household, administrator
):
    """Whatever points at a person, case or contact (kinds added by later work
    too) is a section of the export, but for the contacts a case named (counted)
    and the kinds that are not the person's data (said in the export)."""
    export = person_export(person=household.alice, by=administrator)
    exported = {section["model"] for section in export["sections"].values()}

    expected = set()
    for model in (Person, Case, Contact):
        for relation in model._meta.get_fields(include_hidden=True):
            if not isinstance(relation, ForeignObjectRel) or relation.many_to_many:
                continue
            label = relation.related_model._meta.label_lower
            if relation.related_model._meta.auto_created or label in NOT_EXPORTED:
                continue
            expected.add(label)

    assert expected - exported == set()


def test_the_records_a_purge_warning_told_of_are_not_exported(household, administrator):
    """A purge notice holds a record's id and the warning's, nothing of the person:
    not a section of the export (nor a query of it), as the export says."""
    export = person_export(person=household.alice, by=administrator)

    assert "other-retention-purgenotice" not in export["sections"]
    assert any("warned would be deleted" in note for note in export["withheld"])


def test_the_export_is_plain_json_with_times_in_local_time(household, administrator):
    summer = dt.datetime(2020, 10, 1, 9, 30, tzinfo=LONDON)
    call = f.CallAttemptFactory(case=household.case_a1, contact=None, started_at=summer)

    export = json.loads(
        json.dumps(person_export(person=household.alice, by=administrator))
    )

    row = next(r for r in export["sections"]["calls"]["rows"] if r["id"] == call.pk)
    assert row["started_at"] == "2020-10-01T09:30:00+01:00"
    assert row["outcome"] == "No answer"  # choices in words
    assert export["sections"]["person"]["rows"][0]["phone"] == "+447700900111"


# --- what is another person's ----------------------------------------------------------------


def test_the_contacts_their_cases_named_are_counted_not_named(household, administrator):
    export = person_export(person=household.alice, by=administrator)

    cases = {r["id"]: r for r in export["sections"]["cases"]["rows"]}
    # Barnaby: a contact of her first case, a further exposure of her second.
    assert cases[household.case_a1.pk]["contacts_named"] == 1
    assert cases[household.case_a2.pk]["contacts_named"] == 1
    assert household.contact_barnaby.pk not in ids(export, "contacts")


def test_whose_case_named_them_is_withheld(household, administrator):
    export = person_export(person=household.alice, by=administrator)

    (contact,) = export["sections"]["contacts"]["rows"]
    assert contact["id"] == household.contact_alice.pk
    assert contact["case"] == WITHHELD
    (further,) = export["sections"]["further_exposures"]["rows"]
    assert further["case"] == WITHHELD
    assert further["contact"] == household.contact_alice.pk
    created = next(
        e
        for e in export["sections"]["audit_events"]["rows"]
        if e["action"] == "Created"
    )
    assert created["detail"] == {"case": WITHHELD}


def test_their_own_cases_and_staff_are_shown(household, administrator, caseworker):
    export = person_export(person=household.alice, by=administrator)

    (call,) = [
        r
        for r in export["sections"]["calls"]["rows"]
        if r["case"] == household.case_a1.pk
    ]
    assert call["caller"] == caseworker.get_full_name()
    assert call["notes"] == "Has a cough; isolating at home."
    (visit,) = export["sections"]["visits"]["rows"]
    assert visit["case"] == household.case_a1.pk
    assert visit["setting"] == "Corner Bakery (Workplace)"


def test_a_draft_naming_contacts_is_withheld_and_an_assessment_draft_kept(
    household, administrator
):
    export = person_export(person=household.alice, by=administrator)

    drafts = {r["section"]: r for r in export["sections"]["drafts"]["rows"]}
    assert drafts["Risk assessment"]["data"] == {"occupation": "Baker"}
    assert drafts["Contacts"]["data"] == WITHHELD


def test_the_other_record_of_a_possible_duplicate_is_withheld(
    household, administrator, supervisor
):
    export = person_export(person=household.alice, by=administrator)

    (pair,) = export["sections"]["possible_duplicates"]["rows"]
    sides = {pair["person_a"], pair["person_b"]}
    assert sides == {household.alice.pk, WITHHELD}
    assert pair["decided_by"] == supervisor.get_full_name()
    assert pair["status"] == "Not the same person"


def test_a_record_merged_into_theirs_is_exported_with_its_trail(
    household, administrator, supervisor
):
    old = f.PersonFactory(
        first_name="Alice",
        last_name="Quarrington",
        date_of_birth=household.alice.date_of_birth,
        phone="+447700900199",
    )
    seen = audit(person=old, user=supervisor, obj=old)
    a, b = sorted((household.alice, old), key=lambda p: p.pk)
    pair = PossibleDuplicate.objects.create(
        person_a=a, person_b=b, score=0.9, created_at=timezone.now()
    )
    merge = person_merge(pair=pair, survivor=household.alice, fields={}, by=supervisor)

    export = person_export(person=household.alice, by=administrator)

    assert ids(export, "merged_records") == {old.pk}
    assert seen.pk in ids(export, "audit_events")
    (row,) = export["sections"]["merges"]["rows"]
    assert (row["id"], row["survivor"], row["merged"]) == (
        merge.pk,
        household.alice.pk,
        old.pk,
    )
    assert "snapshot" not in row
    assert "+447700900199" in json.dumps(export)  # her own old number


def test_an_undone_merge_withholds_the_other_record_and_what_it_gave(
    administrator, supervisor, clock
):
    alice = f.PersonFactory(first_name="Alice", last_name="Quarrington", email="")
    other = f.PersonFactory(
        first_name="Agnieszka", last_name="Quarrington", email="agnieszka@example.net"
    )
    a, b = sorted((alice, other), key=lambda p: p.pk)
    pair = PossibleDuplicate.objects.create(
        person_a=a, person_b=b, score=0.7, created_at=timezone.now()
    )
    side = "a" if other.pk == a.pk else "b"
    merge = person_merge(
        pair=pair, survivor=alice, fields={"email": side}, by=supervisor
    )
    person_merge_undo(merge=merge, by=administrator)
    alice.refresh_from_db()

    export = person_export(person=alice, by=administrator)

    (row,) = export["sections"]["merges"]["rows"]
    assert (row["survivor"], row["merged"]) == (alice.pk, WITHHELD)
    assert row["fields"]["email"]["value"] == WITHHELD
    text = json.dumps(export)
    assert "agnieszka" not in text.lower()
    assert export["sections"]["merged_records"]["rows"] == []


# --- the export recorded, and for administrators only --------------------------------------------


def test_the_export_is_audited(household, administrator):
    export = person_export(person=household.alice, by=administrator)

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert (event.user, event.person_id, event.object_type, event.object_id) == (
        administrator,
        household.alice.pk,
        "people.person",
        str(household.alice.pk),
    )
    rows = sum(len(s["rows"]) for s in export["sections"].values())
    assert event.detail == {"what": "everything held about the person", "rows": rows}
    assert export["exported_by"] == "Ada Ministrator"


def test_anyone_but_an_administrator_is_refused_and_nothing_recorded(
    household, supervisor
):
    with pytest.raises(WorkRefused):
        person_export(person=household.alice, by=supervisor)

    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


# --- queries --------------------------------------------------------------------------


def queries_of_export(person, by) -> int:
    with CaptureQueriesContext(connection) as queries:
        person_export(person=person, by=by)
    return len(queries)


def test_the_export_reads_a_fixed_number_of_queries(
    household, administrator, caseworker, call_handler, local_team_member
):
    alice = household.alice
    # The first also reads the administrator's profile (kept on the user).
    export = person_export(person=alice, by=administrator)
    first = queries_of_export(alice, administrator)

    # Twice as much of everything: the queries stay the same.
    for _ in range(3):
        case = f.CaseFactory(person=alice, assignee=caseworker, status="assigned")
        f.RiskAssessmentFactory(case=case, assessed_by=f.UserFactory())
        f.SettingVisitFactory(case=case)
        contact = f.ContactFactory(
            person=alice, assignee=call_handler, status="assigned"
        )
        f.CallAttemptFactory(case=case, contact=None, caller=f.UserFactory())
        f.CallAttemptFactory(contact=contact, caller=f.UserFactory())
        f.MessageFactory(person=alice, contact=contact)
        link(person=alice, contact=contact)
        escalate(contact, by=f.UserFactory(), note="Visited.")
        audit(person=alice, user=f.UserFactory(), obj=contact)
    again = queries_of_export(alice, administrator)

    assert again == first
    # One a kind of row held (and one for the records merged in; the further
    # results of their cases among them), the named contacts' two counts, the staff,
    # areas, teams and places named (one each), the audit row; and one for each kind
    # added by later work.
    others = [key for key in export["sections"] if key.startswith("other-")]
    assert first == 25 + len(others)
