"""The read replica (figures/replica.py): reads go to it only inside replica_reads(),
never a write, never a read in a transaction on the primary; and the pages that
tolerate a few seconds' lag (the weekly figures, their CSV and API, the escalations
export, the people search) read through it, while their audit rows go to the primary.

The test run has no real standby: the "replica" alias is a connection of its own to
the test database (TEST MIRROR, as tracing/settings.py sets when
DATABASE_REPLICA_URL is given). A separate connection sees only committed rows, as a
replica would, so these tests commit their data (transaction=True).
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DEFAULT_DB_ALIAS, InternalError, connections, router, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope as ApiScope
from api.services import api_client_create
from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import Case
from cases.workitem import Status
from figures.replica import REPLICA, read_from_replica, replica_reads
from figures.tasks import weekly_figures_refresh_task
from figures.weekly import Period, weekly_figures
from figures.weekly import Scope as WeeklyScope
from people.models import Person
from tests import factories as f
from tests.conftest import LONDON
from tests.local_teams.builders import SHEFFIELD, escalated_contact, local_member

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])

ROOT = Path(__file__).resolve().parent.parent.parent
ROUTER = "figures.replica.ReplicaRouter"


def forget_replica_connection() -> None:
    """Close this thread's connection of the alias, so the next is made afresh."""
    for opened in connections.all(initialized_only=True):
        if opened.alias == REPLICA:
            opened.close()
            del connections[REPLICA]


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """A "replica" alias for this module's tests: the test database through a
    connection of its own, marked as the default's mirror (so the test run neither
    creates nor flushes it), and read-only, as a hot standby is: a write sent to it
    fails as it would on a real one. (It replaces the alias DATABASE_REPLICA_URL
    makes, if the run was given one, and puts that back after.)"""
    previous = connections.settings.get(REPLICA)
    primary = connections[DEFAULT_DB_ALIAS].settings_dict
    replica = copy.deepcopy(primary)
    replica["TEST"] = {**primary["TEST"], "MIRROR": DEFAULT_DB_ALIAS}
    options = replica.setdefault("OPTIONS", {})
    options["options"] = (
        options.get("options", "") + " -c default_transaction_read_only=on"
    ).strip()
    forget_replica_connection()
    connections.settings[REPLICA] = replica
    yield
    forget_replica_connection()
    if previous is None:
        del connections.settings[REPLICA]
    else:
        connections.settings[REPLICA] = previous


@pytest.fixture(autouse=True)
def routed(settings, replica_alias):
    settings.DATABASE_ROUTERS = [ROUTER]


class OnEach:
    """`with on_each:` captures the statements each connection runs inside it."""

    def __enter__(self) -> OnEach:
        self.primary = CaptureQueriesContext(connections[DEFAULT_DB_ALIAS])
        self.replica = CaptureQueriesContext(connections[REPLICA])
        self.primary.__enter__()
        self.replica.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.replica.__exit__(*exc)
        self.primary.__exit__(*exc)

    def _count(self, matches) -> tuple[int, int]:
        primary, replica = (
            sum(1 for q in captured.captured_queries if matches(q["sql"]))
            for captured in (self.primary, self.replica)
        )
        return primary, replica

    def reads(self, table: str) -> tuple[int, int]:
        """SELECTs from `table`: (on the primary, on the replica)."""
        return self._count(
            lambda sql: sql.lstrip().startswith("SELECT") and f'"{table}"' in sql
        )

    def writes(self, table: str) -> tuple[int, int]:
        """INSERTs into `table`: (on the primary, on the replica)."""
        return self._count(
            lambda sql: (
                sql.split()[:3]
                in (
                    ["INSERT", "INTO", table],
                    ["INSERT", "INTO", f'"{table}"'],
                )
            )
        )


@pytest.fixture
def on_each() -> OnEach:
    return OnEach()


# --- the router -------------------------------------------------------------------


def test_reads_go_to_the_primary_unless_asked_otherwise():
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    assert Case.objects.all().db == DEFAULT_DB_ALIAS


def test_reads_inside_the_scope_are_served_by_the_replica(on_each):
    case = f.CaseFactory()
    with replica_reads():
        assert router.db_for_read(Case) == REPLICA
        with on_each:
            assert list(Case.objects.values_list("pk", flat=True)) == [case.pk]
    assert on_each.reads("cases_case") == (0, 1)
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS  # the scope has closed


