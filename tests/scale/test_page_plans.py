"""Every page and operation bench/scale.py times reads the big tables through their
indexes, and sorts nothing on disk, on a scaled-down month at peak (conftest.py).

Each is done once as a user would (the test Client, signed in; the services for the
assignment run and the escalation sweep, in a transaction rolled back), its
statements captured, and every statement that reads run again under EXPLAIN
(ANALYZE, FORMAT JSON): no Seq Scan on people, cases, contacts, call attempts or
escalations, no sort spilling to disk (plans.py). A failure names the plan line and
the statement. bench/scale.py measures the same at a full month, with timings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from figures.weekly import Scope, weekly_figures
from tests.conftest import NOW
from work.assignment import assign_work, release_stranded_work
from work.escalation import escalate_unreached, release_escalations_of_leavers

from .conftest import Peak
from .plans import ReadsATableWhole, assert_follow_indexes, explain, replayable

# One load per run: `--dist loadgroup` keeps this folder on one worker
# (WORKER_GROUPS in tests/conftest.py); spread, each worker would load the peak again.
pytestmark = [pytest.mark.django_db]

# Plans that read a big table whole at this size, reported to be fixed in the query;
# strict, so that the fix shows here by failing until the mark is taken off.
READS_A_TABLE_WHOLE = {
    "weekly_figures_last_week": (
        "the times block hash-joins every reached case (Seq Scan on cases_case) to "
        "the week's reached contacts, for the time from the case's reach to theirs: "
        "a week is nearly a quarter of the month, at the full month too"
    ),
}


def named(names) -> list:
    return [
        pytest.param(
            name,
            marks=pytest.mark.xfail(
                strict=True, raises=ReadsATableWhole, reason=READS_A_TABLE_WHOLE[name]
            ),
        )
        if name in READS_A_TABLE_WHOLE
        else name
        for name in names
    ]


@dataclass(frozen=True)
class Page:
    who: str  # the Peak's account that looks at it
    url: Callable[[Peak], str]


PAGES = {
    "my_work_caseworker_cases": Page("caseworker", lambda p: reverse("cases:queue")),
    "case_page": Page(
        "caseworker", lambda p: reverse("cases:detail", args=[p.case.pk])
    ),
    "my_work_call_handler_contacts": Page(
        "call_handler", lambda p: reverse("cases:queue")
    ),
    "contact_page": Page(
        "call_handler", lambda p: reverse("contacts:detail", args=[p.contact.pk])
    ),
    "local_queue": Page("local_member", lambda p: reverse("escalations:queue")),
    "supervisor_dashboard": Page("supervisor", lambda p: reverse("staffing:dashboard")),
    "admin_cases_list": Page("admin", lambda p: "/admin/cases/case/"),
    "admin_cases_list_status_new": Page(
        "admin", lambda p: "/admin/cases/case/?status__exact=new"
    ),
    "admin_contacts_list": Page("admin", lambda p: "/admin/contacts/contact/"),
    "admin_contacts_list_status_new": Page(
        "admin", lambda p: "/admin/contacts/contact/?status__exact=new"
    ),
    "api_cases_status_new": Page("admin", lambda p: "/api/v1/cases/?status=new"),
    "api_contacts_status_new": Page("admin", lambda p: "/api/v1/contacts/?status=new"),
    "escalation_csv_export": Page(
        "local_member", lambda p: reverse("escalations:export")
    ),
}


@pytest.mark.parametrize("name", named(PAGES))
def test_page_reads_the_big_tables_through_indexes(peak, clock, client, name):
    page = PAGES[name]
    client.force_login(getattr(peak, page.who))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url(peak))
        # A stream's queries run as it is read.
        body = (
            b"".join(response.streaming_content)
            if response.streaming
            else response.content
        )
    assert response.status_code == 200, body[:500]
    assert_follow_indexes(captured.captured_queries)


def _weeks_figures(peak: Peak) -> None:
    figures = weekly_figures(period=peak.week, scope=Scope.england())
    assert figures.cases.transferred


def _assignment_run(peak: Peak) -> None:
    report = assign_work(now=NOW)
    assert all(report.assigned.values()), report


def _escalation_sweep_batch(peak: Peak) -> None:
    escalated, _ = escalate_unreached(now=NOW)
    assert escalated


def _release_stranded_work(peak: Peak) -> None:
    # Who may no longer hold what they hold: read for every item held, every minute.
    release_stranded_work(now=NOW)


def _release_escalations_of_leavers(peak: Peak) -> None:
    # What leavers had picked up: read by every sweep.
    release_escalations_of_leavers(now=NOW)


OPERATIONS = {
    "weekly_figures_last_week": _weeks_figures,
    "assignment_run": _assignment_run,
    "escalation_sweep_batch": _escalation_sweep_batch,
    "release_stranded_work": _release_stranded_work,
    "release_escalations_of_leavers": _release_escalations_of_leavers,
}


@pytest.mark.parametrize("name", named(OPERATIONS))
def test_operation_reads_the_big_tables_through_indexes(peak, clock, name):
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        OPERATIONS[name](peak)
        # Every run sees the same work: the plans are explained on it too.
        transaction.set_rollback(True)
    assert_follow_indexes(captured.captured_queries)


# The check itself, on statements known to do what it looks for.


def test_the_check_names_a_big_table_read_whole_and_its_statement(requires_postgres):
    with CaptureQueriesContext(connection) as captured:
        # No index has the safeguarding note: the table is read whole.
        list(Case.objects.filter(safeguarding_note="never written").values("pk"))
    with pytest.raises(
        ReadsATableWhole,
        match=r'Seq Scan on cases_case .*\n    in: SELECT "cases_case"',
    ):
        assert_follow_indexes(captured.captured_queries)


def test_the_check_names_a_sort_on_disk(requires_postgres):
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '64kB'")
        cursor.execute("SELECT g FROM generate_series(1, 100000) g ORDER BY g DESC")
    with pytest.raises(ReadsATableWhole, match=r"Sort .*Sort Method: external"):
        assert_follow_indexes(captured.captured_queries)


def test_a_server_side_cursor_is_explained_as_the_cursor_it_was(requires_postgres):
    """A stream (the CSV export) reads through a cursor, which PostgreSQL plans for
    its first rows: the check explains that DECLARE, not the SELECT on its own."""
    with CaptureQueriesContext(connection) as captured:
        list(Case.objects.order_by("created_at", "pk").values("pk").iterator())
    (statement,) = (
        replayable(query["sql"])
        for query in captured.captured_queries
        if "cases_case" in query["sql"]
    )
    assert statement.startswith("DECLARE")
    (explained,) = explain([{"sql": statement}])
    assert explained.sql == statement
    assert explained.plan["Node Type"]
