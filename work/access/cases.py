"""Who may see a case, and who may work one (the clinical case page)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from cases.errors import IllegalTransition
from cases.models import Case, CaseQuerySet
from cases.workitem import Status
from staffing.models import Tier

from ..compiled import instances_compiled_once
from .actor import Actor, team_items_q
from .escalations import latest_escalation, may_work_escalation

NOT_YOURS = "This case is not yours to work."
# To its local team, working a concern raised on the case once completed.
COMPLETED_TAKES_NO_CONTACTS = (
    "This case is completed: its tracing is over, and it takes no more contacts."
)
CONCERN_IS_YOURS = " Your team has the concern raised on it to work, not the case."
# A case with the phones: waiting, assigned, reached (work.casework.OPEN).
WITH_THE_PHONES = (Status.NEW, Status.ASSIGNED, Status.REACHED)


def cases_visible_to(who: Actor | Any) -> CaseQuerySet:
    """The cases this actor may see at all; narrower checks come on top.

    Administrators and national supervisors see all; a local team member (or a bound
    client) the cases of the team's areas and those handed to the team; a tier 2
    caseworker the cases they hold; a call handler none.
    """
    actor = Actor.of(who)
    qs = Case.objects.all()
    if actor.sees_everything:
        return qs
    team_id = actor.local_team_id
    if team_id is not None:
        return qs.filter(team_items_q(team_id))
    if actor.client or actor.profile is None:
        return qs.none()
    if actor.is_national_supervisor:
        return qs
    if actor.tier == Tier.CLINICAL:
        return qs.filter(assignee=actor.user)
    return qs.none()


def get_case_for(who: Actor | Any, pk: Any) -> Case:
    """The case with its person, if this actor may see it; else 404."""
    try:
        return cases_visible_to(who).with_person().get(pk=pk)
    except (Case.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such case.") from None


def may_work_case(who: Actor | Any, case: Case) -> bool:
    """The clinical work (calls, assessment, contacts, completion): the tier 2
    caseworker holding the case, or a national supervisor. An integration with the
    case work scope works the cases it may see (it names who made a call: that
    person must be allowed to work the case)."""
    actor = Actor.of(who)
    if actor.client:
        return cases_visible_to(actor).filter(pk=case.pk).exists()
    if actor.is_national_supervisor:
        return True
    return actor.tier == Tier.CLINICAL and case.assignee_id == actor.user.pk


def contacts_refusal(
    who: Actor | Any, case: Case
) -> PermissionDenied | IllegalTransition | None:
    """Why `who` may not name contacts of the case now, as the error to raise; None
    when they may. Read with the case locked (work.casework.contact_add), so that its
    status and its escalation's are the ones the naming is saved against.

    With the phones (waiting, assigned, reached), whoever may work the case
    (may_work_case). With its local team (escalated, its escalation open: new or
    picked up), whoever may work that escalation (may_work_escalation), as may close
    it: any member of the team, not only who picked it up; a client bound to the
    team; an administrator, a national client. The people the case names to the team
    (at the door, on the team's call) are contacts as any others, for the phones.

    Anyone else is told it is not theirs (PermissionDenied). One of them is told the
    case no longer takes contacts (IllegalTransition): completed, closed, withdrawn,
    with a local team (for its caseworker, a national supervisor), or, for its team,
    closed or sent back to the phones since the page they typed on was drawn (the
    case's latest escalation, closed, still says whose it was), or completed when a
    concern was raised on it (the team works the concern, and the case stays
    completed: COMPLETED_TAKES_NO_CONTACTS)."""
    actor = Actor.of(who)
    escalation = latest_escalation(case)
    by_team = escalation is not None and may_work_escalation(actor, escalation)
    with_team = (
        escalation is not None
        and escalation.closed_at is None
        and case.status == Status.ESCALATED
    )
    if by_team and with_team:
        return None
    works_case = may_work_case(actor, case)
    if works_case and case.status in WITH_THE_PHONES:
        return None
    if not (works_case or by_team):
        return PermissionDenied(NOT_YOURS)
    if not works_case and case.status in WITH_THE_PHONES:
        return IllegalTransition(
            "This case was sent back to the national queue: its contacts are "
            "added by its caseworker now, not by your team."
        )
    if by_team and case.tracing_over:
        # A concern raised after its caseworker completed it: the concern is the
        # team's, the case is not (WorkItem.mark_escalated).
        assert escalation is not None  # by_team: the team's escalation
        why = COMPLETED_TAKES_NO_CONTACTS
        if escalation.closed_at is None:
            why += CONCERN_IS_YOURS
        return IllegalTransition(why)
    return IllegalTransition(
        f"This case is {case.get_status_display().lower()}: "
        "it can no longer be changed."
    )


def may_add_contacts(who: Actor | Any, case: Case) -> bool:
    """Whether `who` may name contacts of the case now (contacts_refusal): the
    caseworker working it, or its local team while it is with them."""
    return contacts_refusal(who, case) is None


def get_case_to_work(who: Actor | Any, pk: int) -> Case:
    """The case for its clinical page: 404 if there is none, 403 if not this actor's.

    A call handler who follows a case link learns plainly that it is not theirs.
    """
    # Read on every case page and section: composed once per process (work.compiled).
    found = instances_compiled_once("case to work", Case, _case_to_work, pk=pk)
    if not found:
        raise Http404("No such case.")
    case = found[0]
    if not may_work_case(who, case):
        raise PermissionDenied(NOT_YOURS)
    return case


def _case_to_work(pk: int) -> QuerySet[Case]:
    return (
        Case.objects.with_person()
        .select_related("assessment", "person__language")
        .filter(pk=pk)
    )
