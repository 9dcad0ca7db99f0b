"""Fair automatic assignment of waiting work to qualified staff on shift.

Cases go to tier 2 caseworkers whose registration is verified and in date; contacts go
to tier 3 call handlers. Only people on a booked shift now, active, with their required
training done, get work; the least loaded first; a person who needs an interpreter goes
only to someone who speaks their language; nobody past their open-work cap (lower for
new starters); the most urgent, then the oldest, work first; an item whose call-back
time is still ahead waits in the pool until then. Complex cases never reach this pool:
intake hands them to the local team of their area.

Safe under several runs at once: each run locks the staff rows it will load and the
items it will hand out with SKIP LOCKED, so no item reaches two people and no cap is
passed; a concurrent run simply works with the rows this one left. The final write is a
conditional update (only rows still waiting change), so a run repeated after a crash
ends in the same state.
"""

from __future__ import annotations

import heapq
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status, WorkItem
from contacts.models import Contact

from .models import Shift, StaffProfile, Tier, TrainingCompletion, TrainingModule

log = logging.getLogger(__name__)

TIER_FOR = {"case": Tier.CLINICAL, "contact": Tier.CALL_HANDLER}
MODEL_FOR: dict[str, type[WorkItem]] = {"case": Case, "contact": Contact}
# Items handed out per kind in one run; the task re-queues itself while more waits.
DEFAULT_LIMIT = 5000


@dataclass
class AssignmentReport:
    assigned: dict[str, int] = field(default_factory=lambda: {"case": 0, "contact": 0})
    # True when work and capacity both remain: the caller should run again.
    more: bool = False

    @property
    def total(self) -> int:
        return sum(self.assigned.values())


def eligible_staff(*, tier: int, now: datetime) -> models.QuerySet[StaffProfile]:
    """Staff of a tier who may take work right now (before counting their load)."""
    on_shift = Shift.objects.on_now(now).filter(staff=OuterRef("pk"))
    missing_training = TrainingModule.objects.filter(
        tier=OuterRef("tier"), required=True
    ).exclude(
        Exists(
            TrainingCompletion.objects.filter(
                module=OuterRef("pk"), profile=OuterRef(OuterRef("pk"))
            )
        )
    )
    qs = StaffProfile.objects.filter(tier=tier, user__is_active=True).filter(
        Exists(on_shift), ~Exists(missing_training)
    )
    if tier == Tier.CLINICAL:
        qs = qs.filter(
            registration_verified_on__isnull=False,
            registration_expires_on__gte=timezone.localdate(now),
        ).exclude(registration_number="")
    return qs


def assignable_pool(model: type[WorkItem], now: datetime) -> models.QuerySet:
    """Waiting items that may be handed out now: a call-back time still ahead waits."""
    return model.objects.awaiting_assignment().filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )


@dataclass
class _Person:
    """One member of staff's room for work during a run."""

    order: int
    user_id: int
    load: int
    cap: int
    languages: frozenset[int]

    @property
    def key(self) -> tuple[int, int]:
        return (self.load, self.order)


class _Capacity:
    """Least-loaded-first choice among staff, overall or among speakers of a language.

    Heaps with lazy deletion: an entry whose load is out of date is dropped when it
    surfaces, so each choice costs O(log n) however many languages there are.
    """

    def __init__(self, people: list[_Person]) -> None:
        self.people = {p.user_id: p for p in people}
        self.any: list[tuple[int, int, int]] = []
        self.by_language: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for p in people:
            if p.load < p.cap:
                self._push(p)
        self.spoken = frozenset(self.by_language)

    def _push(self, p: _Person) -> None:
        entry = (*p.key, p.user_id)
        heapq.heappush(self.any, entry)
        for language in p.languages:
            heapq.heappush(self.by_language[language], entry)

    def _pop(self, heap: list[tuple[int, int, int]]) -> _Person | None:
        while heap:
            load, _, user_id = heapq.heappop(heap)
            p = self.people[user_id]
            if load == p.load and p.load < p.cap:
                return p
        return None

    def take(self, language: int | None) -> _Person | None:
        """The least loaded person (speaking `language` if given), now one item busier."""
        p = self._pop(self.by_language[language] if language else self.any)
        if p is None:
            return None
        p.load += 1
        if p.load < p.cap:
            self._push(p)
        return p

    @property
    def free(self) -> bool:
        return any(p.load < p.cap for p in self.people.values())


