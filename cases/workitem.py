"""What cases and contacts share: a piece of work that moves through one life cycle.

    new -> assigned -> reached -> completed
      \\        \\          (a case stays reached while its assessment is done)
       +--------+--> escalated -> closed          (local team)
                        \\-> new                 (sent back to the national queue)

    any of them -> withdrawn  (a positive result sent in error, withdrawn by the lab
                               or a clinician: the case, and the contacts only it
                               named; work.withdraw)

Every transition lives here, as a method that checks the current status, stamps its time
and saves only the fields it changed. What a transition should do (when the next call is
due, when an item is out of time) is decided by the rules of the work core
(`work.rules`) and handed in; the operations of the work core (`work/`) are the only
callers, and hold the row lock (see `locked()`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Self

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from .errors import IllegalTransition


class Status(models.TextChoices):
    NEW = "new", "Waiting"
    ASSIGNED = "assigned", "Assigned"
    REACHED = "reached", "Reached"
    COMPLETED = "completed", "Completed"
    ESCALATED = "escalated", "With local team"
    CLOSED = "closed", "Closed"
    # The positive result behind it was withdrawn (sent in error): a case, or a
    # contact only that case named. Never worked, counted or handed out again.
    WITHDRAWN = "withdrawn", "Withdrawn"


class Route(models.TextChoices):
    NATIONAL = "national", "National call centre"
    LOCAL = "local", "Local team"
    ONLINE = "online", "Online"


# How an item was reached, in words.
REACHED_BY = {
    Route.ONLINE: "online",
    Route.NATIONAL: "by phone",
    Route.LOCAL: "by a local team",
}

# Not reached yet, and still the national service's to reach.
UNREACHED = (Status.NEW, Status.ASSIGNED)

# A case whose work is done: completed by its caseworker, or closed, or its result
# withdrawn.
CASE_DONE = (Status.COMPLETED, Status.CLOSED, Status.WITHDRAWN)

# What a call may change of an item (mark_called, and the escalation or hand-over its
# outcome may bring), kept with each call as it found the item and as it left it
# (WorkItem.call_state): a call's outcome corrected puts back the first and asks that
# the item is still the second.
CALL_STATE = (
    "status",
    "assignee_id",
    "local_team_id",
    "attempts",
    "next_attempt_at",
    "escalate_due_at",
    "first_attempt_at",
    "last_attempt_at",
    "reached_at",
    "reached_route",
    "reached_tier",
)
_CALL_STATE_TIMES = frozenset(
    {
        "next_attempt_at",
        "escalate_due_at",
        "first_attempt_at",
        "last_attempt_at",
        "reached_at",
    }
)


class WorkItemQuerySet(models.QuerySet):
    def awaiting_assignment(self) -> Self:
        """The pool: not held by anyone and still to be worked by the national service.

        A reached case whose holder went off shift waits here too, to be finished.
        """
        return self.filter(self.model.pool_q())

    def held(self) -> Self:
        """Held by someone and still being worked: counts against their cap."""
        return self.filter(self.model.held_q())

    def assigned_to(self, user) -> Self:
        return self.filter(assignee=user)

    def open(self) -> Self:
        return self.filter(status__in=[Status.NEW, Status.ASSIGNED, Status.REACHED])

    def in_areas(self, areas) -> Self:
        return self.filter(area__in=areas)

    def due_for_escalation(self, now: datetime) -> Self:
        """Unreached items whose attempts are spent or whose hours are up."""
        return self.filter(status__in=UNREACHED, escalate_due_at__lte=now)


class WorkItem(models.Model):
    kind: str  # "case" or "contact": picks the call rule
    # A reached case is still worked (assessment, contacts) until completed; a reached
    # contact is done.
    worked_after_reach: bool

    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="%(class)ss"
    )
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.NEW, db_index=False
    )
    # The foreign keys below have no index of their own: each leads a composite index
    # of the concrete models (area: *_area_status, assignee: *_queue, local_team:
    # *_team_status), which serves a lookup by it alone as well.
    area = models.ForeignKey(
        "areas.Area",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # Set when the postcode matched no area: the item went to the fallback team.
    area_unknown = models.BooleanField(default=False)
    priority = models.SmallIntegerField(
        default=0, help_text="Higher is more urgent; ties go to the oldest."
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The holder a supervisor moved it away from, back to the pool (off sick, too
    # much work): the automatic assignment does not hand it straight back to them
    # while someone else on shift may take it (with nobody else, it does: due work
    # is not left uncalled). Cleared once someone holds it. An id only: no
    # constraint, no index.
    taken_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
        db_index=False,
    )
    local_team = models.ForeignKey(
        "areas.LocalTeam",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The local team holding the item, while escalated.",
        db_index=False,
    )
    isolation_ends_on = models.DateField(editable=False)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Call attempts in the current round."
    )
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    escalate_due_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    assigned_at = models.DateTimeField(null=True, blank=True)
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    reached_at = models.DateTimeField(null=True, blank=True)
    reached_route = models.CharField(max_length=10, choices=Route.choices, blank=True)
    # The staffing tier of whoever made the reaching call (the national route only),
    # stamped when the call is recorded: the weekly figures split the national route
    # by it without looking up each item's first reaching call.
    reached_tier = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Each kind declares its own manager; this one types the shared queue reads.
    objects = WorkItemQuerySet.as_manager()

    class Meta:
        abstract = True

    # --- reading -------------------------------------------------------------------
    @classmethod
    def held_statuses(cls) -> tuple[str, ...]:
        """Statuses in which a holder is still working the item (counts to their cap)."""
        if cls.worked_after_reach:
            return (Status.ASSIGNED, Status.REACHED)
        return (Status.ASSIGNED,)

    @classmethod
    def held_q(cls) -> models.Q:
        return models.Q(assignee__isnull=False, status__in=cls.held_statuses())

    @classmethod
    def pool_q(cls) -> models.Q:
        """Not held by anyone and still to be worked by the national service.

        A reached case whose holder went off shift waits here too, to be finished.
        """
        pool = models.Q(status=Status.NEW)
        if cls.worked_after_reach:
            pool |= models.Q(status=Status.REACHED, assignee__isnull=True)
        return pool

    @property
    def is_workable(self) -> bool:
        """Still with the national service: it may be held, called and handed on."""
        if self.status == Status.REACHED:
            return self.worked_after_reach
        return self.status in UNREACHED

    @property
    def reached_how(self) -> str:
        """How it was reached, in words ("online", "by phone", "by a local team")."""
        return REACHED_BY.get(self.reached_route, "by phone")

    @property
    def may_go_back_national(self) -> bool:
        """Sent back by its local team, the national service would still have work on
        it: not reached yet, or a case reached and waiting to be finished. A contact
        already reached, or a case completed (a concern raised on it afterwards), has
        no national queue to go back to: sent back, it would be reopened."""
        if self.completed_at is not None:
            return False
        return self.reached_at is None or self.worked_after_reach

    @property
    def is_unreached(self) -> bool:
        return self.status in UNREACHED

    @property
    def is_overdue(self) -> bool:
        return (
            self.next_attempt_at is not None
            and self.is_unreached
            and self.next_attempt_at < timezone.now()
        )

    def locked(self) -> Self:
        """This item's row, locked until the surrounding transaction ends."""
        assert transaction.get_connection().in_atomic_block, "lock inside atomic()"
        return type(self).objects.select_for_update().get(pk=self.pk)

    def call_state(self) -> dict[str, Any]:
        """What a call may change of the item (CALL_STATE), as JSON: times in UTC, so
        the same moment is the same text however it was read."""
        state: dict[str, Any] = {}
        for name in CALL_STATE:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.astimezone(UTC).isoformat()
            state[name] = value
        return state

    def _refuse(self, action: str) -> IllegalTransition:
        return IllegalTransition(
            f"This {self.kind} is {self.get_status_display().lower()}: "
            f"it cannot be {action}."
        )

    def _save(self, *fields: str) -> None:
        self.save(update_fields=list(fields))

    # --- transitions ---------------------------------------------------------------
    def mark_arrived(
        self,
        *,
        now: datetime,
        escalate_due_at: datetime,
        first_call_at: datetime | None = None,
    ) -> None:
        """On arrival (before the first save): the first call is due now, or at
        `first_call_at` (the calling hours' next opening, for an arrival at night)."""
        self.next_attempt_at = first_call_at or now
        self.escalate_due_at = escalate_due_at

    def mark_assigned(self, *, to, now: datetime) -> None:
        if not self.is_workable:
            raise self._refuse("assigned")
        self.assignee = to
        self.assigned_at = now
        self.taken_from_id = None
        if self.status == Status.NEW:
            self.status = Status.ASSIGNED
        self._save("assignee", "assigned_at", "status", "taken_from")

    def mark_released(self, *, taken_from_holder: bool = False) -> None:
        """Back to the pool (shift ended, reassigned to nobody, interpreter needed).
        `taken_from_holder`: a supervisor took it from its holder, to whom the
        automatic assignment then does not give it back while someone else on shift
        may take it (work.assignment.kept_from_holder)."""
        if not self.is_workable:
            raise self._refuse("returned to the pool")
        if taken_from_holder:
            self.taken_from_id = self.assignee_id
        self.assignee = None
        if self.status == Status.ASSIGNED:
            self.status = Status.NEW
        self._save("assignee", "status", "taken_from")

    def mark_called(
        self,
        *,
        now: datetime,
        reached: bool = False,
        back_to_pool: bool = False,
        next_attempt_at: datetime | None = None,
        escalate_due_at: datetime | None = None,
        caller_tier: int | None = None,
        counts_attempt: bool = True,
    ) -> None:
        """Apply one call: reached, or the next attempt and deadline the rules set.
        `caller_tier`: the staffing tier of the caller, kept when this call reaches.
        `counts_attempt` False: the call does not use up an attempt (handed on for an
        interpreter)."""
        if not self.is_workable:
            raise self._refuse("called")
        self.first_attempt_at = self.first_attempt_at or now
        self.last_attempt_at = now
        fields = ["first_attempt_at", "last_attempt_at"]
        if self.status == Status.REACHED:
            self._save(*fields)  # a follow-up call on a case already reached
            return
        if counts_attempt:
            self.attempts += 1
        fields += ["attempts", "next_attempt_at", "escalate_due_at"]
        if reached:
            self.status = Status.REACHED
            self.reached_at = now
            self.reached_route = Route.NATIONAL
            self.reached_tier = caller_tier
            self.next_attempt_at = None
            self.escalate_due_at = None
            fields += ["status", "reached_at", "reached_route", "reached_tier"]
        else:
            self.next_attempt_at = next_attempt_at
            self.escalate_due_at = escalate_due_at
        if back_to_pool:
            self.assignee = None
            if self.status == Status.ASSIGNED:
                self.status = Status.NEW
            fields += ["assignee", "status"]
        self._save(*dict.fromkeys(fields))

    def mark_call_undone(self, *, before: dict[str, Any]) -> None:
        """Put the item back as a call found it (`before`, its call_state then): its
        outcome was logged by mistake, and the corrected one is applied next, by the
        call rules (work.calls.call_correct). Only while the item is still as that
        call left it, which the operation has checked."""
        for name in CALL_STATE:
            value = before[name]
            if name in _CALL_STATE_TIMES and value is not None:
                value = datetime.fromisoformat(value)
            setattr(self, name, value)
        self._save(*(name.removesuffix("_id") for name in CALL_STATE))

    def mark_waiting_online(self, *, until: datetime) -> None:
        """Told by message with a link: no call is due before `until` (the pool
        holds it back till then: a case entering their contacts, a contact
        confirming). Unreached and unheld only."""
        if self.status != Status.NEW or self.assignee_id is not None:
            raise self._refuse("sent a link")
        self.next_attempt_at = until
        self._save("next_attempt_at")

    def end_wait_online(self, *, now: datetime, due_at: datetime | None = None) -> bool:
        """The link they were sent never reached them (its message failed): no
        answer online is coming, so the call held back for one is due now, or at
        `due_at` (the calling hours' next opening, for a failure at night), never
        later than the wait it ends. Only while it is held back, unreached and
        unheld; whether it changed."""
        if (
            self.status != Status.NEW
            or self.assignee_id is not None
            or self.next_attempt_at is None
            or self.next_attempt_at <= now
        ):
            return False
        self.next_attempt_at = min(due_at or now, self.next_attempt_at)
        self._save("next_attempt_at")
        return True

    def note_reached_online(self, *, now: datetime) -> None:
        """They answered online: reached by the online route (kept if they were
        reached before), no call due, no deadline. The status is the caller's."""
        if self.reached_at is None:
            self.reached_at = now
            self.reached_route = Route.ONLINE
        self.next_attempt_at = None
        self.escalate_due_at = None
        self._save("reached_at", "reached_route", "next_attempt_at", "escalate_due_at")

    def mark_reached_online(self, *, now: datetime, more_to_hear: bool = False) -> None:
        """Reached by the online route. A case someone holds, or one reached by phone
        already (waiting to be finished), stays reached for a caseworker to finish
        (the assessment); so does one with `more_to_hear` than the online route took
        (people past its limit, whom they were asked to ring about). A case nobody
        has worked yet, and a contact, are done with."""
        if not self.is_workable:
            raise self._refuse("answered online")
        reached_before = self.status == Status.REACHED
        self.note_reached_online(now=now)
        if self.worked_after_reach and (
            self.assignee_id is not None or reached_before or more_to_hear
        ):
            self.status = Status.REACHED
            self._save("status")
        elif self.worked_after_reach:
            self.status = Status.COMPLETED
            self.completed_at = now
            self._save("status", "completed_at")
        else:
            self.status = Status.REACHED
            self._save("status")

    def mark_reopened_online(self) -> None:
        """A case completed by its own answer online (nobody held it) whose person
        then sent more people than the online route takes, and was asked to ring
        about them: reached again, unheld (the pool), for a caseworker to hear them
        out and finish it; its reaching kept. Only such a case."""
        if not (
            self.worked_after_reach
            and self.status == Status.COMPLETED
            and self.assignee_id is None
            and self.reached_route == Route.ONLINE
        ):
            raise self._refuse("reopened")
        self.status = Status.REACHED
        self.completed_at = None
        self._save("status", "completed_at")

    def mark_completed(self, *, now: datetime) -> None:
        if self.status != Status.REACHED:
            raise self._refuse("completed")
        self.status = Status.COMPLETED
        self.completed_at = now
        self._save("status", "completed_at")

    @property
    def is_done_with(self) -> bool:
        """Reached and no longer the national service's to work (a contact reached,
        anything completed): a safeguarding concern may still be raised on it."""
        return (
            self.status in (Status.REACHED, Status.COMPLETED) and not self.is_workable
        )

    @property
    def tracing_over(self) -> bool:
        """Completed (a case its caseworker finished, or one its own answer online
        finished): a concern raised on it afterwards goes to the local team as an
        escalation alone, and it stays completed (mark_escalated)."""
        return self.status == Status.COMPLETED

    def mark_escalated(self, *, team, now: datetime, concern: bool = False) -> None:
        """To its local team. A `concern` heard from someone reached goes there from
        an item done with too: a safeguarding concern (reached online while the
        caller was on the phone, say), or help to stay at home asked on the call
        that reached them (work.escalation.FROM_SOMEONE_REACHED).

        A concern on an item whose tracing is over (`tracing_over`) leaves it as it
        is: completed, its holder and times kept, no local team holding it. Only the
        concern, an escalation of its own, is the team's to work: the item does not
        reopen (in the figures, a queue, or for contacts to be added to it)."""
        if not (self.is_workable or (concern and self.is_done_with)):
            raise self._refuse("escalated")
        if concern and self.tracing_over:
            return
        self.status = Status.ESCALATED
        self.local_team = team
        self.assignee = None
        self.escalated_at = now
        self.next_attempt_at = None
        self.escalate_due_at = None
        self._save(
            "status",
            "local_team",
            "assignee",
            "escalated_at",
            "next_attempt_at",
            "escalate_due_at",
        )

    def mark_closed(self, *, reached: bool, now: datetime) -> None:
        if self.status != Status.ESCALATED:
            raise self._refuse("closed")
        self.status = Status.CLOSED
        self.closed_at = now
        fields = ["status", "closed_at"]
        if reached and self.reached_at is None:
            self.reached_at = now
            self.reached_route = Route.LOCAL
            fields += ["reached_at", "reached_route"]
        self._save(*fields)

    def mark_returned(
        self,
        *,
        now: datetime,
        escalate_due_at: datetime,
        first_call_at: datetime | None = None,
    ) -> None:
        """The local team found a new way to reach them: a fresh national round.
        Only while the national service still has work on it (`may_go_back_national`):
        a completed case is never made reached again."""
        if self.status != Status.ESCALATED or not self.may_go_back_national:
            raise self._refuse("sent back")
        self.status = Status.NEW if self.reached_at is None else Status.REACHED
        self.local_team = None
        self.assignee = None
        self.attempts = 0
        if self.reached_at is None:
            self.mark_arrived(
                now=now, escalate_due_at=escalate_due_at, first_call_at=first_call_at
            )
        self._save(
            "status",
            "local_team",
            "assignee",
            "attempts",
            "next_attempt_at",
            "escalate_due_at",
        )

    def mark_withdrawn(self, *, now: datetime, **also: Any) -> None:
        """The positive result behind it was withdrawn (work.withdraw): from any state
        but withdrawn, it leaves every queue for good: nobody holds it, no call or
        deadline is due, no local team has it. Its times up to now are kept (what
        happened, happened); `closed_at` says when it ended. `also`: more fields
        saved with it (a case's who, when and why, which its constraint asks for in
        the same row)."""
        if self.status == Status.WITHDRAWN:
            raise self._refuse("withdrawn")
        for name, value in also.items():
            setattr(self, name, value)
        self.status = Status.WITHDRAWN
        self.assignee = None
        self.local_team = None
        self.next_attempt_at = None
        self.escalate_due_at = None
        self.closed_at = now
        self._save(
            "status",
            "assignee",
            "local_team",
            "next_attempt_at",
            "escalate_due_at",
            "closed_at",
            *also,
        )
