"""The big tables carry no index another one already serves: an index whose columns
lead another index of the same table (and has no condition or extra use of its own)
costs every insert and update for nothing."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="reads PostgreSQL's catalogue"
    ),
]

TABLES = [
    "cases_case",
    "contacts_contact",
    "people_person",
    "calls_callattempt",
    "escalations_escalation",
    # Written by every intake batch, a row per case.
    "people_message",
    "online_onlinelink",
    "audit_auditevent",
]


def _indexes(table: str) -> list[tuple[str, list[str], bool, bool]]:
    """(name, key columns, unique, partial) of each index of the table."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, ix.indisunique, ix.indpred IS NOT NULL,
                   ARRAY(
                       SELECT pg_get_indexdef(ix.indexrelid, k + 1, true)
                       FROM generate_subscripts(ix.indkey, 1) AS k
                       WHERE k < ix.indnkeyatts
                       ORDER BY k
                   )
            FROM pg_index ix
            JOIN pg_class i ON i.oid = ix.indexrelid
            JOIN pg_class t ON t.oid = ix.indrelid
            WHERE t.relname = %s
            """,
            [table],
        )
        return [(name, cols, unique, partial) for name, unique, partial, cols in cursor]


@pytest.mark.parametrize("table", TABLES)
def test_no_plain_index_is_the_leading_columns_of_another(table):
    indexes = _indexes(table)
    redundant = []
    for name, cols, unique, partial in indexes:
        if unique or partial:
            continue  # a rule, or a subset of rows: not served by a wider index
        for other, other_cols, _, other_partial in indexes:
            if (
                other != name
                and not other_partial
                and len(other_cols) > len(cols)
                and other_cols[: len(cols)] == cols
            ):
                redundant.append(f"{name} {cols} is led by {other} {other_cols}")
    assert redundant == []


@pytest.mark.parametrize("table", ["people_message", "online_onlinelink"])
def test_no_pattern_index_where_values_are_only_compared_whole(table):
    # Message keys and link token hashes are looked up whole (=), never by a prefix:
    # a LIKE-pattern copy of their unique index would cost every insert for nothing.
    patterns = [
        name
        for name, cols, _, _ in _indexes(table)
        if any("pattern_ops" in col for col in cols)
    ]
    assert patterns == []
