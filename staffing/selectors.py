"""Reads for supervisors and staff: team scope, the dashboard, shifts by week,
registrations, training, reviews and utilisation.

Each read is a fixed handful of queries, whatever the size of the team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDate
from django.http import Http404
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from cases.models import Case
from cases.workitem import UNREACHED, Status, WorkItem
from contacts.models import Contact

from .access import profile_of
from .assignment import eligible_staff
from .models import (
    CallReview,
    Shift,
    StaffProfile,
    Tier,
    TrainingCompletion,
    TrainingModule,
)
from .services import local_midnight, local_week_bounds

# --- access ----------------------------------------------------------------------


def supervisor_profile(user) -> StaffProfile:
    """The user's profile if they supervise a national team (tier 2 or 3); else 403."""
    profile = profile_of(user)
    if (
        profile is None
        or not user.is_active
        or not profile.is_supervisor
        or profile.tier == Tier.LOCAL
    ):
        raise PermissionDenied("Only supervisors of a national team may do this.")
    return profile


def staff_profile(user) -> StaffProfile:
    """The user's own profile; 403 for an account without one."""
    profile = profile_of(user)
    if profile is None or not user.is_active:
        raise PermissionDenied("Your account has no staff profile.")
    return profile


def team_members(supervisor: StaffProfile) -> QuerySet[StaffProfile]:
    """The people a supervisor runs: their team, or everyone of their tier with no team
    when they are not attached to one."""
    qs = StaffProfile.objects.filter(user__is_active=True)
    if supervisor.team_id is not None:
        return qs.filter(team_id=supervisor.team_id)
    return qs.filter(tier=supervisor.tier, team__isnull=True)


def get_member_for_supervisor(supervisor: StaffProfile, pk: int) -> StaffProfile:
    try:
        return team_members(supervisor).select_related("user").get(pk=pk)
    except StaffProfile.DoesNotExist:
        raise Http404("No such member of your team.") from None


def team_shifts(supervisor: StaffProfile) -> QuerySet[Shift]:
    if supervisor.team_id is not None:
        return Shift.objects.filter(team_id=supervisor.team_id)
    return Shift.objects.filter(tier=supervisor.tier, team__isnull=True)


def get_shift_for_supervisor(supervisor: StaffProfile, pk: int) -> Shift:
    try:
        return team_shifts(supervisor).select_related("staff__user").get(pk=pk)
    except Shift.DoesNotExist:
        raise Http404("No such shift in your team.") from None


def get_review_for_supervisor(supervisor: StaffProfile, pk: int) -> CallReview:
    try:
        return review_queue(supervisor).get(pk=pk)
    except CallReview.DoesNotExist:
        raise Http404("No such call waiting for review.") from None


# --- work ------------------------------------------------------------------------


def work_model(supervisor: StaffProfile) -> type[Case] | type[Contact]:
    """Tier 2 teams work cases, tier 3 teams contacts."""
    return Case if supervisor.tier == Tier.CLINICAL else Contact


def _held_q(model: type[WorkItem]) -> Q:
    # Mirrors WorkItemQuerySet.held(), as a Q so it can be OR-ed with the pool.
    statuses = [Status.ASSIGNED]
    if model.kind == "case":
        statuses.append(Status.REACHED)
    return Q(assignee__isnull=False, status__in=statuses)


def _pool_q(model: type[WorkItem]) -> Q:
    # Mirrors WorkItemQuerySet.awaiting_assignment().
    pool = Q(status=Status.NEW)
    if model.kind == "case":
        pool |= Q(status=Status.REACHED, assignee__isnull=True)
    return pool


def work_scope(supervisor: StaffProfile) -> Q:
    """Items a supervisor may move: held by their team, or waiting in the pool."""
    model = work_model(supervisor)
    members = team_members(supervisor).values("user_id")
    return (_held_q(model) & Q(assignee_id__in=members)) | _pool_q(model)


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
    qs = model.objects.visible_to(user)
    members = team_members(supervisor)
    if holder == "pool":
        qs = qs.filter(_pool_q(model)).order_by("-priority", "created_at", "pk")
    else:
        if holder.isdigit():
            members = members.filter(pk=int(holder))
        qs = qs.filter(
            _held_q(model), assignee_id__in=members.values("user_id")
        ).order_by("assignee__last_name", "assignee_id", "-priority", "created_at")
    if overdue_only:
        qs = qs.filter(status__in=UNREACHED, next_attempt_at__lt=now)
    return qs.select_related("person", "area", "assignee")


