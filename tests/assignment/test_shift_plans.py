"""Who is on shift now is read from each member's shifts not yet ended, not from every
shift they ever had: a member's lookup (assignment's eligible staff, the dashboard's
"on shift until") costs the same however long the rota's history grows (at a month at
peak, some 25 past shifts a member; a year, some 300)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from staffing.models import StaffProfile, Tier
from staffing.selectors.members import eligible_staff, readiness_annotations
from tests import factories as f
from tests.conftest import NOW
from tests.scale.plans import explain, nodes

pytestmark = pytest.mark.django_db

MEMBERS = 60
PAST_SHIFTS = 120  # each member's history: a shift a day for four months


@pytest.fixture
def rota_with_history(clock):
    """MEMBERS call handlers on shift now, each with PAST_SHIFTS booked shifts behind
    them and a few cancelled ones ahead; the tables analysed."""
    if connection.vendor != "postgresql":
        pytest.skip("query plans need PostgreSQL: set DATABASE_URL")
    team = f.TeamFactory(tier=Tier.CALL_HANDLER)
    members = [
        f.StaffProfileFactory(tier=Tier.CALL_HANDLER, team=team) for _ in range(MEMBERS)
    ]
    for member in members:
        f.ShiftFactory(staff=member)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO staffing_shift (tier, team_id, staff_id, starts_at, ends_at,
                                        status, cancel_reason)
            SELECT 3, %(team)s, p.id, s.at, s.at + interval '8 hours',
                   CASE WHEN g > 0 THEN 'cancelled' ELSE 'booked' END, ''
              FROM staffing_staffprofile p
             CROSS JOIN generate_series(-%(past)s, 3) g
             CROSS JOIN LATERAL (SELECT %(now)s + interval '1 day' * g
                                        - interval '12 hours' AS at) s
             WHERE p.id = ANY(%(members)s) AND g <> 0
            """,
            {
                "team": team.pk,
                "past": PAST_SHIFTS,
                "now": NOW,
                "members": [m.pk for m in members],
            },
        )
        cursor.execute("ANALYZE staffing_shift")
        cursor.execute("ANALYZE staffing_staffprofile")
    return team


def _plans(run: Callable[[], object]) -> list[dict[str, Any]]:
    """The plans of the statements `run` sends that read the shifts."""
    with CaptureQueriesContext(connection) as captured:
        run()
    shifts = [q for q in captured if '"staffing_shift"' in q["sql"]]
    assert shifts
    return [explained.plan for explained in explain(shifts)]


def _shift_reads(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in nodes(plan) if n.get("Relation Name") == "staffing_shift"]


def _reads_only_shifts_not_ended(plan: dict[str, Any]) -> None:
    """Each member's shifts are found by an index on the member and the end, from
    now on: at most the shift on now and the booked ones ahead, never the history."""
    reads = [
        n
        for n in _shift_reads(plan)
        if "ends_at" in n.get("Index Cond", "") or "ends_at" in n.get("Filter", "")
    ]
    assert reads, json.dumps(plan, indent=1)
    for read in reads:
        if read["Node Type"] == "Bitmap Heap Scan":
            # The same index read as a bitmap (the planner's choice for the few
            # shifts ending within the new-work margin): its index scan is checked.
            (read,) = [n for n in nodes(read) if n["Node Type"] == "Bitmap Index Scan"]
        else:
            assert read["Node Type"] in {"Index Scan", "Index Scan Backward"}, read
            assert read.get("Rows Removed by Filter", 0) <= read["Actual Loops"], read
        assert read["Index Name"] == "shift_staff_booked_end", read
        assert "ends_at >" in read["Index Cond"], read


def test_eligible_staff_read_only_the_shifts_not_yet_ended(rota_with_history):
    eligible = eligible_staff(tier=Tier.CALL_HANDLER, now=NOW)

    (plan,) = _plans(lambda: list(eligible))

    assert eligible.count() == MEMBERS
    _reads_only_shifts_not_ended(plan)


def test_on_shift_until_reads_only_the_shifts_not_yet_ended(rota_with_history):
    members = StaffProfile.objects.filter(team=rota_with_history).annotate(
        **readiness_annotations(NOW)
    )

    (plan,) = _plans(lambda: list(members))

    assert all(m.on_shift_until is not None for m in members)
    _reads_only_shifts_not_ended(plan)
