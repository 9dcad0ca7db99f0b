"""A read replica that goes down while its connection is open (figures/replica.py):
the health check says so at once, and the searches and exports read the primary from
the first request on, rather than answering 500 once in each web process.

As in tests/core/test_replica.py, the "replica" alias is a read-only connection of
its own to the test database, so the tests commit their data (transaction=True). It
goes down as the hunter's did (a proxy in front of it stopped): its server process is
terminated from the primary, and a new connection is pointed at a port nobody
listens on.

Django's test client leaves out what the server does as each request starts
(close_old_connections: the connections' health checks are due again), so `served()`
does it before each request, as a web process would.
"""

from __future__ import annotations

import copy
import csv
import io
from collections.abc import Callable, Iterator

import pytest
from django.db import (
    DEFAULT_DB_ALIAS,
    close_old_connections,
    connection,
    connections,
    router,
)
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases.models import Case
from figures.replica import REPLICA, read_from_replica, read_on_replica, replica_reads
from figures.weekly import forgotten_in_database
from tests import factories as f
from tests.local_teams.builders import SHEFFIELD, escalated_contact, local_member

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])

ROUTER = "figures.replica.ReplicaRouter"


def forget_replica_connection() -> None:
    """Close this thread's connection of the alias, so the next is made afresh."""
    for opened in connections.all(initialized_only=True):
        if opened.alias == REPLICA:
            opened.close()
            del connections[REPLICA]


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup):
    """A "replica" alias: the test database through a read-only connection of its
    own, the default's mirror (as in tests/core/test_replica.py)."""
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


@pytest.fixture
def take_replica_down() -> Iterator[Callable[[], None]]:
    """Takes the replica down under its open connection: the server process behind
    the connection is terminated, and connecting again is refused."""
    working = connections.settings[REPLICA]

    def down() -> None:
        replica = connections[REPLICA]
        replica.ensure_connection()
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        refused = {**replica.settings_dict, "HOST": "127.0.0.1", "PORT": "1"}
        replica.settings_dict = refused
        connections.settings[REPLICA] = refused
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])

    yield down
    forget_replica_connection()
    connections.settings[REPLICA] = working


def served(get, *args, **kwargs):
    """A request as a web process serves it: close_old_connections() first."""
    close_old_connections()
    return get(*args, **kwargs)


def national_supervisor():
    return f.StaffProfileFactory(
        clinical=True, is_supervisor=True, user__username="supervisor"
    ).user


def test_the_health_check_says_degraded_when_the_replica_goes_down_under_it(
    client, take_replica_down
):
    before = served(client.get, "/health/").json()
    assert (before["status"], before["replica"]) == ("ok", "ok")

    take_replica_down()

    # Polled again and again, as a load balancer does: every answer says so.
    for _ in range(3):
        health = served(client.get, "/health/")
        assert health.status_code == 200
        assert (health.json()["status"], health.json()["replica"]) == (
            "degraded",
            "unreachable",
        )


def test_the_people_search_after_the_replica_goes_down_reads_the_primary(
    client, take_replica_down
):
    case = f.CaseFactory(person__first_name="Anna", person__last_name="Nowak")
    client.force_login(national_supervisor())
    search = reverse("staffing:people_search")
    before = served(client.get, search, {"q": "Nowak"})
    assert [row.person.pk for row in before.context["results"]] == [case.person_id]

    take_replica_down()
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as primary:
        response = served(client.get, search, {"q": "Nowak"})

    assert response.status_code == 200
    assert [row.person.pk for row in response.context["results"]] == [case.person_id]
    assert any('"people_person"' in q["sql"] for q in primary.captured_queries)


def test_the_local_export_after_the_replica_goes_down_streams_from_the_primary(
    client, take_replica_down
):
    member = local_member(SHEFFIELD, "sheffield_member")
    first, second = escalated_contact(), escalated_contact()
    client.force_login(member)
    before = served(client.get, reverse("escalations:export"))
    assert before.status_code == 200
    b"".join(before.streaming_content)

    take_replica_down()
    response = served(client.get, reverse("escalations:export"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")

    exported = [row["escalation"] for row in csv.DictReader(io.StringIO(body))]
    assert exported == [str(first.pk), str(second.pk)]


# --- a replica that goes down between the check and the read ------------------------
# Within a request the replica's connection is checked once (the first scope); one
# that goes down after that fails the read, which is then made again on the primary.


def test_a_read_the_replica_fails_is_made_again_on_the_primary(take_replica_down):
    case = f.CaseFactory()

    def cases() -> list[tuple[str, int]]:
        return [
            (router.db_for_read(Case), pk)
            for pk in Case.objects.values_list("pk", flat=True)
        ]

    assert read_on_replica(cases) == [(REPLICA, case.pk)]  # checked: it answers
    take_replica_down()

    assert read_on_replica(cases) == [(DEFAULT_DB_ALIAS, case.pk)]


def test_a_stream_the_replica_fails_before_its_first_read_starts_again_on_the_primary(
    take_replica_down,
):
    case = f.CaseFactory()

    def lines() -> Iterator[str]:
        yield "header\n"  # made without reading: held back until a read has been
        for pk in Case.objects.values_list("pk", flat=True):
            yield f"{router.db_for_read(Case)},{pk}\n"

    assert list(read_from_replica(lines)) == ["header\n", f"{REPLICA},{case.pk}\n"]
    take_replica_down()

    assert list(read_from_replica(lines)) == [
        "header\n",
        f"{DEFAULT_DB_ALIAS},{case.pk}\n",
    ]


def test_a_read_the_replica_fails_inside_a_wider_replica_scope_goes_to_the_primary(
    take_replica_down,
):
    # The cached figures' one read (the marker of forgettings the cache missed) is
    # made inside the figures page's own replica scope: a replica gone between the
    # scope's check and that read is passed by, not a 500 on a page of cached weeks.
    with replica_reads():
        take_replica_down()
        assert forgotten_in_database() == "0"
