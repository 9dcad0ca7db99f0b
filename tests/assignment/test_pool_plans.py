"""The queue queries follow their indexes on a scaled-down month at peak.

A few hundred thousand cases and contacts, made in SQL by generate_series with the
real tables and constraints, then analysed: the plans of the pool's existence check,
the claim, the escalation sweep's due query, the dashboard's waiting-by-age and My
work's queue read an index, never a whole table, and sort nothing on disk.
(bench/scale.py does the same at a full month, with timings.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact
from tests import factories as f
from tests.conftest import NOW
from tests.scale.plans import nodes, problems
from work.assignment import POOL_ORDER, pool_claim, pool_head
from work.escalation import _ended_due_for_sweep, due_for_sweep
from work.pool_counts import count_kind
from work.queues import CASE_WORKED, next_due_item, work_queue

pytestmark = pytest.mark.django_db

KINDS = [Case, Contact]

# The work items' tables: the plans here are judged on these alone. At this sample's
# size (170,000 people) the claim reads the people whole; at a month at peak it does
# not (tests/scale judges the same run on every big table).
ITEM_TABLES = frozenset({"cases_case", "contacts_contact"})

# Out of every thousand rows: how many are in each status. The pool is a few per cent
# of a month's work, as at the peak (63k waiting among 2M cases).
CASE_STATUSES = """
    CASE WHEN g %% 1000 < 30 THEN 'new'
         WHEN g %% 1000 < 33 THEN 'reached'
         WHEN g %% 1000 < 43 THEN 'assigned'
         WHEN g %% 1000 < 53 THEN 'reached'
         WHEN g %% 1000 < 73 THEN 'escalated'
         ELSE 'completed' END
"""
CONTACT_STATUSES = """
    CASE WHEN g %% 1000 < 30 THEN 'new'
         WHEN g %% 1000 < 50 THEN 'assigned'
         WHEN g %% 1000 < 850 THEN 'reached'
         WHEN g %% 1000 < 900 THEN 'escalated'
         ELSE 'closed' END
"""
# Held by someone: assigned, and the second band of reached cases.
CASE_HELD = "g %% 1000 BETWEEN 33 AND 52"
CONTACT_HELD = "g %% 1000 BETWEEN 30 AND 49"


def _people(cursor, *, count: int, now: dt.datetime, language: int) -> int:
    """`count` people, one in a hundred needing an interpreter; the first new id."""
    cursor.execute(
        """
        INSERT INTO people_person (first_name, last_name, nhs_number, phone, phone_alt,
                                   email, address, postcode, needs_interpreter,
                                   language_id, created_at, updated_at)
        SELECT 'Peak', 'Person ' || g, '', '', '', '', '', '', g %% 100 = 0,
               CASE WHEN g %% 100 = 0 THEN %(language)s END, %(now)s, %(now)s
          FROM generate_series(1, %(count)s) g
        """,
        {"count": count, "now": now, "language": language},
    )
    cursor.execute("SELECT currval(pg_get_serial_sequence('people_person', 'id'))")
    return cursor.fetchone()[0] - count + 1


# Shared by both kinds: status, holder, arrival (the pool and open work in the last
# two days, the rest over the month), call-back times (one waiting item in ten has
# one still ahead), and the escalation deadline of unreached work.
WORK_SELECT = """
    s.status, false, CASE WHEN g %% 20 = 0 THEN 1 ELSE 0 END,
    %(today)s::date + 8, 0,
    CASE WHEN s.status IN ('new', 'assigned') THEN
         CASE WHEN g %% 10 = 0 THEN %(now)s + interval '1 hour' ELSE t.at END END,
    CASE WHEN s.status IN ('new', 'assigned') THEN t.at + interval '24 hours' END,
    t.at, '', {person},
    CASE WHEN s.held THEN (%(staff)s::bigint[])[1 + (g / 1000) %% %(staff_count)s] END,
    CASE WHEN s.held THEN t.at END
