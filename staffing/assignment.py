"""Fair automatic assignment of waiting work to qualified staff on shift.

Cases go to tier 2 caseworkers whose registration is verified and in date; contacts go
to tier 3 call handlers. Only people on a booked shift now, with their required training
done, get work; the least loaded first; a person who needs an interpreter goes to someone
who speaks their language; nobody past their open-work cap (lower for new starters);
the most urgent and oldest work first.

Safe under several runs at once: each run locks the staff rows it will load and the
items it will hand out with SKIP LOCKED, so no item reaches two people and no cap is
passed; a concurrent run simply works with the rows this one left.
"""

from __future__ import annotations

import heapq
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import models, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact

from .models import Shift, StaffProfile, Tier, TrainingCompletion, TrainingModule

log = logging.getLogger(__name__)

TIER_FOR = {"case": Tier.CLINICAL, "contact": Tier.CALL_HANDLER}
MODEL_FOR = {"case": Case, "contact": Contact}


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


@dataclass(order=True)
class _Slot:
    load: int
    order: int
    profile_id: int = field(compare=False)
    user_id: int = field(compare=False)
    capacity: int = field(compare=False)
    languages: frozenset[str] = field(compare=False)


def _assign_kind(kind: str, *, now: datetime, limit: int) -> tuple[int, bool]:
    model = MODEL_FOR[kind]
    with transaction.atomic():
        staff = list(
            eligible_staff(tier=TIER_FOR[kind], now=now)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
        )
        if not staff:
            return 0, False
        loads = dict(
            model.objects.held()
            .filter(assignee_id__in=[p.user_id for p in staff])
            .values_list("assignee_id")
            .annotate(n=Count("id"))
        )
        speaks: dict[int, set[str]] = defaultdict(set)
        for profile_id, code in StaffProfile.languages.through.objects.filter(
            staffprofile_id__in=[p.pk for p in staff]
        ).values_list("staffprofile_id", "language__code"):
            speaks[profile_id].add(code)
        slots = []
        for order, p in enumerate(staff):
            load = loads.get(p.user_id, 0)
            if load < p.open_work_cap:
                slots.append(
                    _Slot(
                        load,
                        order,
                        p.pk,
                        p.user_id,
                        p.open_work_cap,
                        frozenset(speaks[p.pk]),
                    )
                )
        capacity = sum(s.capacity - s.load for s in slots)
        if capacity == 0:
            return 0, False
        items = list(
            model.objects.awaiting_assignment()
            .order_by("-priority", "created_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", "person__needs_interpreter", "person__language__code")[
                : min(capacity, limit)
            ]
        )
        heapq.heapify(slots)
        given: dict[int, list[int]] = defaultdict(list)
        skipped = []
        for pk, needs_interpreter, language in items:
            if not slots:
                break
            if needs_interpreter and language:
                slot = _best_speaker(slots, language)
                if slot is None:
                    skipped.append(pk)  # waits for someone who speaks it
                    continue
            else:
                slot = heapq.heappop(slots)
            given[slot.user_id].append(pk)
            slot.load += 1
            if slot.load < slot.capacity:
                heapq.heappush(slots, slot)
        assigned = 0
        for user_id, pks in given.items():
            # Conditional: only rows still waiting change, whatever happened meanwhile.
            assigned += (
                model.objects.filter(pk__in=pks, assignee__isnull=True)
                .filter(Q(status=Status.NEW) | Q(status=Status.REACHED))
                .update(
                    assignee_id=user_id,
                    assigned_at=now,
                    status=models.Case(
                        models.When(
                            status=Status.NEW, then=models.Value(Status.ASSIGNED)
                        ),
                        default=models.F("status"),
                    ),
                )
            )
        more = len(items) == limit and bool(slots)
        return assigned, more


def _best_speaker(slots: list[_Slot], language: str) -> _Slot | None:
    """Take the least loaded person who speaks the language out of the heap."""
    matches = [s for s in slots if language in s.languages]
    if not matches:
        return None
    best = min(matches)
    slots.remove(best)
    heapq.heapify(slots)
    return best


def assign_work(*, now: datetime | None = None, limit: int = 5000) -> AssignmentReport:
    """One assignment run over cases and contacts; at most `limit` items of each."""
    now = now or timezone.now()
    report = AssignmentReport()
    for kind in ("case", "contact"):
        count, more = _assign_kind(kind, now=now, limit=limit)
        report.assigned[kind] = count
        report.more = report.more or more
    if report.total:
        log.info("assigned %s", report.assigned)
    return report


def release_stranded_work(*, now: datetime | None = None) -> int:
    """Work held by someone off shift or deactivated goes back to the pool."""
    now = now or timezone.now()
    released = 0
    for model in (Case, Contact):
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
            released += model.objects.filter(pk__in=pks).update(
                assignee=None,
                status=models.Case(
                    models.When(status=Status.ASSIGNED, then=models.Value(Status.NEW)),
                    default=models.F("status"),
                ),
            )
    return released


def work_arrived() -> None:
    """Ask for an assignment run once the current transaction commits."""
    from .tasks import assign_work_task

    transaction.on_commit(assign_work_task.delay)
