"""The queues: what each caseworker and call handler holds, what is due next, and
why a queue is empty.

One person is called once. A contact still to be reached whose person is a case
being worked (waiting, held or reached: CASE_WORKED) is the caseworker's to speak
to: no call to the contact is due while that case is open. The pool does not give
it out (work.assignment.assignable_pool), "Next item" does not open it, My work
does not show it due, and the sweep does not escalate it (work.escalation); its
attempts stay as they were. Once the case is completed, closed or with its local
team, the contact is worked as before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from staffing.access import active_profile_of
from staffing.models import Shift, StaffProfile, Tier
from staffing.selectors.members import (
    NEW_WORK_MARGIN,
    blocked_by,
    readiness_annotations,
    shift_ending_at,
    shift_ends_soon,
    when_said,
)

from .compiled import instances_compiled_once

# A call that fell due a moment ago is simply due; past this it is marked overdue, so
# the tag means "this has been waiting", not "this arrived".
OVERDUE_AFTER = timedelta(minutes=30)


# A case being worked by the national service: a caseworker calls its person.
CASE_WORKED = (Status.NEW, Status.ASSIGNED, Status.REACHED)

# The annotation on a contact queue: its person is a case being worked.
CALLED_AS_CASE = "called_as_case"


def called_as_case() -> Exists:
    """EXISTS a case being worked (CASE_WORKED) of the outer contact's person: the
    caseworker speaks to them, and the contact is held back from calls (the
    module's docstring). On the index of the cases' person."""
    return Exists(
        Case.objects.filter(person=OuterRef("person_id"), status__in=CASE_WORKED)
    )


def contact_called_as_case(contact: Contact) -> bool:
    """Whether this contact, still to be reached, is held back from calls because
    its person is a case being worked (one query)."""
    if not contact.is_unreached:
        return False
    return Case.objects.filter(
        person_id=contact.person_id, status__in=CASE_WORKED
    ).exists()


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
    """The items of `model` the user (by id) holds, due first (work_queue). A
    contact carries `called_as_case`: its person is a case being worked, and no
    call to it is due."""
    qs = model.objects.held().assigned_to(user_id).select_related("person")
    if model is Contact:
        qs = qs.annotate(**{CALLED_AS_CASE: called_as_case()})
    return qs.order_by(F("next_attempt_at").asc(nulls_last=True), "created_at", "pk")


def next_due_item(user, *, now: datetime):
    """The first item in the queue that is due now, or a reached case waiting to be
    finished (no call time set); None if nothing is due.

    An item not reached with no call time set, or past its deadline, is out of time
    (they refused, the number was wrong, the attempts are spent): it waits for the
    escalation sweep to take it to the local team, and is never opened to call again.
    A contact whose person is a case being worked is not due: the caseworker calls
    them.
    """
    queue = work_queue(user)
    if queue.model is Contact:
        queue = queue.filter(**{CALLED_AS_CASE: False})
    return queue.filter(
        Q(
            Q(escalate_due_at__isnull=True) | Q(escalate_due_at__gt=now),
            next_attempt_at__lte=now,
        )
        | Q(next_attempt_at__isnull=True, status=Status.REACHED)
    ).first()


def due_state(item, *, now: datetime) -> str:
    """ "overdue", "due" (now), "later", or "" when no call is scheduled or none
    is due to a contact whose person is a case being worked (`called_as_case`, as
    a contact queue carries it)."""
    if not item.is_unreached or item.next_attempt_at is None:
        return ""
    if getattr(item, CALLED_AS_CASE, False):
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
    # "no_queue", "off_shift", "not_ready", "shift_ending", "at_cap",
    # "kept_for_others", "nothing_waiting"
    code: str
    text: str


NO_STAFF_PROFILE_YET = (
    "Your account has no staff profile yet, so no work can be given to you. "
    "An administrator sets staff profiles up in the admin: ask one to set up yours "
    "(your supervisor can ask one for you)."
)
"""Said wherever a signed-in account without a profile looks for work (My work,
Next item, the home page): supervisors cannot create profiles, so it names who can."""


def empty_queue_reason(user, *, now: datetime, shift: Shift | None) -> EmptyQueueReason:
    """Why a queue is empty, in words the person can act on. What holds them up
    (training, registration) is said whether or not they are on shift: told only on
    arriving for a shift, a new starter learnt too late to put it right."""
    if work_model_for(user) is None:
        return EmptyQueueReason("no_queue", _why_no_queue(user))
    holdups = not_ready_for_work(user, now=now)
    if holdups:
        opening = (
            "You cannot be given work"
            if shift is not None
            else "You are not on shift now. Before you can be given work"
        )
        return EmptyQueueReason("not_ready", _holdups_said(opening, holdups))
    if shift is None:
        return EmptyQueueReason(
            "off_shift",
            "You are not on shift now, so no work is given to you. "
            "Work is handed out only to people on a booked shift.",
        )
    ending = _spell_ending_at(user, shift=shift, now=now)
    if ending is not None:
        return EmptyQueueReason("shift_ending", _shift_ending_said(ending, now=now))
    at_cap = _at_cap(user, now=now)
    if at_cap:
        return EmptyQueueReason("at_cap", at_cap)
    kept = _kept_for_others(user, now=now)
    if kept:
        return EmptyQueueReason("kept_for_others", kept)
    return EmptyQueueReason(
        "nothing_waiting",
        "Nothing is waiting for you: every item has been taken or none has come in. "
        "Try “Next item” again in a few minutes.",
    )


def _why_no_queue(user) -> str:
    """Why someone has no queue at all: no staff profile yet (which an administrator
    sets up), an administrator's account, or a role that works elsewhere. Said as
    a lasting fact only when it is one."""
    profile = active_profile_of(user)
    if profile is not None:
        if profile.tier == Tier.LOCAL:
            return (
                "Local public health teams have no call queue: your team's escalated "
                "cases and contacts are on the Local team dashboard."
            )
        return "Your role has no call queue: there is nothing for you to pull."
    if user.is_superuser:
        return (
            "Administrators have no call queue: work is handed out to caseworkers "
            "and call handlers on shift."
        )
    return NO_STAFF_PROFILE_YET


def _holdups_said(opening: str, holdups: list[Holdup]) -> str:
    """'<opening>: what; what. Who does what. Who does what.'"""
    what = "; ".join(holdup.what for holdup in holdups)
    return f"{opening}: {what}. " + " ".join(holdup.action for holdup in holdups)


def _spell_ending_at(user, *, shift: Shift, now: datetime) -> datetime | None:
    """When the person's spell of shifts ends, if within NEW_WORK_MARGIN of now:
    assignment gives them no new work then (eligible_staff). The spell ends no
    earlier than the shift under way, so one running on past the margin (most) needs
    no read; only one ending within it asks whether the next carries on."""
    if not shift_ends_soon(shift.ends_at, now):
        return None
    profile = active_profile_of(user)
    return None if profile is None else shift_ending_at(profile, now)


def _shift_ending_said(ending: datetime, *, now: datetime) -> str:
    """The end of the spell of shifts and why no new work comes before it, in the
    words a supervisor is given when a move to this person is refused."""
    minutes = int(NEW_WORK_MARGIN.total_seconds() // 60)
    return (
        f"Your shift ends at {when_said(ending, now)}, and no new work is given in "
        f"the last {minutes} minutes of a shift, so none will come to you before it "
        "ends."
    )


def _at_cap(user, *, now: datetime) -> str:
    """The words for someone holding as much open work as their cap allows (the
    cap assignment applies: StaffProfile.open_work_cap, lower for a new starter),
    counted as assignment counts it (every item held, called or not); "" when they
    have room. Contacts held back as cases count too: without this, the person was
    told nothing was waiting and to try again, while no new work could come."""
    profile = active_profile_of(user)
    model = work_model_for(user)
    if profile is None or model is None:
        return ""
    held, held_back = _held_counts(model, user.pk)
    cap = profile.open_work_cap
    if held < cap:
        return ""
    noun = model._meta.verbose_name if held == 1 else model._meta.verbose_name_plural
    as_new = " as a new starter" if profile.is_new_starter else ""
    said = [
        f"You hold {held} {noun}; you may hold at most {cap} at once{as_new}, so no "
        "new work can be given to you."
    ]
    if held_back:
        said.append(_held_back_at_cap(held_back, held=held))
    said.append(_pool_at_cap(model, now=now))
    return " ".join(said)


def _held_counts(model: type[Case] | type[Contact], user_id: int) -> tuple[int, int]:
    """How many items the person holds (model.objects.held(), as assignment counts
    loads) and how many of those are contacts held back as their person is a case
    being worked. One query."""
    held = model.objects.held().filter(assignee_id=user_id)
    if model is not Contact:
        return held.count(), 0
    counts = held.annotate(**{CALLED_AS_CASE: called_as_case()}).aggregate(
        held=Count("pk"), held_back=Count("pk", filter=Q(**{CALLED_AS_CASE: True}))
    )
    return counts["held"], counts["held_back"]


def _held_back_at_cap(held_back: int, *, held: int) -> str:
    """That the contacts held back as cases fill the cap though none can be called."""
    if held_back == held:
        return (
            f"All {held} are held back as cases: they cannot be called now, but they "
            "count towards that limit."
        )
    if held_back == 1:
        return (
            "1 of them is held back as a case: it cannot be called now, but it "
            "counts towards that limit."
        )
    return (
        f"{held_back} of them are held back as cases: they cannot be called now, "
        "but they count towards that limit."
    )


def _pool_at_cap(model: type[Case] | type[Contact], *, now: datetime) -> str:
    """Whether work waits for someone with room (the pool's head, as assignment
    reads it: one first-row read on the pool index), and what the person at their
    cap does about it: only their supervisor can move what they hold."""
    # Imported here, not above: work.assignment imports this module.
    from .assignment import pool_head  # noqa: PLC0415

    items = str(model._meta.verbose_name_plural)
    if pool_head(model, now).first() is not None:
        return (
            f"{items.capitalize()} are waiting to be called: ask your supervisor to "
            "move some of what you hold to a colleague, so that you can be given them."
        )
    return (
        f"No {items} are waiting to be called now. If some come in while you still "
        "hold this many, ask your supervisor to move some of what you hold to a "
        "colleague."
    )


def _kept_for_others(user, *, now: datetime) -> str:
    """The words for work due now that a supervisor took from this person and that
    waits for a colleague on shift (assignment does not give it back to them while
    someone else may do it: work.assignment.kept_from_holder); "" when there is none.
    Without them, the queue's reason said nothing was waiting while it was."""
    # Imported here, not above: work.assignment imports this module.
    from .assignment import assignable_pool, kept_from_holder  # noqa: PLC0415

    model = work_model_for(user)
    if model is None:
        return ""
    waiting = (
        assignable_pool(model, now)
        .filter(kept_from_holder(model, now), taken_from_id=user.pk)
        .count()
    )
    if not waiting:
        return ""
    if waiting == 1:
        items, them = (
            f"1 {model._meta.verbose_name} a supervisor took from you waits",
            "it",
        )
    else:
        items, them = (
            f"{waiting} {model._meta.verbose_name_plural} a supervisor took from you "
            "wait",
            "them",
        )
    return (
        f"No work is waiting for you now: {items} for a colleague on shift (work "
        "taken from you is not given back to you while someone else on shift may do "
        f"it). If you should have {them} back, ask your supervisor to give {them} to "
        "you; otherwise try “Next item” again in a few minutes for new work."
    )


@dataclass(frozen=True)
class Holdup:
    """One thing that stops this person being given work, and who puts it right."""

    # "training" (they record it themselves) or "registration" (their supervisor)
    code: str
    # What is wrong, addressed to them: "your registration is not verified".
    what: str
    # The act that puts it right, naming who does it: "Ask your supervisor to ...".
    action: str


def not_ready_for_work(user, *, now: datetime) -> list[Holdup]:
    """What passes this person over at assignment whether or not they are on shift
    (training not done, a registration not verified or out of date): the reasons a
    supervisor's board gives (staffing's blocked_by), but those about the shift,
    said to the person with who acts on each. One query."""
    member = (
        StaffProfile.objects.filter(user_id=user.pk)
        .annotate(**readiness_annotations(now))
        .first()
    )
    if member is None:
        return []
    holdups = (_holdup(reason) for reason in blocked_by(member, now))
    return [holdup for holdup in holdups if holdup is not None]


def _holdup(reason: str) -> Holdup | None:
    """A supervisor's words for a reason ("registration not verified") as said to
    the person, with what they or their supervisor does about it; None for the
    reasons about their shift, which the queue's reason says its own way."""
    if reason.startswith(("off shift", "shift ")):
        return None
    if reason.startswith("training due"):
        modules = reason.removeprefix("training due").strip()
        return Holdup(
            "training",
            f"your required training is not done {modules}",
            "Record your training yourself on your Training page.",
        )
    if reason == "registration not verified":
        return Holdup(
            "registration",
            "your registration is not verified",
            "Ask your supervisor to verify your registration.",
        )
    if reason.startswith("registration "):
        return Holdup(
            "registration",
            f"your {reason}",
            "Ask your supervisor to verify your renewed registration.",
        )
    return Holdup("other", reason, "Ask your supervisor about it.")
