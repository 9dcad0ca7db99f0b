"""Logging a call: the one operation behind the case page, the contact page and the API.

The caller is the person who made the call: the signed-in member of staff, or the
member of staff an integration names, and they must be someone who may work the item.
The outcome is applied by the call rules, and what it asks of the service follows in
the same transaction: the isolation advice for a contact reached while their isolation
lasts (a text queued once per contact, sent by notify/ after commit), a safeguarding
concern escalated at once and the caller's supervisors emailed once that is committed
(and, still not picked up at its due time, the team's supervisors and the caller's
emailed by the beat: safeguarding_overdue_email_send), help to stay at home a contact
reached asked for passed to their local team (as the online route passes it on), a
new starter's call queued for review.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from calls.models import (
    CORRECTABLE_FOR,
    CORRECTED_FROM,
    CORRECTED_TO,
    CORRECTION_REASON_MAX,
    CallAttempt,
    Outcome,
)
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import Status, WorkItem
from clock.written import short_time_today
from contacts.models import Contact
from escalations.models import Escalation
from notify.services import SUPERSEDED, message_standing, messages_withdraw
from online.models import OnlineLink
from online.texts import long_date, say
from people.models import Language, Message, Person
from people.phone_field import Phone, phone_from
from rows.lease import lease_outlasting, sent_under_claim, unclaimed
from rows.retry import atomic_operation
from staffing.access import profile_of
from staffing.selectors.members import (
    local_team_active_members,
    local_team_emails,
    local_team_supervisor_emails,
    supervisor_emails,
)
from staffing.services import call_review_queue_if_new_starter
from work.said import and_joined

from .access.actor import Actor
from .access.items import may_work_item
from .assignment import lock_target
from .casework import contact_told_as_case
from .effects import SAFEGUARDING_EMAIL, assignment_run_after_commit, task_after_commit
from .errors import WorkRefused
from .escalation import ALERT_NOT_NEEDED, item_escalate
from .online import (
    SUPPORT_KINDS,
    online_link_message_failed,
    person_told,
    support_detail,
)
from .rules import (
    AfterCall,
    after_call,
    call_problems,
    has_number_to_call,
    isolation_over,
)

# The words a call, or a correction of its outcome, is refused in, at every door:
# the call pages' forms and the API's serializers say these too.
OUTCOME_MISSING = "Choose the outcome of the call."
CORRECTED_OUTCOME_MISSING = "Choose the outcome the call had."
CORRECTION_REASON_MISSING = (
    "Say why the outcome is corrected (such as “Logged on the wrong contact”)."
)
CORRECTION_REASON_TOO_LONG = (
    f"Keep the reason to {CORRECTION_REASON_MAX} characters or fewer."
)


@dataclass
class CallLogged:
    """What logging a call did, for the page or the API to tell the caller."""

    call: CallAttempt
    escalation: Escalation | None = None  # after a safeguarding concern
    # A safeguarding concern: the supervisors of the caller's team are being emailed
    # about it (False: none of them has an email address, and nobody is).
    supervisors_told: bool = False
    message: Message | None = None  # the isolation advice queued for a reached contact
    repeated: bool = False  # the same submission sent again: the call logged before
    # The help to stay at home a contact reached asked for (SUPPORT_KINDS), passed
    # to their local team: `escalation` is then that request.
    support: list[str] = field(default_factory=list)

    @property
    def escalated_to(self) -> str:
        return self.escalation.local_team.name if self.escalation else ""


def isolation_advice_text(item: WorkItem, language: str = "en") -> str:
    """The isolation advice a contact reached is sent, in their language."""
    return say(
        "isolation_advice",
        language,
        until=long_date(item.isolation_ends_on, language),
    )


def advised_when_reached(item: WorkItem, *, now: datetime) -> bool:
    """Whether reaching the item at `now` sends them the isolation advice: a contact
    whose isolation is not over. Once it is over there is no day left to stay at
    home until: nothing is sent, as the online route sends nothing to a contact
    answering after their time at home (pages/online), and the call handler is told
    so (pages/desk/calls.call_logged_text)."""
    return isinstance(item, Contact) and not isolation_over(
        item.isolation_ends_on, today=timezone.localdate(now)
    )


def advised_by_phone(item: WorkItem, *, now: datetime) -> bool:
    """Whether a call reaching the item at `now` (logged "Reached", or corrected
    to it) queues the isolation advice: advised_when_reached, and not a contact
    whose own case is isolating now (contact_told_as_case), told to stay at home,
    and until when, by their positive test: one person, told once, as the link
    (contact_add) and the local team's close (work.escalation) already do. Such a
    call is still logged reached."""
    return (
        advised_when_reached(item, now=now)
        and isinstance(item, Contact)
        and contact_told_as_case(item, now=now) is None
    )


class SubmissionReused(IllegalTransition):
    """A submission (a form, an API request's Idempotency-Key) already logged a call
    on this item, and is sent again for a different call: nothing is logged."""


def call_on_file(item: WorkItem, submission: uuid.UUID) -> bool:
    """Whether a call is already logged on this item from `submission`."""
    return CallAttempt.objects.filter(
        **{item.kind: item}, submission=submission
    ).exists()


def logged_already(
    item: WorkItem,
    *,
    caller,
    submission: uuid.UUID,
    outcome: str | None = None,
    call_back_at: datetime | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    language: str = "",
    support: Iterable[str] = (),
) -> CallLogged | None:
    """The call already logged on this item from `submission`, as its logging told
    it (its escalation, its text), or None. Given the call sent now (`outcome`
    and the rest), raises SubmissionReused when the call on file, as it was logged
    (before any correction of its outcome), differs from it (another caller,
    outcome, call-back time, duration or notes, help to stay at home passed on or
    not, or other help, or, for "needs an interpreter", a language said that is
    not the one their record now holds): the same
    submission is the same call, or it is a mistake. A language no caller
    speaks is refused as it is the first time (ValidationError)."""
    call = CallAttempt.objects.filter(
        **{item.kind: item}, submission=submission
    ).first()
    if call is None:
        return None
    support = support_asked(support)
    asked = support_escalation_of(call)
    if outcome is not None and (
        call.caller_id != caller.pk
        or call.outcome_logged != outcome
        or _another_call_back(call, outcome=outcome, call_back_at=call_back_at)
        or call.duration_seconds != duration_seconds
        or call.notes != notes
        or _another_language(item, outcome=outcome, language=language)
        or _other_support(asked, support=support, notes=notes)
    ):
        raise SubmissionReused(
            "This call was sent before with different details (caller, outcome, "
            "call-back time, duration, notes, help asked for or language), and the "
            "first one is the one logged: nothing more was logged. Reload the page "
            "to log another call."
        )
    logged = CallLogged(call=call, repeated=True)
    if asked is not None:
        logged.escalation, logged.support = asked, support
    if call.outcome == Outcome.SAFEGUARDING:
        logged.escalation = (
            Escalation.objects.filter(**{item.kind: item})
            .select_related("local_team")
            .order_by("-created_at")
            .first()
        )
        # The call on file does not keep whom its logging emailed: told if the
        # caller's team has supervisors to email (an alert that has gone may have
        # gone to the local team alone). One rule for the page and the API, so the
        # same call sent again is told the same.
        logged.supervisors_told = bool(supervisor_emails(call.caller))
    if call.outcome == Outcome.REACHED and isinstance(item, Contact):
        logged.message = advice_of(item)
    return logged


def _other_support(asked: Escalation | None, *, support: list[str], notes: str) -> bool:
    """Whether a call sent again asks the local team for other help than the call
    on file did (`asked`: its request, if it made one), or for help it did not ask
    for, or none where it did."""
    if asked is None:
        return bool(support)
    return asked.detail != support_detail(support, notes, on_a_call=True) or not support


def _another_call_back(
    call: CallAttempt, *, outcome: str, call_back_at: datetime | None
) -> bool:
    """Whether a call sent again asks for another call-back time than the call on
    file. A call back corrected since to another outcome keeps no time (call_correct
    clears it, as the corrected outcome books no call): its own call sent again is
    still the call logged, whatever time it asks for."""
    if call.corrected_from == Outcome.CALL_BACK:
        return False
    return call.call_back_at != (call_back_at if outcome == Outcome.CALL_BACK else None)


def _language_needed(item: WorkItem, *, outcome: str, language: str) -> Language | None:
    """The language a call "needs an interpreter" says they speak (a code, such as
    "ur", or a name, such as "Urdu"), when their record has none: without it the
    item could go to anyone, the caller who handed it on first of all. None when
    not needed (another outcome, a language on their record and none said)."""
    if outcome != Outcome.NEEDS_INTERPRETER:
        return None
    said = language.strip()
    if not said:
        if item.person.language_id is None:
            raise ValidationError(
                {
                    "language": "Say which language they speak, so a colleague "
                    "who speaks it is given them."
                }
            )
        return None
    found = Language.objects.filter(Q(code__iexact=said) | Q(name__iexact=said)).first()
    if found is None:
        raise ValidationError(
            {
                "language": f"We have no callers' language called “{said}”: give "
                "its name (such as Urdu) or its code (ur)."
            }
        )
    return found


def _another_language(item: WorkItem, *, outcome: str, language: str) -> bool:
    """Whether a call "needs an interpreter" sent again says a language other than
    the one the first sending left on their record (nothing said: the same)."""
    if outcome != Outcome.NEEDS_INTERPRETER or not language.strip():
        return False
    said = _language_needed(item, outcome=outcome, language=language)
    return said is not None and said.pk != item.person.language_id


def _who(user) -> str:
    return user.get_full_name() or user.get_username()


def _tier_of(caller) -> int | None:
    """The caller's staffing tier (None for someone with no staff profile)."""
    profile = profile_of(caller)
    return profile.tier if profile is not None else None


# --- help to stay at home asked on a call ---------------------------------------------

SUPPORT_OFFERED = "money (the Test and Trace support payment), food or medicine"
SUPPORT_NOT_REACHED = (
    "Help to stay at home is passed on only from a call that reached them: choose "
    "“Reached”, or untick the help."
)
# Cases are left out: a case reached by phone is being interviewed, and escalated at
# once it would go to the local team mid-interview.
SUPPORT_NOT_ON_CASES = (
    "Help to stay at home is passed on from a contact's call only, not a case's."
)


def support_asked(kinds: Iterable[str]) -> list[str]:
    """The kinds of help asked for (SUPPORT_KINDS), once each, in their order; an
    unknown kind is support_problem's to refuse."""
    chosen = set(kinds)
    return [kind for kind in SUPPORT_KINDS if kind in chosen]


def support_said(kinds: Iterable[str]) -> str:
    """The help asked for, as the caller is told it: "food and medicine"."""
    return and_joined(SUPPORT_KINDS[kind] for kind in support_asked(kinds))


def support_problem(
    kinds: Iterable[str],
    *,
    outcome: str,
    kind: str = "contact",
    isolation_ends_on: date | None = None,
    now: datetime | None = None,
) -> str:
    """Why the help to stay at home a call says was asked for cannot be passed on to
    the local team, in words ("" when it can, or none was asked for): the same
    words on the call form, in the API and from the operation. Only from a call
    that reached a contact (`kind`) whose time to stay at home is not over (given
    `isolation_ends_on`)."""
    kinds = list(kinds)
    if not kinds:
        return ""
    for asked in kinds:
        if asked not in SUPPORT_KINDS:
            return (
                f"“{asked}” is not help we pass on. Choose the help they asked for: "
                f"{SUPPORT_OFFERED}."
            )
    if kind != "contact":
        return SUPPORT_NOT_ON_CASES
    if outcome != Outcome.REACHED:
        return SUPPORT_NOT_REACHED
    if isolation_ends_on is not None and isolation_over(
        isolation_ends_on, today=timezone.localdate(now or timezone.now())
    ):
        return (
            f"Their time to stay at home ended on {long_date(isolation_ends_on)}: "
            "there is no help to stay at home to pass on."
        )
    return ""


def support_escalation_of(call: CallAttempt) -> Escalation | None:
    """The request for help to stay at home this call passed to the local team
    (call_record), if it did: made with the call, by its caller, at its time."""
    if call.contact_id is None:
        return None
    return (
        Escalation.objects.filter(
            contact_id=call.contact_id,
            reason=Escalation.Reason.SUPPORT,
            created_by_id=call.caller_id,
            created_at=call.started_at,
        )
        .select_related("local_team")
        .first()
    )


def support_call_refusal(call: CallAttempt) -> str:
    """Why a call that passed help to stay at home to the local team is not
    corrected, in words; "" for any other call. Its "Reached" is what the request
    rests on: undone, the team would be helping someone the service says it never
    reached, and the request would stand."""
    escalation = support_escalation_of(call)
    if escalation is None:
        return ""
    team = escalation.local_team.name
    return (
        f"This call asked {team} to help them stay at home: its outcome is not "
        f"corrected, as the request went to the team with it. Ask {team}, or your "
        "supervisor, what to do now."
    )


@atomic_operation
def call_record(
    *,
    item: WorkItem,
    caller,
    outcome: str,
    call_back_at: datetime | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    by=None,
    now: datetime | None = None,
    submission: uuid.UUID | None = None,
    language: str = "",
    support: Iterable[str] = (),
) -> CallLogged:
    """Log one call and apply its outcome to the case or contact.

    `caller` made the call and must be allowed to work the item (PermissionDenied
    otherwise); `by` is who recorded it when that is someone else (an integration),
    for the audit trail. Raises IllegalTransition when the item's status allows no
    call, or for a call back with no time ahead.

    `submission` names the form or request the call was sent by: sent again (a
    double click, a retry after a timeout), it is the call already logged, returned
    as it was and nothing done twice (two attempts counted sent the item to its
    local team early). It is so even once the rules would refuse it (a call-back
    time since passed): the call on file is found before the rules are asked.

    A "Wrong number" keeps the number rung on their record as not theirs: no
    message about them goes to it, those on their way to it are withdrawn, and the
    links texted to it stop working (number_logged_wrong).

    `support`: the help to stay at home (SUPPORT_KINDS) a contact reached asked
    for. They are reached as any contact reached (their advice queued), then
    escalated to their local team for it, with the call's notes, by the caller, in
    the same transaction, though reached they are done with (WorkItem.
    mark_escalated). Refused on the field "support" (ValidationError, nothing
    saved) as support_problem says: only a contact, only "Reached".
    """
    now = now or timezone.now()
    support = list(support)
    locked = item.locked()
    # After the item's lock: a second sending waits for the first to be committed.
    # Before the rules: a retry is the call logged, even once its call-back time
    # has passed.
    if submission is not None and (
        repeated := logged_already(
            locked,
            caller=caller,
            submission=submission,
            outcome=outcome,
            call_back_at=call_back_at,
            duration_seconds=duration_seconds,
            notes=notes,
            language=language,
            support=support,
        )
    ):
        # As the first sending left it (escalated, back to the pool), for the
        # caller's answer: a sending that waited for the first read the item before.
        item.refresh_from_db()
        return repeated
    problems = call_problems(
        outcome=outcome,
        call_back_at=call_back_at,
        notes=notes,
        duration_seconds=duration_seconds,
        now=now,
        # A case's as a contact's: neither is called back after their isolation,
        # nor their local team held off long by a call back.
        isolation_ends_on=locked.isolation_ends_on,
        escalate_due_at=locked.escalate_due_at,
        number_to_call=has_number_to_call(locked.person),
    )
    if problem := support_problem(
        support,
        outcome=outcome,
        kind=locked.kind,
        isolation_ends_on=locked.isolation_ends_on,
        now=now,
    ):
        problems["support"] = problem
    if problems:
        raise ValidationError(problems)
    support = support_asked(support)
    if not may_work_item(caller, locked):
        raise PermissionDenied(
            f"{_who(caller)} may not work this {locked.kind}: calls are logged by the "
            "person holding it, or a supervisor."
        )
    spoken = _language_needed(locked, outcome=outcome, language=language)
    before = locked.call_state()
    plan = _outcome_applied(
        locked,
        outcome=outcome,
        caller=caller,
        now=now,
        call_back_at=call_back_at,
        support=bool(support),
    )
    person = locked.person
    call = CallAttempt.objects.create(
        **{locked.kind: locked},
        submission=submission,
        caller=caller,
        phone=str(person.phone or ""),
        started_at=now,
        duration_seconds=duration_seconds,
        outcome=outcome,
        call_back_at=call_back_at if outcome == Outcome.CALL_BACK else None,
        notes=notes,
        item_before=before,
        item_after=locked.call_state(),
    )
    audit_record(
        user=by or caller,
        action=AuditEvent.Action.CALL,
        obj=locked,
        detail={
            "call": call.pk,
            "outcome": outcome,
            "caller": caller.pk,
            **({"support": support} if support else {}),
        },
        at=now,
    )
    call_review_queue_if_new_starter(call=call)
    if outcome == Outcome.WRONG_NUMBER:
        number_logged_wrong(person, call.phone, now=now)
    logged = CallLogged(call=call)
    if outcome == Outcome.NEEDS_INTERPRETER:
        fields = []
        if spoken is not None:
            person.language = spoken
            fields.append("language")
        if not person.needs_interpreter:
            person.needs_interpreter = True
            fields.append("needs_interpreter")
        if fields:
            person.save(update_fields=[*fields, "updated_at"])
    if plan.back_to_pool:
        assignment_run_after_commit()  # for a colleague who speaks their language
    if outcome == Outcome.SAFEGUARDING:
        if isinstance(locked, Case):
            locked.safeguarding_flag = True
            locked.safeguarding_note = notes
            locked.save(update_fields=["safeguarding_flag", "safeguarding_note"])
        logged.escalation = item_escalate(
            item=locked,
            reason=Escalation.Reason.SAFEGUARDING,
            detail=notes,
            by=caller,
            now=now,
        )
        logged.supervisors_told = bool(supervisor_emails(caller))
        if logged.supervisors_told or local_team_emails(
            logged.escalation.local_team_id
        ):
            task_after_commit(
                SAFEGUARDING_EMAIL,
                escalation_id=logged.escalation.pk,
                caller_id=caller.pk,
            )
    if outcome == Outcome.REACHED and advised_by_phone(locked, now=now):
        logged.message = advice_queued(locked)
    if support:
        # Reached, and done with: help asked on the call goes to the local team as
        # a concern heard on it does (cases.workitem: mark_escalated).
        logged.escalation = item_escalate(
            item=locked,
            reason=Escalation.Reason.SUPPORT,
            detail=support_detail(support, notes, on_a_call=True),
            by=caller,
            now=now,
        )
        logged.support = support
    item.refresh_from_db()
    return logged


def _outcome_applied(
    item: WorkItem,
    *,
    outcome: str,
    caller,
    now: datetime,
    call_back_at: datetime | None = None,
    support: bool = False,
) -> AfterCall:
    """The call rules' plan for a call with this outcome at `now`, applied to the
    (locked) item: a call logged, or a call's outcome corrected (call_correct),
    which applies the corrected outcome as if it had been logged at the call's
    time. Raises IllegalTransition for a call back with no time ahead. `support`:
    the call asked for help to stay at home (call_record)."""
    plan = after_call(
        kind=item.kind,
        outcome=outcome,
        attempts_before=item.attempts,
        escalate_due_at=item.escalate_due_at,
        now=now,
        call_back_at=call_back_at,
    )
    # A concern heard on a call to someone reached meanwhile (they answered online
    # while on the phone) or before is not a call attempt, but is never refused: it
    # goes to the local team (call_record). So does help to stay at home they ask
    # for on it: their reach stands as it was.
    heard_from_someone_reached = item.is_done_with and (
        outcome == Outcome.SAFEGUARDING or (outcome == Outcome.REACHED and support)
    )
    if not heard_from_someone_reached:
        item.mark_called(
            now=now,
            reached=plan.reached,
            back_to_pool=plan.back_to_pool,
            next_attempt_at=plan.next_attempt_at,
            escalate_due_at=plan.escalate_due_at,
            caller_tier=_tier_of(caller) if plan.reached else None,
            counts_attempt=plan.counts_attempt,
        )
    return plan


# --- a number logged wrong -------------------------------------------------------------


def number_logged_wrong(person: Person, number: str, *, now: datetime) -> None:
    """A call to `number` (their phone, as the call rang it) was logged "Wrong
    number": a stranger answered. Their record keeps it (Person.wrong_numbers), so
    no message about them is addressed to it while it is their phone
    (work.online.reachable_by_message); a new phone given later is texted. Their row
    is locked first: two calls logged on two items of theirs at once both stay.

    What was already on its way to the stranger is stopped too: their texts to it
    not yet sent (a new date held up by a provider's outage) never go
    (_texts_to_stranger_withdrawn), and a link of theirs texted to it no longer
    works (_links_to_stranger_revoked): whoever holds it could otherwise answer
    for them and have them counted reached."""
    if not number:
        return  # no number on their record: nothing was rung
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if number not in locked.wrong_numbers:
        locked.wrong_numbers = [*locked.wrong_numbers, number]
        locked.save(update_fields=["wrong_numbers", "updated_at"])
    person.wrong_numbers = locked.wrong_numbers
    texted_as = _as_texted(number)
    _texts_to_stranger_withdrawn(person, texted_as)
    _links_to_stranger_revoked(person, texted_as, now=now)


# Why a text to a number logged wrong is not sent (on its row, read on the staff
# pages beside the message).
TEXT_TO_WRONG_NUMBER = (
    "Not sent: a call to this number was logged as a wrong number (someone else "
    "answered)"
)


def _as_texted(number: str) -> str:
    """The number rung (as the call recorded it) as a text to it is addressed: in
    international format (reachable_by_message)."""
    phone = phone_from(number)
    if isinstance(phone, Phone) and phone.is_valid():
        return str(phone.as_e164)
    return number


def _texts_to_stranger_withdrawn(person: Person, texted_as: str) -> None:
    """Their texts to the stranger's number not yet sent never are: withdrawn by
    notify (messages_withdraw), which leaves one the provider is being asked to
    send recorded as sent if it takes it (it went), and never tried again if not."""
    messages_withdraw(
        Message.objects.filter(
            person=person, channel=Message.Channel.SMS, to=texted_as
        ),
        reason=TEXT_TO_WRONG_NUMBER,
    )


def _links_to_stranger_revoked(
    person: Person, texted_as: str, *, now: datetime
) -> None:
    """Their links whose text went (or was to go) to the stranger's number stop
    working, used or not (a case's used link goes on taking more people named:
    the stranger could name more, each texted to isolate): the link page then
    refuses the stranger as it refuses any link replaced. No answer online can come
    for the items whose link was not used, so a call held back for one is due now,
    as when a link's text fails (online_link_message_failed; not for the item just
    called: its next call is the call rules')."""
    # Locked as an answer on the page locks its link (the link row only): an answer
    # either came first or finds it revoked.
    live = list(
        OnlineLink.objects.select_for_update(of=("self",))
        .filter(
            person=person,
            revoked_at__isnull=True,
            message__channel=Message.Channel.SMS,
            message__to=texted_as,
        )
        .values_list("pk", "message_id", "submitted_at")
    )
    OnlineLink.objects.filter(pk__in=[link for link, _, _ in live]).update(
        revoked_at=now
    )
    for _, text, submitted_at in live:
        if submitted_at is None:
            online_link_message_failed(message_id=text, now=now)


def _wrong_number_still_logged(person: Person, number: str) -> bool:
    """Whether a call to `number` on any of their cases or contacts is still logged
    "Wrong number" (not corrected away). One query per kind of item: an OR of the
    two joins would read the whole table."""
    calls = CallAttempt.objects.filter(phone=number, outcome=Outcome.WRONG_NUMBER)
    return (
        calls.filter(contact__person=person).exists()
        or calls.filter(case__person=person).exists()
    )


def number_wrong_taken_back(person: Person, number: str) -> None:
    """A call's "Wrong number" was corrected to another outcome (logged on the
    wrong item, say): the number is theirs again, and texted as before, unless
    another call to it is still logged "Wrong number". Nothing withdrawn, nor any
    link revoked, when it was logged is sent again (number_logged_wrong): it may
    give a date since changed; their next message, or their local team, reaches
    them."""
    if not number or _wrong_number_still_logged(person, number):
        return
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if number in locked.wrong_numbers:
        locked.wrong_numbers = [n for n in locked.wrong_numbers if n != number]
        locked.save(update_fields=["wrong_numbers", "updated_at"])
    person.wrong_numbers = locked.wrong_numbers


def advice_key(item: WorkItem) -> str:
    """The event of the isolation advice a contact reached is sent: one per contact
    (a second "reached" call is told the first text), and a new one after each
    "Reached" corrected away (its text withdrawn, or gone), so reaching them in
    earnest later sends the advice again."""
    base = f"isolation_advice:contact:{item.pk}"
    undone = CallAttempt.objects.filter(
        **{item.kind: item}, corrected_from=Outcome.REACHED
    ).count()
    return f"{base}:{undone}" if undone else base


def advice_queued(item: WorkItem) -> Message | None:
    """Queue the isolation advice of a contact reached (advice_key: once); the
    advice standing for it (advice_of) when it was queued before."""
    message = person_told(
        item,
        key=advice_key(item),
        body_of=lambda language: isolation_advice_text(item, language),
    )
    return message_standing(message) if message is not None else None


def advice_of(item: WorkItem, *, lock: bool = False) -> Message | None:
    """The isolation advice queued for this contact's reaching, if any, as it
    stands: sent again to their new number or email (their details corrected,
    their records merged) while it waited, the message sent again, not the one it
    replaced (notify.services.message_standing). `lock`: read FOR UPDATE."""
    message = Message.objects.filter(key=advice_key(item)).first()
    if message is None:
        return None
    return message_standing(message, lock=lock)


# --- correcting a call's outcome -----------------------------------------------------


class CorrectionRefused(IllegalTransition):
    """The call's outcome may not be corrected now: why, in words."""


@dataclass
class CallCorrected:
    """What correcting a call's outcome did, for the page or the API to tell."""

    call: CallAttempt
    # The isolation advice of a "Reached" corrected away: withdrawn before it went,
    # or gone already (the person has it: tell them it does not apply).
    advice_withdrawn: Message | None = None
    advice_gone: Message | None = None
    message: Message | None = None  # the advice queued for a correction to "Reached"
    repeated: bool = False  # the same submission sent again: the correction made
    # Why the item went back to the pool rather than to the holder the call left it
    # with (over their cap, off shift): "" when they hold it still, or nobody did.
    to_pool: str = ""

    @property
    def reaching_changed(self) -> bool:
        """Whether the correction changed whether the item counts as reached (the
        weekly figures count it by the week it arrived, a week perhaps settled)."""
        return Outcome.REACHED in (self.call.corrected_from, self.call.outcome)


def _not_theirs(call: CallAttempt, by) -> str | None:
    """Why `by` may not correct this call's outcome, whatever its state; None when
    they may: the member of staff who made the call, or a supervisor of a national
    team of the caller's tier (an administrator too). An integration does not:
    its person says what the call was."""
    actor = Actor.of(by)
    if actor.client:
        return (
            "A call's outcome is corrected by the member of staff who made the call, "
            "or a supervisor of their tier, signed in: not by an integration."
        )
    if actor.profile is not None and by.pk == call.caller_id:
        return None
    if actor.is_admin or (
        actor.is_national_supervisor and actor.tier == _tier_of(call.caller)
    ):
        return None
    return (
        f"Only {_who(call.caller)}, who made the call, or a supervisor of their tier "
        "may correct its outcome."
    )


# How an item moved on since a call, in words, by the status it has now.
_MOVED_ON: dict[str, str] = {
    Status.ESCALATED: "gone to its local team",
    Status.CLOSED: "been closed",
    Status.COMPLETED: "been completed",
}


def _changed_since(item: WorkItem, after: dict) -> str:
    """How the item has moved on since the call left it as `after`, in words."""
    now = item.call_state()
    if item.status in _MOVED_ON and now["status"] != after["status"]:
        return f"it has {_MOVED_ON[item.status]}"
    if now["reached_at"] != after["reached_at"] or (
        now["reached_route"] != after["reached_route"]
    ):
        return f"it has been reached {item.reached_how}"
    if now["assignee_id"] != after["assignee_id"]:
        if item.assignee_id is None:
            return "it has gone back to the pool"
        return "it has been given to someone else"
    if now["status"] != after["status"]:
        return f"it has become “{item.get_status_display().lower()}”"
    return "its next call or its deadline has been changed"


# Why a call with these outcomes is not corrected: its effect went beyond the item.
_NOT_CORRECTED: dict[str, str] = {
    Outcome.SAFEGUARDING: "the concern has gone to the local team",
    Outcome.NEEDS_INTERPRETER: "they have been handed on for an interpreter",
}


def correction_refusal(call: CallAttempt, item: WorkItem, *, by, now: datetime) -> str:
    """Why this call's outcome may not be corrected by `by` now, in words; "" when
    it may. `item` is the call's, as read now (locked, by the operation).

    Only the item's last call, within CORRECTABLE_FOR of it, and only while nothing
    has happened to the item since that rests on it: it is still as the call left it
    (not escalated, completed or closed, reached by no other route, not handed to
    anyone else), and nothing more has been recorded on it (an assessment, an
    answer online)."""
    if (refusal := _not_theirs(call, by)) is not None:
        return refusal
    if call.corrected_from:
        at = short_time_today(call.corrected_at or now, now)
        return (
            "Its outcome was corrected already, from "
            f"“{call.get_corrected_from_display()}” to "
            f"“{call.get_outcome_display()}”, at {at}."
        )
    if call.outcome not in CORRECTED_FROM:
        why = _NOT_CORRECTED.get(call.outcome, "")
        return (
            f"A call logged as “{call.get_outcome_display()}” is not corrected: {why}."
        )
    if refusal := support_call_refusal(call):
        return refusal
    if call.item_before is None or call.item_after is None:
        return (
            "This call was logged before the service kept what a call changed, so its "
            "outcome cannot be corrected."
        )
    if now >= call.correctable_until:
        hours = int(CORRECTABLE_FOR.total_seconds() // 3600)
        return (
            f"A call's outcome may be corrected for {hours} hours after the call: "
            f"this one until {short_time_today(call.correctable_until, now)}. Ask "
            "their local team, or your supervisor, what to do now."
        )
    later = CallAttempt.objects.filter(**{item.kind: item}).filter(
        Q(started_at__gt=call.started_at)
        | Q(started_at=call.started_at, pk__gt=call.pk)
    )
    if later.exists():
        return (
            f"A later call to this {item.kind} is logged: only the outcome of the "
            "last call may be corrected."
        )
    if item.call_state() != call.item_after:
        return (
            f"Since the call, {_changed_since(item, call.item_after)}: what was done "
            "rests on the outcome logged, so it cannot be corrected now."
        )
    recorded = (
        AuditEvent.objects.filter(
            object_type=item._meta.label_lower,
            object_id=str(item.pk),
            at__gt=call.started_at,
        )
        .exclude(action=AuditEvent.Action.VIEW)
        .first()
    )
    if recorded is not None:
        return (
            f"Since the call, more has been recorded on this {item.kind} "
            f"({recorded.get_action_display().lower()} at "
            f"{short_time_today(recorded.at, now)}): it rests on the outcome logged, "
            "so it cannot be corrected now."
        )
    return ""


def _number_to_call_once_corrected(call: CallAttempt, person: Person) -> bool:
    """Whether their record has a number to call once `call` is corrected: a
    "Wrong number" corrected away gives the number it rang back to them
    (number_wrong_taken_back), so it is not held against the correction, as it is
    against a new call (work.rules.has_number_to_call)."""
    if has_number_to_call(person):
        return True
    if call.outcome != Outcome.WRONG_NUMBER or not call.phone:
        return False
    given_back = [n for n in person.wrong_numbers or [] if n != call.phone]
    return has_number_to_call(
        SimpleNamespace(
            phone=person.phone, phone_alt=person.phone_alt, wrong_numbers=given_back
        )
    )


def _correction_problems(
    call: CallAttempt, item: WorkItem, *, outcome: str, reason: str
) -> dict[str, str]:
    """What is wrong with a correction as entered, field by field."""
    problems: dict[str, str] = {}
    if outcome not in CORRECTED_TO:
        offered = ", ".join(f"“{Outcome(o).label}”" for o in CORRECTED_TO)
        problems["outcome"] = f"Choose what the call was: one of {offered}."
    elif outcome == call.outcome:
        problems["outcome"] = (
            f"“{call.get_outcome_display()}” is the outcome logged: choose the one "
            "the call had."
        )
    else:
        problems.update(
            call_problems(
                outcome=outcome,
                call_back_at=None,
                notes=call.notes,
                duration_seconds=call.duration_seconds,
                now=call.started_at,
                number_to_call=_number_to_call_once_corrected(call, item.person),
            )
        )
    if not reason.strip():
        problems["reason"] = CORRECTION_REASON_MISSING
    elif len(reason) > CORRECTION_REASON_MAX:
        problems["reason"] = CORRECTION_REASON_TOO_LONG
    return problems


def corrected_already(
    call: CallAttempt, *, submission: uuid.UUID, outcome: str, reason: str, by
) -> CallCorrected | None:
    """The correction made from `submission`, as made, or None. Raises
    SubmissionReused when it differs from the one sent now (another call, outcome,
    reason or person)."""
    done = CallAttempt.objects.filter(correction_submission=submission).first()
    if done is None:
        return None
    if (
        done.pk != call.pk
        or done.outcome != outcome
        or done.correction_reason != reason
        or done.corrected_by_id != by.pk
    ):
        raise SubmissionReused(
            "This correction was sent before with different details (call, outcome "
            "or reason), and the first one is the one made: nothing more was done."
        )
    corrected = CallCorrected(call=done, repeated=True)
    item = done.item
    told = _correction_audited(done, item)
    corrected.to_pool = told.get("to_pool", "")
    if done.corrected_from == Outcome.REACHED and isinstance(item, Contact):
        # The advice of the reaching corrected away: the key it was queued under.
        base = f"isolation_advice:contact:{item.pk}"
        undone = CallAttempt.objects.filter(
            contact=item,
            corrected_from=Outcome.REACHED,
            corrected_at__lt=done.corrected_at,
        ).count()
        advice = Message.objects.filter(
            key=f"{base}:{undone}" if undone else base
        ).first()
        # As the correction took it back: sent again in its place, the copy.
        advice = message_standing(advice) if advice is not None else None
        # As the correction found it (its audit says), not as it is now: a text
        # withdrawn while it was being sent may be "superseded" now, and have gone.
        found = told.get("advice_found", advice.status if advice else "")
        if advice is not None and found in (Message.Status.QUEUED, SUPERSEDED):
            corrected.advice_withdrawn = advice
        elif advice is not None and found in ADVICE_GONE:
            corrected.advice_gone = advice
    if done.outcome == Outcome.REACHED and isinstance(item, Contact):
        corrected.message = advice_of(item)
    return corrected


def _correction_audited(call: CallAttempt, item: WorkItem) -> dict[str, Any]:
    """What the audit trail says the correction of this call did (its detail)."""
    if call.corrected_at is None:
        return {}
    event = AuditEvent.objects.filter(
        object_type=item._meta.label_lower,
        object_id=str(item.pk),
        action=AuditEvent.Action.UPDATE,
        at=call.corrected_at,
        detail__call=call.pk,
    ).first()
    return event.detail if event is not None else {}


# An advice text in these states has reached their phone or inbox, or may have: one
# "sending" is in the provider's hands, and goes if the provider takes it.
ADVICE_GONE = (Message.Status.SENDING, Message.Status.SENT, Message.Status.DELIVERED)
# Why the advice text of a "Reached" corrected away is not sent (on its row): one
# still queued never goes; one being sent may have gone, but is not tried again.
ADVICE_WITHDRAWN = "the call that reached them was corrected: they were not reached"
ADVICE_WITHDRAWN_SENDING = (
    "the call that reached them was corrected while this was being sent: it may "
    "have gone, and is not tried again"
)


def _advice_taken_back(item: Contact, corrected: CallCorrected) -> None:
    """The isolation advice text of the "Reached" corrected away, and what became of
    it, told in `corrected`. One still queued is withdrawn: it never goes. One the
    provider is being asked to send may have gone: told as one gone (the caller
    tells them it does not apply), and withdrawn too, so that a provider who cannot
    take it now does not send it on a retry (notify.services.messages_withdraw;
    taken, it is recorded sent). One sent or delivered stays as it is."""
    # Locked: the sending task moves it from queued to sending holding this lock, so
    # the status read here is the one it goes on from (one withdrawn is not sent).
    # The advice as it stands: sent again to a new address, that one is withdrawn.
    advice = advice_of(item, lock=True)
    if advice is None:
        return
    found = advice.status
    if found in (Message.Status.QUEUED, Message.Status.SENDING):
        messages_withdraw(
            Message.objects.filter(pk=advice.pk),
            reason=(
                ADVICE_WITHDRAWN
                if found == Message.Status.QUEUED
                else ADVICE_WITHDRAWN_SENDING
            ),
        )
    if found == Message.Status.QUEUED:
        advice.refresh_from_db()
        corrected.advice_withdrawn = advice
    elif found in ADVICE_GONE:
        corrected.advice_gone = advice  # as found: "sending", for one being sent


def _holds(state: dict[str, Any] | None, model: type[WorkItem]) -> int | None:
    """Whose open work an item in this state (WorkItem.call_state) counts as, to
    their cap: its holder while it is in a held status; None for nobody's."""
    if state is not None and state["status"] in model.held_statuses():
        return state["assignee_id"]
    return None


def _holder_refusal(item: WorkItem, *, now: datetime) -> str:
    """Why the holder a correction gives the item back to may not hold it now, in
    words; "" when they may. The rules of an assignment (work.assignment, as
    item_assign applies them): active, of the item's tier, on shift now, trained (a
    caseworker registered), and within their open-work cap, counted with this item.
    Their staff row is locked as assignment locks it: an assignment run does not
    fill their last slot meanwhile."""
    model = type(item)
    try:
        profile = lock_target(to=item.assignee, model=model, now=now)
    except WorkRefused as exc:
        return str(exc)
    others = model.objects.held().filter(assignee_id=profile.user_id).count() - 1
    cap = profile.open_work_cap
    if others < cap:
        return ""
    kinds = model._meta.verbose_name if others == 1 else model._meta.verbose_name_plural
    return (
        f"{_who(profile.user)} holds {others} other {kinds} and may hold at most "
        f"{cap}: this one would put them over their cap."
    )


def _holder_kept_or_pool(
    item: WorkItem, call: CallAttempt, corrected: CallCorrected, *, by, now: datetime
) -> None:
    """After the corrected outcome is applied: when it gives the item back to a
    holder whose open work the call had freed it from (a contact's "Reached"
    corrected away), they keep it only while they may hold it now; otherwise it
    goes back to the pool, audited as a release is, and an assignment run is asked
    for (`corrected.to_pool` says why)."""
    holder = _holds(item.call_state(), type(item))
    if holder is None or holder == _holds(call.item_after, type(item)):
        return  # nobody's, or theirs throughout: their load is as the call left it
    if not (why := _holder_refusal(item, now=now)):
        return
    item.mark_released()
    audit_record(
        user=by,
        action=AuditEvent.Action.REASSIGN,
        obj=item,
        detail={"from": holder, "to": None, "reason": why},
        at=now,
    )
    corrected.to_pool = why
    assignment_run_after_commit()


@atomic_operation
def call_correct(
    *,
    call: CallAttempt,
    outcome: str,
    reason: str,
    by,
    now: datetime | None = None,
    submission: uuid.UUID | None = None,
) -> CallCorrected:
    """Correct the outcome of the last call logged on a case or contact (the wrong
    contact's "Reached", a voicemail logged as "Reached"): the item becomes what it
    would have been had the corrected outcome been logged at the call's time (as it
    was before the call, then the corrected outcome applied by the call rules, as
    call_record applies one). The call keeps its record, marked corrected: from what
    to what, by whom, when and why; audited.

    A "Reached" corrected away withdraws the isolation advice text it queued if it
    is still queued; one gone, or being sent, may have reached them: the audit says
    so, and the caller is told (_advice_taken_back). A correction to "Reached"
    queues it. A contact the call had freed from its holder's open work (reached)
    and the correction gives back to them goes to the pool instead when they may
    not hold it now: over their cap, off shift (_holder_kept_or_pool). Refused
    (PermissionDenied) for anyone but the caller or a supervisor of their tier,
    and (CorrectionRefused) as correction_refusal says; ValidationError for an
    outcome not offered or no reason. The item's lock is taken first, as
    call_record does: a correction and a call (or two corrections) never both
    apply. `submission` sent again is the correction made, answered as it was
    (what became of the advice text and the holder, as its audit says), not made
    twice. A "Wrong number" corrected away makes the number rung theirs again (it
    is texted, unless another call to it is still logged so), though nothing
    withdrawn when it was logged is sent again (number_wrong_taken_back); a call
    corrected to "Wrong number" marks it as logging one does (number_logged_wrong).
    """
    now = now or timezone.now()
    item = call.item
    locked = item.locked()
    call = CallAttempt.objects.select_related("caller").get(pk=call.pk)
    if submission is not None and (
        repeated := corrected_already(
            call, submission=submission, outcome=outcome, reason=reason, by=by
        )
    ):
        item.refresh_from_db()
        return repeated
    if (refusal := _not_theirs(call, by)) is not None:
        raise PermissionDenied(refusal)
    if refusal := correction_refusal(call, locked, by=by, now=now):
        raise CorrectionRefused(refusal)
    if problems := _correction_problems(call, locked, outcome=outcome, reason=reason):
        raise ValidationError(problems)
    logged_as = call.outcome
    corrected = CallCorrected(call=call)
    if logged_as == Outcome.REACHED and isinstance(locked, Contact):
        # Read under the key it was queued by, before the call is marked corrected.
        _advice_taken_back(locked, corrected)
    locked.mark_call_undone(before=call.item_before)
    plan = _outcome_applied(
        locked, outcome=outcome, caller=call.caller, now=call.started_at
    )
    if plan.reached and not locked.worked_after_reach and locked.assignee_id:
        assignment_run_after_commit()  # the holder has a free slot
    # Before the call's own record of how it left the item is replaced.
    _holder_kept_or_pool(locked, call, corrected, by=by, now=now)
    call.corrected_from = logged_as
    call.outcome = outcome
    call.call_back_at = None  # the corrected outcome is never a call back
    call.corrected_at = now
    call.corrected_by = by
    call.correction_reason = reason
    call.correction_submission = submission
    call.item_after = locked.call_state()
    call.save(
        update_fields=[
            "corrected_from",
            "outcome",
            "call_back_at",
            "corrected_at",
            "corrected_by",
            "correction_reason",
            "correction_submission",
            "item_after",
        ]
    )
    detail: dict[str, object] = {
        "call": call.pk,
        "corrected": {"from": logged_as, "to": outcome},
        "reason": reason,
        "caller": call.caller_id,
    }
    if corrected.advice_withdrawn is not None:
        detail["advice"] = "withdrawn before it was sent"
        detail["advice_found"] = Message.Status.QUEUED
    elif (gone := corrected.advice_gone) is not None:
        detail["advice_found"] = gone.status
        detail["advice"] = (
            "being sent: it may have gone (not tried again if the provider refuses it)"
            if gone.status == Message.Status.SENDING
            else f"already sent ({gone.get_status_display().lower()}): not withdrawn"
        )
    if corrected.to_pool:
        detail["to_pool"] = corrected.to_pool
    audit_record(
        user=by, action=AuditEvent.Action.UPDATE, obj=locked, detail=detail, at=now
    )
    # After the call is saved corrected: it no longer counts as a wrong number.
    if outcome == Outcome.WRONG_NUMBER:
        number_logged_wrong(locked.person, call.phone, now=now)
    elif logged_as == Outcome.WRONG_NUMBER:
        number_wrong_taken_back(locked.person, call.phone)
    if outcome == Outcome.REACHED and advised_by_phone(locked, now=now):
        corrected.message = advice_queued(locked)
    item.refresh_from_db()
    return corrected


# A safeguarding alert still not sent this long after its escalation is sent by the
# beat's sweep (safeguarding_alerts_unsent): its own task's tries ran out while the
# mail server was down, or the task was never queued (the broker was down when the
# call was saved). Older escalations are left to the local team's queue. The window
# is the escalation's age: one whose area moved to another team (work.areas) has its
# new team's email queued by the move itself, and the sweep takes it up at once too
# (it is as old as the concern), any time within the week.
ALERT_LATE_AFTER = timedelta(minutes=2)
ALERT_SWEPT_FOR = timedelta(days=7)
ALERT_SWEEP_BATCH = 500
# The hard time limit (seconds) of both tasks that send an alert (work.tasks): no
# worker is still sending one after it.
ALERT_TASK_TIME_LIMIT = 150
# A worker sending an alert claims it for this long, and no other sends it meanwhile
# (rows/lease.py: a claim that runs out, for a worker lost mid-send).
ALERT_CLAIM_LEASE = lease_outlasting(ALERT_TASK_TIME_LIMIT)

log = logging.getLogger(__name__)

# The mail server refused this one alert's email for now (a 4xx to its recipients or
# to the mail): the mail server is there, and the sweep goes on to the next alert.
ALERT_PUT_OFF = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError)


@dataclass(frozen=True)
class _Stamps:
    """The fields on an escalation that record one of its safeguarding emails (the
    team's, the supervisors', the overdue one): when it went, the claim of the
    worker sending it, and why it will never go (the mail server refused it for
    good). Each email has its own, so one failing never sends another again."""

    sent: str
    claimed: str
    refused: str
    # The email is to the escalation's local team: stamped sent only while the
    # escalation is still that team's. An area moved to another team mid-send
    # (work.areas) leaves the new team's email still to send.
    to_the_team: bool = False

    def unsent(self) -> Q:
        """Neither sent nor refused for good: still to send."""
        return Q(**{f"{self.sent}__isnull": True, self.refused: ""})


_TEAM_STAMPS = _Stamps(
    "team_alert_sent_at",
    "team_alert_claimed_until",
    "team_alert_refused",
    to_the_team=True,
)
_SUPERVISOR_STAMPS = _Stamps("alert_sent_at", "alert_claimed_until", "alert_refused")
# Either email still to send: the condition of the partial index the sweep reads
# (escalations.models: escalation_alert_unsent), which says the same.
ALERT_UNSENT = Q(reason=Escalation.Reason.SAFEGUARDING) & (
    _SUPERVISOR_STAMPS.unsent() | _TEAM_STAMPS.unsent()
)


def safeguarding_alerts_unsent(now: datetime) -> list[tuple[int, int]]:
    """(escalation, caller) of the safeguarding escalations recorded by a member of
    staff with an email still to send (the team's or the supervisors'), newest
    first, from ALERT_LATE_AFTER to ALERT_SWEPT_FOR old (read on the partial index
    of exactly these), less those whose unsent emails a live worker's claim holds."""
    return list(
        Escalation.objects.filter(
            ALERT_UNSENT,
            (_SUPERVISOR_STAMPS.unsent() & unclaimed(_SUPERVISOR_STAMPS.claimed, now))
            | (_TEAM_STAMPS.unsent() & unclaimed(_TEAM_STAMPS.claimed, now)),
            created_by__isnull=False,
            created_at__gte=now - ALERT_SWEPT_FOR,
            created_at__lte=now - ALERT_LATE_AFTER,
        )
        # Newest first: alerts no one can be sent (no supervisor of the caller's
        # team, nor anyone at the local team, with an email) stay unsent, and must
        # not keep the newest from the batch.
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_by_id")[:ALERT_SWEEP_BATCH]
    )


@dataclass(frozen=True)
class _Alert:
    """One safeguarding email: to whom, and what it says."""

    to: list[str]
    subject: str
    body: str


def safeguarding_email_send(*, escalation_id: int, caller_id: int) -> list[str]:
    """Email a safeguarding escalation's local team that it is in their queue, then
    the supervisors of the caller's team where it went; returns the addresses this
    call emailed. Run by a task after the escalation is committed, and by the sweep.

    Each email is claimed for ALERT_CLAIM_LEASE before it goes, so no two workers
    send it, and stamped sent on its own once it has gone: a retry sends only the one
    not sent yet. The claim is given back at once when the mail server cannot be
    reached or puts the email off (for a retry), and lapses when the worker is lost
    mid-send (for the task redelivered or the sweep). An email the mail server
    refuses for good is recorded, and not tried again. The supervisors' waits for
    the team's, so that it says truly whether the team was told.

    The team's asks them to pick the concern up: for one they have picked up,
    closed or sent back meanwhile (its email held up while the mail server was
    down) it is not sent, and why is recorded in its place (TEAM_ALERT_NOT_NEEDED),
    so the sweep is done with it; the supervisors' then says where the concern
    stands."""
    escalation = (
        Escalation.objects.select_related("local_team", "created_by")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or escalation.created_by_id != caller_id:
        return []
    team = local_team_emails(escalation.local_team_id)
    supervisors = [
        email for email in supervisor_emails(escalation.created_by) if email not in team
    ]
    told: list[str] = []
    if escalation.status != Escalation.Status.NEW:
        _team_alert_not_needed(escalation)
    elif team:
        told += _alert_sent_once(
            escalation, _team_alert(escalation, to=team), _TEAM_STAMPS
        )
    if team or escalation.status != Escalation.Status.NEW:
        escalation.refresh_from_db(fields=["team_alert_sent_at", "team_alert_refused"])
        if escalation.team_alert_sent_at is None and not escalation.team_alert_refused:
            return told  # a live worker is sending it: the supervisors' after it
    if supervisors:
        supervisors_alert = _supervisor_alert(escalation, to=supervisors)
        told += _alert_sent_once(escalation, supervisors_alert, _SUPERVISOR_STAMPS)
    return told


def _alert_sent_once(
    escalation: Escalation, alert: _Alert, stamps: _Stamps
) -> list[str]:
    """Send one of the escalation's emails under its own claim, and stamp it sent,
    or refused for good (logged, and not tried again); the addresses it went to
    (none when it was sent already, is being sent, or was refused)."""
    unsent = Escalation.objects.filter(stamps.unsent(), pk=escalation.pk)
    if stamps.to_the_team:
        unsent = unsent.filter(local_team_id=escalation.local_team_id)
    refusals: list[str] = []

    def send() -> None:
        if refusal := _alert_sent_or_refused(escalation, alert, what="email"):
            refusals.append(refusal)

    def stamp() -> dict[str, Any]:
        if refusals:
            return {stamps.refused: refusals[0]}
        return {stamps.sent: timezone.now()}

    sent = sent_under_claim(
        unsent,
        field=stamps.claimed,
        lease=ALERT_CLAIM_LEASE,
        send=send,
        stamp=stamp,
    )
    return alert.to if sent and not refusals else []


# Why the team's email was not sent, in its place (team_alert_refused): the team had
# dealt with the concern before the email could go (held up while the mail server
# was down), and an email asking them to pick it up would send them to what they
# have done. Not a sent time, which would say an email went that did not. Given
# back to the queue, new again, it is taken back (work.escalation), and sent.
TEAM_ALERT_NOT_NEEDED = {
    "picked_up": f"{ALERT_NOT_NEEDED} picked it up before the email could go.",
    "closed": f"{ALERT_NOT_NEEDED} closed it before the email could go.",
    "sent_back": f"{ALERT_NOT_NEEDED} sent it back before the email could go.",
}


def _where_it_stands(escalation: Escalation) -> str:
    """ "new", "picked_up", "closed" or "sent_back" (closed as returned to the
    national queue)."""
    if escalation.outcome == Escalation.Outcome.RETURNED:
        return "sent_back"
    return str(escalation.status)


def _team_alert_not_needed(escalation: Escalation) -> None:
    """Record in place of the team's email why it is not needed (the escalation is
    no longer new), while it is still unsent, unclaimed (no live worker sending it)
    and as it was read."""
    Escalation.objects.filter(
        _TEAM_STAMPS.unsent(),
        unclaimed(_TEAM_STAMPS.claimed, timezone.now()),
        pk=escalation.pk,
        local_team_id=escalation.local_team_id,
        status=escalation.status,
        outcome=escalation.outcome,
    ).update(
        **{_TEAM_STAMPS.refused: TEAM_ALERT_NOT_NEEDED[_where_it_stands(escalation)]}
    )


def _due_by(escalation: Escalation) -> str:
    return short_time_today(escalation.due_at)


def _site_address(path: str) -> str:
    return f"{settings.TRACING_SITE_URL.rstrip('/')}{path}"


def _escalation_address(escalation: Escalation) -> str:
    """The escalation's page, where the team reads the concern once signed in."""
    return _site_address(reverse("escalations:detail", args=[escalation.pk]))


def _item_address(escalation: Escalation) -> str:
    """The page of the case or contact the concern was logged on, which a national
    supervisor may open: the concern is in its call history."""
    item = escalation.item
    return _site_address(reverse(f"{item.kind}s:detail", args=[item.pk]))


def _team_alert(escalation: Escalation, *, to: list[str]) -> _Alert:
    """The local team's: that a concern is waiting, by when, and the link to it. None
    of the concern itself, which an email is no place for: they read it on the page.
    Past its due time (its area given to this team after it, or this email held up)
    it says so: overdue, to be picked up now."""
    due = _due_by(escalation)
    if escalation.due_at <= timezone.now():
        subject = f"Safeguarding escalation in your queue, overdue: it was due by {due}"
        when = f". It was due by {due} and is overdue: pick it up now."
    else:
        subject = f"Safeguarding escalation in your queue, due by {due}"
        when = f", due by {due}."
    return _Alert(
        to=to,
        subject=subject,
        body=(
            "A safeguarding concern has been escalated to "
            f"{escalation.local_team.name}. It is in your team's queue{when}\n\n"
            "Sign in to read it and pick it up:\n"
            f"{_escalation_address(escalation)}\n\n"
            "What the caller noted is on that page, not in this email.\n"
        ),
    )


def _where_it_went(escalation: Escalation) -> str:
    """Where the concern stands, as the supervisors' email says it: waiting in the
    team's queue (and whether the team's email went: when it did not, someone at the
    team must be told some other way), or what the team has done with it already
    (its email held up meanwhile)."""
    team = escalation.local_team.name
    stands = _where_it_stands(escalation)
    if stands == "picked_up":
        return (
            f"It went to {team}, due by {_due_by(escalation)}, and the team has "
            "picked it up."
        )
    if stands == "sent_back":
        return f"It went to {team}, which has sent it back to the national queue."
    if stands == "closed":
        return (
            f"It went to {team}, which has closed it: "
            f"{escalation.get_outcome_display().lower()}."
        )
    gone = f"It has gone to {team}, due by {_due_by(escalation)}"
    if escalation.team_alert_sent_at is not None:
        if not local_team_active_members(escalation.local_team_id).exists():
            # Emailed at the team's own mailbox alone: nobody can sign in to act.
            return (
                f"{gone}. {team}'s mailbox has been emailed, but the team has no "
                "active member to pick it up: make sure someone there knows."
            )
        return f"{gone}. The team has been emailed that it is in their queue."
    if escalation.team_alert_refused.startswith(ALERT_NOT_NEEDED):
        # Picked up before its email could go, and new again since by a path that
        # kept the stamp (a release takes it back: work.escalation), or before
        # releases did.
        return f"{gone}, but the team was not emailed: make sure someone there knows."
    if escalation.team_alert_refused:
        return (
            f"{gone}, but the mail server refused the email to {team}: make sure "
            "someone there knows."
        )
    return (
        f"{gone}, but nobody at {team} can be emailed: make sure someone there knows."
    )


def _supervisor_alert(escalation: Escalation, *, to: list[str]) -> _Alert:
    """The caller's supervisors': which team has it and by when, whether the team was
    told (or what the team has done with it already), and the link to the case or
    contact page, which they may open (not the escalation's: a local team's page). None of the concern itself, as in the
    team's: an email is no place for it, and a copy in a mailbox is beyond the
    subject access export, retention and erasure, which reach it in the rows."""
    item = escalation.item
    return _Alert(
        to=to,
        subject=f"Safeguarding concern escalated to {escalation.local_team.name}",
        body=(
            f"{_who(escalation.created_by)} recorded a safeguarding concern on "
            f"{item.kind} {item.pk}. {_where_it_went(escalation)}\n\n"
            "Sign in to read what they noted, in the call history of the "
            f"{item.kind}'s page:\n{_item_address(escalation)}\n\n"
            "What they noted is on that page, not in this email.\n"
        ),
    )


# A safeguarding concern still new at its due time (nobody at the team has picked
# it up) is escalated further: its team's supervisors and the caller's are emailed,
# once, by the beat's sweep (work.tasks.safeguarding_overdue_sweep_task), on its own
# stamps. Concerns overdue longer than ALERT_SWEPT_FOR (before these emails were
# sent at all) are left to the queue and the administrator's home page.
_OVERDUE_STAMPS = _Stamps(
    "overdue_alert_sent_at",
    "overdue_alert_claimed_until",
    "overdue_alert_refused",
    to_the_team=True,
)
# Still new with its overdue email unsent: the condition of the partial index the
# sweep reads (escalations.models: escalation_overdue_unsent), which says the same.
OVERDUE_ALERT_UNSENT = (
    Q(reason=Escalation.Reason.SAFEGUARDING, status=Escalation.Status.NEW)
    & _OVERDUE_STAMPS.unsent()
)
OVERDUE_ALERT_NOBODY = (
    "Nobody to email: no supervisor at the local team, nor of the caller's team, "
    "has an email address."
)


def overdue_alert_moved(team_name: str) -> str:
    """Why the overdue email of a concern whose area was given to another team after
    its due time, the email unsent, will not go (work.areas): the new team never had
    that due time to miss, and the email giving it to them says it is overdue
    (_team_alert). An overdue email sent already stays sent: nobody is told again
    of the old team's lateness."""
    return (
        f"Not needed: moved to {team_name} after its due time; that team's email "
        "says it is overdue."
    )


def safeguarding_overdue_unsent(now: datetime) -> list[int]:
    """The safeguarding escalations still new at their due time, with their overdue
    email unsent and not being sent, longest overdue first, due within
    ALERT_SWEPT_FOR (read in order on the partial index of exactly these: the
    concerns waiting at their teams, whatever the table's size)."""
    return list(
        Escalation.objects.filter(
            OVERDUE_ALERT_UNSENT,
            unclaimed(_OVERDUE_STAMPS.claimed, now),
            due_at__lte=now,
            due_at__gte=now - ALERT_SWEPT_FOR,
        )
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)[:ALERT_SWEEP_BATCH]
    )


def safeguarding_overdue_email_send(*, escalation_id: int) -> list[str]:
    """Email that a safeguarding escalation still new at its due time has not been
    picked up: to its local team's supervisors and the supervisors of the caller's
    team, once; returns the addresses this call emailed. Run by the beat's sweep.

    Claimed and stamped as the concern's first emails are (safeguarding_email_send),
    on its own stamps. Once claimed, it goes only while the concern is still new:
    picked up, closed or sent back meanwhile, it does not, and why is recorded in
    its place (TEAM_ALERT_NOT_NEEDED); with nobody to email, that is recorded
    (OVERDUE_ALERT_NOBODY). Either way the sweep is done with it."""
    escalation = (
        Escalation.objects.select_related("local_team", "created_by")
        .filter(pk=escalation_id, reason=Escalation.Reason.SAFEGUARDING)
        .first()
    )
    if escalation is None or escalation.due_at > timezone.now():
        return []
    team = local_team_supervisor_emails(escalation.local_team_id)
    national = (
        [e for e in supervisor_emails(escalation.created_by) if e not in team]
        if escalation.created_by is not None
        else []
    )
    alert = _overdue_alert(escalation, team=team, national=national)
    unsent = Escalation.objects.filter(
        _OVERDUE_STAMPS.unsent(),
        pk=escalation.pk,
        local_team_id=escalation.local_team_id,
    )
    went: list[str] = []
    not_sent: list[str] = []

    def send() -> None:
        stands = (
            Escalation.objects.filter(pk=escalation.pk)
            .values_list("status", "outcome", "local_team_id")
            .first()
        )
        if stands is None:
            return  # erased meanwhile: nothing left to stamp
        escalation.status, escalation.outcome, now_at = stands
        if now_at != escalation.local_team_id:
            # Its area given to another team meanwhile: not this team's to miss,
            # and the move wrote in its place what the new team is told.
            return
        if escalation.status != Escalation.Status.NEW:
            not_sent.append(TEAM_ALERT_NOT_NEEDED[_where_it_stands(escalation)])
            return
        if not alert.to:
            log.warning(
                "safeguarding escalation %s is overdue at %s, and nobody can be "
                "emailed: no supervisor there, nor of the caller's team, has an "
                "email address",
                escalation.pk,
                escalation.local_team.name,
            )
            not_sent.append(OVERDUE_ALERT_NOBODY)
            return
        if refusal := _alert_sent_or_refused(escalation, alert, what="overdue email"):
            not_sent.append(refusal)
            return
        went.extend(alert.to)

    def stamp() -> dict[str, Any]:
        if not_sent:
            return {_OVERDUE_STAMPS.refused: not_sent[0]}
        return {_OVERDUE_STAMPS.sent: timezone.now()}

    sent_under_claim(
        unsent,
        field=_OVERDUE_STAMPS.claimed,
        lease=ALERT_CLAIM_LEASE,
        send=send,
        stamp=stamp,
    )
    return went


def _overdue_alert(
    escalation: Escalation, *, team: list[str], national: list[str]
) -> _Alert:
    """To the team's supervisors and the caller's: that the concern is still waiting
    past its due time, with the link each may open (the escalation's page for the
    team's, the case or contact page for the caller's, as their first email), and
    none of the concern itself, as in the first emails."""
    name = escalation.local_team.name
    due = _due_by(escalation)
    body = [
        f"A safeguarding concern has not been picked up at {name}. It was due at "
        f"{due}, and it is still waiting in the team's queue with nobody on it.\n"
    ]
    if team:
        body.append(
            f"{name}'s supervisors: sign in to pick it up, or give it to a member "
            f"of your team:\n{_escalation_address(escalation)}\n"
        )
    else:
        body.append(
            f"No supervisor at {name} can be emailed: make sure someone there knows.\n"
        )
    if national:
        item = escalation.item
        caller = _who(escalation.created_by)
        body.append(
            f"Supervisors of {caller}'s team: {caller} recorded it on {item.kind} "
            f"{item.pk}. What they noted is in the call history of the "
            f"{item.kind}'s page:\n{_item_address(escalation)}\n"
        )
    pages = "those pages" if team and national else "that page"
    body.append(f"What was noted is on {pages}, not in this email.\n")
    return _Alert(
        to=sorted({*team, *national}),
        subject=f"Safeguarding concern not picked up at {name}, due at {due}",
        body="\n".join(body),
    )


def _alert_sent_or_refused(escalation: Escalation, alert: _Alert, *, what: str) -> str:
    """Send one of the escalation's emails (_alert_send); what the mail server
    answered when it refused it for good, logged (it is not tried again), else ""."""
    refusal = _alert_send(alert)
    if refusal:
        log.warning(
            "safeguarding escalation %s: the mail server refused the %s to %s for "
            "good, and it is not tried again: %s",
            escalation.pk,
            what,
            ", ".join(alert.to),
            refusal,
        )
    return refusal


def _alert_send(alert: _Alert) -> str:
    """Send one email; what the mail server answered when it refused it for good
    (every recipient, or the mail itself, with a 5xx: it would refuse it every time),
    else "". Refused for now (a 4xx), or not reached, it raises: worth a retry."""
    try:
        send_mail(
            subject=alert.subject,
            message=alert.body,
            from_email=None,
            recipient_list=alert.to,
        )
    except smtplib.SMTPRecipientsRefused as exc:
        answers = exc.recipients.values()
        if not answers or any(code < 500 for code, _ in answers):
            raise
        refused = ", ".join(
            f"{address} ({_smtp_answer(code, text)})"
            for address, (code, text) in exc.recipients.items()
        )
        return f"The mail server refused it for good: {refused}."
    except smtplib.SMTPDataError as exc:
        if exc.smtp_code < 500:
            raise
        answer = _smtp_answer(exc.smtp_code, exc.smtp_error)
        return f"The mail server refused it for good: the email itself ({answer})."
    return ""


def _smtp_answer(code: int, text: bytes | str) -> str:
    """A mail server's answer as a reader sees it: "550 5.1.1 No such user"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()
