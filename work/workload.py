"""The supervisor's view of the work: the team's load, the pool by age, overdue
items, idle staff, and the lists a supervisor moves work from and to.

Each read is a fixed handful of queries, whatever the size of the team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import UNREACHED, WorkItem
from contacts.models import Contact
from staffing.models import Shift, StaffProfile, Tier
from staffing.selectors.members import (
    blocked_by,
    eligible_staff,
    missing_training,
    team_members,
)
from staffing.selectors.reviews import review_queue

from .access.items import items_visible_to


def work_model(supervisor: StaffProfile) -> type[Case] | type[Contact]:
    """Tier 2 teams work cases, tier 3 teams contacts."""
    return Case if supervisor.tier == Tier.CLINICAL else Contact


def work_scope(supervisor: StaffProfile) -> Q:
    """Items a supervisor may move: held by their team, or waiting in the pool."""
    model = work_model(supervisor)
    members = team_members(supervisor).values("user_id")
    return (model.held_q() & Q(assignee_id__in=members)) | model.pool_q()


def work_list(
    *,
    user,
    supervisor: StaffProfile,
    holder: str = "",
    overdue_only: bool = False,
    now: datetime,
) -> QuerySet[WorkItem]:
    """The work held by the team (the default), the pool ("pool"), or one person's
    (a profile id).

    Held work and the pool are never listed together: each alone follows an index
    (the holders' queue index; the pool's partial index), while the two OR-ed together
    scan the table.
    """
    model = work_model(supervisor)
    qs = items_visible_to(user, model)
    members = team_members(supervisor)
    if holder == "pool":
        qs = qs.filter(model.pool_q()).order_by("-priority", "created_at", "pk")
    else:
        if holder.isdigit():
            members = members.filter(pk=int(holder))
        qs = qs.filter(
            model.held_q(), assignee_id__in=members.values("user_id")
        ).order_by("assignee__last_name", "assignee_id", "-priority", "created_at")
    if overdue_only:
        qs = qs.filter(status__in=UNREACHED, next_attempt_at__lt=now)
    return qs.select_related("person", "area", "assignee")


AGE_BUCKETS: list[tuple[str, int, int | None]] = [
    ("Under 1 hour", 0, 1),
    ("1 to 4 hours", 1, 4),
    ("4 to 12 hours", 4, 12),
    ("12 to 24 hours", 12, 24),
    ("Over 24 hours", 24, None),
]


@dataclass
class Backlog:
    label: str
    tier: int
    buckets: list[tuple[str, int]]
    total: int
    overdue: int
    is_team_tier: bool


@dataclass
class Dashboard:
    now: datetime
    # Profiles carrying the dashboard's annotations: on_shift_until, held, overdue,
    # last_call_at, can_take_work, training_missing, since_last_call, blocked_by.
    members: list[Any]
    backlogs: list[Backlog]
    overdue_items: list[WorkItem]
    overdue_held: int
    pending_reviews: int
    waiting: int  # the team tier's pool
    idle_ready: list[Any] = field(default_factory=list)
    idle_blocked: list[Any] = field(default_factory=list)

    @property
    def idle_count(self) -> int:
        return len(self.idle_ready) + len(self.idle_blocked)

    @property
    def on_shift(self) -> list[Any]:
        return [m for m in self.members if m.on_shift_until is not None]


def _count_subquery(qs: QuerySet) -> Coalesce:
    counted = qs.order_by().values("assignee_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def backlog(model: type[WorkItem], *, now: datetime, team_tier: int) -> Backlog:
    """The unassigned pool of one kind, by age, in one aggregate query."""
    counts = {
        f"b{i}": Count(
            "pk",
            filter=Q(created_at__lte=now - timedelta(hours=lo))
            & (Q() if hi is None else Q(created_at__gt=now - timedelta(hours=hi))),
        )
        for i, (_label, lo, hi) in enumerate(AGE_BUCKETS)
    }
    row = model.objects.awaiting_assignment().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_attempt_at__lt=now)),
        **counts,
    )
    tier = Tier.CLINICAL if model is Case else Tier.CALL_HANDLER
    return Backlog(
        label="Cases (tier 2)" if model is Case else "Contacts (tier 3)",
        tier=tier,
        buckets=[(label, row[f"b{i}"]) for i, (label, _, _) in enumerate(AGE_BUCKETS)],
        total=row["total"],
        overdue=row["overdue"],
        is_team_tier=tier == team_tier,
    )


def dashboard(supervisor: StaffProfile, *, now: datetime) -> Dashboard:
    """Who is on shift, what each holds, the pool by age, overdue work, idle staff."""
    model = work_model(supervisor)
    tier = supervisor.tier
    held = model.objects.held().filter(assignee_id=OuterRef("user_id"))
    overdue = held.filter(status__in=UNREACHED, next_attempt_at__lt=now)
    current_shift = (
        Shift.objects.on_now(now)
        .filter(staff=OuterRef("pk"))
        .order_by("-ends_at")
        .values("ends_at")[:1]
    )
    last_call = (
        CallAttempt.objects.filter(caller_id=OuterRef("user_id"))
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    members: list[Any] = list(
        team_members(supervisor)
        .select_related("user")
        .annotate(
            on_shift_until=Subquery(current_shift),
            held=_count_subquery(held),
            overdue=_count_subquery(overdue),
            last_call_at=Subquery(last_call),
            can_take_work=Exists(
                eligible_staff(tier=tier, now=now).filter(pk=OuterRef("pk"))
            ),
            training_missing=Exists(missing_training()),
        )
        .order_by(
            F("on_shift_until").asc(nulls_last=True),
            "user__last_name",
            "user__first_name",
        )
    )
    today = timezone.localdate(now)
    for m in members:
        m.since_last_call = now - m.last_call_at if m.last_call_at else None
        m.blocked_by = blocked_by(m, today)
    backlogs = [backlog(k, now=now, team_tier=tier) for k in (Case, Contact)]
    waiting = next(b.total for b in backlogs if b.is_team_tier)
    overdue_items = list(
        model.objects.held()
        .filter(
            assignee_id__in=team_members(supervisor).values("user_id"),
            status__in=UNREACHED,
            next_attempt_at__lt=now,
        )
        .select_related("person", "assignee")
        .order_by("next_attempt_at")[:20]
    )
    pending_reviews = review_queue(supervisor).count()
    board = Dashboard(
        now=now,
        members=members,
        backlogs=backlogs,
        overdue_items=overdue_items,
        overdue_held=sum(m.overdue for m in members),
        pending_reviews=pending_reviews,
        waiting=waiting,
    )
    if waiting:
        for m in board.on_shift:
            if m.held == 0 and m.tier == tier:
                (board.idle_blocked if m.blocked_by else board.idle_ready).append(m)
    return board


def work_targets(supervisor: StaffProfile, *, now: datetime) -> list[StaffProfile]:
    """Team members of the team's tier, with what they hold and whether they may take
    more now: the choices of the reassignment form."""
    model = work_model(supervisor)
    held = model.objects.held().filter(assignee_id=OuterRef("user_id"))
    return list(
        team_members(supervisor)
        .filter(tier=supervisor.tier)
        .select_related("user")
        .annotate(
            held=_count_subquery(held),
            can_take_work=Exists(
                eligible_staff(tier=supervisor.tier, now=now).filter(pk=OuterRef("pk"))
            ),
        )
        .order_by("-can_take_work", "user__last_name", "user__first_name")
    )
