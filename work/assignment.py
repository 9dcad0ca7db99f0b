"""Who holds which work: automatic assignment, a supervisor's moves, the release of
work whose holder may no longer do it (off shift, deactivated, moved to another tier,
registration lapsed). Single and bulk operations side by side, applying the
same rules and writing the same rows (the bulk ones in bulk).

The rules: cases go to tier 2 caseworkers whose registration is verified and in date,
contacts to tier 3 call handlers; only people on a booked shift now, active, with their
required training done, get work; nobody past their open-work cap (lower for new
starters); a person who needs an interpreter goes only to someone who speaks their
language. Automatic assignment gives the least loaded first, and among the equally
loaded whoever was given work longest ago (never yet, first), so that under light load,
when everyone's load is back to nothing between arrivals, the work still goes round;
the most urgent then the oldest work first. Work a supervisor took from someone goes
to anyone else on shift who may do it, not back to them; with nobody else, to them.
An item whose call-back time is still ahead waits in the pool until then; one past its
deadline for the local team is not handed out (the escalation sweep takes it). Complex
cases never reach this pool: intake hands them to the local team.

Safe under concurrency: a staff row is locked before its load is counted (assignment
with SKIP LOCKED, a supervisor's move waiting for it), so an assignment run and a
reassignment can never both fill the same person's last slot; items are locked too, so
no item reaches two people. The final writes are conditional (only rows still waiting
change), so a run repeated after a crash ends in the same state.
"""

from __future__ import annotations

import heapq
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, models, transaction
from django.db.models import Count, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_event, audit_record_many
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status, WorkItem
from contacts.models import Contact
from people.models import Person
from rows.retry import atomic_operation
from staffing.models import Shift, StaffProfile, Tier, open_work_cap
from staffing.selectors.members import (
    NEW_WORK_MARGIN,
    eligible_staff,
    registration_current,
    shift_ending_at,
    when_said,
)

from .compiled import rows_compiled_once
from .effects import assignment_run_after_commit
from .errors import WorkRefused
from .pool_counts import forget_pool_count
from .queues import called_as_case

log = logging.getLogger(__name__)

TIER_FOR = {"case": Tier.CLINICAL, "contact": Tier.CALL_HANDLER}
MODEL_FOR: dict[str, type[Case] | type[Contact]] = {"case": Case, "contact": Contact}
# Items handed out per kind in one run; the task re-queues itself while more waits.
# A run holds its staff rows locked (a supervisor's move waits) and its writes cost
# about 0.1 ms an item (each item's indexes and its audit row), on top of some 100 ms
# of reads: at a month at peak a run of five thousand of each took 1.1-1.7 s, of a
# thousand 0.3 s (bench/scale.py). Peak arrivals are a few items a second, so short
# runs lose nothing that matters; a backlog of 126,000 is handed out in under a
# minute.
DEFAULT_LIMIT = 500

# Back-compat name for the arrival hook the operations call.
work_arrived = assignment_run_after_commit


def _name(user) -> str:
    return user.get_full_name() or user.username


def _assign_event(
    item: WorkItem, *, previous: int | None, to: int | None, by, now, reason: str = ""
) -> AuditEvent:
    """The audit row of one change of holder (the same for every door, single or bulk)."""
    detail: dict[str, Any] = {"from": previous, "to": to}
    if reason:
        detail["reason"] = reason
    action = (
        AuditEvent.Action.ASSIGN
        if previous is None and to is not None
        else AuditEvent.Action.REASSIGN
    )
    return audit_event(user=by, action=action, obj=item, detail=detail, at=now)


# --- the rules for one target ----------------------------------------------------


def lock_target(*, to, model: type[WorkItem], now: datetime) -> StaffProfile:
    """The staff row of the person `to` (a user), locked as assignment locks it, and
    checked for tier and for being able to take work now. Raises WorkRefused."""
    # NO KEY: the same lock assignment takes, so the two wait for each other.
    profile = (
        StaffProfile.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .filter(user_id=to.pk)
        .first()
    )
    if profile is None:
        raise WorkRefused(f"{_name(to)} has no staff profile: they cannot take work.")
    tier = TIER_FOR[model.kind]
    name = _name(profile.user)
    if profile.tier != tier:
        raise WorkRefused(
            f"{name} is {profile.get_tier_display().lower()}: they cannot take "
            f"{model._meta.verbose_name_plural}."
        )
    if not eligible_staff(tier=tier, now=now).filter(pk=profile.pk).exists():
        raise WorkRefused(_cannot_take_work(profile, name=name, tier=tier, now=now))
    return profile


