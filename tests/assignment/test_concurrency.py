"""Several assignment runs and sweeps at once on PostgreSQL, each in its own thread
with its own database connection: no item to two people, no cap passed, every
escalation exactly once."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from work.assignment import assign_work
from work.escalation import escalate_unreached

from .conftest import (
    HOUR,
    ContactFactory,
    call_handler_on_shift,
    caseworker_on_shift,
    waiting_cases,
    waiting_contacts,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]

CAP = settings.TRACING_OPEN_WORK_CAP
RUNS = 4


def at_once(job: Callable[[], object], runs: int = RUNS) -> list:
    """Start `runs` threads together on `job`; each uses and closes its own connection."""
    start = threading.Barrier(runs)
    results: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            results.append(job())
        except BaseException as exc:  # reported in the test thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def loads(model) -> dict[int, int]:
    return dict(
        model.objects.filter(assignee__isnull=False)
        .values_list("assignee_id")
        .annotate(n=Count("id"))
        .order_by()
    )


def test_concurrent_runs_never_give_an_item_twice_nor_pass_a_cap():
    caseworkers = [caseworker_on_shift() for _ in range(5)]
    handlers = [call_handler_on_shift() for _ in range(4)]
    handlers.append(call_handler_on_shift(new_starter=True))
    waiting_cases(40)
    waiting_contacts(80)

    reports = at_once(lambda: assign_work(limit=7))
    while (more := assign_work(limit=7)).total:  # whatever the racing runs left
        reports.append(more)

    # An item handed out twice would be counted by two runs but held once.
    for kind, model in (("case", Case), ("contact", Contact)):
        given = sum(r.assigned[kind] for r in reports)
        assert given == model.objects.filter(assignee__isnull=False).count()
    case_loads, contact_loads = loads(Case), loads(Contact)
    assert all(case_loads[c.pk] == CAP["tier2"] for c in caseworkers)
    assert all(contact_loads[h.pk] == CAP["tier3"] for h in handlers[:4])
    assert contact_loads[handlers[4].pk] == CAP["tier3_new_starter"]


def test_a_run_skips_items_another_transaction_has_locked():
    handler = call_handler_on_shift()
    locked, free = waiting_contacts(2)
    holding = threading.Event()
    done = threading.Event()

    def hold_lock() -> None:
        try:
            with transaction.atomic():
                Contact.objects.select_for_update().get(pk=locked.pk)
                holding.set()
                done.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold_lock)
    thread.start()
    holding.wait(timeout=30)
    try:
        report = assign_work()
    finally:
        done.set()
        thread.join()

    assert report.assigned["contact"] == 1
    free.refresh_from_db()
    locked.refresh_from_db()
    assert free.assignee == handler
    assert locked.assignee is None


def test_concurrent_sweeps_escalate_each_item_exactly_once():
    overdue = timezone.now() - 25 * HOUR
    contacts = [ContactFactory(created_at=overdue) for _ in range(30)]

    def sweep_until_done() -> int:
        total = 0
        while True:
            done, more = escalate_unreached(batch=4)
            total += done
            if not more and not done:
                return total

    counts = at_once(sweep_until_done, runs=3)

    assert sum(counts) == len(contacts)
    per_item = (
        Escalation.objects.values_list("contact_id").annotate(n=Count("id")).order_by()
    )
    assert sorted(n for _, n in per_item) == [1] * len(contacts)
    assert not Contact.objects.exclude(status=Status.ESCALATED).exists()
