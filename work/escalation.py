"""Handing work to the local teams, and the teams working it: escalate one item (a
safeguarding concern, a complex case), the sweep that escalates every item out of time
(in bulk, the same rows), and pick up, act, give to a colleague, close, send back,
reopen a close made by mistake; and what someone who left the team had picked up,
given back to the team's queue.

Exactly once: an item already escalated cannot be escalated again, and the database
refuses a second open escalation per item even under a race.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case as SqlCase
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from areas.models import Area, LocalTeam
from areas.services import fallback_team
from audit.models import AuditEvent
from audit.services import audit_record, audit_record_many
from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import UNREACHED, Route, Status, WorkItem
from clock.written import short_time
from contacts.models import Contact
from escalations.models import WITHDRAWN_NOT_CHOSEN, Escalation, EscalationAction
from escalations.selectors import nothing_left_to_ask_q, open_escalation_of
from online.texts import long_date
from people.matching import phone_text
from people.models import Message, Person, PersonChange
from rows.retry import atomic_operation
from staffing.models import StaffProfile, Tier

from .access.escalations import may_reassign_escalation
from .assignment import DEACTIVATED
from .casework import contact_told_as_case, items_back_to_the_phones
from .contact_area import area_follow_person
from .effects import assignment_run_after_commit
from .escalation_sql import (
    area_team_shared,
    close_isolation_over_batch,
    sweep_batch,
)
from .queues import called_as_case
from .rules import (
    ESCALATION_NOTE_MAX,
    NO_NUMBER_ESCALATED,
    NO_NUMBER_REASON,
    NOT_TRACED,
    CallRule,
    calls_from,
    has_number_to_call,
    isolation_over,
    isolation_over_q,
    no_number_escalated,
    no_number_to_call_q,
)

log = logging.getLogger(__name__)

# How long a local team has to pick up and act on an escalation.
DUE_WITHIN: dict[str, timedelta] = {
    Escalation.Reason.SAFEGUARDING: timedelta(hours=4),
    Escalation.Reason.COMPLEX: timedelta(hours=12),
}
DEFAULT_DUE_WITHIN = timedelta(hours=24)


# Escalated from an item done with too (WorkItem.mark_escalated's `concern`): heard
# from someone reached.
FROM_SOMEONE_REACHED = (Escalation.Reason.SAFEGUARDING, Escalation.Reason.SUPPORT)


@atomic_operation
def item_escalate(
    *,
    item: WorkItem,
    reason: str,
    detail: str = "",
    by=None,
    now: datetime | None = None,
) -> Escalation:
    """Hand an item to the local team of its area (the fallback team if none).

    Exactly once: an item already escalated raises IllegalTransition, and the
    database refuses a second open escalation even under a race. A safeguarding
    concern, and help to stay at home asked on a call (work.calls.call_record), go
    to the team from an item done with too (cases.workitem): both are heard from
    someone reached. One on an item whose tracing is over (a completed case) leaves
    it completed (WorkItem.mark_escalated): the escalation alone is the team's.
    """
    now = now or timezone.now()
    locked = item.locked()
    team = _team_of_area(locked.area_id) if locked.area_id else fallback_team()
    held = locked.assignee_id is not None
    locked.mark_escalated(team=team, now=now, concern=reason in FROM_SOMEONE_REACHED)
    # Not with its team before (an escalated item is refused above), its status
    # could not refuse a second escalation while a first is open: a completed case
    # stays completed under its concern, and may be reopened by its person's
    # answers online while it is open.
    _refuse_a_second_concern(locked)
    # A completed case keeps its holder, who had no slot of theirs taken by it.
    held = held and locked.assignee_id is None
    escalation = Escalation.objects.create(
        **{locked.kind: locked},
        local_team=team,
        reason=reason,
        detail=detail,
        area_unknown=locked.area_id is None,
        created_at=now,
        created_by=by,
        due_at=now + DUE_WITHIN.get(reason, DEFAULT_DUE_WITHIN),
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.ESCALATE,
        obj=locked,
        detail={"team": team.code, "reason": reason},
        at=now,
    )
    if held:
        assignment_run_after_commit()  # the holder has a free slot
    item.refresh_from_db()
    return escalation


def _refuse_a_second_concern(item: WorkItem) -> None:
    """An item not escalated by its escalation (a completed item stays completed
    under its concern: mark_escalated; and may be reopened by its person's answers
    online while the concern is open) has no status to refuse a second one while the
    first is with the team: refused here, saying whose it is (the database would
    refuse it too, unexplained)."""
    open_one = open_escalation_of(item)
    if open_one is not None:
        raise IllegalTransition(
            f"A concern raised on this {item.kind} is with "
            f"{open_one.local_team.name} already (since "
            f"{short_time(open_one.created_at)}): tell them what you heard. "
            "Nothing was logged."
        )


def _team_of_area(area_id: int) -> LocalTeam:
    """The area's team, read under a shared lock on the area held until the
    escalation commits: an admin moving the area (work.areas.area_save locks it FOR
    UPDATE) either commits first, and this reads the new team, or waits, and then
    takes this escalation along. As the sweep routes its batch (escalation_sql)."""
    return LocalTeam.objects.get(pk=area_team_shared(area_id))


def _locked(escalation: Escalation) -> Escalation:
    """The escalation, locked, as the door that checked who may act on it saw it:
    one whose area was given to another team meanwhile (work.areas) has gone to
    that team's queue, and nothing is done to it here."""
    # No join under the lock: a row changed while waiting for it is read again, and
    # a join to its old team would then find no row at all.
    locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
    if locked.local_team_id != escalation.local_team_id:
        raise IllegalTransition(
            f"This escalation has moved to {locked.local_team.name}'s queue (its "
            "area is theirs now): nothing was saved."
        )
    return locked


