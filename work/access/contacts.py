"""Who may see a contact, and who may work one (the call handler's contact page)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from contacts.models import Contact, ContactQuerySet
from staffing.models import Tier

from ..compiled import instances_compiled_once
from .actor import Actor, team_items_q


def contacts_visible_to(who: Actor | Any) -> ContactQuerySet:
    """The contacts this actor may see at all.

    Administrators and national supervisors see all; a local team member (or a bound
    client) the contacts of the team's areas and those handed to it; a caseworker the
    contacts of the cases they hold; a call handler the contacts they hold.
    """
    actor = Actor.of(who)
    qs = Contact.objects.all()
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
        return qs.filter(case__assignee=actor.user)
    if actor.tier == Tier.CALL_HANDLER:
        return qs.filter(assignee=actor.user)
    return qs.none()


def get_contact_for(who: Actor | Any, pk: Any) -> Contact:
    try:
        return contacts_visible_to(who).with_person().get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such contact.") from None


def may_work_contact(who: Actor | Any, contact: Contact) -> bool:
    """Calls to a contact: the tier 3 call handler holding it, or a national
    supervisor. An integration works the contacts it may see."""
    actor = Actor.of(who)
    if actor.client:
        return contacts_visible_to(actor).filter(pk=contact.pk).exists()
    if actor.is_national_supervisor:
        return True
    return actor.tier == Tier.CALL_HANDLER and contact.assignee_id == actor.user.pk


def get_contact_to_work(who: Actor | Any, pk: int) -> Contact:
    """The contact for the call handler's page: 404 if none, 403 if not theirs.

    Selects the person only: the case behind a contact is private to tier 2.
    """
    # Read on every contact page and section: composed once per process.
    found = instances_compiled_once("contact to work", Contact, _contact_to_work, pk=pk)
    if not found:
        raise Http404("No such contact.")
    contact = found[0]
    if not may_work_contact(who, contact):
        raise PermissionDenied("This contact is not yours to work.")
    return contact


def _contact_to_work(pk: int) -> QuerySet[Contact]:
    return Contact.objects.select_related(
        "person", "person__language", "assignee"
    ).filter(pk=pk)
