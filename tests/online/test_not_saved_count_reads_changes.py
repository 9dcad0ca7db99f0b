"""A case's page says how many people its online link could not save, counted from
the case's trail. Every view of the page adds a view row to that trail: the count
reads the case's changes alone (audit_object_changes), so a case opened thousands
of times is counted from the same few rows as one opened once."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEvent
from audit.services import audit_record
from tests import factories as f
from work.online import online_people_not_saved

pytestmark = pytest.mark.django_db

VIEWS = 3000


def _rows_read(plan: dict) -> int:
    """Rows the plan's nodes took from audit_auditevent, kept or filtered out."""
    read = 0
    if plan.get("Relation Name") == "audit_auditevent":
        read += plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
        read += plan.get("Rows Removed by Index Recheck", 0)
    for child in plan.get("Plans", []):
        read += _rows_read(child)
    return read


def test_a_case_opened_thousands_of_times_is_counted_from_its_changes():
    case = f.CaseFactory()
    audit_record(
        user=None,
        action=AuditEvent.Action.UPDATE,
        obj=case,
        detail={"online": "answered", "contacts": 30, "not added": 4},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO audit_auditevent (at, action, object_type, object_id, detail)
            SELECT now() - g * interval '1 second', 'view', 'cases.case', %s, '{}'
            FROM generate_series(1, %s) g
            """,
            [str(case.pk), VIEWS],
        )
        cursor.execute("ANALYZE audit_auditevent")
    with CaptureQueriesContext(connection) as queries:
        text = online_people_not_saved(case)
    assert text.startswith("4 people they entered online could not be saved")
    [query] = queries.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {query['sql']}")
        [[plan]] = cursor.fetchone()
    plan = plan if isinstance(plan, dict) else json.loads(plan)
    read = _rows_read(plan["Plan"])
    assert read < 10, (
        f"the count read {read} rows of the trail for one change among {VIEWS} views"
    )