"""
# A contact's person: one of their own after the cases' people, but for one in
# CONTACT_WAS_A_CASE, who is a case's person (a different case each, hashed over
# them, so that its status is any case's: mostly completed, a few still worked).
CONTACT_WAS_A_CASE = 20
CONTACT_PERSON = f"""
    CASE WHEN g %% {CONTACT_WAS_A_CASE} = 0
         THEN %(first)s + (g / {CONTACT_WAS_A_CASE} * 7919 + 1) %% %(cases)s
         ELSE %(first)s + %(cases)s + g END
"""
WORK_COLUMNS = """status, area_unknown, priority, isolation_ends_on, attempts,
    next_attempt_at, escalate_due_at, created_at, reached_route, person_id,
    assignee_id, assigned_at"""
ARRIVAL = """
    SELECT %(now)s - CASE WHEN g %% 1000 < 53
                          THEN interval '1 minute' * ((g::bigint * 7919) %% 2880)
                          ELSE interval '1 minute' * ((g::bigint * 7919) %% 43200) END AS at
"""


def load_peak(
    *, cases: int, contacts: int, staff: list[int], language: int, now: dt.datetime
) -> None:
    """A scaled-down month at peak, in SQL: `cases` cases and `contacts` contacts of
    them, stored in order of arrival as they would be, some held by `staff` (user
    ids); then the tables are analysed."""
    # A person each: a case's person is never named as a contact but for one contact
    # in CONTACT_WAS_A_CASE, as at a peak, where a few contacts test positive. (Were
    # every contact a case's person, nearly every waiting contact would be held back
    # from calls, work.queues.called_as_case, and the pool would be another one.)
    people = cases + contacts
    with connection.cursor() as cursor:
        params: dict[str, Any] = {
            "now": now,
            "today": now.date(),
            "staff": staff,
            "staff_count": len(staff),
            "first": _people(cursor, count=people, now=now, language=language),
        }
        cursor.execute(
            f"""
            INSERT INTO cases_case ({WORK_COLUMNS}, lab_reference, specimen_date,
                result_date, source, complexity, complex_setting, safeguarding_flag,
                safeguarding_note)
            SELECT {WORK_SELECT.format(person="%(first)s + g")},
                   'PEAK' || g, %(today)s::date - 2, %(today)s::date - 1, 'demo',
                   'routine', '', false, ''
              FROM generate_series(0, %(count)s - 1) g
             CROSS JOIN LATERAL ({ARRIVAL}) t
             CROSS JOIN LATERAL (SELECT {CASE_STATUSES} AS status,
                                        {CASE_HELD} AS held) s
             ORDER BY t.at
            """,
            {**params, "count": cases},
        )
        cursor.execute("SELECT currval(pg_get_serial_sequence('cases_case', 'id'))")
        first_case = cursor.fetchone()[0] - cases + 1
        cursor.execute(
            f"""
            INSERT INTO contacts_contact ({WORK_COLUMNS}, exposure_date, exposure,
                                          case_id)
            SELECT {WORK_SELECT.format(person=CONTACT_PERSON)},
                   %(today)s::date - 1, 'household',
                   %(first_case)s + g %% %(cases)s
              FROM generate_series(0, %(count)s - 1) g
             CROSS JOIN LATERAL ({ARRIVAL}) t
             CROSS JOIN LATERAL (SELECT {CONTACT_STATUSES} AS status,
                                        {CONTACT_HELD} AS held) s
             ORDER BY t.at
            """,
            {
                **params,
                "count": contacts,
                "first_case": first_case,
                "cases": cases,
            },
        )
        cursor.execute("ANALYZE people_person")
        cursor.execute("ANALYZE cases_case")
        cursor.execute("ANALYZE contacts_contact")


@pytest.fixture(scope="module")
def peak(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    """The scaled-down peak, loaded once for the module's tests and rolled back after
    them; a caseworker and a call handler are among the staff holding work."""
    if connection.vendor != "postgresql":
        pytest.skip("query plans need PostgreSQL: set DATABASE_URL")
    with django_db_blocker.unblock(), transaction.atomic():
        caseworker = f.StaffProfileFactory(clinical=True).user
        call_handler = f.StaffProfileFactory().user
        language = f.LanguageFactory()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO auth_user (password, is_superuser, username, first_name,
                                       last_name, email, is_staff, is_active,
                                       date_joined)
                SELECT '!', false, 'peak' || g, 'Peak', 'Staff ' || g, '', false,
                       true, %s
                  FROM generate_series(1, 198) g
                RETURNING id
                """,
                [NOW],
            )
            staff = [caseworker.pk, call_handler.pk, *(r[0] for r in cursor)]
        load_peak(
            cases=50_000,
            contacts=120_000,
            staff=staff,
            language=language.pk,
            now=NOW,
        )
        # The load's foreign keys checked once, here and for good: left deferred,
        # the check Django makes at the end of every test (in the test's savepoint,
        # rolled back with it) would check all 170,000 rows again, 2 s a test.
        connection.check_constraints()
        yield {
            Case: caseworker,
            Contact: call_handler,
            "language": language,
        }
        transaction.set_rollback(True)


