"""A lab sends a result again (the same lab reference, the same person and test)
with corrected contact details: a phone number mistyped or missing the first time.

It is still the same result: no second case, no second text, answered as a result
already received. But the corrected details now reach the person as a later
arrival's would (people.services): a new phone replaces theirs, the old one kept in
their history; blanks are filled. Someone who had no number to call, and now has
one, has their items waiting for it sent back to the phones
(work.casework.items_back_to_the_phones). Before, the details of a result sent again
were dropped: the person kept the wrong number, or none, and nobody could ring them.

A result sent again with the very same details changes nothing and writes nothing.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent
from cases.models import Case
from people.models import Message, Person, PersonChange
from people.services import PersonDetails
from work import intake
from work.escalation import escalate_unreached
from work.intake import TestResult, case_intake_many, case_intake_one
from work.results_csv import EXISTING, results_file_read, results_upload_confirm

pytestmark = pytest.mark.django_db

URL = "/api/v1/test-results/"
MINUTE = dt.timedelta(minutes=1)
TYPO = "07911 123450"
CORRECTED = "07911 123456"


@pytest.fixture
def lab(db) -> APIClient:
    _, token = api_client_create(
        name="Lab", scopes=list(Scope.values), rate_limit_per_minute=1000
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def payload(ref: str = "LAB-1", **person) -> dict:
    today = timezone.localdate()
    return {
        "lab_reference": ref,
        "person": {
            "first_name": "Nell",
            "last_name": "Corrected",
            "date_of_birth": "1940-01-02",
            "postcode": "S1 1AA",
            **person,
        },
        "specimen_date": str(today - dt.timedelta(days=2)),
        "result_date": str(today - dt.timedelta(days=1)),
    }


def result(ref: str = "LAB-1", first_name: str = "Nell", **person) -> TestResult:
    today = timezone.localdate()
    return TestResult(
        lab_reference=ref,
        person=PersonDetails(
            first_name=first_name,
            last_name=person.pop("last_name", "Corrected"),
            date_of_birth=person.pop("date_of_birth", dt.date(1940, 1, 2)),
            postcode=person.pop("postcode", "S1 1AA"),
            **person,
        ),
        specimen_date=today - dt.timedelta(days=2),
        result_date=today - dt.timedelta(days=1),
    )


def person_of(ref: str = "LAB-1") -> Person:
    return Case.objects.select_related("person").get(lab_reference=ref).person


# --- through the API ------------------------------------------------------------------


def test_a_result_sent_again_with_a_corrected_phone_corrects_the_persons(clock, lab):
    first = lab.post(URL, payload(phone=TYPO), format="json")
    assert first.status_code == 201
    texts = Message.objects.count()

    again = lab.post(URL, payload(phone=CORRECTED), format="json")

    # The same result: answered as received before, no new case, nothing sent.
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1
    assert Message.objects.count() == texts
    # The correction reaches the person, the mistyped number kept in their history.
    person = person_of()
    assert str(person.phone) == "+447911123456"
    assert [
        (c.field, c.old_value, c.new_value, c.source) for c in person.changes.all()
    ] == [("phone", "+447911123450", "+447911123456", "intake")]


def test_a_result_sent_again_with_the_phone_it_lacked_goes_to_the_phones(
    clock, lab, caseworker
):
    """The first sending had no number: the case went to its local team at once.
    The lab sends it again with one: it is the phones' again, and nobody at the
    local team is asked to find a number the service now holds."""
    assert lab.post(URL, payload(), format="json").status_code == 201
    case = Case.objects.get(lab_reference="LAB-1")
    assert case.escalate_due_at == timezone.now()

    again = lab.post(
        URL, payload(phone=CORRECTED, email="nell@example.org"), format="json"
    )

    assert again.status_code == 200
    person = person_of()
    assert str(person.phone) == "+447911123456"
    assert person.email == "nell@example.org"
    case.refresh_from_db()
    assert case.escalate_due_at > timezone.now() + dt.timedelta(hours=1)
    escalate_unreached(now=timezone.now() + MINUTE)
    case.refresh_from_db()
    assert case.status != "escalated"
    # Audited as any item sent back to the phones is.
    assert AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case.pk), action="update"
    ).exists()


def test_a_result_sent_again_as_it_was_changes_nothing(clock, lab):
    assert lab.post(URL, payload(phone=TYPO), format="json").status_code == 201
    person = person_of()
    events, changes = AuditEvent.objects.count(), PersonChange.objects.count()

    again = lab.post(URL, payload(phone=TYPO), format="json")

    assert again.status_code == 200
    assert PersonChange.objects.count() == changes
    # Only the API's own read of the case it answers with.
    assert set(
        AuditEvent.objects.order_by("pk")[events:].values_list("action", flat=True)
    ) <= {"view"}
    assert person_of().updated_at == person.updated_at


def test_a_batch_sending_a_result_again_corrects_the_person_and_says_existing(
    clock, lab
):
    assert lab.post(URL, payload(phone=TYPO), format="json").status_code == 201

    batch = lab.post(
        URL,
        [
            payload(phone=CORRECTED),
            payload("LAB-2", first_name="Omar", last_name="New", phone="07911 222333"),
            payload("LAB-3", first_name="Ruth", last_name="New", phone="07911 123471"),
        ],
        format="json",
    )

    assert batch.status_code == 200
    assert [r["status"] for r in batch.json()["results"]] == [
        "existing",
        "created",
        "created",
    ]
    assert str(person_of().phone) == "+447911123456"


# --- the service, every path alike ----------------------------------------------------


@pytest.fixture(params=["alone", "set-wise", "one-by-one"])
def send(request, monkeypatch):
    """Send a result again: alone, in a batch written set-wise, or in a batch the
    database refused set-wise (taken one by one)."""

    def refused(**kwargs):
        raise DatabaseError("refused set-wise")

    def sending(again: TestResult) -> list:
        if request.param == "alone":
            return [case_intake_one(result=again)]
        if request.param == "one-by-one":
            monkeypatch.setattr(intake, "_cases_create_many", refused)
        others = [
            result("NEW-1", "Omar", last_name="New", phone="07911 222333"),
            result("NEW-2", "Ruth", last_name="New", phone="07911 123471"),
        ]
        return case_intake_many(results=[again, *others])

    return sending


def test_every_path_takes_the_corrected_phone_as_the_same_result(
    clock, send, requires_postgres
):
    [first] = case_intake_many(results=[result(phone=TYPO)])

    outcome = send(result(phone=CORRECTED))[0]

    assert (outcome.case.pk, outcome.created, outcome.conflict) == (
        first.case.pk,
        False,
        None,
    )
    assert Case.objects.filter(lab_reference="LAB-1").count() == 1
    person = person_of()
    assert str(person.phone) == "+447911123456"
    assert [(c.field, c.old_value) for c in person.changes.all()] == [
        ("phone", "+447911123450")
    ]


def test_every_path_writes_nothing_for_a_result_sent_again_as_it_was(
    clock, send, requires_postgres
):
    case_intake_many(results=[result(phone=TYPO, email="nell@example.org")])
    before = person_of()

    send(result(phone=TYPO, email="nell@example.org"))

    assert not PersonChange.objects.filter(person=before).exists()
    assert person_of().updated_at == before.updated_at
    assert not AuditEvent.objects.filter(
        person=before, action=AuditEvent.Action.UPDATE
    ).exists()


def test_a_batch_with_a_result_and_its_correction_makes_one_case_with_it(clock):
    outcomes = case_intake_many(results=[result(), result(phone=CORRECTED)])

    assert [(o.created, o.conflict) for o in outcomes] == [(True, None), (False, None)]
    assert outcomes[1].case.pk == outcomes[0].case.pk
    case = Case.objects.get(lab_reference="LAB-1")
    assert str(case.person.phone) == "+447911123456"
    # Given a number after arriving with none: the phones', not its local team's.
    assert case.escalate_due_at > timezone.now() + dt.timedelta(hours=1)


# --- through the results upload -------------------------------------------------------


def test_an_upload_sending_a_result_again_corrects_the_person(clock, caseworker):
    header = (
        "lab_reference,first_name,last_name,date_of_birth,phone,postcode,"
        "specimen_date,result_date"
    )
    today = timezone.localdate()
    dates = f"{today - dt.timedelta(days=2)},{today - dt.timedelta(days=1)}"

    def upload(phone: str):
        row = f"LAB-1,Nell,Corrected,1940-01-02,{phone},S1 1AA,{dates}"
        rows = results_file_read(f"{header}\r\n{row}\r\n")
        return results_upload_confirm(rows=rows, by=caseworker)

    upload(TYPO)
    [again] = upload(CORRECTED)

    assert again.status == EXISTING
    assert Case.objects.count() == 1
    assert str(person_of().phone) == "+447911123456"


def test_a_batch_sent_again_reads_no_more_for_more_results(clock):
    """A lab's retry of a whole batch, as it was: as many statements for six
    results as for two (nothing is written for details already held)."""

    def batch(size: int, ref: str, phone: str) -> list[TestResult]:
        return [
            result(
                f"{ref}-{n}",
                f"Person{n}",
                last_name=ref.title(),
                phone=phone,
                postcode=f"S1 {n}AA",
            )
            for n in range(1, size + 1)
        ]

    def statements(results: list[TestResult]) -> int:
        with CaptureQueriesContext(connection) as queries:
            case_intake_many(results=results)
        return len(queries)

    case_intake_many(results=batch(2, "FEW", TYPO) + batch(6, "MANY", TYPO))

    assert statements(batch(6, "MANY", TYPO)) == statements(batch(2, "FEW", TYPO))
