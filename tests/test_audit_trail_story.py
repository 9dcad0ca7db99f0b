"""A data protection officer reads the audit trail ("Who has seen this person", the
audit search) to reconstruct who saw and changed a person's records: each change
says what it was, from the events the services themselves write.

Before: a lab result attached to an existing person changed their phone, address
and email with no event on the person; a first risk assessment read "Created case
N"; a clinician's isolation end, a send back with a new phone, a correction of a
call's outcome and a merge read "Changed ..." with what changed left out (and a send
back giving a phone to someone with none said nothing of it); a call an integration
logged on behalf of a caller named only the integration.

The test clock stands at 10:00 on Tuesday 12 January 2021."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from people.models import Person, PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from tests.conftest import ensure_ons_areas
from tests.local_teams.builders import (
    SHEFFIELD,
    escalated_case,
    local_member,
    person_in,
)
from work.calls import call_correct, call_record
from work.casework import AssessmentDetails, case_assessment_record
from work.escalation import (
    escalation_claim,
    escalation_record_action,
    escalation_return,
)
from work.intake import TestResult, case_intake_many
from work.isolation import isolation_override
from work.merge import person_merge

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def admin(db):
    return f.UserFactory(
        username="dpo", first_name="Dee", last_name="Poe", is_superuser=True
    )


def api_client(name: str, *scopes: str) -> APIClient:
    _, token = api_client_create(
        name=name, scopes=list(scopes), rate_limit_per_minute=1000
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def hold(item, user):
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def who_has_seen(client, person_id: int) -> list[tuple[str, str]]:
    """(who, what) of each row of the person's trail but the views, newest first."""
    response = client.get(reverse("staffing:person_audit", args=[person_id]))
    assert response.status_code == 200
    return [
        (row.who, row.what)
        for row in response.context["rows"]
        if row.event.action != AuditEvent.Action.VIEW
    ]


def search(client, **params) -> list[AuditEvent]:
    response = client.get(reverse("staffing:audit_search"), params)
    assert response.status_code == 200
    return [row.event for row in response.context["rows"]]


def whats(client, person_id: int) -> list[str]:
    return [what for _, what in who_has_seen(client, person_id)]


# --- 1. a lab result changing a person held -------------------------------------


def test_a_result_attached_to_a_person_reports_the_details_it_changed(
    clock, client, admin
):
    person = f.PersonFactory(
        first_name="Ella",
        last_name="Jones",
        date_of_birth=D(1988, 4, 23),
        phone="+447400000298",
        address="",
        email="",
        postcode="S1 1AA",
    )
    case = f.CaseFactory(person=person, lab_reference="LAB-FIRST")
    lab = api_client("Lab feed", Scope.INTAKE, Scope.CASEWORK)
    body = {
        "lab_reference": "LAB-SECOND",
        "person": {
            "first_name": "Ella",
            "last_name": "Jones",
            "date_of_birth": "1988-04-23",
            "phone": "07911 222333",
            "address": "9 New Street",
            "postcode": "S1 1AA",
            "email": "ella@example.org",
        },
        "specimen_date": str(case.specimen_date),
        "result_date": str(case.result_date),
    }

    answer = lab.post("/api/v1/test-results/", body, format="json")

    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "attached"
    person.refresh_from_db()
    assert (str(person.phone), person.email) == ("+447911222333", "ella@example.org")
    client.force_login(admin)
    who, what = who_has_seen(client, person.pk)[0]
    assert who == "Lab feed"
    assert what.startswith(f"Changed person {person.pk}")
    assert "phone changed, address added, email added" in what
    # The DPO's search for changes to them finds it, by the API's account.
    (changed,) = search(client, person=person.pk, action="update")
    assert changed.user.username == "api-lab-feed"
    assert (changed.object_type, changed.object_id) == ("people.person", str(person.pk))
    # Which fields, never their values (the history keeps those).
    text = str(changed.detail)
    for value in ("222333", "ella@", "New Street", "0000298"):
        assert value not in text


def test_a_result_changing_nothing_writes_no_change_of_the_person(clock):
    person = f.PersonFactory(
        first_name="Ella",
        last_name="Jones",
        date_of_birth=D(1988, 4, 23),
        phone="+447911222333",
        postcode="S1 1AA",
    )
    case = f.CaseFactory(person=person, lab_reference="LAB-FIRST")
    lab = api_client("Lab feed", Scope.INTAKE)
    body = {
        "lab_reference": "LAB-SECOND",
        "person": {
            "first_name": "Ella",
            "last_name": "Jones",
            "date_of_birth": "1988-04-23",
            "phone": "07911 222333",
            "postcode": "S1 1AA",
        },
        "specimen_date": str(case.specimen_date),
        "result_date": str(case.result_date),
    }

    assert lab.post("/api/v1/test-results/", body, format="json").status_code == 200

    assert not AuditEvent.objects.filter(
        person=person, action=AuditEvent.Action.UPDATE
    ).exists()


