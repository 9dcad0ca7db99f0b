"""Logging a call: the one operation behind the case page, the contact page and the API.

The caller is the person who made the call: the signed-in member of staff, or the
member of staff an integration names, and they must be someone who may work the item.
The outcome is applied by the call rules, and what it asks of the service follows in
the same transaction: the isolation advice for a contact reached while their isolation
lasts (a text queued once per contact, sent by notify/ after commit), a safeguarding
concern escalated at once and the caller's supervisors emailed once that is committed,
a new starter's call queued for review.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_record
from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact
from escalations.models import Escalation
from online.texts import long_date, say
from people.models import Language, Message
from rows.lease import lease_outlasting, sent_under_claim, unclaimed
from rows.retry import atomic_operation
from staffing.access import profile_of
from staffing.selectors.members import supervisor_emails
from staffing.services import call_review_queue_if_new_starter

from .access.items import may_work_item
from .effects import SAFEGUARDING_EMAIL, assignment_run_after_commit, task_after_commit
from .escalation import item_escalate
from .online import person_told
from .rules import after_call, call_problems, has_number_to_call, isolation_over


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
) -> CallLogged | None:
    """The call already logged on this item from `submission`, as its logging told
    it (its escalation, its text), or None. Given the call sent now (`outcome`
    and the rest), raises SubmissionReused when the call on file differs from it
    (another caller, outcome, call-back time, duration or notes, or, for "needs an
    interpreter", a language said that is not the one their record now holds): the
    same submission is the same call, or it is a mistake. A language no caller
    speaks is refused as it is the first time (ValidationError)."""
    call = CallAttempt.objects.filter(
        **{item.kind: item}, submission=submission
    ).first()
    if call is None:
        return None
    if outcome is not None and (
        call.caller_id != caller.pk
        or call.outcome != outcome
        or call.call_back_at != (call_back_at if outcome == Outcome.CALL_BACK else None)
        or call.duration_seconds != duration_seconds
        or call.notes != notes
        or _another_language(item, outcome=outcome, language=language)
    ):
        raise SubmissionReused(
            "This call was sent before with different details (caller, outcome, "
            "call-back time, duration, notes or language), and the first one is the "
            "one logged: nothing more was logged. Reload the page to log another call."
        )
    logged = CallLogged(call=call, repeated=True)
    if call.outcome == Outcome.SAFEGUARDING:
        logged.escalation = (
            Escalation.objects.filter(**{item.kind: item})
            .select_related("local_team")
            .order_by("-created_at")
            .first()
        )
        # The call on file does not keep whom its logging emailed: told if the
        # alert has gone, or is to go to the supervisors they have. One rule for the
        # page and the API, so the same call sent again is told the same.
        sent = logged.escalation is not None and (
            logged.escalation.alert_sent_at is not None
        )
        logged.supervisors_told = sent or bool(supervisor_emails(call.caller))
    if call.outcome == Outcome.REACHED and isinstance(item, Contact):
        logged.message = Message.objects.filter(
            key=f"isolation_advice:contact:{item.pk}"
        ).first()
    return logged


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
    """
    now = now or timezone.now()
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
    if problems:
        raise ValidationError(problems)
    if not may_work_item(caller, locked):
        raise PermissionDenied(
            f"{_who(caller)} may not work this {locked.kind}: calls are logged by the "
            "person holding it, or a supervisor."
        )
    spoken = _language_needed(locked, outcome=outcome, language=language)
    plan = after_call(
        kind=locked.kind,
        outcome=outcome,
        attempts_before=locked.attempts,
        escalate_due_at=locked.escalate_due_at,
        now=now,
        call_back_at=call_back_at,
    )
    # A concern heard on a call to someone reached meanwhile (they answered online
    # while on the phone) or before is not a call attempt, but is never refused: it
    # goes to the local team below.
    if not (outcome == Outcome.SAFEGUARDING and locked.is_done_with):
        locked.mark_called(
            now=now,
            reached=plan.reached,
            back_to_pool=plan.back_to_pool,
            next_attempt_at=plan.next_attempt_at,
            escalate_due_at=plan.escalate_due_at,
            caller_tier=_tier_of(caller) if plan.reached else None,
            counts_attempt=plan.counts_attempt,
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
    )
    audit_record(
        user=by or caller,
        action=AuditEvent.Action.CALL,
        obj=locked,
        detail={"call": call.pk, "outcome": outcome, "caller": caller.pk},
        at=now,
    )
    call_review_queue_if_new_starter(call=call)
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
        if logged.supervisors_told:
            task_after_commit(
                SAFEGUARDING_EMAIL,
                escalation_id=logged.escalation.pk,
                caller_id=caller.pk,
            )
    if outcome == Outcome.REACHED and advised_when_reached(locked, now=now):
        # Once per contact: a second "reached" call returns the first text.
        logged.message = person_told(
            locked,
            key=f"isolation_advice:contact:{locked.pk}",
            body_of=lambda language: isolation_advice_text(locked, language),
        )
    item.refresh_from_db()
    return logged


# A safeguarding alert still not sent this long after its escalation is sent by the
# beat's sweep (safeguarding_alerts_unsent): its own task's tries ran out while the
# mail server was down, or the task was never queued (the broker was down when the
# call was saved). Older escalations are left to the local team's queue.
ALERT_LATE_AFTER = timedelta(minutes=2)
ALERT_SWEPT_FOR = timedelta(days=7)
ALERT_SWEEP_BATCH = 500
# The hard time limit (seconds) of both tasks that send an alert (work.tasks): no
# worker is still sending one after it.
ALERT_TASK_TIME_LIMIT = 150
# A worker sending an alert claims it for this long, and no other sends it meanwhile
# (rows/lease.py: a claim that runs out, for a worker lost mid-send).
ALERT_CLAIM_LEASE = lease_outlasting(ALERT_TASK_TIME_LIMIT)


def safeguarding_alerts_unsent(now: datetime) -> list[tuple[int, int]]:
    """(escalation, caller) of the safeguarding escalations recorded by a member of
    staff whose supervisors have not been emailed, newest first, from ALERT_LATE_AFTER
    to ALERT_SWEPT_FOR old (read on the partial index of exactly these), less those a
    live worker's claim holds."""
    return list(
        Escalation.objects.filter(
            unclaimed("alert_claimed_until", now),
            reason=Escalation.Reason.SAFEGUARDING,
            alert_sent_at__isnull=True,
            created_by__isnull=False,
            created_at__gte=now - ALERT_SWEPT_FOR,
            created_at__lte=now - ALERT_LATE_AFTER,
        )
        # Newest first: alerts no one can be sent (a team with no supervisor's
        # email) stay unsent, and must not keep the newest from the batch.
        .order_by("-created_at", "-pk")
        .values_list("pk", "created_by_id")[:ALERT_SWEEP_BATCH]
    )


def safeguarding_email_send(*, escalation_id: int, caller_id: int) -> list[str]:
    """Email the supervisors of the caller's team about a safeguarding escalation;
    returns the addresses told. Run by a task after the escalation is committed, and
    by the sweep: claimed for ALERT_CLAIM_LEASE before the mail goes, so no two
    workers send it, and marked sent only once it has gone. The claim is given back
    at once when the mail server cannot be reached (for a retry), and lapses when the
    worker is lost mid-send (for the task redelivered or the sweep)."""
    escalation = (
        Escalation.objects.select_related("local_team", "created_by")
        .filter(pk=escalation_id)
        .first()
    )
    if escalation is None or escalation.created_by_id != caller_id:
        return []
    caller = escalation.created_by
    emails = supervisor_emails(caller)
    if not emails:
        return []
    item = escalation.item
    unsent = Escalation.objects.filter(pk=escalation_id, alert_sent_at__isnull=True)
    sent = sent_under_claim(
        unsent,
        field="alert_claimed_until",
        lease=ALERT_CLAIM_LEASE,
        send=lambda: send_mail(
            subject=f"Safeguarding concern escalated to {escalation.local_team.name}",
            message=(
                f"{_who(caller)} recorded a safeguarding concern on {item.kind} "
                f"{item.pk} and it has been escalated to "
                f"{escalation.local_team.name}.\n\n"
                f"What they noted:\n{escalation.detail or '(no notes)'}\n"
            ),
            from_email=None,
            recipient_list=emails,
        ),
        stamp=lambda: {"alert_sent_at": timezone.now()},
    )
    return emails if sent else []