def test_writes_inside_the_scope_go_to_the_primary(on_each):
    person = f.PersonFactory()
    with replica_reads(), on_each:
        audit_record(user=None, action=AuditEvent.Action.VIEW, obj=person)
        assert router.db_for_write(Case) == DEFAULT_DB_ALIAS
        person.first_name = "Renamed"
        person.save(update_fields=["first_name"])
    assert on_each.writes("audit_auditevent") == (1, 0)
    assert on_each.replica.captured_queries == []
    person.refresh_from_db()
    assert person.first_name == "Renamed"


def test_a_transaction_on_the_primary_reads_its_own_writes(on_each):
    with replica_reads(), transaction.atomic(), on_each:
        case = f.CaseFactory()
        assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
        assert Case.objects.filter(pk=case.pk).exists()
    assert on_each.replica.captured_queries == []


def test_a_stream_reads_from_the_replica_only_while_each_step_runs():
    f.CaseFactory()
    f.CaseFactory()

    def lines():
        for pk in Case.objects.order_by("pk").values_list("pk", flat=True):
            yield router.db_for_read(Case), pk

    stream = read_from_replica(lines())
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    first = next(stream)
    # Between the steps the caller's reads are the primary's again.
    assert router.db_for_read(Case) == DEFAULT_DB_ALIAS
    rest = list(stream)
    assert [alias for alias, _ in [first, *rest]] == [REPLICA, REPLICA]


def test_the_replica_alias_refuses_writes_as_a_standby_does():
    with pytest.raises(InternalError, match="read-only transaction"):
        Person.objects.using(REPLICA).create(first_name="X")


def test_the_replica_is_never_migrated():
    replica_router = router.routers[0]
    assert replica_router.allow_migrate(DEFAULT_DB_ALIAS, "cases")
    assert not replica_router.allow_migrate(REPLICA, "cases")


# --- the settings -----------------------------------------------------------------


def databases_as_configured(**env: str) -> str:
    """tracing.settings as a process started with `env` reads it: the aliases,
    the replica's options and the routers."""
    base = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    script = (
        "import django; django.setup()\n"
        "from django.conf import settings as s\n"
        "r = s.DATABASES.get('replica', {})\n"
        "print(sorted(s.DATABASES), r.get('NAME'), r.get('HOST'), r.get('CONN_MAX_AGE'),"
        " r.get('CONN_HEALTH_CHECKS'), r.get('OPTIONS'), r.get('TEST', {}).get('MIRROR'),"
        " s.DATABASE_ROUTERS)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "tracing.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_without_a_replica_url_there_is_one_database_and_no_router():
    assert databases_as_configured() == "['default'] None None None None None None []"


def test_a_replica_url_adds_the_alias_with_the_primarys_options():
    got = databases_as_configured(
        DATABASE_REPLICA_URL="postgres://reader@standby.internal:5432/tracing",
        CONN_MAX_AGE="30",
    )
    assert got == (
        "['default', 'replica'] tracing standby.internal 30 True "
        "{'connect_timeout': 2, 'options': '-c jit=off'} default "
        "['figures.replica.ReplicaRouter']"
    )


# --- the pages that read through it -----------------------------------------------


def national_supervisor():
    return f.StaffProfileFactory(
        clinical=True, is_supervisor=True, user__username="supervisor"
    ).user


def cases_in_the_week_to_6_january():
    """Two cases transferred in the Thursday week 31 December to 6 January, the last
    complete one at the test clock's moment (Tuesday 12 January 2021)."""
    for day in (1, 4):
        case = f.CaseFactory()
        Case.objects.filter(pk=case.pk).update(
            created_at=dt.datetime(2021, 1, day, 10, tzinfo=LONDON)
        )


def test_the_weekly_figures_page_reads_through_the_replica(clock, client, on_each):
    cases_in_the_week_to_6_january()
    client.force_login(national_supervisor())

    with on_each:
        response = client.get(reverse("figures:weekly"))

    assert response.status_code == 200
    assert response.context["figures"].cases.transferred == 2
    primary, replica = on_each.reads("cases_case")
    assert (primary, replica > 0) == (0, True)


def test_the_weekly_figures_csv_reads_through_the_replica_and_audits_on_the_primary(
    clock, client, on_each
):
    cases_in_the_week_to_6_january()
    client.force_login(national_supervisor())

    with on_each:
        response = client.get(reverse("figures:weekly_csv"))

    assert response.status_code == 200
    last_week = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))[
        -1
    ]
    assert last_week["cases_transferred"] == "2"
    primary, replica = on_each.reads("cases_case")
    assert (primary, replica > 0) == (0, True)
    assert on_each.writes("audit_auditevent") == (1, 0)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).count() == 1