def ella_result(ref: str, case: Case, **person) -> TestResult:
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Ella",
            last_name="Jones",
            date_of_birth=D(1988, 4, 23),
            postcode="S1 1AA",
            **person,
        ),
        specimen_date=case.specimen_date,
        result_date=case.result_date,
    )


def test_a_batch_written_set_wise_reports_each_person_it_changed(
    clock, requires_postgres
):
    person = f.PersonFactory(
        first_name="Ella",
        last_name="Jones",
        date_of_birth=D(1988, 4, 23),
        phone="+447400000298",
        email="",
        postcode="S1 1AA",
    )
    case = f.CaseFactory(person=person, lab_reference="LAB-FIRST")
    other = ella_result("LAB-NEW", case, phone="07911 765432")
    other.person.first_name, other.person.last_name = "Omar", "New"
    other.person.date_of_birth = D(1970, 1, 1)

    outcomes = case_intake_many(
        results=[ella_result("LAB-SECOND", case, phone="07911 222333"), other]
    )

    assert outcomes[0].further is not None
    (changed,) = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE)
    assert changed.person_id == person.pk
    assert changed.detail == {
        "source": "api",
        "phone": "changed",
        "result": {"case": case.pk, "further_result": outcomes[0].further.pk},
    }


def test_a_result_sent_again_with_a_new_email_reports_it(clock):
    person = f.PersonFactory(
        first_name="Ella",
        last_name="Jones",
        date_of_birth=D(1988, 4, 23),
        phone="+447911222333",
        email="",
        postcode="S1 1AA",
    )
    case = f.CaseFactory(person=person, lab_reference="LAB-FIRST")
    first = ella_result("LAB-SECOND", case, phone="07911 222333")
    case_intake_many(results=[first])
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()

    case_intake_many(
        results=[ella_result("LAB-SECOND", case, phone="07911 222333", email="e@x.org")]
    )

    (changed,) = AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE)
    assert (changed.person_id, changed.detail["email"]) == (person.pk, "added")


# --- 2. and 3. what a caseworker, a clinician and a call handler changed --------


def test_a_first_risk_assessment_reads_as_recorded_not_as_a_case_created(
    clock, client, admin, caseworker
):
    case = hold(f.CaseFactory(symptom_onset=None), caseworker)

    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=False, symptom_onset=None),
        by=caseworker,
    )

    client.force_login(admin)
    what = whats(client, case.person_id)[0]
    assert what.startswith(f"Recorded the risk assessment on case {case.pk}")
    assert "Created" not in what


def test_a_second_assessment_says_the_new_isolation_end(
    clock, client, admin, caseworker
):
    case = hold(f.CaseFactory(symptom_onset=None), caseworker)
    no_symptoms = AssessmentDetails(symptomatic=False, symptom_onset=None)
    case_assessment_record(case=case, details=no_symptoms, by=caseworker)
    before = Case.objects.get(pk=case.pk).isolation_ends_on
    onset = case.specimen_date + dt.timedelta(days=1)

    case_assessment_record(
        case=Case.objects.get(pk=case.pk),
        details=AssessmentDetails(symptomatic=True, symptom_onset=onset),
        by=caseworker,
    )

    after = Case.objects.get(pk=case.pk).isolation_ends_on
    assert after != before
    client.force_login(admin)
    what = whats(client, case.person_id)[0]
    assert what.startswith(f"Revised the risk assessment on case {case.pk}")
    assert f"symptom onset {onset.day} {onset:%b %Y}" in what
    assert (
        f"isolation end moved from {before.day} {before:%b} to {after.day} {after:%b}"
        in what
    )


def test_a_clinicians_isolation_end_says_from_and_to(clock, client, admin, caseworker):
    case = hold(f.CaseFactory(symptom_onset=None), caseworker)
    was = case.isolation_ends_on
    later = was + dt.timedelta(days=4)

    isolation_override(
        item=case, ends_on=later, reason="Immunosuppressed.", clinician=caseworker
    )

    client.force_login(admin)
    assert (
        f"Changed the isolation end of case {case.pk} from {was.day} {was:%b} "
        f"to {later.day} {later:%b}"
    ) in whats(client, case.person_id)