@atomic_operation
def escalation_claim(
    *, escalation: Escalation, by, now: datetime | None = None
) -> Escalation:
    """A team member picks the escalation up; only one can. Picking up again what
    they already hold (a retry after a timeout, a second click) is that same pick-up,
    told as done, with nothing more recorded."""
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is closed.")
    if locked.status == Escalation.Status.PICKED_UP and locked.picked_up_by_id == by.pk:
        return locked
    if locked.status != Escalation.Status.NEW:
        who = _name(locked.picked_up_by) if locked.picked_up_by else "someone"
        raise IllegalTransition(f"This escalation was already picked up by {who}.")
    locked.status = Escalation.Status.PICKED_UP
    locked.picked_up_by = by
    locked.picked_up_at = now or timezone.now()
    locked.save(update_fields=["status", "picked_up_by", "picked_up_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=locked.item,
        detail={"escalation": locked.pk, "picked_up": True},
        at=locked.picked_up_at,
    )
    return locked


def _name(user) -> str:
    return user.get_full_name() or user.username


@atomic_operation
def escalation_reassign(
    *, escalation: Escalation, to, by, now: datetime | None = None
) -> Escalation:
    """A local team's supervisor hands an open escalation to another team member.

    Only an active tier 1 member of the escalation's own team may hold it; the
    door checks that `by` supervises the team (work.access.escalations).

    The member holds it from now: its pick-up time becomes the hand-over's, as the
    page's summary, the API and the export tell who holds it and since when. The
    pick-up it replaces (of whoever held it, when) stays in the hand-over's audit
    detail "picked_up_at" beside "from", which the team's history reads
    (escalations.selectors.escalation_history: "Given to … · supervisor").
    """
    now = now or timezone.now()
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise IllegalTransition("This escalation is closed.")
    in_team = StaffProfile.objects.filter(
        user=to,
        user__is_active=True,
        tier=Tier.LOCAL,
        local_team_id=locked.local_team_id,
    ).exists()
    if not in_team:
        raise IllegalTransition(
            f"{_name(to)} is not a member of {locked.local_team.name}."
        )
    detail: dict[str, object] = {
        "escalation": locked.pk,
        "from": locked.picked_up_by_id,
        "to": to.pk,
    }
    if locked.picked_up_by_id is not None and locked.picked_up_at is not None:
        detail["picked_up_at"] = locked.picked_up_at.isoformat()
    locked.status = Escalation.Status.PICKED_UP
    locked.picked_up_by = to
    locked.picked_up_at = now
    locked.save(update_fields=["status", "picked_up_by", "picked_up_at"])
    audit_record(
        user=by,
        action=AuditEvent.Action.REASSIGN,
        obj=locked.item,
        detail=detail,
        at=now,
    )
    return locked


LEFT_THE_TEAM = "The holder left the team."


def escalations_given_back_audited(
    given_back: Iterable[tuple[int, int | None, int | None, int, int | None, str]],
    *,
    by=None,
    now: datetime,
    team: str | None = None,
) -> None:
    """The trail of escalations given back to a queue, new and nobody's, one row
    each: (escalation, case or None, contact or None, its person, who held it or
    None, why), as the item's REASSIGN; `team`, the code of the team whose queue it
    went to when that is another's (an area moved); `by`, None for the system."""
    audit_record_many(
        AuditEvent(
            user=by,
            at=now,
            action=AuditEvent.Action.REASSIGN,
            person_id=person_id,
            object_type=(Case if case_id is not None else Contact)._meta.label_lower,
            object_id=str(case_id if case_id is not None else contact_id),
            detail={
                "escalation": pk,
                "from": holder,
                "to": None,
                **({"team": team} if team is not None else {}),
                "reason": reason,
            },
        )
        for pk, case_id, contact_id, person_id, holder, reason in given_back
    )


def _held_by_leavers() -> QuerySet[Escalation]:
    """The escalations picked up by someone who may no longer work them: their account
    deactivated, or their staff profile no longer tier 1 in the escalation's team (moved
    to another team or tier). A holder with no staff profile (an administrator, an API
    client's service account) was never a member, so only deactivation releases it."""
    no_longer_member = (
        StaffProfile.objects.filter(user_id=OuterRef("picked_up_by_id"))
        .exclude(tier=Tier.LOCAL, local_team_id=OuterRef("local_team_id"))
        .filter(user__is_superuser=False)
    )
    return Escalation.objects.filter(
        Q(picked_up_by__is_active=False) | Exists(no_longer_member),
        status=Escalation.Status.PICKED_UP,
    )


# How a safeguarding email's stamp (work.calls: TEAM_ALERT_NOT_NEEDED) starts when
# the email was not sent because the team had the concern already: picked up,
# closed or sent back before it could go.
ALERT_NOT_NEEDED = "Not needed: the team had"


def _not_needed_taken_back(field: str) -> SqlCase:
    """A safeguarding email's refusal `field`, emptied when it says the email was
    not needed (the team had the concern): for a concern new again, with nobody on
    it, that is no longer true, and the sweeps send it (work.tasks). A refusal by
    the mail server is kept: it would refuse it again."""
    return SqlCase(
        When(**{f"{field}__startswith": ALERT_NOT_NEEDED}, then=Value("")),
        default=F(field),
        output_field=TextField(),  # the refusal fields' own
    )


def release_escalations_of_leavers(*, now: datetime | None = None) -> int:
    """Escalations picked up by someone who left the team (or was deactivated) go
    back to the team's queue as before pick-up: new, nobody's, no pick-up time (the
    next pick-up stamps its own), each audited with the reason. Run by the escalation
    sweep. A safeguarding concern's emails stamped not needed because it had been
    picked up (the team's, the overdue one) are to send again: the team is told it
    waits in their queue, and, past its due time, the supervisors.

    Set-based and conditional: the rows are claimed with SKIP LOCKED and released by
    one update of those still picked up, so two sweeps at once never release the same
    escalation twice and a released one no longer matches. Returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        rows = list(
            _held_by_leavers()
            .select_for_update(skip_locked=True, of=("self",))
            .values_list(
                "pk",
                "case_id",
                "contact_id",
                "picked_up_by_id",
                "picked_up_by__is_active",
            )
        )
        if not rows:
            return 0
        released = Escalation.objects.filter(
            pk__in=[row[0] for row in rows], status=Escalation.Status.PICKED_UP
        ).update(
            status=Escalation.Status.NEW,
            picked_up_by=None,
            picked_up_at=None,
            team_alert_refused=_not_needed_taken_back("team_alert_refused"),
            overdue_alert_refused=_not_needed_taken_back("overdue_alert_refused"),
        )
        # Whose records they are, read by primary key (a join from the escalations
        # would read every case and contact when many are released at once).
        people = {
            model: dict(
                model.objects.filter(
                    pk__in={row[column] for row in rows} - {None}
                ).values_list("pk", "person_id")
            )
            for model, column in ((Case, 1), (Contact, 2))
        }
        escalations_given_back_audited(
            (
                (
                    pk,
                    case_id,
                    contact_id,
                    people[Case][case_id]
                    if case_id is not None
                    else people[Contact][contact_id],
                    holder,
                    LEFT_THE_TEAM if active else DEACTIVATED,
                )
                for pk, case_id, contact_id, holder, active in rows
            ),
            now=now,
        )
    log.info("released %s escalations held by staff who left the team", released)
    return released


def _check_note(note: str, *, required: str = "") -> None:
    """A local team's note: said when the page asks for one, and of a readable size."""
    if required and not note.strip():
        raise ValidationError({"note": required})
    if len(note) > ESCALATION_NOTE_MAX:
        raise ValidationError(
            {"note": f"Keep the note to {ESCALATION_NOTE_MAX} characters."}
        )


class ClosedAlready(IllegalTransition):
    """The escalation was closed before this close (or send back) came: the message
    says who closed it, when and how. `same` is true when the close on file is this
    one sent again (the same person, outcome and note: a double click, the browser
    sending the form again), which a page may answer as it answered the first."""

    def __init__(self, escalation: Escalation, *, by=None, same: bool = False) -> None:
        self.escalation = escalation
        self.same = same
        closer = escalation.closed_by
        who = _name(closer) if closer else "Someone"
        if by is not None and closer is not None and closer.pk == by.pk:
            who = "You"
        when = ""
        if escalation.closed_at is not None:
            when = f" at {short_time(escalation.closed_at)}"
        super().__init__(
            f"This escalation is already closed: {who} closed it{when}, "
            f"as “{escalation.get_outcome_display()}”."
        )


def _refuse_unless_worked(escalation: Escalation, *, closed: str = "", by=None) -> None:
    """An escalation is worked only once someone has picked it up, and until closed
    (by default, refused saying who closed it and how)."""
    if escalation.status == Escalation.Status.CLOSED:
        raise IllegalTransition(closed) if closed else ClosedAlready(escalation, by=by)
    if escalation.status == Escalation.Status.NEW:
        raise IllegalTransition("Pick this escalation up before working it.")


class ActionSubmissionReused(IllegalTransition):
    """A submission (a form, an API request's Idempotency-Key) already recorded an
    action on this escalation, and is sent again with a different one: nothing is
    recorded."""


def _recorded_already(
    escalation: Escalation, *, submission: uuid.UUID, kind: str, note: str, by
) -> EscalationAction | None:
    """The action already recorded on this escalation from `submission`, or None.
    Raises ActionSubmissionReused when it differs from the one sent now (another
    person, kind or note): the same submission is the same action, or a mistake."""
    action = EscalationAction.objects.filter(
        escalation=escalation, submission=submission
    ).first()
    if action is None:
        return None
    if (action.by_id, action.kind, action.note) != (by.pk, kind, note):
        raise ActionSubmissionReused(
            "This action was sent before with different details (who, what was "
            "done or the notes), and the first one is the one recorded: nothing "
            "more was recorded. Reload the page to record another action."
        )
    return action


@atomic_operation
def escalation_record_action(
    *,
    escalation: Escalation,
    kind: str,
    note: str,
    by,
    now: datetime | None = None,
    submission: uuid.UUID | None = None,
) -> EscalationAction:
    """Something the team did (a door-step visit, a letter...), once picked up.

    `submission` names the form or request the action was sent by: sent again (a
    double click, a retry after a timeout), it is the action already recorded,
    returned as it was and nothing recorded twice (even if the escalation was closed
    meanwhile)."""
    _check_note(note, required="Say what happened.")
    locked = _locked(escalation)
    # After the escalation's lock: a second sending waits for the first to commit.
    if submission is not None and (
        recorded := _recorded_already(
            locked, submission=submission, kind=kind, note=note, by=by
        )
    ):
        return recorded
    _refuse_unless_worked(locked, closed="This escalation is closed.")
    action = EscalationAction.objects.create(
        escalation=locked,
        kind=kind,
        note=note,
        by=by,
        at=now or timezone.now(),
        submission=submission,
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=locked.item,
        detail={"escalation": locked.pk, "action": kind},
        at=action.at,
    )
    return action


def _concern_alone(item: WorkItem) -> bool:
    """Whether the (open) escalation is a concern the team works alone, its item
    not with the team: the item's result withdrawn while the concern was open
    (work.withdraw), or the item completed when the concern was raised
    (WorkItem.tracing_over). Its close leaves such an item as it is."""
    return item.status != Status.ESCALATED


@atomic_operation
def escalation_close(
    *,
    escalation: Escalation,
    outcome: str,
    note: str = "",
    by,
    now: datetime | None = None,
) -> Escalation:
    """Close with an outcome; "reached" counts the item reached by the local route,
    and a contact reached is sent their isolation advice as a reach by phone sends
    it (_advised_when_reached; close_advice says what went). Never "withdrawn",
    which only the withdrawal of the result sets: ValidationError on "outcome".

    Closed already: ClosedAlready, saying who closed it and how, `same` when it was
    this person with this outcome and note (the form sent again): nothing is done
    twice (the reach is counted once, the advice sent once)."""
    if outcome == Escalation.Outcome.RETURNED:
        raise IllegalTransition(
            "Use 'send back' to return an item to the national queue."
        )
    if outcome == Escalation.Outcome.WITHDRAWN:
        # Set only by the withdrawal of the result (work.withdraw), never chosen.
        raise ValidationError({"outcome": WITHDRAWN_NOT_CHOSEN})
    _check_note(note)
    now = now or timezone.now()
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise ClosedAlready(
            locked,
            by=by,
            same=(locked.closed_by_id, locked.outcome, locked.outcome_note)
            == (by.pk, outcome, note),
        )
    _refuse_unless_worked(locked)
    item = locked.item.locked()
    # A safeguarding concern kept open when the item's positive result was withdrawn
    # (work.withdraw) closes alone: the item stays withdrawn, and no advice goes. So
    # does one raised on an item completed before it (WorkItem.tracing_over): its
    # tracing was over, and it stays completed.
    alone = _concern_alone(item)
    if not alone:
        item.mark_closed(reached=outcome == Escalation.Outcome.REACHED, now=now)
    if outcome == Escalation.Outcome.REACHED and not alone:
        _advised_when_reached(item, now=now)
    locked.status = Escalation.Status.CLOSED
    locked.outcome = outcome
    locked.outcome_note = note
    locked.closed_at = now
    locked.closed_by = by
    locked.save(
        update_fields=["status", "outcome", "outcome_note", "closed_at", "closed_by"]
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        detail={"escalation": locked.pk, "outcome": outcome},
        at=now,
    )
    return locked


def _advised_when_reached(item: WorkItem, *, now: datetime) -> None:
    """A contact the local team reached (at the door, by phone, by letter) is sent
    the isolation advice a call handler's "Reached" sends, by the same rules
    (work.calls.advice_queued): their date in writing while their isolation lasts,
    to their mobile (never a number logged wrong), else their email, in their
    language; once per contact, however often the close is sent, or reopened and
    closed again. A case is sent nothing, as on the phone; nor is a contact told
    their date before the close (_told_before_close)."""
    # Here, not at the top: work.calls imports this module (item_escalate).
    from .calls import advice_queued, advised_when_reached  # noqa: PLC0415

    if not advised_when_reached(item, now=now):
        return
    assert isinstance(item, Contact)  # advised_when_reached: a contact's
    if not _told_before_close(item, now=now):
        advice_queued(item)


def _told_before_close(contact: Contact, *, now: datetime) -> bool:
    """Whether the contact of a close "Reached and advised" had their date before
    it, and is sent no advice at the close (the advice is for one who had none in
    writing): reached before the close, not by it (the close keeps the earlier
    reach's route): online, answering their link (whose text and page gave the
    date: one who asked for help with food or money goes to the team reached), or
    by phone (the call sent the advice, advice_key); or a case isolating now, told
    to stay at home, and until when, by their positive test
    (work.casework.contact_told_as_case: one person, told once). A link's text left
    unanswered is no reason: the phone sends the advice after one too."""
    return (
        contact.reached_route != Route.LOCAL
        or contact_told_as_case(contact, now=now) is not None
    )


def _date_told_in(item: WorkItem) -> Message | None:
    """The last text or email giving the item's person its date that went or is
    going (not one replaced, nor one that failed), as work.isolation.told_a_date
    reads them: a link's text, or advice."""
    # Here, not at the top: work.isolation imports work.online, which imports this.
    from .isolation import GAVE_A_CASE_DATE, GAVE_A_DATE  # noqa: PLC0415

    kinds = GAVE_A_DATE if isinstance(item, Contact) else GAVE_A_CASE_DATE
    return (
        Message.objects.filter(**{item.kind: item}, kind__in=kinds)
        .exclude(status__in=(Message.Status.SUPERSEDED, Message.Status.FAILED))
        .order_by("-pk")
        .first()
    )


def close_advice(escalation: Escalation) -> Message | None:
    """The message giving the contact of an escalation closed "Reached and
    advised" (escalation_close) their isolation date in writing, for the page to
    say where it went: the advice queued at their reach (the close's, or the call's
    before it); for one told before the close and sent nothing then
    (_told_before_close), the text that told them: their link's (reached online),
    their own case's (a case isolating now). None when there is none (a case,
    another outcome, their isolation over at the close, or nowhere to send it: no
    mobile number that is theirs, no email)."""
    from .calls import advice_of, advised_when_reached  # noqa: PLC0415

    contact = escalation.contact  # no query for a case's (its contact_id is None)
    if escalation.outcome != Escalation.Outcome.REACHED or contact is None:
        return None
    advice = advice_of(contact)
    assert escalation.closed_at is not None
    if advice is not None or not advised_when_reached(
        contact, now=escalation.closed_at
    ):
        return advice
    if contact.reached_route == Route.ONLINE:
        return _date_told_in(contact)
    own_case = contact_told_as_case(contact, now=escalation.closed_at)
    return None if own_case is None else _date_told_in(own_case)


# Why a close "Reached and advised" sent the contact no date in writing
# (CloseAdvice.not_sent): the page words each, the API names it.
ADVICE_ISOLATION_OVER = "isolation_over"  # their time at home ended before the close
ADVICE_TOLD_AS_CASE = "told_as_case"  # they are a case: their case gives the date
ADVICE_NOWHERE_TO_SEND = "nowhere_to_send"  # no mobile number of theirs, no email


@dataclass(frozen=True)
class CloseAdvice:
    """What a close "Reached and advised" of a contact did about their isolation
    date in writing: the message that gives it them (`sent`), or why none went
    (`not_sent`, an ADVICE_* name). Both empty for any other close."""

    sent: Message | None = None
    not_sent: str = ""


def close_advice_said(escalation: Escalation) -> CloseAdvice:
    """For the page and the API alike: whether the closed escalation's contact has
    their date in writing, and where it went (close_advice), or why not, so the team
    knows whether to give it them themselves."""
    contact = escalation.contact
    if escalation.outcome != Escalation.Outcome.REACHED or contact is None:
        return CloseAdvice()
    advice = close_advice(escalation)
    if advice is not None:
        return CloseAdvice(sent=advice)
    assert escalation.closed_at is not None
    if isolation_over(
        contact.isolation_ends_on, today=timezone.localdate(escalation.closed_at)
    ):
        return CloseAdvice(not_sent=ADVICE_ISOLATION_OVER)
    if contact_told_as_case(contact, now=escalation.closed_at) is not None:
        # Told as a case (their own positive test), by a text gone or not: never a
        # contact's advice, in writing or not (_told_before_close).
        return CloseAdvice(not_sent=ADVICE_TOLD_AS_CASE)
    return CloseAdvice(not_sent=ADVICE_NOWHERE_TO_SEND)


# How long after its close an escalation may be reopened (a close made by mistake):
# a week, long enough for a mistake to be noticed at the team's next weekly review
# or after a weekend or a few days off, and short enough that the week's published
# figures, and a person's time at home, are not reopened long after. Later, the
# record stands as closed.
REOPEN_WITHIN = timedelta(days=7)
REOPEN_REASON_MISSING = "Say why you are reopening it."
# A reopening's note: the reason given, then the note of the close it undid.
_NOTE_OF_THE_CLOSE = "\n\nNote when it was closed: "


class ReopenedAlready(IllegalTransition):
    """The escalation is not closed (reopened already, or never closed) as this
    reopening comes. `same` is true when it was reopened by this very reopening
    sent again (its form or Idempotency-Key; or, without one, the same person with
    the same reason, nothing done since), which a door answers as the first."""

    def __init__(self, escalation: Escalation, *, by=None, same: bool = False) -> None:
        self.escalation = escalation
        self.same = same
        reopening = _last_reopening(escalation)
        said = "This escalation is not closed: there is nothing to reopen."
        if reopening is not None:
            who = "You" if by is not None and reopening.by_id == by.pk else None
            said = (
                "This escalation is not closed: "
                f"{who or _name(reopening.by)} reopened it at "
                f"{short_time(reopening.at)}."
            )
        super().__init__(said)


def _last_reopening(escalation: Escalation) -> EscalationAction | None:
    return (
        EscalationAction.objects.filter(
            escalation=escalation, kind=EscalationAction.Kind.REOPENED
        )
        .select_related("by")
        .order_by("-at", "-pk")
        .first()
    )


def _reason_of(action: EscalationAction) -> str:
    """The reason a reopening gave (its note, less the note of the close it undid)."""
    return action.note.split(_NOTE_OF_THE_CLOSE, 1)[0]


def reopen_refusal(
    escalation: Escalation,
    *,
    by,
    now: datetime | None = None,
    item: WorkItem | None = None,
) -> str:
    """Why `by` may not reopen the closed escalation now ("" when they may): only a
    team's close, not a send back nor the close of a withdrawal of the result (no
    one may reopen that, and it says so first); only who closed it, or the team's
    supervisor (as may give its work to another member: work.access.escalations),
    within REOPEN_WITHIN of the close; and only while the item is as that close left
    it (closed then, not merged into another state, escalated again or erased
    since). An item withdrawn before the close (a safeguarding concern the
    withdrawal left open: the close left the item withdrawn) is as the close left
    it while still withdrawn; so is one completed before the concern was raised
    (WorkItem.tracing_over) while still completed. A contact whose time at home is
    over may be reopened all the same, within the week: what is put right is the
    record (and the figures), and the page tells the team there is nothing to ask
    of them."""
    now = now or timezone.now()
    if escalation.status != Escalation.Status.CLOSED:
        return "This escalation is not closed: there is nothing to reopen."
    if escalation.outcome == Escalation.Outcome.WITHDRAWN:
        return (
            "This escalation was closed when the positive result behind it was "
            "withdrawn (sent in error): there is nothing to reopen."
        )
    if escalation.outcome == Escalation.Outcome.RETURNED:
        return (
            "This escalation was sent back to the national queue, not closed: the "
            "national callers have it now, and it cannot be reopened."
        )
    closer = escalation.closed_by_id is not None and escalation.closed_by_id == by.pk
    if not closer and not may_reassign_escalation(by, escalation):
        return (
            "Only who closed it, or the team's supervisor, can reopen this "
            "escalation: ask them."
        )
    assert escalation.closed_at is not None
    if now > escalation.closed_at + REOPEN_WITHIN:
        return (
            f"An escalation can be reopened only within {REOPEN_WITHIN.days} days "
            f"of its close: this one was closed at {short_time(escalation.closed_at)}."
        )
    item = item or escalation.item
    if not _as_the_close_left_it(item, escalation):
        return (
            f"This {item.kind} has changed since the escalation was closed (it is "
            f"{item.get_status_display().lower()} now): it cannot be reopened."
        )
    later = Escalation.objects.filter(
        **{item.kind: item}, created_at__gt=escalation.created_at
    ).exclude(pk=escalation.pk)
    if later.exists():
        return (
            f"This {item.kind} was escalated again since: work that escalation instead."
        )
    if item.local_team_id not in (None, escalation.local_team_id):
        return (
            f"This {item.kind} is another team's now (its area moved): it cannot "
            "be reopened here."
        )
    if Person.objects.filter(
        pk=item.person_id, pseudonymisation__isnull=False
    ).exists():
        return "Their details were erased: the escalation cannot be reopened."
    return ""


def _as_the_close_left_it(item: WorkItem, escalation: Escalation) -> bool:
    """Whether the item is as the escalation's close left it: closed by it, or
    withdrawn before it (escalation_close leaves a withdrawn item as it is; its
    closed_at says when it was withdrawn), or completed before the concern was
    raised (WorkItem.tracing_over: the close left it completed)."""
    assert escalation.closed_at is not None
    if item.status == Status.WITHDRAWN:
        return item.closed_at is not None and item.closed_at <= escalation.closed_at
    if item.tracing_over:
        return item.completed_at is not None and (
            item.completed_at <= escalation.created_at
        )
    return item.status == Status.CLOSED and item.closed_at == escalation.closed_at


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise ValidationError({"reason": REOPEN_REASON_MISSING})
    if len(reason) > ESCALATION_NOTE_MAX:
        raise ValidationError(
            {"reason": f"Keep the reason to {ESCALATION_NOTE_MAX} characters."}
        )


def _reopened_as_sent(
    escalation: Escalation, *, reason: str, by, submission: uuid.UUID | None
) -> bool:
    """Whether this reopening was done already: its submission recorded it (or, with
    none, this person reopened it with this reason, and nothing was recorded since).
    Raises ActionSubmissionReused when the submission recorded something else."""
    if submission is not None:
        recorded = EscalationAction.objects.filter(
            escalation=escalation, submission=submission
        ).first()
        if recorded is None:
            return False
        if (recorded.by_id, recorded.kind, _reason_of(recorded)) != (
            by.pk,
            EscalationAction.Kind.REOPENED,
            reason,
        ):
            raise ActionSubmissionReused(
                "This was sent before to do something else (another action, or "
                "another reason), and the first one is the one recorded: nothing "
                "more was done. Reload the page to reopen it."
            )
        return True
    if escalation.status == Escalation.Status.CLOSED:
        return False
    last = escalation.actions.order_by("-at", "-pk").first()
    return (
        last is not None
        and last.kind == EscalationAction.Kind.REOPENED
        and last.by_id == by.pk
        and _reason_of(last) == reason
        and escalation.picked_up_by_id == by.pk
    )


def _item_reopened(item: WorkItem, *, took_back_reach: bool) -> None:
    """The item of a reopened escalation as it was before the close: with the local
    team again (escalated, its team kept by the close), no closing time; and, when
    that close counted it reached by the local team, not reached (the reach that
    WorkItem.mark_closed stamped, reached_at and reached_route, taken back; it
    stamps no tier). The close's inverse, kept beside the reopening, its only
    caller: cases.workitem has no transition out of closed."""
    if item.status != Status.CLOSED:
        raise item._refuse("reopened")
    item.status = Status.ESCALATED
    item.closed_at = None
    fields = ["status", "closed_at"]
    if took_back_reach:
        item.reached_at = None
        item.reached_route = ""
        item.reached_tier = None
        fields += ["reached_at", "reached_route", "reached_tier"]
    item.save(update_fields=fields)


@atomic_operation
def escalation_reopen(
    *,
    escalation: Escalation,
    reason: str,
    by,
    now: datetime | None = None,
    submission: uuid.UUID | None = None,
) -> Escalation:
    """Reopen an escalation closed by mistake (reopen_refusal says who may, and
    until when): it is picked up again by whoever reopens it, for them to close it
    with the right outcome; its item is escalated again (one withdrawn before the
    close stays withdrawn, one completed before its concern stays completed), and
    a reach the close counted for the local team is taken back. The close it undid
    is kept in its history (an EscalationAction "reopened": the outcome, who closed
    it and when, then the reason and who reopened it, when) and in the item's audit
    trail; so is the pick-up of whoever held it, when someone else reopens it (its
    audit detail "picked_up_by" and "picked_up_at", which the history reads).

    Exactly once: the escalation, then the item, locked as the close locks them.
    Sent again (`submission`: its form, an Idempotency-Key; without one, the same
    person and reason, nothing done since), ReopenedAlready with `same`, and nothing
    is done twice. Refused: IllegalTransition saying why; no reason, ValidationError
    on "reason". The door forgets the cached weekly figures once it commits."""
    _check_reason(reason)
    now = now or timezone.now()
    locked = _locked(escalation)
    if _reopened_as_sent(locked, reason=reason, by=by, submission=submission):
        raise ReopenedAlready(locked, by=by, same=True)
    if locked.status != Escalation.Status.CLOSED:
        raise ReopenedAlready(locked, by=by)
    item = locked.item.locked()
    refusal = reopen_refusal(locked, by=by, now=now, item=item)
    if refusal:
        raise IllegalTransition(refusal)
    # An item withdrawn before the close (reopen_refusal) stays withdrawn, and one
    # completed before the concern stays completed: the close left it as it was,
    # counting no reach (escalation_close).
    left_as_it_was = item.status != Status.CLOSED
    took_back_reach = (
        not left_as_it_was
        and locked.outcome == Escalation.Outcome.REACHED
        and item.reached_route == Route.LOCAL
        and item.reached_at == locked.closed_at
    )
    if not left_as_it_was:
        _item_reopened(item, took_back_reach=took_back_reach)
    note = reason
    if locked.outcome_note:
        note += _NOTE_OF_THE_CLOSE + locked.outcome_note
    EscalationAction.objects.create(
        escalation=locked,
        kind=EscalationAction.Kind.REOPENED,
        note=note,
        by=by,
        at=now,
        submission=submission,
        undone_outcome=locked.outcome,
        undone_at=locked.closed_at,
        undone_by_id=locked.closed_by_id,
    )
    detail: dict[str, object] = {
        "escalation": locked.pk,
        "reopened": locked.outcome,
        "closed_by": locked.closed_by_id,
        "reach_taken_back": took_back_reach,
    }
    locked.status = Escalation.Status.PICKED_UP
    fields = ["status", "outcome", "outcome_note", "closed_at", "closed_by"]
    if locked.picked_up_by_id != by.pk:
        # The escalation keeps only its holder's pick-up: the one this takes over
        # stays in the trail, and in the team's history from there
        # (escalations.selectors.escalation_history).
        if locked.picked_up_by_id is not None and locked.picked_up_at is not None:
            detail["picked_up_by"] = locked.picked_up_by_id
            detail["picked_up_at"] = locked.picked_up_at.isoformat()
        locked.picked_up_by = by
        locked.picked_up_at = now
        fields += ["picked_up_by", "picked_up_at"]
    locked.outcome = ""
    locked.outcome_note = ""
    locked.closed_at = None
    locked.closed_by = None
    locked.save(update_fields=fields)
    audit_record(
        user=by, action=AuditEvent.Action.UPDATE, obj=item, detail=detail, at=now
    )
    return locked


def _sent_back_already(
    escalation: Escalation, *, note: str, new_phone: str, by
) -> bool:
    """The closed escalation was sent back by this person with this note, and, when
    a new number comes with it, the person's number is that one."""
    sent = (escalation.closed_by_id, escalation.outcome, escalation.outcome_note)
    if sent != (by.pk, Escalation.Outcome.RETURNED, note):
        return False
    return not new_phone or escalation.item.person.phone == new_phone


SENT_BACK_WITH_NO_NUMBER = (
    "The national callers cannot phone them: give a new number, or close it with "
    "what your team did."
)
SENT_BACK_TO_WRONG_NUMBER = (
    "The number on their record was answered by someone else (a call to it was "
    "logged “Wrong number”): the national callers cannot phone them on it. Give a "
    "new number, or close it with what your team did."
)
# ... and given as the new number: no number to ring either.
NEW_NUMBER_LOGGED_WRONG = (
    "A call to that number was logged “Wrong number”: someone else answered it. "
    "Give another number, or close it with what your team did."
)


def no_number_refusal(person) -> str:
    """Why a send back of theirs with no new number is refused ("" when it is
    not: they have a number to call): no number on their record, or only ones a
    stranger answered. The send back's form words its new number's field by it."""
    if has_number_to_call(person):
        return ""
    if phone_text(person.phone) or phone_text(person.phone_alt):
        return SENT_BACK_TO_WRONG_NUMBER
    return SENT_BACK_WITH_NO_NUMBER


# Where a new number sent back came from, in their history and the audit trail.
SENT_BACK_BY = "local team"


@atomic_operation
def escalation_return(
    *,
    escalation: Escalation,
    note: str,
    by,
    new_phone: str = "",
    now: datetime | None = None,
) -> Escalation:
    """Send the item back to the national queue (e.g. the team found a new number).

    Only an item the national callers still have work on: one not yet reached, or a
    case reached and waiting to be finished. A contact already reached (online, by
    phone) would be sent back to no queue at all: refused, to be closed instead.
    And only with a number to ring: someone with no phone and no other phone on
    their record is refused without a new one (ValidationError on "phone", the
    number's own, as a number that is not one is refused): a caller would hold them
    with nothing to ring, and they would come back a day later.

    A number a call to them was logged "Wrong number" on is no number to ring (a
    stranger answered: work.rules.has_number_to_call): someone with only such
    numbers is refused without a new one too, told so (SENT_BACK_TO_WRONG_NUMBER),
    and such a number is refused as the new one (NEW_NUMBER_LOGGED_WRONG).

    A new number replaces the person's phone; the one it replaces is kept in their
    history (source "local team") and, when they have no other number, as their
    other number, so a mistyped number loses nothing. A number logged wrong is kept
    in their history only: as their other phone it would be offered to a caller to
    ring, and count as a number to call should the new one fail too. Someone who
    had no number to call (or only numbers logged wrong) has their other items
    waiting for their local team for want of one (their case, while this is their
    contact, say) sent back to the phones with it
    (work.casework.items_back_to_the_phones).

    The item goes back in the area its person lives in now (_back_with_their_area):
    it kept its area while the team held it, their postcode corrected meanwhile or
    not, and the phones' queues and any next escalation go by it.

    Closed already: ClosedAlready, saying who closed it and how, `same` when it was
    this person's send back with this note (and this new number, if one is sent):
    the form or request sent again, and nothing is done twice."""
    _check_note(note, required="Say why, for the national caller.")
    now = now or timezone.now()
    locked = _locked(escalation)
    if locked.status == Escalation.Status.CLOSED:
        raise ClosedAlready(
            locked,
            by=by,
            same=_sent_back_already(locked, note=note, new_phone=new_phone, by=by),
        )
    _refuse_unless_worked(locked)
    item = locked.item.locked()
    if not item.may_go_back_national:
        done = (
            "is completed (its tracing is over)"
            if item.tracing_over
            else f"was reached already ({item.reached_how})"
        )
        raise IllegalTransition(
            f"This {item.kind} {done}: the national callers have nothing more to do "
            "with it. Close the escalation with what your team did instead."
        )
    if not new_phone and (refusal := no_number_refusal(item.person)):
        raise ValidationError({"phone": refusal})
    detail: dict[str, object] = {"escalation": locked.pk, "outcome": "returned"}
    if new_phone:
        person = item.person
        had_number = has_number_to_call(person)
        before = str(person.phone or "")
        person.phone = new_phone
        if person.phone_logged_wrong:
            raise ValidationError({"phone": NEW_NUMBER_LOGGED_WRONG})
        fields = ["phone", "updated_at"]
        if before and before != str(person.phone):
            PersonChange.objects.create(
                person=person,
                field="phone",
                old_value=before,
                new_value=str(person.phone),
                source=SENT_BACK_BY,
                at=now,
            )
            if not person.phone_alt and before not in (person.wrong_numbers or []):
                person.phone_alt = before
                fields.append("phone_alt")
            detail["phone"] = "changed"
        elif not before:
            detail["phone"] = "added"  # given a phone where they had none
        person.full_clean(exclude=["area", "language"])
        person.save(update_fields=fields)
        if not had_number:
            # Their items still waiting, not this one: it is with its team until
            # returned below, with its own deadline and call.
            items_back_to_the_phones(
                people=[person.pk], source=SENT_BACK_BY, user=by, now=now
            )
    item.mark_returned(
        now=now,
        escalate_due_at=CallRule.for_kind(item.kind).escalate_due_at(now),
        first_call_at=calls_from(now),
    )
    detail.update(_back_with_their_area(item, by=by, now=now))
    locked.status = Escalation.Status.CLOSED
    locked.outcome = Escalation.Outcome.RETURNED
    locked.outcome_note = note
    locked.closed_at = now
    locked.closed_by = by
    locked.save(
        update_fields=["status", "outcome", "outcome_note", "closed_at", "closed_by"]
    )
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        detail=detail,
        at=now,
    )
    assignment_run_after_commit()  # back in the pool: ask for an assignment run
    return locked


