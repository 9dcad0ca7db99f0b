"""The supervisor's view of the work: the team's load, the pool by age, overdue
items, idle staff, and the lists a supervisor moves work from and to.

Each read is a fixed handful of queries, whatever the size of the team.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import UNREACHED, WorkItem
from clock import moment_of
from contacts.models import Contact
from escalations.selectors import person_name_q
from rows.ids import row_id
from staffing.models import StaffProfile, Tier
from staffing.selectors.members import (
    blocked_by,
    readiness_annotations,
    shift_ends_soon,
    team_members,
    team_overview_queryset,
)
from staffing.selectors.reviews import review_queue
from staffing.selectors.rota import hours_booked

from .access.items import items_visible_to
from .pool_counts import AGE_BUCKETS, PoolCount, pool_count


def work_model(supervisor: StaffProfile) -> type[Case] | type[Contact]:
    """Tier 2 teams work cases, tier 3 teams contacts."""
    return Case if supervisor.tier == Tier.CLINICAL else Contact


def work_scope(supervisor: StaffProfile) -> Q:
    """Items a supervisor may move: held by their team, or waiting in the pool."""
    model = work_model(supervisor)
    members = team_members(supervisor).values("user_id")
    return (model.held_q() & Q(assignee_id__in=members)) | model.pool_q()


POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?(?:[0-9][A-Z]{2})?$")


def search_q(model: type[WorkItem], text: str) -> Q:
    """Items matching what a supervisor typed: a name (every word the start of a word
    of the name, folded as the people search folds it), a postcode (whole, or its district), or a reference (the case's lab
    reference, or the item's number)."""
    text = " ".join(text.split())
    if not text:
        return Q()
    compact = text.replace(" ", "").upper()
    found = person_name_q("person__", text, word_starts=True)
    if POSTCODE_RE.match(compact):
        if len(compact) >= 5 and compact[-3].isdigit():
            found |= Q(person__postcode__iexact=f"{compact[:-3]} {compact[-3:]}")
        found |= Q(person__postcode__istartswith=f"{compact} ")
    reference = "lab_reference" if model is Case else "case__lab_reference"
    found |= Q(**{f"{reference}__iexact": text})
    if (pk := row_id(text)) is not None:
        found |= Q(pk=pk)
    return found


def work_list(
    *,
    user,
    supervisor: StaffProfile,
    holder: str = "",
    overdue_only: bool = False,
    search: str = "",
    newest_first: bool = False,
    now: datetime,
) -> QuerySet[WorkItem]:
    """The work held by the team (the default), the pool ("pool"), or one person's
    (a profile id); narrowed by a search for a name, postcode or reference.

    Held work and the pool are never listed together: each alone follows an index
    (the holders' queue index; the pool's partial index), while the two OR-ed together
    scan the table. The pool comes most urgent then oldest first, or newest first.
    """
    model = work_model(supervisor)
    qs = items_visible_to(user, model)
    members = team_members(supervisor)
    if holder == "pool":
        qs = qs.filter(model.pool_q())
        if newest_first:
            qs = qs.order_by("-created_at", "-pk")
        else:
            qs = qs.order_by("-priority", "created_at", "pk")
    else:
        if (member_id := row_id(holder)) is not None:
            members = members.filter(pk=member_id)
        # The id last: a batch from intake shares one created_at, and a page read
        # by OFFSET in an order with ties may repeat some items and skip others.
        qs = qs.filter(
            model.held_q(), assignee_id__in=members.values("user_id")
        ).order_by(
            "assignee__last_name", "assignee_id", "-priority", "created_at", "pk"
        )
    if overdue_only:
        qs = qs.filter(status__in=UNREACHED, next_attempt_at__lt=now)
    if search.strip():
        qs = qs.filter(search_q(model, search))
    return qs.select_related("person", "area", "assignee")


def _after_q(keys: list[tuple[str, Any, bool]]) -> Q:
    """The rows after a key in an order of (field, the key's value, descending)."""
    (name, value, descending), *rest = keys
    beyond = Q(**{f"{name}__{'lt' if descending else 'gt'}": value})
    if not rest:
        return beyond
    return beyond | (Q(**{name: value}) & _after_q(rest))


def work_key(item: WorkItem, *, holder: str, newest_first: bool) -> str:
    """Where a page of work_list ends, for its "Next" (?after=): the last item's
    place in the list's order, as work_list_after reads it. Held work is ordered by
    its holder's surname: the key names the holder by id."""
    created, pk = item.created_at.isoformat(), item.pk
    if holder != "pool":  # held work, in its own order whatever the pool's
        return f"{item.assignee_id},{item.priority},{created},{pk}"
    if newest_first:
        return f"{created},{pk}"
    return f"{item.priority},{created},{pk}"


def work_list_after(
    items: QuerySet[WorkItem], *, holder: str, newest_first: bool, after: str
) -> QuerySet[WorkItem] | None:
    """The items of work_list after the key `after` (work_key): the next page starts
    after the last item shown, so items moved off earlier pages meanwhile (a
    reassignment, a pick-up) do not shift later ones past the supervisor. None for a
    key that is not one of this list's (the first page is shown)."""
    parts = after.strip().split(",")
    if len(parts) < 2:
        return None
    *numbers, created_text, pk_text = parts
    created, pk = moment_of(created_text), row_id(pk_text)
    ints = [row_id(n.removeprefix("-")) for n in numbers]
    if created is None or pk is None or None in ints:
        return None
    values = [int(n) for n in numbers]
    newest_first = newest_first and holder == "pool"  # held work has its own order
    tail = [("created_at", created, newest_first), ("pk", pk, newest_first)]
    if holder == "pool":
        if newest_first and not values:
            return items.filter(_after_q(tail))
        if not newest_first and len(values) == 1:
            return items.filter(_after_q([("priority", values[0], True), *tail]))
        return None
    if len(values) != 2:
        return None
    holder_id, priority = values
    surname = (
        get_user_model()
        .objects.filter(pk=holder_id)
        .values_list("last_name", flat=True)
        .first()
    )
    if surname is None:
        return None
    return items.filter(
        _after_q(
            [
                ("assignee__last_name", surname, False),
                ("assignee_id", holder_id, False),
                ("priority", priority, True),
                *tail,
            ]
        )
    )


@dataclass
class Backlog:
    label: str
    tier: int
    buckets: list[tuple[str, int]]
    total: int
    overdue: int
    is_team_tier: bool
    due: int = 0  # may be given out now (work.pool_counts.KindCount.due)


@dataclass
class Dashboard:
    now: datetime
    # Profiles carrying the dashboard's annotations: on_shift_until, next_shift_at,
    # held, overdue, last_call_at, training_due, since_last_call, blocked_by,
    # can_take_work.
    members: list[Any]
    backlogs: list[Backlog]
    overdue_items: list[WorkItem]
    overdue_held: int
    pending_reviews: int
    waiting: int  # the team tier's pool
    # Of it, what assignment would give someone idle on shift now: staff are idle
    # "while work waits" only when some is. Not what waits for an online answer, a
    # call-back time, the local team (past its deadline), nor for an interpreter's
    # language none of the idle speaks.
    due: int
    pool_counted_at: datetime  # when the pool was counted (the beat's, or now)
    idle_ready: list[Any] = field(default_factory=list)
    idle_blocked: list[Any] = field(default_factory=list)
    # Of the pool, what may be given out now (work.pool_counts.KindCount.due) to
    # someone of the tier on shift in the team: not what only a speaker of a language
    # none of them speaks may be given ("due a call now").
    due_now: int = 0
    # What may be given out now only to a speaker of a language nobody of the tier on
    # shift in the team speaks: (language, how many).
    awaiting_speakers: list[tuple[str, int]] = field(default_factory=list)

    @property
    def idle_count(self) -> int:
        return len(self.idle_ready) + len(self.idle_blocked)

    @property
    def on_shift(self) -> list[Any]:
        return [m for m in self.members if m.on_shift_until is not None]


def _count_subquery(qs: QuerySet) -> Coalesce:
    counted = qs.order_by().values("assignee_id").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def backlog(model: type[WorkItem], *, pool: PoolCount, team_tier: int) -> Backlog:
    """One kind's pool by age, from the count of the pool."""
    counted = pool.of(model)
    tier = Tier.CLINICAL if model is Case else Tier.CALL_HANDLER
    return Backlog(
        label="Cases (tier 2)" if model is Case else "Contacts (tier 3)",
        tier=tier,
        buckets=[
            (label, n)
            for (label, _, _), n in zip(AGE_BUCKETS, counted.buckets, strict=True)
        ],
        total=counted.total,
        overdue=counted.overdue,
        is_team_tier=tier == team_tier,
        due=counted.due,
    )


def explain_readiness(members: list[Any], *, now: datetime) -> None:
    """Say for each member whether they can take work now, and if not why, in words:
    `blocked_by` ("off shift until 08:00", "at their cap (10 of 10)") and
    `can_take_work`. The members carry `readiness_annotations` and `held`."""
    for m in members:
        reasons = blocked_by(m, now)
        # Eligible by assignment's rules (on shift, trained, registered), its cap
        # aside: whose languages count as spoken on shift (_idle_while_work_waits).
        m.eligible = not reasons
        if m.held >= m.open_work_cap:
            reasons.append(f"at their cap ({m.held} of {m.open_work_cap})")
        m.blocked_by = reasons
        m.can_take_work = not reasons


def _held(supervisor: StaffProfile) -> Coalesce:
    model = work_model(supervisor)
    return _count_subquery(model.objects.held().filter(assignee_id=OuterRef("user_id")))


def _languages_spoken(members: list[Any]) -> dict[int, set[int]]:
    """The languages each of these members speaks, by profile id (one query)."""
    spoken: dict[int, set[int]] = {m.pk: set() for m in members}
    if members:
        for profile_id, language_id in StaffProfile.languages.through.objects.filter(
            staffprofile_id__in=list(spoken)
        ).values_list("staffprofile_id", "language_id"):
            spoken[profile_id].add(language_id)
    return spoken


def _idle_while_work_waits(
    board: Dashboard, languages: tuple[tuple[int, str, int], ...], *, tier: int
) -> None:
    """What of the pool someone of the tier on shift may be given now, what waits for
    a language nobody of them speaks, and who of them holds nothing while work is due
    that assignment would give them (its rules: work.assignment).

    The languages (`languages`: the pool count's, work.pool_counts.KindCount) are
    weighed whenever work is due, idle or not: with everyone on shift holding some,
    work for a language none of them speaks was counted "due a call now" and never
    said to wait for a speaker. The on-shift staff's languages are read only when
    some of it waits for a language."""
    on_shift = [m for m in board.on_shift if m.tier == tier]
    # Not idle: someone whose shift ends within the margin, who is given no new work
    # (staffing.selectors.members.NEW_WORK_MARGIN) and is winding up.
    idle = [
        m
        for m in on_shift
        if m.held == 0 and not shift_ends_soon(m.on_shift_until, board.now)
    ]
    by_language = languages if board.due_now else ()
    # Spoken on shift by those assignment may give work (untrained or unregistered
    # speakers, and those whose shift is ending, may take none of it), busy or not.
    eligible = [m for m in on_shift if getattr(m, "eligible", True)]
    spoken = _languages_spoken(eligible) if by_language else {}
    idle_speak = set().union(*(spoken.get(m.pk, set()) for m in idle))
    team_speak = set().union(*spoken.values())
    board.awaiting_speakers = [
        (name, n) for language, name, n in by_language if language not in team_speak
    ]
    # The languages are read now, the count by the beat up to a minute ago: work
    # for a language that came since is not taken from it below nothing.
    board.due_now = _less(
        board.due_now,
        (n for language, _, n in by_language if language not in team_speak),
    )
    board.due = _less(
        board.due_now,
        (n for language, _, n in by_language if language in team_speak - idle_speak),
    )
    if idle and board.due:
        for m in idle:
            (board.idle_blocked if m.blocked_by else board.idle_ready).append(m)
    else:
        board.due = 0


def _less(count: int, taken: Iterable[int]) -> int:
    """`count` less what is `taken` from it, never below nothing."""
    return max(0, count - sum(taken))


def dashboard(supervisor: StaffProfile, *, now: datetime) -> Dashboard:
    """Who is on shift, what each holds, the pool by age (the beat's count of the last
    minute, see work.pool_counts), overdue work, idle staff."""
    model = work_model(supervisor)
    tier = supervisor.tier
    held = model.objects.held().filter(assignee_id=OuterRef("user_id"))
    overdue = held.filter(status__in=UNREACHED, next_attempt_at__lt=now)
    last_call = (
        CallAttempt.objects.filter(caller_id=OuterRef("user_id"))
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    members: list[Any] = list(
        team_members(supervisor)
        .select_related("user")
        .annotate(
            **readiness_annotations(now),
            held=_count_subquery(held),
            overdue=_count_subquery(overdue),
            last_call_at=Subquery(last_call),
        )
        .order_by(
            F("on_shift_until").asc(nulls_last=True),
            "user__last_name",
            "user__first_name",
        )
    )
    explain_readiness(members, now=now)
    for m in members:
        m.since_last_call = now - m.last_call_at if m.last_call_at else None
    pool = pool_count(now)
    backlogs = [backlog(k, pool=pool, team_tier=tier) for k in (Case, Contact)]
    team_backlog = next(b for b in backlogs if b.is_team_tier)
    waiting, due_now = team_backlog.total, team_backlog.due
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
        due=0,
        pool_counted_at=pool.counted_at,
        due_now=due_now,
    )
    _idle_while_work_waits(board, pool.of(model).languages, tier=tier)
    return board


def team_overview(supervisor: StaffProfile, *, now: datetime) -> list[Any]:
    """The team page: each member's cap and hours booked this week, training, reviews,
    what they hold, and whether they can take work now (and if not, why)."""
    members: list[Any] = list(
        team_overview_queryset(supervisor).annotate(
            **readiness_annotations(now), held=_held(supervisor)
        )
    )
    booked = hours_booked(members, moment=now)
    for m in members:
        m.hours_this_week = booked.get(m.pk, 0.0)
    explain_readiness(members, now=now)
    return members


def work_targets(supervisor: StaffProfile, *, now: datetime) -> list[Any]:
    """Team members of the team's tier, with what they hold and whether they may take
    more now (and if not, why): the choices of the reassignment form, those who can
    first."""
    people: list[Any] = list(
        team_members(supervisor)
        .filter(tier=supervisor.tier)
        .select_related("user")
        .annotate(**readiness_annotations(now), held=_held(supervisor))
        .order_by("user__last_name", "user__first_name")
    )
    explain_readiness(people, now=now)
    return sorted(people, key=lambda p: not p.can_take_work)
