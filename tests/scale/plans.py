"""The plans PostgreSQL runs for the statements a page or an operation sent.

bench/scale.py walks its plans the same way (replayable, problems), but prints
warnings rather than failing. A server-side cursor's query (the CSV export's) is
explained as the DECLARE it was sent as, so its plan is the cursor's. Here every big
table is watched, every statement is judged or refused, and a finding fails the test
with the offending plan line and the statement it came from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

# The tables that grow with the epidemic: none of them may be read whole.
BIG_TABLES = frozenset(
    {
        "people_person",
        "cases_case",
        "contacts_contact",
        "calls_callattempt",
        "escalations_escalation",
    }
)
INDEX_READS = frozenset({"Index Scan", "Index Only Scan", "Bitmap Heap Scan"})
SQL_SHOWN = 200


class ReadsATableWhole(AssertionError):
    """A plan read a big table whole or sorted on disk (the message says where)."""


@dataclass(frozen=True)
class Explained:
    sql: str
    plan: dict[str, Any]  # the top node


# Statements that read rows are run again; those that only write what they are
# given (an INSERT run twice could break a unique constraint), or steer the
# transaction, are passed by; any other kind fails the check, so that nothing is
# passed by unseen.
REPLAYED = ("SELECT", "WITH", "UPDATE", "DELETE")
PASSED_BY = ("INSERT", "SAVEPOINT", "RELEASE", "ROLLBACK", "SET", "BEGIN", "COMMIT")
# A server-side cursor (QuerySet.iterator()) is logged as the DECLARE of its query.
DECLARE = re.compile(r"DECLARE\s+\S+\s+.*?\bCURSOR\b.*?\bFOR\s+", re.S | re.I)


def replayable(sql: str) -> str | None:
    """The statement to run again under EXPLAIN ANALYZE (its writes, if any, undone
    by the replay's rollback), or None for one that reads nothing.

    A server-side cursor's query is run again as its DECLARE: PostgreSQL plans a
    cursor for its first rows (cursor_tuple_fraction), so the same SELECT alone may
    get another plan (a sort of every row where the cursor walks an index in order).
    EXPLAIN ANALYZE of a DECLARE reads the rows and leaves no cursor behind."""
    statement = sql.strip()
    text = DECLARE.sub("", statement, count=1)
    # A UNION of Django's starts with its first part's parenthesis.
    kind = text.lstrip("(").split(None, 1)[0].upper()
    if kind in REPLAYED:
        return statement
    if kind in PASSED_BY:
        return None
    raise AssertionError(f"a statement the check cannot judge: {text[:SQL_SHOWN]}")


def explain(queries: Iterable[dict[str, Any]]) -> list[Explained]:
    """Each query of `queries` (CaptureQueriesContext's; see replayable) run again under
    EXPLAIN (ANALYZE, FORMAT JSON), in order and in one transaction rolled back after
    (a SELECT may lock rows or set work_mem for its transaction, as the original
    did)."""
    explained = []
    with transaction.atomic():
        for query in queries:
            sql = replayable(query["sql"])
            if sql is None:
                continue
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
                (result,) = cursor.fetchone()
            if isinstance(result, str):
                result = json.loads(result)
            explained.append(Explained(sql=sql, plan=result[0]["Plan"]))
        transaction.set_rollback(True)
    return explained


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def _spilled(node: Any) -> bool:
    """A sort of this node (or of one of its workers, or a group of an incremental
    sort) went to disk."""
    if isinstance(node, list):
        return any(_spilled(item) for item in node)
    if not isinstance(node, dict):
        return False
    if node.get("Sort Space Type") == "Disk" or "Sort Space Disk" in node:
        return True
    methods = [node.get("Sort Method", ""), *node.get("Sort Methods Used", [])]
    if any("external" in method for method in methods):
        return True
    return any(_spilled(value) for key, value in node.items() if key != "Plans")


def plan_line(node: dict[str, Any]) -> str:
    """The node as EXPLAIN's text format would show it, with what it filtered on or
    sorted by."""
    line = node["Node Type"]
    if "Relation Name" in node:
        line += f" on {node['Relation Name']}"
        if node.get("Alias") not in (None, node["Relation Name"]):
            line += f" {node['Alias']}"
    if "Index Name" in node:
        line += f" using {node['Index Name']}"
    if node.get("Actual Loops") == 0:
        line += " (never executed)"
    else:
        line += (
            f" (actual rows={node.get('Actual Rows')} loops={node.get('Actual Loops')})"
        )
    for key in ("Filter", "Sort Key", "Sort Method"):
        value = node.get(key)
        if value is not None:
            shown = ", ".join(value) if isinstance(value, list) else value
            line += f"  {key}: {shown}"
    if "Sort Space Type" in node:
        line += f"  {node['Sort Space Type']}: {node.get('Sort Space Used')}kB"
    return line


def problems(plan: dict[str, Any], tables: frozenset[str] = BIG_TABLES) -> list[str]:
    """The plan's lines that read one of `tables` whole or sort on disk."""
    found = []
    for node in nodes(plan):
        whole = node["Node Type"] == "Seq Scan"
        if (whole and node.get("Relation Name") in tables) or _spilled(node):
            found.append(plan_line(node))
    return found


def reads_a_big_table_by_index(plan: dict[str, Any]) -> bool:
    return any(
        node["Node Type"] in INDEX_READS and node.get("Relation Name") in BIG_TABLES
        for node in nodes(plan)
    )


def assert_follow_indexes(queries: Iterable[dict[str, Any]]) -> None:
    """Every reading statement of `queries` reads no big table whole and sorts
    nothing on disk, and at least one reads a big table through an index (so the
    check is never passed by reading nothing)."""
    explained = explain(queries)
    found = [
        f"{line}\n    in: {' '.join(e.sql.split())[:SQL_SHOWN]}"
        for e in explained
        for line in problems(e.plan)
    ]
    if found:
        raise ReadsATableWhole("\n".join(found))
    assert any(reads_a_big_table_by_index(e.plan) for e in explained), (
        f"none of the {len(explained)} statements read a big table through an index"
    )
