"""Who may see a case, and who may work one (the clinical case page)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from cases.models import Case, CaseQuerySet
from staffing.models import Tier

from ..compiled import instances_compiled_once
from .actor import Actor, team_items_q


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
        raise PermissionDenied("This case is not yours to work.")
    return case


def _case_to_work(pk: int) -> QuerySet[Case]:
    return (
        Case.objects.with_person()
        .select_related("assessment", "person__language")
        .filter(pk=pk)
    )