def _explained(statement: str, params: Any = None) -> dict[str, Any]:
    """The plan PostgreSQL ran (EXPLAIN ANALYZE, so a sort says where it sorted)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement, params)
        result = cursor.fetchone()[0]
    if isinstance(result, str):
        result = json.loads(result)
    return result[0]["Plan"]


def plan_of(qs) -> dict[str, Any]:
    return _explained(*qs.query.sql_with_params())


def plans_run_by(run: Callable[[], object], model: type[WorkItem]) -> list[dict]:
    """The plans of the statements `run` sends that read `model`'s table."""
    table = f'"{model._meta.db_table}"'
    with CaptureQueriesContext(connection) as captured:
        run()
    statements = [q["sql"] for q in captured if table in q["sql"]]
    assert statements, f"{run} read nothing from {table}"
    return [_explained(statement) for statement in statements]


def assert_reads_no_table_whole(plan: dict[str, Any]) -> None:
    """The plan reads neither item table whole and sorts nothing on disk (the scale
    tests' check, tests/scale/plans.py, on the item tables)."""
    found = problems(plan, ITEM_TABLES)
    assert not found, "\n".join(found) + "\n" + json.dumps(plan, indent=1)


def assert_follows(plan: dict[str, Any], index: str) -> list[dict[str, Any]]:
    """The plan reads `index`, scans neither big table whole, sorts nothing on disk;
    returns the nodes reading `index`."""
    assert_reads_no_table_whole(plan)
    text = json.dumps(plan, indent=1)
    on_index = [n for n in nodes(plan) if n.get("Index Name") == index]
    assert on_index, f"{index} not used:\n{text}"
    return on_index


def _pool_index(model: type[WorkItem]) -> str:
    return f"{model.kind}_pool"


@pytest.mark.parametrize("model", KINDS)
def test_the_pool_index_has_the_pools_condition_and_the_claims_order(model):
    index = next(i for i in model._meta.indexes if i.name == _pool_index(model))
    assert index.condition == model.pool_q()
    order = [
        f"-{e.expression.name}" if getattr(e, "descending", False) else e.name
        for e in index.expressions
    ]
    assert order == [o.replace("pk", "id") for o in POOL_ORDER]


@pytest.mark.parametrize("model", KINDS)
def test_the_pool_check_reads_one_row_of_the_pool_index(peak, model):
    plan = plan_of(pool_head(model, NOW))
    assert plan["Node Type"] == "Limit"
    (scan,) = assert_follows(plan, _pool_index(model))
    assert scan["Node Type"] in ("Index Scan", "Index Only Scan")
    assert scan["Actual Rows"] == 1
    assert not [n for n in nodes(plan) if "Sort" in n["Node Type"]]


