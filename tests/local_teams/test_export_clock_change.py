"""The escalations CSV across the clocks going back: the hour from 01:00 to 01:59 on
the last Sunday of October happens twice, once in BST and once in GMT, and each time
in the export says which (before, both read "2026-10-25 01:30")."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations.models import Escalation
from pages.local.exports import _local
from tests import factories as f

from .builders import LONDON, SHEFFIELD, ContactFactory, person_in

pytestmark = pytest.mark.django_db

EXPORT = reverse("escalations:export")
# The clocks go back at 01:00 UTC on Sunday 25 October 2026: 00:30 UTC is 01:30 BST,
# 01:30 UTC is 01:30 GMT.
FIRST_0130 = dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
SECOND_0130 = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)
TIMES = ("escalated at", "due at", "picked up at", "closed at")


def escalated_at(moment: dt.datetime, last_name: str, **fields) -> Escalation:
    person = person_in(SHEFFIELD, last_name=last_name)
    return Escalation.objects.create(
        contact=ContactFactory(person=person, area=person.area),
        local_team=f.area(SHEFFIELD).local_team,
        reason=Escalation.Reason.UNREACHED,
        created_at=moment,
        due_at=moment + DAY,
        **fields,
    )


def exported(client) -> tuple[list[str], dict[str, dict[str, str]]]:
    body = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(body))
    return list(reader.fieldnames or []), {r["last name"]: r for r in reader}


@pytest.mark.now(dt.datetime(2026, 10, 26, 9, 0, tzinfo=LONDON))
def test_the_repeated_hour_reads_bst_then_gmt_and_the_header_says_uk_time(
    clock, sheffield_client, sheffield_member
):
    escalated_at(FIRST_0130, "First")
    escalated_at(
        SECOND_0130,
        "Second",
        status=Escalation.Status.CLOSED,
        picked_up_by=sheffield_member,
        picked_up_at=SECOND_0130 + dt.timedelta(minutes=5),
        closed_at=SECOND_0130 + dt.timedelta(minutes=20),
        outcome=Escalation.Outcome.REACHED,
    )

    header, rows = exported(sheffield_client)

    assert [name for name in header if name.endswith(" at (UK time)")] == [
        f"{name} (UK time)" for name in TIMES
    ]
    first, second = rows["First"], rows["Second"]
    assert first["escalated at (UK time)"] == "2026-10-25 01:30 BST"
    assert second["escalated at (UK time)"] == "2026-10-25 01:30 GMT"
    # Both due 24 hours after they were escalated: an hour apart, as they were.
    assert first["due at (UK time)"] == "2026-10-26 00:30 GMT"
    assert second["due at (UK time)"] == "2026-10-26 01:30 GMT"
    assert second["picked up at (UK time)"] == "2026-10-25 01:35 GMT"
    assert second["closed at (UK time)"] == "2026-10-25 01:50 GMT"
    assert first["picked up at (UK time)"] == first["closed at (UK time)"] == ""


@pytest.mark.now(dt.datetime(2026, 10, 26, 9, 0, tzinfo=LONDON))
def test_times_read_as_python_formats_them_when_not_on_postgresql(
    clock, sheffield_client
):
    """The export formats times in SQL on PostgreSQL and in Python elsewhere: the
    same text either way, either side of both clock changes."""
    moments = [
        FIRST_0130,
        SECOND_0130,
        dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC),  # 00:59 GMT
        dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC),  # 02:00 BST
        dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC),  # 2 July 00:30 BST
    ]
    for n, moment in enumerate(moments):
        escalated_at(moment, f"Person {n}")

    _, rows = exported(sheffield_client)

    assert [rows[f"Person {n}"]["escalated at (UK time)"] for n in range(5)] == [
        _local(moment) for moment in moments
    ]
    assert [_local(moment) for moment in moments] == [
        "2026-10-25 01:30 BST",
        "2026-10-25 01:30 GMT",
        "2026-03-29 00:59 GMT",
        "2026-03-29 02:00 BST",
        "2026-07-02 00:30 BST",
    ]


@pytest.mark.now(dt.datetime(2026, 10, 26, 9, 0, tzinfo=LONDON))
def test_the_zones_cost_no_query_more(clock, sheffield_client):
    """The zone's name is worked out in the statement that reads the rows: the
    export of a batch makes as many queries as it did without it."""
    for n in range(3):
        escalated_at(FIRST_0130 + n * dt.timedelta(minutes=30), f"Person {n}")

    with CaptureQueriesContext(connection) as queries:
        _, rows = exported(sheffield_client)

    assert len(rows) == 3
    assert len(queries) == 13
