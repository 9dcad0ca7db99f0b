"""The queues: what each caseworker and call handler holds, what is due next, and
why a queue is empty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Q, QuerySet

from cases.models import Case
from contacts.models import Contact
from staffing.access import active_profile_of
from staffing.models import Shift, Tier

from .compiled import instances_compiled_once

# A call that fell due a moment ago is simply due; past this it is marked overdue, so
# the tag means "this has been waiting", not "this arrived".
OVERDUE_AFTER = timedelta(minutes=30)


QUEUE_MODEL: dict[int, type[Case] | type[Contact]] = {
    Tier.CLINICAL: Case,
    Tier.CALL_HANDLER: Contact,
}


def work_model_for(user) -> type[Case] | type[Contact] | None:
    """Cases for tier 2, contacts for tier 3; None for anyone without a queue."""
    profile = active_profile_of(user)
    if profile is None:
        return None
    return QUEUE_MODEL.get(profile.tier)


def work_queue(user) -> QuerySet:
    """The items this person holds, due first; those with no time set come last.

    One query whatever its length: the person comes with each row.
    """
    model = work_model_for(user)
    if model is None:
        return Case.objects.none()
    return queue_of(model, user.pk)


def queue_of(model: type[Case] | type[Contact], user_id: int) -> QuerySet:
    """The items of `model` the user (by id) holds, due first (work_queue)."""
    qs = model.objects.held().assigned_to(user_id).select_related("person")
    return qs.order_by(F("next_attempt_at").asc(nulls_last=True), "created_at", "pk")


def next_due_item(user, *, now: datetime):
    """The first item in the queue that is due now (or has no time set: a reached case
    waiting to be finished); None if nothing is due."""
    return (
        work_queue(user)
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .first()
    )


def due_state(item, *, now: datetime) -> str:
    """ "overdue", "due" (now), "later", or "" when no call is scheduled."""
    if not item.is_unreached or item.next_attempt_at is None:
        return ""
    if item.next_attempt_at <= now - OVERDUE_AFTER:
        return "overdue"
    return "due" if item.next_attempt_at <= now else "later"


def with_due_state(items: list, *, now: datetime) -> list:
    for item in items:
        item.due_state = due_state(item, now=now)
    return items


def current_shift(user, *, now: datetime) -> Shift | None:
    """The person's booked shift under way at `now` (the one ending first), if any.
    Asked on every visit to My work: its query is composed once (work.compiled)."""
    profile = active_profile_of(user)
    if profile is None:
        return None
    shifts = instances_compiled_once(
        "current shift", Shift, _shift_under_way, now, staff_id=profile.pk
    )
    return shifts[0] if shifts else None


def _shift_under_way(now: datetime, staff_id: int) -> QuerySet:
    return Shift.objects.on_now(now).filter(staff_id=staff_id).order_by("ends_at")[:1]


@dataclass(frozen=True)
class EmptyQueueReason:
    code: str  # "no_queue", "off_shift", "nothing_waiting"
    text: str


def empty_queue_reason(user, *, now: datetime, shift: Shift | None) -> EmptyQueueReason:
    """Why a queue is empty, in words the person can act on."""
    if work_model_for(user) is None:
        return EmptyQueueReason(
            "no_queue", "Your role has no call queue: there is nothing for you to pull."
        )
    if shift is None:
        return EmptyQueueReason(
            "off_shift",
            "You are not on shift now, so no work is given to you. "
            "Work is handed out only to people on a booked shift.",
        )
    return EmptyQueueReason(
        "nothing_waiting",
        "Nothing is waiting for you: every item has been taken or none has come in. "
        "Try “Next item” again in a few minutes.",
    )