def test_a_corrected_call_says_from_what_to_what(clock, client, admin, call_handler):
    contact = hold(f.ContactFactory(), call_handler)
    logged = call_record(item=contact, caller=call_handler, outcome="voicemail")

    call_correct(
        call=logged.call,
        outcome="wrong_number",
        reason="A stranger answered.",
        by=call_handler,
    )

    client.force_login(admin)
    assert whats(client, contact.person_id)[0] == (
        f"Corrected the call to contact {contact.pk} from voicemail to wrong number "
        "(A stranger answered.)"
    )


def test_a_local_teams_phone_call_and_send_back_with_a_new_number(clock, client, admin):
    ensure_ons_areas()
    member = local_member(SHEFFIELD, "sheffield_member")
    escalation = escalated_case(
        person=person_in(SHEFFIELD, phone="+447911123450", phone_alt="")
    )
    escalation_claim(escalation=escalation, by=member)
    escalation_record_action(
        escalation=escalation, kind="phone", note="Rang the GP.", by=member
    )
    escalation_return(
        escalation=escalation,
        note="New number from the GP.",
        new_phone="07922 555666",
        by=member,
    )

    client.force_login(admin)
    case = escalation.item
    sent_back, called = whats(client, case.person_id)[:2]
    assert sent_back == f"Changed case {case.pk}: outcome returned, phone changed"
    assert called == f"Changed case {case.pk}: recorded a phone call"


def test_a_send_back_giving_a_number_to_someone_with_none_says_it_was_added(
    clock, client, admin
):
    """Escalated with no number on record, sent back with one the team found: the
    trail says the team added a phone, not just that it sent the case back."""
    ensure_ons_areas()
    member = local_member(SHEFFIELD, "sheffield_member")
    escalation = escalated_case(person=person_in(SHEFFIELD, phone="", phone_alt=""))
    escalation_claim(escalation=escalation, by=member)

    escalation_return(
        escalation=escalation,
        note="Number from the GP.",
        new_phone="07922 555666",
        by=member,
    )

    client.force_login(admin)
    case = escalation.item
    assert str(case.person.phone) == "+447922555666"
    assert whats(client, case.person_id)[0] == (
        f"Changed case {case.pk}: outcome returned, phone added"
    )


def test_a_merge_says_which_details_came_from_the_record_merged(
    clock, client, admin, supervisor
):
    older = f.PersonFactory(first_name="Sarah", phone="+447911100111", email="")
    newer = f.PersonFactory(
        first_name="Sara", phone="+447911100222", email="sarah@example.org"
    )
    a, b = sorted((older.pk, newer.pk))
    pair = PossibleDuplicate.objects.create(
        person_a_id=a, person_b_id=b, score=0.8, reasons=[], created_at=timezone.now()
    )
    theirs = "a" if a == newer.pk else "b"

    person_merge(
        pair=pair,
        survivor=older,
        fields={"phone": theirs, "email": theirs},
        by=supervisor,
    )

    client.force_login(admin)
    # The survivor's trail holds the merged record's too ("merged into record ...").
    assert (
        f"Changed person {older.pk}: record {newer.pk} merged into it, "
        "its phone and email kept"
    ) in whats(client, older.pk)
    assert Person.objects.get(pk=newer.pk).merged_into_id == older.pk


# --- 4. a call logged by an integration on behalf of a caller -------------------


def test_a_call_logged_through_the_api_names_its_caller(
    clock, client, admin, call_handler
):
    call_handler.first_name, call_handler.last_name = "Dan", "Price"
    call_handler.save()
    contact = hold(f.ContactFactory(), call_handler)
    telephony = api_client("Telephony", Scope.CASEWORK)

    answer = telephony.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        {"outcome": "voicemail", "caller": call_handler.pk, "duration_seconds": 40},
        format="json",
    )

    assert answer.status_code == 201, answer.content
    client.force_login(admin)
    assert who_has_seen(client, contact.person_id)[0] == (
        "Telephony",
        f"Logged a call to contact {contact.pk} (caller: Dan Price): voicemail",
    )
    # The search of the integration's calls names the caller too. (A search by the
    # caller's username reads the trail's (user, at) index, which holds who logged
    # it: finding calls logged on their behalf would need an index on the detail.)
    response = client.get(
        reverse("staffing:audit_search"),
        {"username": "api-telephony", "action": "call"},
    )
    assert [row.what for row in response.context["rows"]] == [
        f"Logged a call to contact {contact.pk} (caller: Dan Price): voicemail"
    ]


def test_a_call_logged_by_its_caller_names_nobody_twice(
    clock, client, admin, call_handler
):
    contact = hold(f.ContactFactory(), call_handler)
    call_record(item=contact, caller=call_handler, outcome="no_answer")

    client.force_login(admin)
    assert whats(client, contact.person_id)[0] == (
        f"Logged a call to contact {contact.pk}: no answer"
    )


