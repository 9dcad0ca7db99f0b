"""rows.insert_rows: intake's bulk writes (people, cases, audit rows, messages, online
links) write what bulk_create would, column-wise, and refuse what it would refuse."""

from __future__ import annotations

import datetime as dt
import warnings

import pytest
from django.db import DataError, connection, models, transaction
from django.db.models.functions import Now
from django.utils import timezone

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from online.models import OnlineLink
from people.models import Message, Person
from people.phone_field import phone_from
from people.services import people_ids_reserve
from rows.insert import insert_rows
from tests.factories import CaseFactory, PersonFactory, UserFactory, area

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="elsewhere insert_rows is bulk_create itself",
    ),
]


def _stored(objs: list[models.Model], leave_out: set[str]) -> list[dict]:
    """Each row as read back, in the objects' order, without its id and the named
    columns."""
    model = type(objs[0])
    rows = {
        row["id"]: row
        for row in model.objects.filter(pk__in=[o.pk for o in objs]).values()
    }
    out = []
    for obj in objs:
        row = dict(rows[obj.pk])
        for name in {"id", *leave_out}:
            row.pop(name)
        out.append(row)
    return out


def _twins(make, leave_out: set[str] = frozenset()) -> tuple[list[dict], list[dict]]:
    """Rows made alike (`make(n, side)`), written once by bulk_create and once by
    insert_rows: each side's rows as stored."""
    ours = [make(n, "ours") for n in range(3)]
    theirs = [make(n, "theirs") for n in range(3)]
    assert insert_rows(ours) == ours
    type(theirs[0]).objects.bulk_create(theirs)
    for obj in ours:
        assert obj.pk is not None
        assert not obj._state.adding
        assert obj._state.db == "default"
    return _stored(ours, leave_out), _stored(theirs, leave_out)


def test_cases_as_bulk_create_writes_them():
    person = PersonFactory()
    now = timezone.now()

    def make(n: int, side: str) -> Case:
        case = CaseFactory.build(
            person=person,
            lab_reference=f"ROWS-{side}-{n}",
            symptom_onset=dt.date(2021, 1, 2) if n else None,
            complex_setting=Case._meta.get_field("complex_setting").choices[1][0]
            if n == 2
            else "",
            created_at=now,
            next_attempt_at=now,
        )
        case.status = Status.NEW  # a TextChoices member, not a plain str
        return case

    ours, theirs = _twins(make, {"lab_reference"})
    assert ours == theirs
    assert ours[1]["symptom_onset"] == dt.date(2021, 1, 2)
    assert ours[0]["symptom_onset"] is None


def test_people_with_ids_reserved_and_a_phone_number_as_bulk_create_writes_them():
    def make(n: int, side: str) -> Person:
        return Person(
            id=people_ids_reserve(1)[0],
            first_name="Asha",
            last_name=f"Rows{n}",
            date_of_birth=dt.date(1980, 1, n + 1),
            phone=phone_from(f"07400 {n:06d}", region="GB"),
            postcode="S1 1AA",
            area=area(),
            needs_interpreter=bool(n % 2),
        )

    before = timezone.now()
    ours, theirs = _twins(make, {"created_at", "updated_at"})
    assert ours == theirs
    assert str(ours[0]["phone"]) == "+447400000000"
    stamps = Person.objects.filter(last_name__startswith="Rows").values_list(
        "created_at", "updated_at"
    )
    assert all(before <= made <= timezone.now() for made, _ in stamps)
    assert all(updated is not None for _, updated in stamps)


def test_audit_rows_messages_and_links_as_bulk_create_writes_them():
    user = UserFactory()
    person = PersonFactory()
    case = CaseFactory(person=person)
    at = timezone.now()

    def event(n: int, side: str) -> AuditEvent:
        return AuditEvent(
            at=at,
            user=user if n else None,
            action=AuditEvent.Action.CREATE,
            person=person,
            object_type="cases.case",
            object_id=str(case.pk),
            detail={"n": n, "nested": {"list": [1, "two", None]}},
        )

    ours, theirs = _twins(event)
    assert ours == theirs
    assert ours[2]["detail"]["nested"] == {"list": [1, "two", None]}

    def message(n: int, side: str) -> Message:
        return Message(
            person=person,
            case=case,
            kind=Message.Kind.CASE_LINK,
            channel=Message.Channel.SMS,
            to="+447700900001",
            body=f"Your link {n}",
            key=f"rows-{side}-{n}",
            language="en",
            personalisation={"subject": "Coronavirus: your contacts"},
        )

    ours, theirs = _twins(message, {"key", "created_at"})
    assert ours == theirs

    messages = insert_rows([message(n, "links") for n in range(3)])

    def link(n: int, side: str) -> OnlineLink:
        return OnlineLink(
            token_hash=f"{side}{n}".ljust(64, "0"),
            purpose=OnlineLink.Purpose.CASE,
            person=person,
            case=case,
            message=messages[n],
            created_at=at,
            expires_at=at + dt.timedelta(days=3),
        )

    ours, theirs = _twins(link, {"token_hash"})
    assert ours == theirs
    assert [row["message_id"] for row in ours] == [m.pk for m in messages]


def test_new_ids_come_back_to_their_own_rows():
    person = PersonFactory()
    cases = [
        CaseFactory.build(person=person, lab_reference=f"ORDER-{n:03d}")
        for n in range(250)
    ]
    insert_rows(cases)
    held = dict(
        Case.objects.filter(lab_reference__startswith="ORDER-").values_list(
            "pk", "lab_reference"
        )
    )
    assert {case.pk: case.lab_reference for case in cases} == held


def test_a_value_too_long_is_refused_as_bulk_create_refuses_it_and_nothing_is_written():
    person = PersonFactory()
    cases = [
        CaseFactory.build(person=person, lab_reference="LONG-OK"),
        CaseFactory.build(person=person, lab_reference="LONG-" + "x" * 200),
    ]
    with pytest.raises(DataError), transaction.atomic():
        insert_rows(cases)
    # Not cut short to fit, as an explicit cast to varchar(n) would.
    assert not Case.objects.filter(lab_reference__startswith="LONG-").exists()


def test_a_naive_time_is_stored_as_bulk_create_stores_it():
    user = UserFactory()
    # A summer morning in London (BST): the field reads it as local time.
    naive = dt.datetime(2021, 7, 5, 9, 30)  # noqa: DTZ001

    def event(n: int, side: str) -> AuditEvent:
        return AuditEvent(
            at=naive, user=user, action=AuditEvent.Action.VIEW, object_type=side
        )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ours, theirs = _twins(event, {"object_type"})
    assert ours == theirs
    assert ours[0]["at"] == dt.datetime(2021, 7, 5, 8, 30, tzinfo=dt.UTC)


def test_an_expression_among_the_values_is_written_by_bulk_create():
    person = PersonFactory()
    case = CaseFactory.build(person=person, lab_reference="EXPR-1")
    case.created_at = Now()
    insert_rows([case])
    stored = Case.objects.get(lab_reference="EXPR-1")
    assert abs(stored.created_at - timezone.now()) < dt.timedelta(minutes=1)