# --- dashboard -------------------------------------------------------------------

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
    members: list[StaffProfile]
    backlogs: list[Backlog]
    overdue_items: list[WorkItem]
    overdue_held: int
    pending_reviews: int
    waiting: int  # the team tier's pool
    idle_ready: list[StaffProfile] = field(default_factory=list)
    idle_blocked: list[StaffProfile] = field(default_factory=list)

    @property
    def idle_count(self) -> int:
        return len(self.idle_ready) + len(self.idle_blocked)

    @property
    def on_shift(self) -> list[StaffProfile]:
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
    missing_training = TrainingModule.objects.filter(
        tier=OuterRef("tier"), required=True
    ).exclude(
        Exists(
            TrainingCompletion.objects.filter(
                module=OuterRef("pk"), profile=OuterRef(OuterRef("pk"))
            )
        )
    )
    members = list(
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
            training_missing=Exists(missing_training),
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
        m.blocked_by = _blocked_by(m, today)
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


def _blocked_by(member: StaffProfile, today: date) -> list[str]:
    """Why the assignment would pass this person over, in words."""
    reasons = []
    if member.on_shift_until is None:
        reasons.append("not on shift")
    if member.training_missing:
        reasons.append("training not complete")
    if member.tier == Tier.CLINICAL and not member.registration_valid_on(today):
        if member.registration_verified_on is None:
            reasons.append("registration not verified")
        else:
            reasons.append("registration expired")
    return reasons


# --- shifts ----------------------------------------------------------------------


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass
class SlotGroup:
    """Identical open slots shown as one line: 'three open 08:00 to 14:00'."""

    first: Shift
    count: int


@dataclass
class Day:
    day: date
    shifts: list[Shift] = field(default_factory=list)
    open_slots: list[SlotGroup] = field(default_factory=list)


def _days(monday: date) -> list[Day]:
    return [Day(monday + timedelta(days=i)) for i in range(7)]


def _group_open(days: list[Day], shifts: list[Shift]) -> None:
    by_day = {d.day: d for d in days}
    groups: dict[tuple, SlotGroup] = {}
    for s in shifts:
        key = (s.team_id, s.starts_at, s.ends_at)
        if key in groups:
            groups[key].count += 1
            continue
        groups[key] = SlotGroup(first=s, count=1)
        by_day[timezone.localtime(s.starts_at).date()].open_slots.append(groups[key])


def my_week(profile: StaffProfile, *, monday: date, now: datetime) -> list[Day]:
    """One person's booked and cancelled shifts, and the open slots they may book."""
    start, end = local_midnight(monday), local_midnight(monday + timedelta(days=7))
    team = Q(team__isnull=True) | Q(team_id=profile.team_id)
    shifts = list(
        Shift.objects.filter(starts_at__gte=start, starts_at__lt=end)
        .filter(
            Q(staff=profile)
            | (Q(status=Shift.Status.OPEN, tier=profile.tier, starts_at__gt=now) & team)
        )
        .select_related("cancelled_by")
        .order_by("starts_at", "pk")
    )
    days = _days(monday)
    by_day = {d.day: d for d in days}
    for s in shifts:
        if s.staff_id == profile.pk:
            by_day[timezone.localtime(s.starts_at).date()].shifts.append(s)
    _group_open(days, [s for s in shifts if s.status == Shift.Status.OPEN])
    return days


def recent_cancellations(profile: StaffProfile, *, now: datetime) -> list[Shift]:
    """A person's shifts a supervisor cancelled that had not yet ended, newest first."""
    return list(
        Shift.objects.filter(
            staff=profile,
            status=Shift.Status.CANCELLED,
            ends_at__gt=now - timedelta(days=7),
        )
        .select_related("cancelled_by")
        .order_by("-cancelled_at")[:20]
    )


def team_week(supervisor: StaffProfile, *, monday: date) -> list[Day]:
    start, end = local_midnight(monday), local_midnight(monday + timedelta(days=7))
    shifts = list(
        team_shifts(supervisor)
        .filter(starts_at__gte=start, starts_at__lt=end)
        .select_related("staff__user")
        .order_by("starts_at", "pk")
    )
    days = _days(monday)
    by_day = {d.day: d for d in days}
    for s in shifts:
        if s.status != Shift.Status.OPEN:
            by_day[timezone.localtime(s.starts_at).date()].shifts.append(s)
    _group_open(days, [s for s in shifts if s.status == Shift.Status.OPEN])
    return days


def _duration() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("ends_at") - F("starts_at"), output_field=DurationField()
    )