# --- 4. which result of a batch changed a person ---------------------------------
# The event on a person named the last outcome of the batch whose case was theirs,
# whichever result changed them: an exact retry beside a new result took the credit
# (the old case named as where a new phone came from), and a further result beside a
# retry of its case lost its further_result. It names the result that changed them.


def ella_sent(ref: str, *, specimen: dt.date, **person) -> TestResult:
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name="Ella",
            last_name="Jones",
            date_of_birth=D(1988, 4, 23),
            postcode="S1 1AA",
            **person,
        ),
        specimen_date=specimen,
        result_date=specimen + dt.timedelta(days=1),
    )


def person_updates(person_id: int) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE,
            object_type="people.person",
            object_id=str(person_id),
        )
    )


YESTERDAY = D(2021, 1, 11)
MONTHS_AGO = YESTERDAY - dt.timedelta(days=120)


@pytest.mark.parametrize("retry_first", [False, True], ids=["new-first", "retry-first"])
def test_a_new_phone_is_credited_to_the_new_case_not_a_retry_beside_it(
    clock, client, admin, retry_first
):
    first = ella_sent("LAB-OLD", specimen=MONTHS_AGO, phone="07400 000298")
    [made] = case_intake_many(results=[first])
    old_case = made.case
    new_result = ella_sent("LAB-NEW", specimen=YESTERDAY, phone="07911 222333")
    retry = ella_sent("LAB-OLD", specimen=MONTHS_AGO, phone="07400 000298")

    outcomes = case_intake_many(
        results=[retry, new_result] if retry_first else [new_result, retry]
    )

    new = next(o for o in outcomes if o.created)
    assert new.case.person_id == old_case.person_id
    assert new.case != old_case
    (event,) = person_updates(old_case.person_id)
    assert event.detail == {
        "source": "api",
        "phone": "changed",
        "result": {"case": new.case.pk},
    }
    client.force_login(admin)
    assert (
        f"(from a lab result, case {new.case.pk})"
        in whats(client, old_case.person_id)[0]
    )


def test_a_further_result_beside_a_retry_of_its_case_is_named_as_the_change(clock):
    first = ella_sent("LAB-FIRST", specimen=YESTERDAY, phone="07400 000298")
    [made] = case_intake_many(results=[first])

    further, _retry = case_intake_many(
        results=[
            ella_sent("LAB-SECOND", specimen=YESTERDAY, phone="07911 222333"),
            ella_sent("LAB-FIRST", specimen=YESTERDAY, phone="07400 000298"),
        ]
    )

    assert further.further is not None
    (event,) = person_updates(made.case.person_id)
    assert event.detail["result"] == {
        "case": made.case.pk,
        "further_result": further.further.pk,
    }


def test_two_results_changing_one_person_are_both_named_the_first_as_the_result(
    clock, client, admin
):
    """The event names the first result that changed them as its `result` (the one
    the trail's line names) and, when more did, every one in `results`, in order:
    the fields are said once for the batch, so which result changed which is left
    to the person's history."""
    first = ella_sent("LAB-FIRST", specimen=YESTERDAY, phone="07400 000298")
    [made] = case_intake_many(results=[first])

    second, third = case_intake_many(
        results=[
            ella_sent("LAB-2", specimen=YESTERDAY, phone="07911 222333"),
            ella_sent(
                "LAB-3", specimen=YESTERDAY, phone="07911 222333", email="e@x.org"
            ),
        ]
    )

    case = made.case
    assert second.further is not None
    assert third.further is not None
    (event,) = person_updates(case.person_id)
    named = [
        {"case": case.pk, "further_result": second.further.pk},
        {"case": case.pk, "further_result": third.further.pk},
    ]
    assert event.detail == {
        "source": "api",
        "phone": "changed",
        "email": "added",
        "result": named[0],
        "results": named,
    }
    client.force_login(admin)
    assert (
        f"(from a lab result, further result {second.further.pk} of case {case.pk})"
        in whats(client, case.person_id)[0]
    )


def test_a_result_sent_twice_in_a_batch_is_named_once(clock):
    first = ella_sent("LAB-OLD", specimen=MONTHS_AGO, phone="07400 000298")
    [made] = case_intake_many(results=[first])
    sent = ella_sent("LAB-NEW", specimen=YESTERDAY, phone="07911 222333")
    again = ella_sent(
        "LAB-NEW", specimen=YESTERDAY, phone="07911 222333", email="e@x.org"
    )

    new, _again = case_intake_many(results=[sent, again])

    (event,) = person_updates(made.case.person_id)
    assert event.detail == {
        "source": "api",
        "phone": "changed",
        "email": "added",
        "result": {"case": new.case.pk},
    }
