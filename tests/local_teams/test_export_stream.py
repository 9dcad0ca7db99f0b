"""The escalations CSV streams: the same text, read from tuples a batch at a time."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations.models import Escalation
from tests import factories as f

from .builders import LONDON, SHEFFIELD, CaseFactory, ContactFactory, person_in

pytestmark = pytest.mark.django_db

EXPORT = reverse("escalations:export")

HEADER = (
    "escalation,kind,item,first name,last name,phone,email,postcode,area,reason,"
    "detail,"
    "status,escalated at (UK time),due at (UK time),picked up by,"
    "picked up at (UK time),closed at (UK time),outcome,outcome note"
)


def at(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def escalation_of(item, **fields) -> Escalation:
    kind = "case" if item._meta.model_name == "case" else "contact"
    return Escalation.objects.create(
        **{kind: item},
        local_team=f.area(SHEFFIELD).local_team,
        **fields,
    )


@pytest.fixture
def hand_built(sheffield_member):
    """Three escalations that reach every branch of a line: a case and contacts,
    an item with no area, a blank phone, a picker-up with no name, times either
    side of the clock change, text needing quotes and text a spreadsheet would run."""
    nameless = f.StaffProfileFactory(
        local=True,
        local_team=f.area(SHEFFIELD).local_team,
        user__username="nameless",
        user__first_name="",
        user__last_name="",
    ).user
    sheffield_member.first_name, sheffield_member.last_name = "Sam", "Hill"
    sheffield_member.save(update_fields=["first_name", "last_name"])

    ann = person_in(
        SHEFFIELD, first_name="Ann", last_name="O'Brien, Jr", phone="+447400000001"
    )
    waiting = escalation_of(
        ContactFactory(person=ann, area=ann.area),
        reason=Escalation.Reason.UNREACHED,
        detail='3 call attempts\nthen "no answer"',
        created_at=at(2021, 1, 12, 10, 0),
        due_at=at(2021, 1, 13, 10, 0),
    )
    nowhere = f.PersonFactory(
        first_name="Bob", last_name="=HYPERLINK(1)", phone="", postcode="", area=None
    )
    closed = escalation_of(
        CaseFactory(person=nowhere, area=None),
        reason=Escalation.Reason.COMPLEX,
        detail="-2 fever",
        status=Escalation.Status.CLOSED,
        created_at=at(2021, 3, 27, 23, 30),
        due_at=at(2021, 3, 28, 23, 30),
        picked_up_by=nameless,
        picked_up_at=at(2021, 3, 28, 0, 30),
        closed_at=at(2021, 3, 28, 2, 15),
        outcome=Escalation.Outcome.REACHED,
        outcome_note="+44 1 2 3, said @home",
    )
    cy = person_in(SHEFFIELD, first_name="Cy", last_name="Ng", phone="+447400000003")
    picked = escalation_of(
        ContactFactory(person=cy, area=cy.area),
        reason=Escalation.Reason.UNREACHED,
        status=Escalation.Status.PICKED_UP,
        created_at=at(2021, 6, 1, 9, 5),
        due_at=at(2021, 6, 2, 9, 5),
        picked_up_by=sheffield_member,
        picked_up_at=at(2021, 6, 1, 9, 59),
    )
    area = ann.area.name
    return "\r\n".join(
        [
            HEADER,
            f'{waiting.pk},contact,{waiting.contact_id},Ann,"O\'Brien, Jr",'
            f"+447400000001,,S1 1AA,{area},Not reached after every attempt,"
            '"3 call attempts\nthen ""no answer""",New,2021-01-12 10:00 GMT,'
            "2021-01-13 10:00 GMT,,,,,",
            f"{closed.pk},case,{closed.case_id},Bob,'=HYPERLINK(1),,,,,"
            "Complex setting,'-2 fever,Closed,"
            "2021-03-27 23:30 GMT,2021-03-28 23:30 BST,nameless,"
            "2021-03-28 00:30 GMT,2021-03-28 02:15 BST,Reached and advised,"
            '"\'+44 1 2 3, said @home"',
            f"{picked.pk},contact,{picked.contact_id},Cy,Ng,+447400000003,,S1 1AA,"
            f"{area},Not reached after every attempt,,Picked up,"
            "2021-06-01 09:05 BST,2021-06-02 09:05 BST,Sam Hill,"
            "2021-06-01 09:59 BST,,,",
            "",
        ]
    )


def test_export_text_is_unchanged_for_a_hand_built_set(
    clock, sheffield_client, hand_built
):
    response = sheffield_client.get(EXPORT)

    # A byte order mark first, so Excel reads the names as UTF-8.
    assert b"".join(response.streaming_content).decode() == "\ufeff" + hand_built


def open_cursors() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        return cursor.fetchone()[0]


def test_first_lines_arrive_before_the_whole_export_is_read(
    requires_postgres, clock, sheffield_client, monkeypatch
):
    monkeypatch.setattr("pages.local.exports.BATCH", 2)
    for n in range(5):
        person = person_in(SHEFFIELD, last_name=f"Person {n}")
        escalation_of(
            ContactFactory(person=person, area=person.area),
            reason=Escalation.Reason.UNREACHED,
            created_at=at(2021, 1, 12, 9, n),
            due_at=at(2021, 1, 13, 9, n),
        )
    response = sheffield_client.get(EXPORT)
    lines = iter(response.streaming_content)

    with CaptureQueriesContext(connection) as first:
        header, first_batch = next(lines), next(lines)  # a chunk a batch
    reading = open_cursors()
    with CaptureQueriesContext(connection) as rest:
        remaining = list(lines)

    assert header.decode("utf-8-sig").startswith("escalation,kind,item,")
    assert [line.split(",")[4] for line in first_batch.decode().splitlines()] == [
        "Person 0",
        "Person 1",
    ]
    assert [len(chunk.decode().splitlines()) for chunk in remaining] == [2, 1]
    # The first lines left while the rows were still being read from a server-side
    # cursor, and each later batch's people were audited before its lines were sent.
    assert reading == 1
    assert open_cursors() == 0
    audits = [q for q in rest.captured_queries if "audit_auditevent" in q["sql"]]
    assert len(audits) == 2
    assert sum("audit_auditevent" in q["sql"] for q in first.captured_queries) == 1


def test_a_phone_is_shown_as_it_was_stored_valid_or_not(clock, sheffield_client):
    """A valid number as its E.164 form, one that is not as it was typed, whether
    read as a phone number or as the text stored (the same, by the field's rules)."""
    valid = person_in(SHEFFIELD, last_name="Valid", phone="+447400000009")
    odd = person_in(SHEFFIELD, last_name="Odd", phone="")
    type(odd).objects.filter(pk=odd.pk).update(phone="0114 ext 12")
    for n, person in enumerate((valid, odd)):
        escalation_of(
            ContactFactory(person=person, area=person.area),
            reason=Escalation.Reason.UNREACHED,
            created_at=at(2021, 1, 12, 9, n),
            due_at=at(2021, 1, 13, 9, n),
        )

    text = b"".join(sheffield_client.get(EXPORT).streaming_content).decode("utf-8-sig")
    phones = {line.split(",")[4]: line.split(",")[5] for line in text.splitlines()[1:]}
    assert phones == {"Valid": "+447400000009", "Odd": "0114 ext 12"}