# Why an item sent back took its person's area, in the audit trail.
FOLLOWS_WHEN_SENT_BACK = "their postcode, on being sent back to the phones"


def _back_with_their_area(item: WorkItem, *, by, now: datetime) -> dict[str, object]:
    """The item sent back (escalation_return) takes its person's area now, as their
    other work with the phones did when their postcode was corrected while the team
    held this one (work.person_details): a known area, or none, flagged, when their
    postcode is in no area of the service (work.contact_area.area_follow_person).
    A case's move is audited in the send back's event, whose detail this returns
    (as work.person_details._cases_follow audits the case corrected from); a
    contact's in an event of its own, as every contact that follows its person is
    (the audit page tells such an event as the move)."""
    was = item.area_id
    if not area_follow_person(item, item.person):
        return {}
    item.save(update_fields=["area", "area_unknown"])
    moved: dict[str, object] = {
        "follows": FOLLOWS_WHEN_SENT_BACK,
        "area": item.area_id,
        "area_was": was,
    }
    if isinstance(item, Case):
        return moved
    audit_record(
        user=by,
        action=AuditEvent.Action.UPDATE,
        obj=item,
        detail={**moved, "source": SENT_BACK_BY},
        at=now,
    )
    return {}


REASON_FOR_LAST_OUTCOME = {
    "wrong_number": Escalation.Reason.WRONG_NUMBER,
    "refused": Escalation.Reason.REFUSED,
}
# The detail's first line for an item whose last call gave its reason: what
# happened on that call ({when}: its time), not hours or attempts run out (a
# refusal or a wrong number goes to the local team at once, hours early).
WORDED_FOR_LAST_OUTCOME = {
    "wrong_number": "The number called was wrong: answered by someone else on {when}",
    "refused": "Refused to take part when called on {when}",
}
# The line after it: the note typed on that call ("asked not to be called again",
# the team's most useful line). That call's only: a safeguarding concern's notes are
# never copied into a detail (its outcome gives no reason here: never that call).
NOTE_OF_LAST_CALL = "Note made on the call: "
# The item's last send back by its local team (escalation_return), in its history
# among the calls as _call_history gives it: (when, SENT_BACK, None, ""). It starts
# a new round, its attempts counted from 0: the reason and the detail's first line
# (and its note) come from the calls since, never from an earlier round's refusal.
SENT_BACK = "sent_back"
# Its line in the call history, between the calls before it and those since.
SENT_BACK_LINE = "Sent back by the local team"
# The hours run out, counted from the send back ("Not reached within 24 hours of
# being sent back ...").
SINCE_SENT_BACK = " of being sent back"
# Items escalated per transaction by one sweep batch.
SWEEP_BATCH = 2000