def _cannot_take_work(
    profile: StaffProfile, *, name: str, tier: int, now: datetime
) -> str:
    """Why someone may take no work now, in words: their shift ending within the
    margin when it does (on shift and trained, nothing else would tell the
    supervisor why), else the rules they must meet."""
    ending = shift_ending_at(profile, now)
    if ending is not None:
        minutes = int(NEW_WORK_MARGIN.total_seconds() // 60)
        return (
            f"{name} cannot take new work now: their shift ends at "
            f"{when_said(ending, now)}, and no new work is given in the last "
            f"{minutes} minutes of a shift. Choose someone whose shift runs on."
        )
    return f"{name} cannot take work now: they must be on shift, with their " + (
        "training done and a verified, in-date registration."
        if tier == Tier.CLINICAL
        else "training done."
    )


def _check_room(
    *, profile: StaffProfile, model: type[WorkItem], items: list[WorkItem]
) -> None:
    """Refuse a move that would put the target past their open-work cap, or give an
    item needing an interpreter to someone who does not speak its language.

    No language recorded, no language to check: the rule automatic assignment follows
    (pool_claim), and the first call asks which language they speak (work.calls).
    Before, such an item could be moved to nobody, yet the run gave it to anyone."""
    name = _name(profile.user)
    held = model.objects.held().filter(assignee_id=profile.user_id).count()
    arriving = [item for item in items if item.assignee_id != profile.user_id]
    if held + len(arriving) > profile.open_work_cap:
        raise WorkRefused(
            f"{name} holds {held} and may hold at most {profile.open_work_cap}: "
            f"{len(arriving)} more would put them over their cap."
        )
    spoken = set(profile.languages.values_list("pk", flat=True))
    for item in arriving:
        person = item.person
        if (
            person.needs_interpreter
            and person.language_id is not None
            and person.language_id not in spoken
        ):
            raise WorkRefused(
                f"{person.full_name} needs an interpreter in "
                f"{person.language}: {name} does not speak it."
            )


def _stamp_given_work(profile: StaffProfile, *, now: datetime) -> None:
    """Note when this person was last given work: assignment's tie-break among the
    equally loaded. Their row is locked already (lock_target)."""
    profile.last_assigned_at = now
    profile.save(update_fields=["last_assigned_at"])


# --- single operations -----------------------------------------------------------


@atomic_operation
def item_assign(
    *,
    item: WorkItem,
    to,
    by=None,
    now: datetime | None = None,
    reason: str = "",
) -> WorkItem:
    """Give one item to one person, `to` (a user): a reassignment when it had a holder.

    The same rules as every assignment: tier, on shift and qualified, under the cap,
    language. Raises WorkRefused, or IllegalTransition for an item no longer workable.
    """
    now = now or timezone.now()
    model = type(item)
    profile = lock_target(to=to, model=model, now=now)
    locked = (
        model.objects.select_related("person")
        .select_for_update(of=("self",))
        .get(pk=item.pk)
    )
    if locked.assignee_id == profile.user_id:
        return locked
    reason = reason.strip()
    _check_room(profile=profile, model=model, items=[locked])
    previous = locked.assignee_id
    locked.mark_assigned(to=profile.user, now=now)
    _stamp_given_work(profile, now=now)
    audit_record_many(
        [
            _assign_event(
                locked,
                previous=previous,
                to=profile.user_id,
                by=by,
                now=now,
                reason=reason,
            )
        ]
    )
    return locked


@atomic_operation
def item_release(
    *,
    item: WorkItem,
    by=None,
    reason: str = "",
    now: datetime | None = None,
    taken_from_holder: bool = False,
) -> WorkItem:
    """Put one item back in the pool, and ask for an assignment run.
    `taken_from_holder`: a supervisor's move (items_reassign's, one at a time), after
    which the run does not give it back to its holder."""
    now = now or timezone.now()
    reason = reason.strip()
    locked = item.locked()
    if locked.assignee_id is None and locked.is_workable:
        return locked  # already in the pool: nothing to do, nothing to audit
    previous = locked.assignee_id
    locked.mark_released(taken_from_holder=taken_from_holder)
    audit_record_many(
        [
            _assign_event(
                locked, previous=previous, to=None, by=by, now=now, reason=reason
            )
        ]
    )
    assignment_run_after_commit()
    return locked


# --- a supervisor's move of many --------------------------------------------------


@dataclass(frozen=True)
class ChangedHands:
    """An item ticked on a page that showed it with another holder (`shown_id`, the
    user; None for the pool): it has changed hands since, and was not moved. `item`
    has its holder now (`item.assignee`); `shown` is the holder the page showed,
    None for the pool or for a holder not found."""

    item: WorkItem
    shown_id: int | None
    shown: User | None = None


@dataclass
class Reassigned:
    """What a supervisor's move did: how many items moved, and the ticked items left
    where they are because they changed hands after the page showed them."""

    moved: int = 0
    changed_hands: list[ChangedHands] = field(default_factory=list)


@atomic_operation
def items_reassign(
    *,
    model: type[Case] | type[Contact],
    item_ids: Iterable[int],
    scope: Q,
    to,
    reason: str,
    by,
    now: datetime | None = None,
) -> int:
    """Move items to one person (`to`, a user), or back to the pool (`to` None), all
    or none, with a reason; returns how many moved (items already there are left
    alone).

    `scope` limits the items to those the supervisor may move. The target's staff row
    is locked before their load is counted, then the items; every move is audited.
    """
    return _reassign(
        model=model,
        item_ids=item_ids,
        scope=scope,
        to=to,
        reason=reason,
        by=by,
        now=now,
        shown=None,
    ).moved


@atomic_operation
def items_reassign_as_shown(
    *,
    model: type[Case] | type[Contact],
    item_ids: Iterable[int],
    scope: Q,
    to,
    reason: str,
    by,
    shown: Mapping[int, int | None],
    now: datetime | None = None,
) -> Reassigned:
    """items_reassign from a page that showed each item with its holder: `shown`, item
    id to the holder's user id (None for the pool; an item missing is not checked).

    An item that has changed hands since is not moved, whoever holds it now; the rest
    move as items_reassign moves them (all or none). Before, "Back to the pool" sent
    twice (a double click) took the items from the colleague the assignment run had
    just given them to, with the first holder's reason, and the run gave them back
    to the first holder (tests/supervisors/test_back_to_pool_twice.py).
    """
    return _reassign(
        model=model,
        item_ids=item_ids,
        scope=scope,
        to=to,
        reason=reason,
        by=by,
        now=now,
        shown=shown,
    )


def _reassign(
    *,
    model: type[Case] | type[Contact],
    item_ids: Iterable[int],
    scope: Q,
    to,
    reason: str,
    by,
    now: datetime | None,
    shown: Mapping[int, int | None] | None,
) -> Reassigned:
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise WorkRefused("Give a reason for the reassignment.")
    ids = sorted(set(item_ids))
    profile = lock_target(to=to, model=model, now=now) if to is not None else None
    items = list(
        model.objects.filter(scope, pk__in=ids)
        .select_related("person__language")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    if not items:
        raise WorkRefused("Choose at least one item to move.")
    if len(items) != len(ids):
        raise WorkRefused("Some of the chosen items are no longer yours to move.")
    target = None if profile is None else profile.user_id
    # Already where it is going: nothing to do, nothing to audit.
    items = [item for item in items if item.assignee_id != target]
    changed = [
        item
        for item in items
        if shown is not None and item.pk in shown and item.assignee_id != shown[item.pk]
    ]
    if changed:
        items = [item for item in items if item not in changed]
    if profile is not None and items:
        _check_room(profile=profile, model=model, items=items)
    events = []
    for item in items:
        previous = item.assignee_id
        try:
            if profile is None:
                item.mark_released(taken_from_holder=True)
            else:
                item.mark_assigned(to=profile.user, now=now)
        except IllegalTransition as exc:
            raise WorkRefused(f"{item}: {exc}") from exc
        events.append(
            _assign_event(
                item, previous=previous, to=target, by=by, now=now, reason=reason
            )
        )
    audit_record_many(events)
    if events and profile is not None:
        _stamp_given_work(profile, now=now)
    if events:
        # The supervisor's own move shows on their board at once, not at the beat's
        # next count.
        transaction.on_commit(forget_pool_count)
    if profile is None and events:
        assignment_run_after_commit()
    return Reassigned(
        moved=len(events),
        changed_hands=_changed_hands(model, changed, shown or {}),
    )


def _changed_hands(
    model: type[WorkItem], items: list[WorkItem], shown: Mapping[int, int | None]
) -> list[ChangedHands]:
    """The items left alone, with their holder now and the one the page showed."""
    if not items:
        return []
    holders = {item.assignee_id for item in items} | {shown[i.pk] for i in items}
    users = User.objects.in_bulk(holders - {None})
    for item in items:
        if item.assignee_id in users:
            item.assignee = users[item.assignee_id]
    return [
        ChangedHands(
            item=item, shown_id=shown[item.pk], shown=users.get(shown[item.pk])
        )
        for item in items
    ]


# --- automatic assignment ----------------------------------------------------------


@dataclass
class AssignmentReport:
    assigned: dict[str, int] = field(default_factory=lambda: {"case": 0, "contact": 0})
    # True when work and capacity both remain: the caller should run again.
    more: bool = False

    @property
    def total(self) -> int:
        return sum(self.assigned.values())


def interpreter_speakers(item: WorkItem) -> tuple[str, bool] | None:
    """For an item handed on for an interpreter: the name of its person's language,
    and whether anyone of the item's tier (on shift or not, active) speaks it, so
    that assignment or a supervisor's move may ever give it to someone. None when
    no language is recorded (anyone may be given it)."""
    language_id, name = (
        Person.objects.filter(pk=item.person_id)
        .values_list("language_id", "language__name")
        .get()
    )
    if language_id is None:
        return None
    spoken = StaffProfile.objects.filter(
        tier=TIER_FOR[item.kind], user__is_active=True, languages=language_id
    ).exists()
    return name, spoken


def assignable_now(now: datetime, model: type[WorkItem] | None = None) -> Q:
    """Of the items awaiting assignment (of `model`), those that may be handed out
    now: a call-back time still ahead waits, and an item past its deadline is the
    local team's (the escalation sweep takes it: a contact who refused, a wrong
    number, attempts spent, hours up), never given to someone to call again. (A
    reached case waiting to be finished has no deadline.) A contact whose person is
    a case being worked waits too: the caseworker calls them (work.queues). The
    pool's rule, also counted by the supervisors' board (work.pool_counts)."""
    rule = (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) & (
        Q(escalate_due_at__isnull=True) | Q(escalate_due_at__gt=now)
    )
    if model is Contact:
        rule &= Q(~called_as_case())
    return rule


def assignable_pool(model: type[WorkItem], now: datetime) -> models.QuerySet:
    """Waiting items that may be handed out now (assignable_now)."""
    return model.objects.awaiting_assignment().filter(assignable_now(now, model))


# The claim's order, which is the pool index's (`case_pool`, `contact_pool`): the
# index's condition is the pool's, so its head is the next item to hand out.
POOL_ORDER = ("-priority", "created_at", "pk")


def pool_head(model: type[WorkItem], now: datetime) -> models.QuerySet:
    """The first item that may be handed out now (its pk), as an ordered first-row
    read on the pool index: a run's check that anything waits. (QuerySet.exists()
    drops the order, and an unordered read lets the planner walk another index.)"""
    return assignable_pool(model, now).order_by(*POOL_ORDER).values_list("pk")[:1]


def kept_from_holder(model: type[WorkItem], now: datetime) -> Q:
    """The items a supervisor took from someone (`taken_from`) that someone else on
    shift may do: eligible for the item's tier now (eligible_staff: on shift,
    trained, registered) and speaking its language if it needs an interpreter. These
    are not given back to the one they were taken from: they wait for the others,
    however full their queues (a colleague with room is given them, a full one when
    room comes). The rest go back to them like any other work: the rule is for
    handing work to someone else, and with nobody else who may do it, keeping it
    from them would leave due work uncalled.

    A condition of the items, for a statement of its own (the empty queue's words,
    work.queues): "someone else" depends on each item (its former holder, its
    language). An assignment run answers the same from the staff it has locked
    (_Kept), not with this in its claim."""
    others = eligible_staff(tier=TIER_FOR[model.kind], now=now).exclude(
        user_id=OuterRef("taken_from_id")
    )
    speakers = others.filter(languages=OuterRef("person__language_id"))
    any_speaker = Q(person__needs_interpreter=False) | Q(person__language__isnull=True)
    # Every speaker is one of the others: the second Exists is asked only of items
    # needing an interpreter in a language recorded.
    return (
        Q(taken_from_id__isnull=False)
        & Exists(others)
        & (any_speaker | Exists(speakers))
    )


def pool_claim(
    model: type[WorkItem],
    now: datetime,
    *,
    spoken: Iterable[int],
    wanted: int,
    kept_from: int | None = None,
    but_in: Iterable[int] = (),
) -> models.QuerySet:
    """The next `wanted` items to hand out, locked (skipping those another run holds),
    with what the choice of a holder needs: (pk, needs interpreter, language, the
    holder a supervisor took it from).

    An interpreter item nobody on shift can take (its language not in `spoken`) is
    left out, so a run of them at the head of the queue cannot hold everything else
    up. Read in the pool index's order, the read can stop after `wanted` rows.
    `kept_from`: the one person with room, when someone else on shift may do the
    work taken from them (_Kept); those items are left out too (however many, they
    cannot hold up the rest for them), but for those needing an interpreter in a
    language of `but_in` (only they, of those on shift, speak it: theirs again).
    """
    pool = assignable_pool(model, now)
    if kept_from is not None:
        pool = pool.exclude(
            Q(taken_from_id=kept_from)
            & ~Q(person__needs_interpreter=True, person__language_id__in=list(but_in))
        )
    return (
        pool.filter(
            Q(person__needs_interpreter=False)
            | Q(person__language__isnull=True)
            | Q(person__language__in=list(spoken))
        )
        .order_by(*POOL_ORDER)
        .select_for_update(skip_locked=True, of=("self",))
        .values_list(
            "pk", "person__needs_interpreter", "person__language_id", "taken_from_id"
        )[:wanted]
    )


class _Kept:
    """Whom a run may not give back the work a supervisor took from them: the rule
    of kept_from_holder, answered from the staff the run has locked (all who may
    take work now, full or not, and the languages they speak) rather than by a
    subquery per item, which made every run's claim a larger query to compose and
    plan (some 10 ms a run at peak, a third of it).

    An item taken from someone is kept from them while someone else on shift may do
    it: anyone else, or for an item needing an interpreter in a recorded language,
    someone else speaking it."""

    def __init__(self, staff: list[tuple[int, int, bool]], languages) -> None:
        self.users = {user_id for _, user_id, _ in staff}
        self.spoken_by: dict[int, frozenset[int]] = {
            user_id: languages.get(pk, frozenset()) for pk, user_id, _ in staff
        }
        self.speakers: Counter[int] = Counter(
            language for spoken in self.spoken_by.values() for language in spoken
        )

    def others(self, holder: int, language: int | None) -> int:
        """How many on shift but `holder` may do an item (needing an interpreter in
        `language`, when given)."""
        if language is None:
            return len(self.users) - (holder in self.users)
        theirs = language in self.spoken_by.get(holder, frozenset())
        return self.speakers[language] - theirs

    def from_whom(
        self, taken_from: int | None, needs_interpreter: bool, language: int | None
    ) -> int | None:
        """The person an item may not go back to (None: anyone may have it)."""
        if taken_from is None:
            return None
        wanted_language = language if needs_interpreter else None
        return taken_from if self.others(taken_from, wanted_language) else None

    def only_they_speak(self, holder: int) -> frozenset[int]:
        """The languages only `holder`, of those on shift, speaks."""
        return frozenset(
            language
            for language in self.spoken_by.get(holder, frozenset())
            if self.speakers[language] == 1
        )


@dataclass(slots=True)
class _Person:
    """One member of staff's room for work during a run. `turn` orders the equally
    loaded: lower was given work longer ago (never, lowest)."""

    turn: int
    user_id: int
    load: int
    cap: int
    languages: frozenset[int]


_Entry = tuple[int, int, int]  # (load, turn, user id): a heap's order


class _Capacity:
    """Least-loaded-first choice among staff, overall or among speakers of a language;
    among the equally loaded, whoever was given work longest ago.

    Heaps with lazy deletion: an entry whose load is out of date is dropped when it
    surfaces, so each choice costs O(log n) however many languages there are. Built
    by heapify, in linear time: at peak a run weighs up 18,000 call handlers.
    """

    def __init__(self, people: list[_Person]) -> None:
        self.people = {p.user_id: p for p in people}
        # Each choice in the run is given the next turn, later than everyone's.
        self.next_turn = max((p.turn for p in people), default=0) + 1
        self.any = [self._entry(p) for p in people if p.load < p.cap]
        heapq.heapify(self.any)
        self.by_language: dict[int, list[_Entry]] = defaultdict(list)
        for p in people:
            if p.languages and p.load < p.cap:
                for language in p.languages:
                    self.by_language[language].append(self._entry(p))
        for heap in self.by_language.values():
            heapq.heapify(heap)
        self.spoken = frozenset(self.by_language)

    @staticmethod
    def _entry(p: _Person) -> _Entry:
        return (p.load, p.turn, p.user_id)

    def _push(self, p: _Person) -> None:
        entry = self._entry(p)
        heapq.heappush(self.any, entry)
        for language in p.languages:
            heapq.heappush(self.by_language[language], entry)

    def _pop(self, heap: list[_Entry]) -> _Person | None:
        while heap:
            load, turn, user_id = heapq.heappop(heap)
            p = self.people[user_id]
            if load == p.load and turn == p.turn and p.load < p.cap:
                return p
        return None

    def take(
        self, language: int | None, *, not_to: int | None = None
    ) -> _Person | None:
        """The least loaded person (speaking `language` if given) but `not_to` (the
        holder a supervisor took the item from, while someone else on shift may do
        it: kept_from_holder), among them whoever was given work longest ago; now
        one item busier, and given work last."""
        heap = self.by_language[language] if language else self.any
        p = self._pop(heap)
        if p is not None and p.user_id == not_to:
            passed_by = p
            p = self._pop(heap)
            heapq.heappush(heap, self._entry(passed_by))  # still first for the next
        if p is None:
            return None
        p.load += 1
        p.turn = self.next_turn
        self.next_turn += 1
        if p.load < p.cap:
            self._push(p)
        return p

    @property
    def free(self) -> bool:
        return any(p.load < p.cap for p in self.people.values())


def _staff_locked(tier: int) -> Callable[[datetime], models.QuerySet]:
    """The tier's staff who may take work now, locked: (pk, user id, new starter),
    those given work longest ago first (never, first; then by pk). Rows, not objects:
    at peak a run reads thousands of staff. NO KEY: booking a shift or recording
    training for someone is not blocked."""

    def build(now: datetime) -> models.QuerySet:
        return (
            eligible_staff(tier=tier, now=now)
            .select_for_update(skip_locked=True, of=("self",), no_key=True)
            .order_by(models.F("last_assigned_at").asc(nulls_first=True), "pk")
            .annotate(
                new_starter=ExpressionWrapper(
                    Q(signed_off_at__isnull=True), output_field=models.BooleanField()
                )
            )
            .values_list("pk", "user_id", "new_starter")
        )

    return build


def _assign_kind(kind: str, *, now: datetime, limit: int) -> tuple[int, bool]:
    model = MODEL_FOR[kind]
    # Most runs (every arrival, every minute) find nothing to do: skip the locking.
    # The run's fixed queries are composed once per process (work.compiled).
    head = partial(pool_head, model)
    if not rows_compiled_once(("pool head", kind), head, now):
        return 0, False
    tier = TIER_FOR[kind]
    with transaction.atomic():
        staff = rows_compiled_once(("staff", tier), _staff_locked(tier), now)
        if not staff:
            return 0, False
        # Counted after the lock, by a statement of its own: a statement's snapshot is
        # taken before it locks, so a load counted beside the lock would miss work a
        # supervisor's move gave someone while holding their row (tests/core/
        # test_cap_race.py).
        # Everyone's, not by a list of the staff's ids (at peak that list held 18,000
        # ids, prepared and planned on every run): the holders of this kind are the
        # tier's staff, and a holder not among them is not looked up.
        loads = dict(
            rows_compiled_once(
                ("loads", kind),
                lambda _: (
                    model.objects.held()
                    .values_list("assignee_id")
                    .annotate(n=Count("id"))
                    .order_by()
                ),
                now,
            )
        )
        # The languages of every speaker of the tier: a few rows, and no list of ids.
        speaks: dict[int, set[int]] = defaultdict(set)
        for profile_id, language_id in rows_compiled_once(
            ("languages", tier),
            lambda _: StaffProfile.languages.through.objects.filter(
                staffprofile__tier=tier
            ).values_list("staffprofile_id", "language_id"),
            now,
        ):
            speaks[profile_id].add(language_id)
        languages = {pk: frozenset(spoken) for pk, spoken in speaks.items()}
        no_language: frozenset[int] = frozenset()
        cap, cap_new = (
            open_work_cap(tier, new_starter=False),
            open_work_cap(tier, new_starter=True),
        )
        # Only those with room: the rest cannot be chosen. The staff come given work
        # longest ago first: their place is their turn among the equally loaded.
        people = []
        for turn, (pk, user_id, new_starter) in enumerate(staff):
            load = loads.get(user_id, 0)
            most = cap_new if new_starter else cap
            if load < most:
                people.append(
                    _Person(turn, user_id, load, most, languages.get(pk, no_language))
                )
        room = sum(p.cap - p.load for p in people)
        if room == 0:
            return 0, False
        capacity = _Capacity(people)
        wanted = min(room, limit)
        # A few more than there is room for: an item that may not go back to the
        # only one with room for it (a supervisor took it from them, and someone else
        # on shift may do it) does not hold up the next.
        fetched = wanted + min(wanted, PASSED_BY_AT_MOST)
        kept = _Kept(staff, languages)
        alone = people[0].user_id if len(people) == 1 else None
        items = list(
            pool_claim(
                model,
                now,
                spoken=capacity.spoken,
                wanted=fetched,
                kept_from=alone if alone and kept.others(alone, None) else None,
                but_in=kept.only_they_speak(alone) if alone else (),
            )
        )
        pairs: list[tuple[int, int]] = []
        for pk, needs_interpreter, language, taken_from in items:
            if len(pairs) == wanted:
                break
            p = capacity.take(
                language if needs_interpreter else None,
                not_to=kept.from_whom(taken_from, needs_interpreter, language),
            )
            if p is not None:
                pairs.append((pk, p.user_id))
        assigned = _hand_out(model, pairs, now=now)
        # A full fetch with room left means the limit cut it short, or interpreter
        # items were fetched for speakers who filled up meanwhile: run again (not
        # when nothing could be given: the items left wait for someone else).
        more = (
            assigned > 0
            and capacity.free
            and (len(items) == fetched or len(items) > len(pairs))
        )
        return assigned, more


# How many items beyond a run's room it reads, at most, for those it may pass by.
PASSED_BY_AT_MOST = 50


def _hand_out(model: type[WorkItem], pairs: list[tuple[int, int]], *, now) -> int:
    """Give each item to its person and audit each move, in as few statements as the
    database allows.

    This is WorkItem.mark_assigned for many rows at once, with the audit row item_assign
    writes and the stamp of when each person was last given work, and conditional:
    only rows still waiting and unheld change, so a repeated or overlapping run
    changes nothing.

    `pairs` come in the order the run chose them. Each person's stamp keeps the place
    of their last item in it (`now` plus that many microseconds), so the next run's
    tie-break among the equally loaded goes on from where this one stopped. Before,
    everyone given work in a run had the same stamp, the tie fell back to the lowest
    id, and the same few were first in every run: five call handlers given batches
    of seven ended with 20/20/10/10/10 (tests/assignment/test_fair_turns.py).
    """
    if not pairs:
        return 0
    object_type = model._meta.label_lower
    if connection.vendor == "postgresql":
        table = model._meta.db_table
        audit = AuditEvent._meta.db_table
        staff = StaffProfile._meta.db_table
        with connection.cursor() as cursor:
            # One statement: the conditional update, an audit row for each row it
            # changed (those RETURNING gives back), and the holders' stamp, written by
            # the same statement. (The staff rows are this run's, locked.)
            cursor.execute(
                f"""
                WITH moved AS (
                    UPDATE {table} AS item
                       SET assignee_id = given.user_id,
                           assigned_at = %s,
                           taken_from_id = NULL,
                           status = CASE WHEN item.status = %s THEN %s
                                         ELSE item.status END
                      FROM unnest(%s::bigint[], %s::bigint[])
                           WITH ORDINALITY AS given(id, user_id, turn)
                     WHERE item.id = given.id
                       AND item.assignee_id IS NULL
                       AND item.status IN (%s, %s)
                 RETURNING item.id, item.person_id, item.assignee_id, given.turn
                ), stamped AS (
                    UPDATE {staff} AS staff
                       SET last_assigned_at =
                           %s::timestamptz + last.turn * interval '1 microsecond'
                      FROM (SELECT assignee_id, max(turn) AS turn
                              FROM moved GROUP BY assignee_id) AS last
                     WHERE staff.user_id = last.assignee_id
                )
                INSERT INTO {audit}
                       (at, user_id, action, person_id, object_type, object_id, detail)
                SELECT %s, NULL, %s, person_id, %s, id::text,
                       jsonb_build_object('from', NULL, 'to', assignee_id)
                  FROM moved
                """,
                [
                    now,
                    Status.NEW,
                    Status.ASSIGNED,
                    [pk for pk, _ in pairs],
                    [user_id for _, user_id in pairs],
                    Status.NEW,
                    Status.REACHED,
                    now,
                    now,
                    AuditEvent.Action.ASSIGN,
                    object_type,
                ],
            )
            return cursor.rowcount
    # Elsewhere (SQLite, the embedded default): row by row, still conditional.
    persons = dict(
        model.objects.filter(pk__in=[pk for pk, _ in pairs]).values_list(
            "pk", "person_id"
        )
    )
    events = []
    for pk, user_id in pairs:
        changed = model.objects.filter(
            pk=pk, assignee__isnull=True, status__in=[Status.NEW, Status.REACHED]
        ).update(
            assignee_id=user_id,
            assigned_at=now,
            taken_from_id=None,
            status=models.Case(
                models.When(status=Status.NEW, then=models.Value(Status.ASSIGNED)),
                default=models.F("status"),
            ),
        )
        if changed:
            events.append(
                AuditEvent(
                    at=now,
                    action=AuditEvent.Action.ASSIGN,
                    person_id=persons[pk],
                    object_type=object_type,
                    object_id=str(pk),
                    detail={"from": None, "to": user_id},
                )
            )
    stamps = {
        event.detail["to"]: _turn_stamp(now, turn)
        for turn, event in enumerate(events, start=1)
    }
    if stamps:
        StaffProfile.objects.filter(user_id__in=stamps).update(
            last_assigned_at=models.Case(
                *(
                    models.When(user_id=u, then=models.Value(at))
                    for u, at in stamps.items()
                ),
                default=models.F("last_assigned_at"),
            )
        )
    return audit_record_many(events)


def _turn_stamp(now: datetime, turn: int) -> datetime:
    """The stamp of someone whose last item was the run's `turn`-th: after `now` by
    that many microseconds, so the run's order survives to the next run."""
    return now + timedelta(microseconds=turn)


def assign_work(
    *, now: datetime | None = None, limit: int | None = None
) -> AssignmentReport:
    """One automatic assignment run over cases and contacts; at most `limit` items of
    each kind. `report.more` says another run would find more to do."""
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


# --- releasing stranded work --------------------------------------------------------

OFF_SHIFT = "The holder is no longer on shift."
DEACTIVATED = "The holder's account was deactivated."
OTHER_TIER = "The holder no longer works in this tier."
LAPSED_REGISTRATION = "The holder's registration is no longer current."


def _holder_standing(kind: str, now: datetime) -> tuple[dict[str, Any], Q]:
    """Whether each item's holder may still do it, as annotations on the item
    (`holder_active`, `holder_on_shift`, `holder_of_tier`), and the condition of the
    items whose holder may not.

    For a tier whose work needs a registration (tier 2), also a holder of the tier
    whose registration is no longer current (the rule eligible_staff applies).
    Their training is not a reason to take their work (a module newly required
    would take everyone's), nor their load or being a new starter.
    """
    tier = TIER_FOR[kind]
    holder = StaffProfile.objects.filter(user_id=OuterRef("assignee_id"))
    standing: dict[str, Any] = {
        "holder_active": models.F("assignee__is_active"),
        "holder_on_shift": Exists(
            # On a shift of the work's tier: one of another tier is not cover for
            # it (eligible_staff, the capacity rota).
            Shift.objects.on_now(now).filter(
                staff__user_id=OuterRef("assignee_id"), tier=tier
            )
        ),
        "holder_of_tier": Exists(holder.filter(tier=tier)),
    }
    stranded = (
        Q(holder_active=False) | Q(holder_on_shift=False) | Q(holder_of_tier=False)
    )
    if tier == Tier.CLINICAL:
        lapsed = holder.filter(tier=tier).exclude(registration_current(now))
        stranded |= Q(Exists(lapsed))
    return standing, stranded


def _release_reason(*, active: bool, on_shift: bool, of_tier: bool) -> str:
    """Why a released item's holder may no longer do it: the first reason that
    holds of deactivated, moved to another tier, off shift, registration. A move of
    tier ends the shifts of the old tier too (staff_profile_save): the move is the
    reason, not the shift it ended."""
    if not active:
        return DEACTIVATED
    if not of_tier:
        return OTHER_TIER
    if not on_shift:
        return OFF_SHIFT
    return LAPSED_REGISTRATION


def release_stranded_work(*, now: datetime | None = None) -> int:
    """Work held by someone who may no longer do it goes back to the pool, audited as
    item_release audits one, with the reason: off shift, deactivated, moved to another
    tier, or (cases) a registration no longer verified and in date. Run before an
    assignment run, which hands the work to someone who may do it.

    Conditional like assignment: a row another run is releasing is skipped, and a
    released row no longer matches, so running it twice releases nothing more.
    """
    now = now or timezone.now()
    released = 0
    for kind, model in MODEL_FOR.items():
        standing, stranded = _holder_standing(kind, now)
        with transaction.atomic():
            rows = list(
                model.objects.held()
                .annotate(**standing)
                .filter(stranded)
                .select_for_update(skip_locked=True, of=("self",))
                .values_list("pk", "person_id", "assignee_id", *standing)
            )
            if not rows:
                continue
            # WorkItem.mark_released for many rows: an assigned item waits again, a
            # reached case keeps its status and waits for someone to finish it.
            released += model.objects.filter(pk__in=[r[0] for r in rows]).update(
                assignee=None,
                status=models.Case(
                    models.When(status=Status.ASSIGNED, then=models.Value(Status.NEW)),
                    default=models.F("status"),
                ),
            )
            audit_record_many(
                AuditEvent(
                    at=now,
                    action=AuditEvent.Action.REASSIGN,
                    person_id=person_id,
                    object_type=model._meta.label_lower,
                    object_id=str(pk),
                    detail={
                        "from": holder,
                        "to": None,
                        "reason": _release_reason(
                            active=active, on_shift=on_shift, of_tier=of_tier
                        ),
                    },
                )
                for pk, person_id, holder, active, on_shift, of_tier in rows
            )
    if released:
        log.info("released %s items held by staff who may no longer do them", released)
    return released