def test_the_weekly_figures_api_reads_through_the_replica(clock, on_each):
    cases_in_the_week_to_6_january()
    _, token = api_client_create(
        name="Dashboard",
        scopes=[ApiScope.READ_FIGURES],
        local_team=None,
        rate_limit_per_minute=10_000,
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    with on_each:
        response = http.get("/api/v1/figures/weekly/")

    assert response.status_code == 200
    assert response.json()["cases"]["transferred"] == 2
    primary, replica = on_each.reads("cases_case")
    assert (primary, replica > 0) == (0, True)


def test_the_beats_figures_refresh_reads_through_the_replica(clock, on_each):
    cases_in_the_week_to_6_january()

    with on_each:
        weekly_figures_refresh_task()

    primary, replica = on_each.reads("cases_case")
    assert (primary, replica > 0) == (0, True)
    # What it computed is what a reader is then served, from the cache.
    with on_each:
        figures = weekly_figures(
            period=Period.parse("2021-01-06"), scope=WeeklyScope.england()
        )
    assert figures.cases.transferred == 2
    assert on_each.reads("cases_case") == (0, 0)


def test_the_escalations_export_streams_from_the_replica_and_audits_on_the_primary(
    clock, client, on_each
):
    member = local_member(SHEFFIELD, "sheffield_member")
    first, second = escalated_contact(), escalated_contact()
    client.force_login(member)

    with on_each:
        response = client.get(reverse("escalations:export"))
        # The lines are read as they are sent, after the view has returned.
        body = b"".join(response.streaming_content).decode("utf-8-sig")

    exported = [row["escalation"] for row in csv.DictReader(io.StringIO(body))]
    assert exported == [str(first.pk), str(second.pk)]
    primary, replica = on_each.reads("escalations_escalation")
    assert (primary, replica > 0) == (0, True)
    # One INSERT for the export, one for the batch's two people: on the primary.
    assert on_each.writes("audit_auditevent") == (2, 0)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).count() == 2


def test_the_people_search_reads_through_the_replica_and_audits_on_the_primary(
    client, on_each
):
    case = f.CaseFactory(person__first_name="Jonathan", person__last_name="Smith")
    supervisor = national_supervisor()
    client.force_login(supervisor)

    with on_each:
        response = client.get(reverse("staffing:people_search"), {"q": "Smith"})

    assert response.status_code == 200
    assert [row.person.pk for row in response.context["results"]] == [case.person_id]
    primary, replica = on_each.reads("people_person")
    assert (primary, replica > 0) == (0, True)
    assert on_each.writes("audit_auditevent") == (1, 0)
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW)
    assert (event.user, event.person_id) == (supervisor, case.person_id)


def test_a_caseworkers_pages_read_the_primary(client, caseworker, on_each):
    """Outside the pages chosen, nothing is read from the replica: what a member of
    staff has just saved is what their next page shows."""
    case = f.CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=timezone.now()
    )
    Person.objects.filter(pk=case.person_id).update(last_name="Saved-Just-Now")
    client.force_login(caseworker)

    with on_each:
        work = client.get(reverse("cases:queue"))
        page = client.get(reverse("cases:detail", args=[case.pk]))

    assert work.status_code == page.status_code == 200
    assert "Saved-Just-Now" in page.content.decode()
    assert on_each.replica.captured_queries == []


# --- a replica that does not answer -------------------------------------------------


@pytest.fixture
def replica_down():
    """The alias pointed at a port nobody listens on, as a replica that is down."""
    working = connections.settings[REPLICA]
    down = copy.deepcopy(working)
    down["HOST"], down["PORT"] = "127.0.0.1", "1"
    forget_replica_connection()
    connections.settings[REPLICA] = down
    yield
    forget_replica_connection()
    connections.settings[REPLICA] = working


def test_the_health_check_says_the_replica_answers(client):
    answer = client.get("/health/").json()
    assert (answer["status"], answer["replica"]) == ("ok", "ok")


def test_a_replica_that_is_down_is_passed_by_and_the_health_check_says_so(
    clock, client, replica_down
):
    """The figures read the primary rather than fail; the health check is degraded,
    not down."""
    cases_in_the_week_to_6_january()
    client.force_login(national_supervisor())

    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        response = client.get(reverse("figures:weekly"))

    assert response.status_code == 200
    assert response.context["figures"].cases.transferred == 2
    assert any('"cases_case"' in q["sql"] for q in primary.captured_queries)
    health = client.get("/health/")
    assert health.status_code == 200
    assert (health.json()["status"], health.json()["replica"]) == (
        "degraded",
        "unreachable",
    )
