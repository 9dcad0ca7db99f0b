"""Who may open a case's or a contact's work page.

The list scope (staffing.access.scope_work_items) says what a user may see at all;
these page rules are narrower: a work page is for the person holding the item, or a
national supervisor. Anyone else who names an existing item gets 403, not 404, so a
call handler who follows a case link learns plainly that the page is not theirs.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from contacts.models import Contact
from staffing.access import profile_of
from staffing.models import Tier

from .models import Case


def is_national_supervisor(user) -> bool:
    if user.is_superuser:
        return True
    profile = profile_of(user)
    return (
        profile is not None
        and user.is_active
        and profile.is_supervisor
        and profile.tier != Tier.LOCAL
    )


def user_tier(user) -> int | None:
    profile = profile_of(user)
    return profile.tier if profile is not None and user.is_active else None


def may_work_case(user, case: Case) -> bool:
    """Clinical pages: the tier 2 caseworker holding the case, or a supervisor."""
    if is_national_supervisor(user):
        return True
    return user_tier(user) == Tier.CLINICAL and case.assignee_id == user.pk


def may_work_contact(user, contact: Contact) -> bool:
    """The tier 3 call handler holding the contact, or a supervisor."""
    if is_national_supervisor(user):
        return True
    return user_tier(user) == Tier.CALL_HANDLER and contact.assignee_id == user.pk


def get_case_page_for_user(user, pk: int) -> Case:
    """The case for its clinical page: 404 if there is none, 403 if not this user's."""
    case = get_object_or_404(
        Case.objects.with_person().select_related("assessment", "person__language"),
        pk=pk,
    )
    if not may_work_case(user, case):
        raise PermissionDenied("This case is not yours to work.")
    return case


def get_contact_page_for_user(user, pk: int) -> Contact:
    """The contact for the call handler's page: 404 if none, 403 if not theirs.

    Selects the person only: the case behind a contact is private to tier 2.
    """
    contact = get_object_or_404(
        Contact.objects.select_related("person", "person__language", "assignee"), pk=pk
    )
    if not may_work_contact(user, contact):
        raise PermissionDenied("This contact is not yours to work.")
    return contact