@pytest.mark.parametrize("model", KINDS)
def test_the_claim_reads_an_index_and_sorts_nothing_on_disk(peak, model):
    """Which index the planner picks here depends on the test's scale and on the
    rows being unvacuumed (in the test's own transaction); on a vacuumed month at
    peak the claim reads the pool index in order (bench/scale.py). Some 800 of the
    sample's waiting cases may be handed out: about half the rest are past their
    deadline (the sweep's, not the pool's) or wait for a call-back time."""
    claim = pool_claim(model, NOW, spoken=[peak["language"].pk], wanted=500)
    plan = plan_of(claim)
    assert_reads_no_table_whole(plan)
    assert plan["Actual Rows"] == 500


# The sweep's index of each kind's due items.
DUE_INDEX = {Case: "case_escalation_due", Contact: "contact_escalation_due_ends"}


@pytest.mark.parametrize("model", KINDS)
def test_the_sweep_reads_the_due_items_from_their_index(peak, model):
    plan = plan_of(due_for_sweep(model, NOW, batch=500))
    assert_follows(plan, DUE_INDEX[model])
    assert plan["Actual Rows"] == 500


def test_the_sweep_finds_the_contacts_whose_isolation_is_over_within_the_index(peak):
    """Before each batch the sweep closes the due contacts whose isolation is over:
    told apart within the index, not by reading the row of every due contact (all
    of them, batch after batch, to find the few)."""
    plan = plan_of(_ended_due_for_sweep(NOW, batch=500))
    (scan,) = assert_follows(plan, DUE_INDEX[Contact])
    assert "isolation_ends_on" in scan.get("Index Cond", "")
    assert not scan.get("Rows Removed by Filter")


@pytest.mark.parametrize("model", KINDS)
def test_the_dashboards_waiting_by_age_reads_an_index(peak, model):
    """One pass over the pool index (an Index Only Scan) once the table is vacuumed;
    in the test's own transaction the planner may prefer the escalation index. The
    beat counts with it what of the due work waits for a language: the pool again,
    through assignment's own pool index, never the table whole."""
    plans = plans_run_by(lambda: count_kind(model, NOW), model)
    assert len(plans) == 2  # by age; by language
    for plan in plans:
        assert_reads_no_table_whole(plan)


def _reads_only_holders_rows(plan: dict[str, Any], user, model) -> None:
    """The table is read by an index on the holder (the queue index, or the holder's
    own foreign key index, whichever the planner finds smaller), for this holder. A
    contact queue asks of each of its rows whether the person is a case being worked
    (work.queues.called_as_case): one lookup a row in the index of the open cases'
    people, never the cases table."""
    text = json.dumps(plan, indent=1)
    assert not problems(plan, ITEM_TABLES), text
    scans = [n for n in nodes(plan) if n.get("Relation Name") in ITEM_TABLES]
    own = [n for n in scans if n["Relation Name"] == model._meta.db_table]
    assert own, text
    for scan in own:
        assert scan["Node Type"] == "Index Scan", text
        assert f"(assignee_id = {user.pk})" in scan["Index Cond"], text
    for scan in scans:
        if scan not in own:
            assert model is Contact, text
            assert scan["Index Name"] == "case_person_worked", text
            assert scan["Index Cond"] == "(person_id = contacts_contact.person_id)"


@pytest.mark.parametrize("model", KINDS)
def test_my_work_reads_only_the_holders_rows(peak, model):
    user = peak[model]
    assert work_queue(user).model is model
    assert work_queue(user).exists()
    _reads_only_holders_rows(plan_of(work_queue(user)), user, model)
    (plan,) = plans_run_by(lambda: next_due_item(user, now=NOW), model)
    _reads_only_holders_rows(plan, user, model)


def test_the_index_of_the_open_cases_people_has_the_rules_statuses():
    """The contact held back from calls (work.queues.called_as_case) is looked up in
    this index: its condition is the rule's, or the lookup reads the table."""
    index = next(i for i in Case._meta.indexes if i.name == "case_person_worked")
    assert index.condition == Q(status__in=list(CASE_WORKED))
    assert index.fields == ["person"]
