from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from cases.workitem import WorkItem
from people.models import Message

from .models import CallAttempt, Outcome


@transaction.atomic
def call_record(
    *,
    item: WorkItem,
    caller,
    outcome: str,
    call_back_at: datetime | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    now: datetime | None = None,
) -> CallAttempt:
    """Log one call and apply its outcome to the case or contact.

    A safeguarding concern escalates to the local team at once.
    """
    now = now or timezone.now()
    locked = item.locked()
    locked.mark_call(outcome=outcome, now=now, call_back_at=call_back_at)
    call = CallAttempt.objects.create(
        **{locked.kind: locked},
        caller=caller,
        phone=str(locked.person.phone or ""),
        started_at=now,
        duration_seconds=duration_seconds,
        outcome=outcome,
        call_back_at=call_back_at if outcome == Outcome.CALL_BACK else None,
        notes=notes,
    )
    from staffing.services import call_review_queue_if_new_starter

    call_review_queue_if_new_starter(call=call)
    if outcome == Outcome.NEEDS_INTERPRETER and not locked.person.needs_interpreter:
        locked.person.needs_interpreter = True
        locked.person.save(update_fields=["needs_interpreter", "updated_at"])
    if outcome == Outcome.SAFEGUARDING:
        from escalations.models import Escalation
        from escalations.services import item_escalate

        if locked.kind == "case":
            locked.safeguarding_flag = True
            locked.safeguarding_note = notes
            locked.save(update_fields=["safeguarding_flag", "safeguarding_note"])
        item_escalate(
            item=locked,
            reason=Escalation.Reason.SAFEGUARDING,
            detail=notes,
            by=caller,
            now=now,
        )
    item.refresh_from_db()
    return call


@dataclass
class CallLogged:
    """What logging a call did, for the page to tell the caller."""

    call: CallAttempt
    escalated_to: str = ""  # the local team's name, after a safeguarding concern
    supervisors_told: list[str] = field(default_factory=list)
    message: Message | None = None  # the isolation advice queued for a reached contact


def call_log(
    *,
    item: WorkItem,
    caller,
    outcome: str,
    call_back_at: datetime | None = None,
    duration_seconds: int = 0,
    notes: str = "",
    now: datetime | None = None,
) -> CallLogged:
    """Log a call from the workspace, and do what its outcome asks of the service.

    A contact reached gets the isolation advice as a text (queued for the sender); a
    safeguarding concern is escalated by call_record and the caller's supervisors are
    emailed once the escalation is committed.
    """
    with transaction.atomic():
        call = call_record(
            item=item,
            caller=caller,
            outcome=outcome,
            call_back_at=call_back_at,
            duration_seconds=duration_seconds,
            notes=notes,
            now=now,
        )
        logged = CallLogged(call=call)
        if outcome == Outcome.REACHED and item.kind == "contact" and item.person.phone:
            logged.message = Message.objects.create(
                person=item.person,
                contact=item,
                channel=Message.Channel.SMS,
                kind=Message.Kind.ISOLATION_ADVICE,
                to=str(item.person.phone),
                body=isolation_advice_text(item),
            )
    if outcome == Outcome.SAFEGUARDING:
        escalation = item.escalations.select_related("local_team").latest("created_at")
        logged.escalated_to = escalation.local_team.name
        logged.supervisors_told = _tell_supervisors(
            caller=caller, item=item, team_name=logged.escalated_to, notes=notes
        )
    return logged


def isolation_advice_text(item: WorkItem) -> str:
    ends = item.isolation_ends_on
    return (
        "NHS contact tracing: you have been in contact with someone who has tested "
        f"positive. Please self-isolate until the end of {ends:%A} {ends.day} "
        f"{ends:%B %Y}. "
        "Do not leave home except for a test or an emergency."
    )


def _tell_supervisors(
    *, caller, item: WorkItem, team_name: str, notes: str
) -> list[str]:
    """Email the supervisors of the caller's team; returns the addresses told."""
    from staffing.models import StaffProfile

    team_id = StaffProfile.objects.filter(user=caller).values_list("team_id", flat=True)
    emails = sorted(
        email
        for email in StaffProfile.objects.filter(
            team_id__in=team_id,
            team__isnull=False,
            is_supervisor=True,
            user__is_active=True,
        ).values_list("user__email", flat=True)
        if email
    )
    if emails:
        who = caller.get_full_name() or caller.get_username()
        send_mail(
            subject=f"Safeguarding concern escalated to {team_name}",
            message=(
                f"{who} recorded a safeguarding concern on {item.kind} {item.pk} "
                f"and it has been escalated to {team_name}.\n\n"
                f"What they noted:\n{notes or '(no notes)'}\n"
            ),
            from_email=None,
            recipient_list=emails,
        )
    return emails