def hours_booked(profiles: list[StaffProfile], *, moment: datetime) -> dict[int, float]:
    """Booked hours in the week of `moment`, for many people in one query."""
    start, end = local_week_bounds(moment)
    rows = (
        Shift.objects.filter(
            staff__in=profiles,
            status=Shift.Status.BOOKED,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .order_by()
        .values("staff_id")
        .annotate(total=Sum(_duration()))
    )
    return {r["staff_id"]: r["total"].total_seconds() / 3600 for r in rows}


# --- team, registrations, training, reviews --------------------------------------


def team_overview(supervisor: StaffProfile, *, now: datetime) -> list[StaffProfile]:
    """Members with their cap, hours booked this week, training and review counts."""
    modules = TrainingModule.objects.filter(tier=OuterRef("tier"), required=True)
    done = TrainingCompletion.objects.filter(
        profile=OuterRef("pk"), module__required=True, module__tier=OuterRef("tier")
    )
    reviews = CallReview.objects.filter(call__caller_id=OuterRef("user_id"))
    members = list(
        team_members(supervisor)
        .select_related("user")
        .annotate(
            modules_required=_subcount(modules, "tier"),
            modules_done=_subcount(done, "profile"),
            reviews_pending=_subcount(
                reviews.filter(reviewed_at__isnull=True), "call__caller"
            ),
            reviews_done=_subcount(
                reviews.filter(reviewed_at__isnull=False), "call__caller"
            ),
        )
        .order_by("user__last_name", "user__first_name")
    )
    booked = hours_booked(members, moment=now)
    for m in members:
        m.hours_this_week = booked.get(m.pk, 0.0)
    return members


def _subcount(qs: QuerySet, group: str) -> Coalesce:
    counted = qs.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@dataclass
class Registrations:
    members: list[StaffProfile]
    expiring: list[StaffProfile]
    expired: list[StaffProfile]
    unverified: list[StaffProfile]


EXPIRY_WARNING_DAYS = 30


def registrations(supervisor: StaffProfile, *, today: date) -> Registrations:
    members = list(
        team_members(supervisor)
        .filter(tier=Tier.CLINICAL)
        .select_related("user", "registration_verified_by")
        .order_by(F("registration_expires_on").asc(nulls_first=True), "user__last_name")
    )
    soon = today + timedelta(days=EXPIRY_WARNING_DAYS)
    for m in members:
        m.expired = m.registration_expires_on is not None and (
            m.registration_expires_on < today
        )
        m.expiring = (
            m.registration_expires_on is not None
            and today <= m.registration_expires_on <= soon
        )
        m.valid = m.registration_valid_on(today)
    return Registrations(
        members=members,
        expiring=[m for m in members if m.expiring],
        expired=[m for m in members if m.expired],
        unverified=[m for m in members if m.registration_verified_on is None],
    )


def training_for(profile: StaffProfile) -> list[TrainingModule]:
    """The modules of a person's tier, each with `completed_on` (or None)."""
    done = TrainingCompletion.objects.filter(
        profile=profile, module=OuterRef("pk")
    ).values("completed_on")[:1]
    return list(
        TrainingModule.objects.filter(tier=profile.tier)
        .annotate(completed_on=Subquery(done))
        .order_by("-required", "name")
    )


def review_queue(supervisor: StaffProfile) -> QuerySet[CallReview]:
    """New starters' calls in the team still waiting for a supervisor, oldest first."""
    return (
        CallReview.objects.filter(
            reviewed_at__isnull=True,
            call__caller_id__in=team_members(supervisor).values("user_id"),
        )
        .select_related("call__caller", "call__case__person", "call__contact__person")
        .order_by("created_at", "pk")
    )


def new_starters(supervisor: StaffProfile) -> list[StaffProfile]:
    """The team's new starters, with how many of their calls are reviewed or waiting."""
    reviews = CallReview.objects.filter(call__caller_id=OuterRef("user_id"))
    return list(
        team_members(supervisor)
        .filter(signed_off_at__isnull=True)
        .select_related("user")
        .annotate(
            reviews_pending=_subcount(
                reviews.filter(reviewed_at__isnull=True), "call__caller"
            ),
            reviews_done=_subcount(
                reviews.filter(reviewed_at__isnull=False), "call__caller"
            ),
        )
        .order_by("started_on", "user__last_name")
    )


# --- utilisation -----------------------------------------------------------------

# Time after each call counted as writing it up (notes, outcome, next steps).
WRAP_UP = timedelta(minutes=5)


@dataclass
class UtilisationRow:
    profile: StaffProfile
    day: date
    shift_seconds: float = 0.0
    calls: int = 0
    talk_seconds: int = 0
    items_completed: int = 0

    @property
    def hours_on_shift(self) -> float:
        return self.shift_seconds / 3600

    @property
    def busy_seconds(self) -> float:
        return self.talk_seconds + self.calls * WRAP_UP.total_seconds()

    @property
    def idle_share(self) -> float | None:
        """1 - min(1, (talk time + wrap-up per call) / time on shift); None off shift."""
        if not self.shift_seconds:
            return None
        return 1 - min(1.0, self.busy_seconds / self.shift_seconds)


@dataclass
class Utilisation:
    monday: date
    rows: list[UtilisationRow]
    people: list[UtilisationRow]  # week totals per person (day is the Monday)
    team: UtilisationRow  # week totals for the team (profile is the supervisor)


def _split_by_local_day(start: datetime, end: datetime) -> list[tuple[date, float]]:
    """Seconds of [start, end) falling on each local day, cut at local midnight."""
    parts = []
    cursor = start
    while cursor < end:
        day = timezone.localtime(cursor).date()
        cut = min(end, local_midnight(day + timedelta(days=1)))
        parts.append((day, (cut - cursor).total_seconds()))
        cursor = cut
    return parts


def utilisation(supervisor: StaffProfile, *, monday: date) -> Utilisation:
    """Per person and day of one week: time on booked shifts, calls, items completed,
    idle share; with week totals per person and for the team. Four queries."""
    start, end = local_midnight(monday), local_midnight(monday + timedelta(days=7))
    members = list(
        team_members(supervisor)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    by_user = {m.user_id: m for m in members}
    rows: dict[tuple[int, date], UtilisationRow] = {}

    def row(profile: StaffProfile, day: date) -> UtilisationRow:
        return rows.setdefault(
            (profile.pk, day), UtilisationRow(profile=profile, day=day)
        )

    by_pk = {m.pk: m for m in members}
    for staff_id, s, e in Shift.objects.filter(
        staff_id__in=list(by_pk),
        status=Shift.Status.BOOKED,
        starts_at__lt=end,
        ends_at__gt=start,
    ).values_list("staff_id", "starts_at", "ends_at"):
        for day, seconds in _split_by_local_day(max(s, start), min(e, end)):
            row(by_pk[staff_id], day).shift_seconds += seconds
    tz = timezone.get_current_timezone()
    for caller_id, day, n, talk, reached in (
        CallAttempt.objects.filter(
            caller_id__in=list(by_user), started_at__gte=start, started_at__lt=end
        )
        .annotate(day=TruncDate("started_at", tzinfo=tz))
        .order_by()
        .values("caller_id", "day")
        .annotate(
            n=Count("pk"),
            talk=Sum("duration_seconds"),
            reached=Count(
                "pk", filter=Q(outcome=Outcome.REACHED, contact__isnull=False)
            ),
        )
        .values_list("caller_id", "day", "n", "talk", "reached")
    ):
        r = row(by_user[caller_id], day)
        r.calls, r.talk_seconds = n, talk or 0
        r.items_completed += reached
    for assignee_id, day, n in (
        Case.objects.filter(
            assignee_id__in=list(by_user),
            completed_at__gte=start,
            completed_at__lt=end,
        )
        .annotate(day=TruncDate("completed_at", tzinfo=tz))
        .order_by()
        .values("assignee_id", "day")
        .annotate(n=Count("pk"))
        .values_list("assignee_id", "day", "n")
    ):
        row(by_user[assignee_id], day).items_completed += n
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r.profile.user.last_name,
            r.profile.user.first_name,
            r.profile.pk,
            r.day,
        ),
    )
    people: dict[int, UtilisationRow] = {}
    team = UtilisationRow(profile=supervisor, day=monday)
    for r in ordered:
        total = people.setdefault(
            r.profile.pk, UtilisationRow(profile=r.profile, day=monday)
        )
        for target in (total, team):
            target.shift_seconds += r.shift_seconds
            target.calls += r.calls
            target.talk_seconds += r.talk_seconds
            target.items_completed += r.items_completed
    return Utilisation(
        monday=monday, rows=ordered, people=list(people.values()), team=team
    )


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