def _call_history(kind: str, pks: list[int]) -> dict[int, list[tuple]]:
    """Every call to each item, oldest first, in one query: (started_at, outcome,
    call_back_at, notes); and in a second, the item's last send back by its local
    team, in its place among them ((closed_at, SENT_BACK, None, ""): before the
    calls made at that moment or later, the new round's)."""
    history: dict[int, list[tuple]] = defaultdict(list)
    for item_id, started_at, outcome, call_back_at, notes in (
        CallAttempt.objects.filter(**{f"{kind}_id__in": pks})
        .order_by(f"{kind}_id", "started_at", "pk")
        .values_list(f"{kind}_id", "started_at", "outcome", "call_back_at", "notes")
    ):
        history[item_id].append((started_at, outcome, call_back_at, notes))
    sent_back: dict[int, datetime] = {}
    for item_id, closed_at in Escalation.objects.filter(
        **{f"{kind}_id__in": pks}, outcome=Escalation.Outcome.RETURNED
    ).values_list(f"{kind}_id", "closed_at"):
        sent_back[item_id] = max(closed_at, sent_back.get(item_id, closed_at))
    for item_id, at in sent_back.items():
        calls = history[item_id]
        since = next((i for i, call in enumerate(calls) if call[0] >= at), len(calls))
        calls.insert(since, (at, SENT_BACK, None, ""))
    return history


