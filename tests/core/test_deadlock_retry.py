"""Two people acting at once whose transactions each hold what the other waits for:
PostgreSQL ends one of them to break the deadlock. That one is run again once the
other has committed, and saved; before, it was a 500 and the typing was lost."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from django.db import OperationalError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt
from cases.workitem import Status
from people.models import Person
from rows.retry import atomic_operation
from tests import factories as f
from tests.threads import side_by_side

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]


def _lock(person_id: int) -> None:
    Person.objects.select_for_update().get(pk=person_id)


def _crossed(first: int, second: int, *, owner_retries: bool):
    """Two jobs taking two people's rows in opposite orders, each holding its first
    while the other takes its own: a deadlock every time. Each job writes a note on
    both rows."""
    both_hold_one = threading.Barrier(2, timeout=10)
    runs: list[str] = []

    def job(name: str, a: int, b: int):
        def body() -> None:
            runs.append(name)
            _lock(a)
            if runs.count(name) == 1:  # the first time round: meet the other
                both_hold_one.wait()
            _lock(b)
            for pk in (a, b):
                person = Person.objects.get(pk=pk)
                person.address = f"{person.address} {name}".strip()
                person.save(update_fields=["address"])

        if owner_retries:
            return atomic_operation(body)
        return transaction.atomic()(body)

    return job("one", first, second), job("two", second, first), runs


def test_the_transaction_the_database_ends_to_break_a_deadlock_is_run_again():
    ada, ben = f.PersonFactory(address=""), f.PersonFactory(address="")
    one, two, runs = _crossed(ada.pk, ben.pk, owner_retries=True)

    errors = side_by_side(one, two)

    assert not errors, errors
    # One of the two was ended by the database and run again: three runs in all.
    assert len(runs) == 3
    for person in (ada, ben):
        person.refresh_from_db()
        assert sorted(person.address.split()) == ["one", "two"]


def test_without_a_second_run_one_of_the_two_fails():
    """The same two jobs as plain transactions: the deadlock is real, and one of
    them is lost (what the case page and the API did before)."""
    ada, ben = f.PersonFactory(address=""), f.PersonFactory(address="")
    one, two, _ = _crossed(ada.pk, ben.pk, owner_retries=False)

    errors = side_by_side(one, two)

    assert len(errors) == 1
    assert isinstance(errors[0], OperationalError)
    assert "deadlock" in str(errors[0])


def test_inside_a_callers_transaction_it_runs_once_and_the_caller_decides():
    ada, ben = f.PersonFactory(address=""), f.PersonFactory(address="")
    one, two, runs = _crossed(ada.pk, ben.pk, owner_retries=True)

    def in_a_transaction(job):
        def run() -> None:
            with transaction.atomic():
                job()

        return run

    errors = side_by_side(in_a_transaction(one), in_a_transaction(two))

    assert len(errors) == 1
    assert isinstance(errors[0], OperationalError)
    assert len(runs) == 2


def test_a_call_the_database_ends_in_a_deadlock_is_saved_once_on_a_second_run(
    client, call_handler, monkeypatch
):
    """The call handler sends a call while another transaction holds the person's row
    and then waits for the contact's: the call's transaction, holding the contact and
    waiting for the person, is the one PostgreSQL ends. The page says the call is
    logged, and it is, once."""
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    client.force_login(call_handler)
    page = client.get(reverse("contacts:detail", args=[contact.pk]))
    sent = {
        "outcome": "no_answer",
        "submission": str(page.context["call_form"].initial["submission"]),
    }
    other_holds_person = threading.Event()
    call_waits = threading.Event()
    tries: list[int] = []

    import work.calls

    real = work.calls.call_review_queue_if_new_starter

    def meanwhile(*, call):
        # In the call's transaction, the contact's row held: on the first try, wait
        # for the person's row the other transaction holds.
        tries.append(1)
        if len(tries) == 1:
            other_holds_person.wait(10)
            call_waits.set()
            _lock(contact.person_id)
        return real(call=call)

    monkeypatch.setattr(work.calls, "call_review_queue_if_new_starter", meanwhile)

    def other() -> None:
        with transaction.atomic():
            # This session looks for deadlocks only after 10 s, the call's after
            # PostgreSQL's 1 s: the call is the one ended, however the machine's
            # load orders the two waits.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL deadlock_timeout = '10s'")
            _lock(contact.person_id)
            other_holds_person.set()
            call_waits.wait(10)
            time.sleep(0.3)  # the call waits first, so its wait is the one that ends
            type(contact).objects.select_for_update().get(pk=contact.pk)
        connection.close()

    errors: list[BaseException] = []
    thread = threading.Thread(
        target=lambda: errors.extend(side_by_side(other)), daemon=True
    )
    thread.start()
    answer = client.post(
        reverse("contacts:call", args=[contact.pk]),
        sent,
        headers={"HX-Request": "true"},
    )
    thread.join(20)

    assert not errors, errors
    assert answer.status_code == 200
    assert "Logged: no answer." in answer.content.decode()
    assert len(tries) == 2
    assert CallAttempt.objects.filter(contact=contact).count() == 1
    contact.refresh_from_db()
    assert contact.attempts == 1


class _Deadlocked(Exception):
    pgcode = "40P01"


def test_the_cluster_sweep_run_again_after_a_deadlock_records_everything(
    settings, monkeypatch
):
    """The sweep's write is run again whole: before, its second run started from
    the first's half-done objects (a cluster row the rollback had removed) and the
    sweep failed on a foreign key, its clusters lost until the next."""
    from escalations.clusters import clusters_detect
    from escalations.models import Cluster
    from tests.local_teams.builders import SHEFFIELD, person_in

    settings.TRACING_CLUSTER_MIN_CASES = 3
    settings.TRACING_CLUSTER_WINDOW_DAYS = 14
    today = timezone.localdate()
    older = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="The Leadmill")
    newer = f.ExposureSettingFactory(area=f.area(SHEFFIELD), name="The Plug")

    def visit(setting, days_ago: int) -> None:
        case = f.CaseFactory(person=person_in(SHEFFIELD))
        f.SettingVisitFactory(
            case=case, setting=setting, visited_on=today - timedelta(days=days_ago)
        )

    for n in (10, 9, 8):
        visit(older, n)
    clusters_detect()
    visit(older, 1)  # stretches the cluster there
    for n in (3, 2, 1):
        visit(newer, n)  # a new one
    real = Cluster.objects.bulk_update
    ended: list[int] = []

    def ended_once(*args, **kwargs):
        if not ended:
            ended.append(1)
            error = OperationalError("deadlock detected")
            error.__cause__ = _Deadlocked()
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(Cluster.objects, "bulk_update", ended_once)

    report = clusters_detect()

    assert ended == [1]
    assert report.created == 1
    assert {c.setting.name: c.cases.count() for c in Cluster.objects.all()} == {
        "The Leadmill": 4,
        "The Plug": 3,
    }
    assert Cluster.objects.get(setting=older).last_visit_on == today - timedelta(days=1)
