"""Who may override an isolation end date: a tier 2 clinician, on a case they may work
or a contact of one (docs/access.md, "Isolation end dates").

A clinical judgement, so not a call handler's, a local team's, an administrator's or
an integration's own: an integration names the clinician, who must be allowed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact
from staffing.models import Tier

from .actor import Actor
from .contacts import contacts_visible_to

CLINICIANS_ONLY = "Only a tier 2 clinician may change an isolation end date."
UNREGISTERED = (
    "Your professional registration is not verified or has expired: you may not "
    "change an isolation end date until a supervisor verifies it."
)


def _clinician_refusal(actor: Actor) -> str | None:
    """Why this actor may not override any end date at all; None if they may."""
    if actor.client or actor.profile is None or actor.tier != Tier.CLINICAL:
        return CLINICIANS_ONLY
    if not actor.profile.registration_valid_on(timezone.localdate()):
        return UNREGISTERED
    return None


def override_refusal(who: Actor | Any, item: WorkItem) -> str | None:
    """Why `who` may not override this case's or contact's end date, in words; None
    when they may: a tier 2 clinician with a verified registration who holds the case
    (or the case the contact was named by), or a tier 2 national supervisor."""
    actor = Actor.of(who)
    if (refusal := _clinician_refusal(actor)) is not None:
        return refusal
    if actor.is_national_supervisor:
        return None
    if isinstance(item, Case):
        holder = item.assignee_id
    elif isinstance(item, Contact) and Contact.case.is_cached(item):
        holder = item.case.assignee_id
    elif isinstance(item, Contact):
        holder = (
            Case.objects.filter(pk=item.case_id)
            .values_list("assignee_id", flat=True)
            .first()
        )
    else:
        raise TypeError(f"Not a work item: {item!r}")
    if holder is not None and holder == actor.user.pk:
        return None
    return f"This {item.kind} is not yours to work."


def may_override_isolation(who: Actor | Any, item: WorkItem) -> bool:
    return override_refusal(who, item) is None


def get_case_to_override(who: Actor | Any, pk: int) -> Case:
    """The case for its override page: 403 for anyone but a tier 2 clinician; then,
    as the case page, 404 if there is none and 403 if it is not theirs."""
    if (refusal := _clinician_refusal(Actor.of(who))) is not None:
        raise PermissionDenied(refusal)
    try:
        case = Case.objects.with_person().get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None
    if (refusal := override_refusal(who, case)) is not None:
        raise PermissionDenied(refusal)
    return case


def get_contact_to_override(who: Actor | Any, pk: int) -> Contact:
    """The contact for its override page: 403 for anyone but a tier 2 clinician; 404
    for a contact they may not see (the contacts of the cases they hold)."""
    if (refusal := _clinician_refusal(Actor.of(who))) is not None:
        raise PermissionDenied(refusal)
    try:
        contact = contacts_visible_to(who).with_person().get(pk=pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact.") from None
    if (refusal := override_refusal(who, contact)) is not None:
        raise PermissionDenied(refusal)
    return contact