def _assign_kind(kind: str, *, now: datetime, limit: int) -> tuple[int, bool]:
    model = MODEL_FOR[kind]
    pool = assignable_pool(model, now)
    # Most runs (every arrival, every minute) find nothing to do: skip the locking.
    if not pool.exists():
        return 0, False
    with transaction.atomic():
        # NO KEY: booking a shift or recording training for someone is not blocked.
        staff = list(
            eligible_staff(tier=TIER_FOR[kind], now=now)
            .select_for_update(skip_locked=True, of=("self",), no_key=True)
            .only("pk", "user_id", "tier", "signed_off_at")
            .order_by("pk")
        )
        if not staff:
            return 0, False
        loads = dict(
            model.objects.held()
            .filter(assignee_id__in=[p.user_id for p in staff])
            .values_list("assignee_id")
            .annotate(n=Count("id"))
            .order_by()
        )
        speaks: dict[int, set[int]] = defaultdict(set)
        for profile_id, language_id in StaffProfile.languages.through.objects.filter(
            staffprofile_id__in=[p.pk for p in staff]
        ).values_list("staffprofile_id", "language_id"):
            speaks[profile_id].add(language_id)
        people = [
            _Person(
                order=order,
                user_id=p.user_id,
                load=loads.get(p.user_id, 0),
                cap=p.open_work_cap,
                languages=frozenset(speaks[p.pk]),
            )
            for order, p in enumerate(staff)
        ]
        room = sum(max(p.cap - p.load, 0) for p in people)
        if room == 0:
            return 0, False
        capacity = _Capacity(people)
        wanted = min(room, limit)
        # An interpreter item nobody on shift can take is left out of the fetch, so a
        # run of them at the head of the queue cannot hold everything else up.
        items = list(
            pool.filter(
                Q(person__needs_interpreter=False)
                | Q(person__language__isnull=True)
                | Q(person__language__in=capacity.spoken)
            )
            .order_by("-priority", "created_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "person__needs_interpreter", "person__language_id")[
                :wanted
            ]
        )
        pairs: list[tuple[int, int]] = []
        for pk, needs_interpreter, language in items:
            p = capacity.take(language if needs_interpreter else None)
            if p is not None:
                pairs.append((pk, p.user_id))
        assigned = _hand_out(model, pairs, now=now)
        # A full fetch with room left means the limit cut it short, or interpreter
        # items were fetched for speakers who filled up meanwhile: run again.
        more = len(items) == wanted and capacity.free
        return assigned, more


def _hand_out(model: type[WorkItem], pairs: list[tuple[int, int]], *, now) -> int:
    """Give each item to its person, in as few statements as the database allows.

    This is WorkItem.mark_assigned for many rows at once, and conditional: only rows
    still waiting and unheld change, so a repeated or overlapping run changes nothing.
    """
    if not pairs:
        return 0
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table} AS item
                   SET assignee_id = given.user_id,
                       assigned_at = %s,
                       status = CASE WHEN item.status = %s THEN %s ELSE item.status END
                  FROM unnest(%s::bigint[], %s::bigint[]) AS given(id, user_id)
                 WHERE item.id = given.id
                   AND item.assignee_id IS NULL
                   AND item.status IN (%s, %s)
                """,
                [
                    now,
                    Status.NEW,
                    Status.ASSIGNED,
                    [pk for pk, _ in pairs],
                    [user_id for _, user_id in pairs],
                    Status.NEW,
                    Status.REACHED,
                ],
            )
            return cursor.rowcount
    by_person: dict[int, list[int]] = defaultdict(list)
    for pk, user_id in pairs:
        by_person[user_id].append(pk)
    assigned = 0
    for user_id, pks in by_person.items():
        assigned += model.objects.filter(
            pk__in=pks,
            assignee__isnull=True,
            status__in=[Status.NEW, Status.REACHED],
        ).update(
            assignee_id=user_id,
            assigned_at=now,
            status=models.Case(
                models.When(status=Status.NEW, then=models.Value(Status.ASSIGNED)),
                default=models.F("status"),
            ),
        )
    return assigned


def assign_work(
    *, now: datetime | None = None, limit: int | None = None
) -> AssignmentReport:
    """One assignment run over cases and contacts; at most `limit` items of each.

    Used by the task (on arrival of work and every minute) and by a supervisor's
    "assign now"; `report.more` says another run would find more to do.
    """
    now = now or timezone.now()
    limit = limit or DEFAULT_LIMIT
    report = AssignmentReport()
    for kind in MODEL_FOR:
        count, more = _assign_kind(kind, now=now, limit=limit)
        report.assigned[kind] = count
        report.more = report.more or more
    if report.total:
        log.info("assigned %s", report.assigned)
    return report


def release_stranded_work(*, now: datetime | None = None) -> int:
    """Work held by someone off shift or deactivated goes back to the pool.

    Conditional like assignment: a row another run is releasing is skipped, and a
    released row no longer matches, so running it twice releases nothing more.
    """
    now = now or timezone.now()
    released = 0
    for model in MODEL_FOR.values():
        on_shift = Shift.objects.on_now(now).filter(
            staff__user_id=OuterRef("assignee_id")
        )
        stranded = model.objects.held().filter(
            ~Exists(on_shift) | Q(assignee__is_active=False)
        )
        with transaction.atomic():
            pks = list(
                stranded.select_for_update(skip_locked=True, of=("self",)).values_list(
                    "pk", flat=True
                )
            )
            if not pks:
                continue
            # WorkItem.mark_released for many rows: an assigned item waits again, a
            # reached case keeps its status and waits for someone to finish it.
            released += model.objects.filter(pk__in=pks).update(
                assignee=None,
                status=models.Case(
                    models.When(status=Status.ASSIGNED, then=models.Value(Status.NEW)),
                    default=models.F("status"),
                ),
            )
    if released:
        log.info("released %s items held by staff off shift or deactivated", released)
    return released


def _queue_assignment() -> None:
    from .tasks import assign_work_task

    assign_work_task.delay()


def work_arrived() -> None:
    """Ask for an assignment run once the current transaction commits.

    Once per transaction however many items it adds. Robust: a broker that is down
    must not turn a saved case into an error; the beat's run a minute later assigns it.
    """
    conn = transaction.get_connection()
    if conn.in_atomic_block and any(
        func is _queue_assignment for _, func, _ in conn.run_on_commit
    ):
        return
    transaction.on_commit(_queue_assignment, robust=True)
