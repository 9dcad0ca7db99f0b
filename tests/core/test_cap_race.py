"""Supervisors' moves racing automatic assignment runs on PostgreSQL, for the last free
slots of call handlers near their cap: nobody ever ends up over the cap, no contact
reaches two people, every move is audited exactly once.

Each racer is a thread with its own database connection, started with the others by a
barrier, round after round; the test thread resets the handlers to two slots short of
the cap before each round and checks the database after it.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Max, Q
from django.utils import timezone

from audit.models import AuditEvent
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.assignment import assign_work, items_reassign
from work.errors import WorkRefused

from .conftest import HOUR, ContactFactory, held_contact, on_shift, supervisor_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("requires_postgres", "committed_db"),
]

CAP = settings.TRACING_OPEN_WORK_CAP["tier3"]
HANDLERS = 4
FREE_SLOTS = 2  # each handler starts every round this many short of the cap
ROUNDS = 25
ASSIGNMENT_RUNS = 2  # automatic runs racing in each round
PATIENCE = 30  # seconds a barrier waits before the test gives up (a hang guard)


class Racers:
    """Threads that each run one job per round, started together by a barrier.

    A job returns how many contacts it reports moving; a refusal (WorkRefused) is a
    legitimate answer in a race and counts as none. Any other error fails the test.
    """

    def __init__(self, jobs: list[Callable[[int], int]]) -> None:
        self.start = threading.Barrier(len(jobs) + 1)
        self.finish = threading.Barrier(len(jobs) + 1)
        self.round = 0
        self.reported: list[int] = []
        self.refused = 0
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._run, args=(job,), daemon=True) for job in jobs
        ]

    def _run(self, job: Callable[[int], int]) -> None:
        try:
            while True:
                self.start.wait(timeout=PATIENCE)
                try:
                    moved = job(self.round)
                except WorkRefused:
                    with self.lock:
                        self.refused += 1
                except BaseException as exc:  # reported in the test thread
                    with self.lock:
                        self.errors.append(exc)
                else:
                    with self.lock:
                        self.reported.append(moved)
                self.finish.wait(timeout=PATIENCE)
        except threading.BrokenBarrierError:
            pass  # the test is over (or failed): stop
        finally:
            connection.close()

    def __enter__(self) -> Racers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.start.abort()
        self.finish.abort()
        for thread in self.threads:
            thread.join(timeout=PATIENCE)

    def play(self, number: int) -> int:
        """Run one round; returns the moves the racers reported in it."""
        self.round = number
        self.reported.clear()
        self.start.wait(timeout=PATIENCE)
        self.finish.wait(timeout=PATIENCE)
        assert not self.errors, self.errors
        return sum(self.reported)


def holders() -> dict[int, int | None]:
    return dict(Contact.objects.values_list("pk", "assignee_id"))


def last_audit_pk() -> int:
    return AuditEvent.objects.aggregate(last=Max("pk"))["last"] or 0


def test_reassignments_racing_assignment_runs_never_put_a_handler_over_cap():
    now = timezone.now()
    supervisor = supervisor_user()
    profiles = [on_shift(f.StaffProfileFactory()) for _ in range(HANDLERS)]
    handlers = [p.user for p in profiles]
    assert {p.open_work_cap for p in profiles} == {CAP}
    kept = {
        held_contact(h).pk for h in handlers for _ in range(CAP - FREE_SLOTS)
    }  # what each handler holds at the start of every round
    # Waiting now, for the automatic runs (and one supervisor, to contest items too).
    pool = [ContactFactory(created_at=now - n * HOUR / 60) for n in range(40, 0, -1)]
    # Waiting for a call-back time still ahead: only a supervisor moves these, so their
    # moves race the automatic runs for handlers' slots, not for items.
    later = [
        ContactFactory(next_attempt_at=now + 2 * HOUR)
        for _ in range(FREE_SLOTS * HANDLERS)
    ]

    def supervisor_fills(i: int) -> Callable[[int], int]:
        """A supervisor moves two later contacts to handler i: their free slots."""
        batch = later[FREE_SLOTS * i : FREE_SLOTS * (i + 1)]
        return lambda _: items_reassign(
            model=Contact,
            item_ids=[c.pk for c in batch],
            scope=Q(assignee__isnull=True),
            to=handlers[i],
            reason="Covering the call-back list",
            by=supervisor,
        )

    def supervisor_takes_the_oldest(number: int) -> int:
        """A supervisor moves the two oldest waiting contacts (those the automatic runs
        hand out first) to a handler, a different one each round."""
        return items_reassign(
            model=Contact,
            item_ids=[c.pk for c in pool[:2]],
            scope=Q(assignee__isnull=True),
            to=handlers[number % HANDLERS],
            reason="Urgent: call these first",
            by=supervisor,
        )

    def automatic_run(_: int) -> int:
        return assign_work().assigned["contact"]

    jobs = [supervisor_fills(i) for i in range(HANDLERS)]
    jobs.append(supervisor_takes_the_oldest)
    jobs += [automatic_run] * ASSIGNMENT_RUNS

    over_cap: list[tuple[int, int, int]] = []
    with Racers(jobs) as racers:
        for number in range(ROUNDS):
            # Back to the start: each handler holds CAP - FREE_SLOTS, the rest waits.
            Contact.objects.filter(assignee__isnull=False).exclude(pk__in=kept).update(
                assignee=None, assigned_at=None, status=Status.NEW
            )
            before, mark = holders(), last_audit_pk()

            reported = racers.play(number)

            for handler in handlers:
                held = Contact.objects.held().filter(assignee=handler).count()
                if held > CAP:
                    over_cap.append((number, handler.pk, held))
            after = holders()
            moved = {
                pk: (before[pk], after[pk]) for pk in after if before[pk] != after[pk]
            }
            events = list(
                AuditEvent.objects.filter(pk__gt=mark, object_type="contacts.contact")
            )
            # Every move audited once, from the holder before to the holder after (an
            # item handed to two people would show two rows, or a wrong "from").
            assert Counter(int(e.object_id) for e in events) == Counter(moved.keys()), (
                number
            )
            for event in events:
                detail = (event.detail["from"], event.detail["to"])
                assert detail == moved[int(event.object_id)], number
            # What the racers say they moved is what moved: nothing counted twice.
            assert reported == len(moved), number
            assert not over_cap, f"over cap (round, handler, held): {over_cap}"

    for handler in handlers:
        assert Contact.objects.held().filter(assignee=handler).count() <= CAP
    assert racers.refused > 0  # the race was real: someone was turned away
    assert set(Contact.objects.held().values_list("assignee_id", flat=True)) <= {
        h.pk for h in handlers
    }
