"""The batch's matching query looks each arrival up on the people's key indexes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from people import matching
from people.matching import Arrival
from tests import factories as f


def _plan(arrivals: list[Arrival]) -> str:
    """EXPLAIN of the matching query, sequential scans priced out, so a plan that
    can use the indexes does."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN " + matching.CANDIDATES_SQL,
            matching.candidates_params(arrivals),
        )
        return "\n".join(row[0] for row in cursor.fetchall())


def test_each_arrival_is_looked_up_on_the_key_indexes(requires_postgres):
    """Each key its own index, the partial ones (NHS number, second phone, postcode)
    included: a parameter can use a partial index only if the query says its
    condition again, else the people are read whole for every arrival."""
    f.PersonFactory(nhs_number="9434765919", postcode="S1 2HE")
    plan = _plan(
        [
            Arrival(
                first_name="Asha",
                last_name="Patel",
                date_of_birth=dt.date(1984, 3, 2),
                nhs_number="9434765919",
                phones=("+447911123456",),
                postcode="S1 2HE",
            ),
            Arrival(first_name="Tom", last_name="Reed", postcode="S1 1AA"),
        ]
    )
    assert "Seq Scan on people_person" not in plan, plan
    for index in (
        "person_nhs_number_unique",
        "person_dob",
        "person_phone",
        "person_phone_alt",
        "person_postcode",
    ):
        assert index in plan, plan


@pytest.mark.parametrize("blank", ["nhs_number", "postcode"])
def test_a_blank_key_finds_no_one_by_it(requires_postgres, blank):
    """A blank is sent as NULL, which equals nothing: people without an NHS number
    (or postcode) are not everyone's candidates."""
    f.PersonFactory(first_name="Ruth", last_name="Okafor", nhs_number="", postcode="")
    arrival = Arrival(
        first_name="Ruth",
        last_name="Okafor",
        nhs_number="" if blank == "nhs_number" else "4010232137",
        postcode="" if blank == "postcode" else "S70 2TA",
    )
    [match] = matching.people_match_many([arrival])
    assert match.considered == frozenset()