def _rounds(history: list[tuple]) -> tuple[datetime | None, list[tuple], list[tuple]]:
    """An item's history (_call_history) split at its last send back: when it was
    sent back (None: never), the calls before, and the calls of the current round
    (all of them for an item never sent back)."""
    for i in range(len(history) - 1, -1, -1):
        if history[i][1] == SENT_BACK:
            return history[i][0], history[:i], history[i + 1 :]
    return None, [], history


def _no_number(attempts: int, *, number_to_call: bool) -> bool:
    """Escalated for want of a number: none on their record, and no attempt made in
    this round (a call handed on for an interpreter, or calls of an earlier round
    to a number since gone, are not an attempt to reach them now)."""
    return not number_to_call and attempts == 0


def _unreached_detail(
    attempts: int,
    history: list[tuple],
    rule: CallRule,
    *,
    number_to_call: bool = True,
    no_number: str = NO_NUMBER_ESCALATED,
) -> str:
    """Why it was escalated, then the whole call history, for the local team: the
    reason _reason_for gives, worded. `no_number`: why, when it was for want of a
    number (work.rules.no_number_escalated: none on their record, or only numbers
    answered by someone else). A last call that gave the reason (a refusal, a wrong
    number) is told as that, when, with the note made on it; hours or attempts run
    out only when they did. Only this round's calls say why: an item sent back by
    its local team (its attempts counted from 0 again) and not reached since is
    "Not reached within 24 hours of being sent back", whatever an earlier round's
    last call was; the history lists every call, the send back between the
    rounds."""
    hours = int(rule.window.total_seconds() // 3600)
    plural = "s" if attempts != 1 else ""
    sent_back_at, earlier, calls = _rounds(history)
    since = SINCE_SENT_BACK if sent_back_at is not None else ""
    last = calls[-1] if calls else None
    if _no_number(attempts, number_to_call=number_to_call):
        lines = [no_number]
    elif last is not None and last[1] in WORDED_FOR_LAST_OUTCOME:
        started_at, outcome, _, notes = last
        when = f"{timezone.localtime(started_at):%a %d %b %H:%M}"
        said = WORDED_FOR_LAST_OUTCOME[outcome].replace("{when}", when)
        lines = [f"{said} ({attempts} call attempt{plural})."]
        if notes:
            lines.append(NOTE_OF_LAST_CALL + notes)
    elif not calls and not earlier:
        lines = [f"Not reached within {hours} hours{since}: never called."]
    elif attempts >= rule.max_attempts:
        lines = [f"Not reached after {attempts} call attempt{plural}."]
    else:
        lines = [
            f"Not reached within {hours} hours{since} "
            f"({attempts} call attempt{plural})."
        ]
    lines.append("Call history:" if calls or earlier else "No calls were made.")
    # The send back shown where it parts two rounds' calls.
    shown = (
        [*earlier, (sent_back_at, SENT_BACK, None, ""), *calls] if earlier else calls
    )
    for started_at, outcome, call_back_at, _notes in shown:
        said = SENT_BACK_LINE if outcome == SENT_BACK else Outcome(outcome).label
        line = f"{timezone.localtime(started_at):%a %d %b %H:%M}: {said}"
        if call_back_at:
            line += f", asked for a call back at {timezone.localtime(call_back_at):%a %d %b %H:%M}"
        lines.append(line)
    return "\n".join(lines)


def due_for_sweep(
    model: type[Case] | type[Contact], now: datetime, *, batch: int
) -> QuerySet:
    """One batch of the items due for escalation, longest overdue first, locked
    (skipping those another sweep holds): read in the order of the partial index on
    the due time (`case_escalation_due`, `contact_escalation_due_ends`), it stops
    after `batch` rows. Their areas, not their teams: the batch reads each area's
    team under a lock on the area
    (escalation_sql), so that an admin's move of the area cannot slip in between.
    Never a contact whose isolation is over: the sweep closes those instead
    (contacts_close_isolation_over), and no local team is sent one. Nor a contact
    whose person is a case being worked: the caseworker speaks to them
    (work.queues.called_as_case)."""
    due = model.objects.due_for_escalation(now)
    if model is Contact:
        due = due.exclude(isolation_over_q(today=timezone.localdate(now))).filter(
            ~called_as_case()
        )
    return _claimed(due).values_list(
        "pk",
        "person_id",
        "attempts",
        "area_id",
        "assignee_id",
        "escalate_due_at",
    )[:batch]


def _claimed(due: QuerySet) -> QuerySet:
    """Items due for escalation as a sweep claims them: longest overdue first, in the
    order of the partial index on the due time, locked, skipping those another sweep
    holds."""
    return due.order_by("escalate_due_at", "pk").select_for_update(
        skip_locked=True, of=("self",)
    )


def isolation_over_reason(ends_on: date) -> str:
    """Why a contact whose isolation is over is not traced, as a contact named that
    late is refused (work.rules.exposure_date_problem)."""
    return f"Their isolation ended on {long_date(ends_on)}: {NOT_TRACED}."


def _ended_due_for_sweep(now: datetime, *, batch: int) -> QuerySet:
    """One batch of the contacts due for escalation whose isolation is over, read
    and locked as due_for_sweep reads the rest (the same index, SKIP LOCKED)."""
    over = Contact.objects.due_for_escalation(now).filter(
        isolation_over_q(today=timezone.localdate(now))
    )
    return _claimed(over).values_list(
        "pk", "person_id", "isolation_ends_on", "assignee_id"
    )[:batch]


def contacts_close_isolation_over(now: datetime, *, batch: int) -> tuple[int, bool]:
    """The contacts out of time whose isolation is over, closed, never reached,
    rather than escalated: there is nothing to ask of them now, so no local team is
    sent them (as a contact named that late is refused). Each leaves its queue
    (nobody holds it, no call or deadline is due) with an audit row saying why;
    the weekly figures count it as not reached, as they count every contact
    without a reached time. Run by the sweep in its batch's transaction, before the
    escalations, on every database alike.

    Exactly once: the rows are claimed with SKIP LOCKED and closed by one update of
    those still unreached, so two sweeps never close one twice, and a closed one is
    no longer due. Returns (closed, whether any was held by someone)."""
    rows = list(_ended_due_for_sweep(now, batch=batch))
    if not rows:
        return 0, False
    return _close_isolation_over(rows, now=now)


def _close_isolation_over(
    rows: list[tuple[int, int, date, int | None]], *, now: datetime
) -> tuple[int, bool]:
    """Close the contacts of `rows` (pk, person, isolation end, holder), locked by
    the caller and unreached, each with its audit row: the sweep's batch and one
    contact alone (item_escalate_unreached) alike. Returns (closed, whether any was
    held by someone)."""
    closed = Contact.objects.filter(
        pk__in=[row[0] for row in rows], status__in=UNREACHED
    ).update(
        status=Status.CLOSED,
        closed_at=now,
        assignee=None,
        next_attempt_at=None,
        escalate_due_at=None,
    )
    if closed != len(rows):
        # Cannot happen while the rows are locked: undo the batch rather than audit
        # a closing that did not happen.
        raise IllegalTransition("Another sweep closed some of these contacts.")
    audit_record_many(
        AuditEvent(
            at=now,
            action=AuditEvent.Action.UPDATE,
            person_id=person_id,
            object_type=Contact._meta.label_lower,
            object_id=str(pk),
            detail=_isolation_over_detail(ends_on),
        )
        for pk, person_id, ends_on, _holder in rows
    )
    return closed, any(row[3] is not None for row in rows)


# Why a contact was closed, in the audit detail of a close for an isolation over.
CLOSED_ISOLATION_OVER = "isolation_over"
# The outcome an escalation closed for an isolation over records: the model's for
# someone the team did not reach (it has none for an isolation over); the note says
# why (isolation_over_reason).
ISOLATION_OVER_OUTCOME = Escalation.Outcome.NOT_FOUND


def _isolation_over_detail(ends_on: date) -> dict[str, str]:
    """The audit detail of a contact closed because its isolation is over, before
    it was escalated or after (escalations_close_isolation_over adds the
    escalation and its outcome)."""
    return {
        "closed": CLOSED_ISOLATION_OVER,
        "isolation_ends_on": ends_on.isoformat(),
        "reason": isolation_over_reason(ends_on),
    }


def _escalations_ended_for_sweep(now: datetime, *, batch: int) -> QuerySet:
    """One batch of the escalations escalations_close_isolation_over closes, those
    whose isolation ended longest ago first, each locked with its contact, skipping
    those another holds (another sweep, someone picking it up or closing it, a
    clinician changing the contact's end date): never waited for, taken by the next
    sweep if still due. Read from the escalated contacts by their isolation's end
    (the index contact_escalated_ends), which stops at today: never every open
    escalation, on every batch, to find none."""
    return (
        Escalation.objects.filter(
            nothing_left_to_ask_q(today=timezone.localdate(now)),
            status=Escalation.Status.NEW,
            contact__status=Status.ESCALATED,
        )
        # Its columns: the escalation's id and contact, the contact's id, person and
        # isolation end (the rows to lock both are model rows: select_related).
        .select_related("contact")
        .only("contact__person_id", "contact__isolation_ends_on")
        .order_by("contact__isolation_ends_on", "contact_id")
        .select_for_update(skip_locked=True, of=("self", "contact"))[:batch]
    )


def escalations_close_isolation_over(now: datetime, *, batch: int) -> int:
    """The escalations of contacts whose isolation is over, picked up by nobody,
    closed: there is nothing to ask of them now, as the sweep closes a contact
    before escalating it (contacts_close_isolation_over). Left open, they sat at
    the top of the team's queue, counted overdue, for ever: a team behind spent its
    first effort on people who no longer needed contacting.

    Which, by reason (escalations.selectors.TO_REACH_ONLY): those asking the team
    only to reach them, the sweep's own (not reached, a wrong or missing number,
    refused by phone), since what the team was to tell them, to stay at home, has no
    day left. Not these, which the end of a contact's isolation does not settle:
    - a safeguarding concern: about someone's safety, not their isolation; it stays
      until a person closes it;
    - support to isolate (money, food, medicine): help asked for may still be
      needed, or owed for the days at home, and only a person can tell;
    - a complex setting, or "other": raised for something a person judged needed
      the team, beyond reaching them;
    - a case's escalation: not a contact's.
    One picked up is being worked: it is left to whoever holds it (and is not
    counted overdue: escalations.selectors.escalation_counts).

    Each is closed as by the sweep (closed_by empty) with ISOLATION_OVER_OUTCOME
    and isolation_over_reason as its note; its contact is closed not reached (its
    team kept, as a person's close keeps it), so the weekly figures count it as
    they count a contact closed before escalation; and one audit row on the contact
    says both: the escalation and its outcome, as a person's close (the team's
    history reads who closed it from it), and why, as the close before escalation.

    Set-based, as the sweep's batch: on PostgreSQL one statement
    (escalation_sql.close_isolation_over_batch), elsewhere one update of each kind
    of row and one insert of the audit rows. Exactly once: the rows are claimed with
    SKIP LOCKED and closed only while still new and escalated, so two sweeps never
    close one twice, and a closed one no longer matches. Run by the sweep in its
    batch's transaction. Returns how many were closed."""
    claim = _escalations_ended_for_sweep(now, batch=batch)
    if _batch_in_one_statement():
        return close_isolation_over_batch(
            claim=claim,
            now=now,
            outcome=ISOLATION_OVER_OUTCOME,
            closed_why=CLOSED_ISOLATION_OVER,
            not_traced=NOT_TRACED,
        )
    rows = [
        (e.pk, e.contact_id, e.contact.person_id, e.contact.isolation_ends_on)
        for e in claim
    ]
    if not rows:
        return 0
    return _close_ended_escalations(rows, now=now)


def _close_ended_escalations(
    rows: list[tuple[int, int, int, date]], *, now: datetime
) -> int:
    """escalations_close_isolation_over's batch where it is not one statement
    (SQLite, the embedded default): the rows (escalation, contact, person, isolation
    end), locked by the caller, closed by one update each and audited by one insert.
    Returns how many were closed."""
    by_end: dict[date, list[int]] = defaultdict(list)
    for pk, _contact, _person, ends_on in rows:
        by_end[ends_on].append(pk)
    closed = Escalation.objects.filter(
        pk__in=[row[0] for row in rows], status=Escalation.Status.NEW
    ).update(
        status=Escalation.Status.CLOSED,
        outcome=ISOLATION_OVER_OUTCOME,
        outcome_note=SqlCase(
            *(
                When(pk__in=pks, then=Value(isolation_over_reason(ends_on)))
                for ends_on, pks in by_end.items()
            )
        ),
        closed_at=now,
        closed_by=None,
    )
    ended = Contact.objects.filter(
        pk__in=[row[1] for row in rows], status=Status.ESCALATED
    ).update(status=Status.CLOSED, closed_at=now)
    if not closed == ended == len(rows):
        # Cannot happen while the rows are locked: undo the batch rather than leave
        # an escalation closed with its contact open.
        raise IllegalTransition(
            "Another sweep closed some of these escalations or their contacts."
        )
    audit_record_many(
        AuditEvent(
            at=now,
            action=AuditEvent.Action.UPDATE,
            person_id=person_id,
            object_type=Contact._meta.label_lower,
            object_id=str(contact_id),
            detail={
                "escalation": pk,
                "outcome": ISOLATION_OVER_OUTCOME,
                **_isolation_over_detail(ends_on),
            },
        )
        for pk, contact_id, person_id, ends_on in rows
    )
    return closed


def escalate_unreached(
    *, now: datetime | None = None, batch: int | None = None
) -> tuple[int, bool]:
    """One batch of the sweep: escalate unreached items whose rule is spent.

    Each kind's batch is one transaction: the due items are claimed with SKIP LOCKED,
    marked escalated by one conditional update (WorkItem.mark_escalated for many rows),
    and given their Escalation and audit rows by one insert each (on PostgreSQL all
    of it one statement, escalation_sql, with the reason and detail worded in SQL).
    Two sweeps at once never take the same row, and the one-open-escalation
    constraint refuses a double even if they did; a sweep killed midway rolls back
    its batch whole. Items whose postcode found no area go to the fallback team,
    flagged. Returns (escalated, more_waiting). Work held by someone frees their
    slot: an assignment run is asked for once the batch commits.

    A contact whose isolation is over is closed instead, in the same transaction
    (contacts_close_isolation_over): never escalated, not counted as escalated. So
    is an escalation of such a contact that nobody picked up
    (escalations_close_isolation_over), and its contact with it.
    """
    now = now or timezone.now()
    batch = batch or SWEEP_BATCH
    done = ended = ended_escalations = 0
    more = False
    models: tuple[type[Case] | type[Contact], ...] = (Case, Contact)
    for model in models:
        with transaction.atomic():
            closed, held = 0, False
            if model is Contact:
                closed, held = contacts_close_isolation_over(now, batch=batch)
                closed_escalations = escalations_close_isolation_over(now, batch=batch)
                more = more or closed_escalations == batch
                ended_escalations += closed_escalations
            if _batch_in_one_statement():
                swept = sweep_batch(
                    model=model,
                    claim=due_for_sweep(model, now, batch=batch),
                    now=now,
                    reason_for_last_outcome=REASON_FOR_LAST_OUTCOME,
                    worded_for_last_outcome=WORDED_FOR_LAST_OUTCOME,
                    note_of_last_call=NOTE_OF_LAST_CALL,
                    sent_back_line=SENT_BACK_LINE,
                    since_sent_back=SINCE_SENT_BACK,
                    due_within=DUE_WITHIN,
                    default_due_within=DEFAULT_DUE_WITHIN,
                )
                claimed, freed_a_slot = swept.claimed, swept.freed_a_slot
            else:
                claimed, freed_a_slot = _sweep_batch_row_by_row(model, now, batch)
            more = more or claimed == batch or closed == batch
            done += claimed
            ended += closed
            if freed_a_slot or held:
                assignment_run_after_commit()  # held slots freed
    if ended:
        log.info("closed %s contacts whose isolation was over", ended)
    if ended_escalations:
        log.info(
            "closed %s escalations of contacts whose isolation was over",
            ended_escalations,
        )
    if done:
        log.info("escalated %s unreached items", done)
    return done, more


def _batch_in_one_statement() -> bool:
    """PostgreSQL writes a batch in one statement (escalation_sql); elsewhere
    (SQLite, the embedded default) it is written row by row."""
    return connection.vendor == "postgresql"


def _sweep_batch_row_by_row(
    model: type[Case] | type[Contact], now: datetime, batch: int
) -> tuple[int, bool]:
    """The batch of escalate_unreached where rows cannot be locked (SQLite, the
    embedded default): the same rows as escalation_sql writes, built in Python.
    Returns (claimed, whether any was held by someone)."""
    kind = model.kind
    rule = CallRule.for_kind(kind)
    rows = list(due_for_sweep(model, now, batch=batch))
    if not rows:
        return 0, False
    pks = [row[0] for row in rows]
    fallback = None
    if any(row[3] is None for row in rows):
        fallback = fallback_team()
    teams = _teams_of_areas({row[3] for row in rows} - {None})
    team_of = Coalesce(
        Subquery(
            Area.objects.filter(pk=OuterRef("area_id")).values("local_team_id")[:1]
        ),
        Value(fallback.pk if fallback else None),
    )
    updated = model.objects.filter(pk__in=pks, status__in=UNREACHED).update(
        status=Status.ESCALATED,
        local_team_id=team_of,
        assignee=None,
        escalated_at=now,
        next_attempt_at=None,
        escalate_due_at=None,
    )
    if updated != len(pks):
        # Another sweep got there first: undo this batch rather than risk a double.
        raise IllegalTransition("Another sweep escalated some of these items.")
    history = _call_history(kind, pks)
    no_number = {
        pk: no_number_escalated(phone, phone_alt)
        for pk, phone, phone_alt in Person.objects.filter(
            no_number_to_call_q(), pk__in={row[1] for row in rows}
        ).values_list("pk", "phone", "phone_alt")
    }
    escalations, events = [], []
    for pk, person_id, attempts, area_id, _holder, _due in rows:
        calls = history.get(pk, [])
        number_to_call = person_id not in no_number
        reason = _reason_for(calls, attempts=attempts, number_to_call=number_to_call)
        area_unknown = area_id is None  # no area, so no team of its own
        if area_unknown:
            assert fallback is not None
            team_id, team_code = fallback.pk, fallback.code
        else:
            team_id, team_code = teams[area_id]
        escalations.append(
            Escalation(
                **{f"{kind}_id": pk},
                local_team_id=team_id,
                reason=reason,
                detail=_unreached_detail(
                    attempts,
                    calls,
                    rule,
                    number_to_call=number_to_call,
                    no_number=no_number.get(person_id, NO_NUMBER_ESCALATED),
                ),
                area_unknown=area_unknown,
                created_at=now,
                due_at=now + DUE_WITHIN.get(reason, DEFAULT_DUE_WITHIN),
            )
        )
        events.append(
            AuditEvent(
                at=now,
                action=AuditEvent.Action.ESCALATE,
                person_id=person_id,
                object_type=model._meta.label_lower,
                object_id=str(pk),
                detail={"team": team_code, "reason": reason},
            )
        )
    Escalation.objects.bulk_create(escalations)
    audit_record_many(events)
    return len(rows), any(row[4] is not None for row in rows)


def _teams_of_areas(area_ids: set[int]) -> dict[int, tuple[int, str]]:
    """Each area's team (id and code), for the row-by-row sweep (where rows cannot
    be locked)."""
    return {
        area_id: (team_id, code)
        for area_id, team_id, code in Area.objects.filter(pk__in=area_ids).values_list(
            "pk", "local_team_id", "local_team__code"
        )
    }


def _reason_for(
    history: list[tuple], *, attempts: int = 0, number_to_call: bool = True
) -> str:
    """The last call's reason (REASON_FOR_LAST_OUTCOME), or not reached; for someone
    with no number, escalated with no attempt, "Wrong or missing number". The last
    call of this round (_rounds): an item sent back by its local team and not called
    since is not reached, whatever its last call before was."""
    if _no_number(attempts, number_to_call=number_to_call):
        return NO_NUMBER_REASON
    _, _, calls = _rounds(history)
    last = calls[-1][1] if calls else ""
    return REASON_FOR_LAST_OUTCOME.get(last, Escalation.Reason.UNREACHED)


@atomic_operation
def item_escalate_unreached(
    *, item: WorkItem, now: datetime | None = None
) -> Escalation | None:
    """One item out of time, escalated exactly as the sweep escalates it: the same
    reason, detail, escalation row and audit row (the sweep's single counterpart).
    A contact whose isolation is over is closed instead, as the sweep closes it
    (contacts_close_isolation_over: the same row and audit row, once), and None is
    returned: no local team is sent it."""
    now = now or timezone.now()
    locked = item.locked()
    if (
        locked.status not in UNREACHED
        or locked.escalate_due_at is None
        or locked.escalate_due_at > now
    ):
        raise IllegalTransition(f"This {locked.kind} is not due for escalation.")
    if isinstance(locked, Contact) and isolation_over(
        locked.isolation_ends_on, today=timezone.localdate(now)
    ):
        row = (locked.pk, locked.person_id, locked.isolation_ends_on)
        _, held = _close_isolation_over([(*row, locked.assignee_id)], now=now)
        if held:
            assignment_run_after_commit()  # a held slot freed, as by the sweep
        return None
    calls = _call_history(locked.kind, [locked.pk]).get(locked.pk, [])
    person = locked.person
    number_to_call = has_number_to_call(person)
    return item_escalate(
        item=locked,
        reason=_reason_for(
            calls, attempts=locked.attempts, number_to_call=number_to_call
        ),
        detail=_unreached_detail(
            locked.attempts,
            calls,
            CallRule.for_kind(locked.kind),
            number_to_call=number_to_call,
            no_number=no_number_escalated(person.phone, person.phone_alt),
        ),
        now=now,
    )
