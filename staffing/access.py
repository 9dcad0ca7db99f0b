"""Who may see which work: every list and page starts from these."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from .models import StaffProfile, Tier


def profile_of(user) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    try:
        return user.staff
    except StaffProfile.DoesNotExist:
        return None


def scope_work_items(qs: QuerySet, user) -> QuerySet:
    """Narrow a queryset of cases or contacts to what this user may see.

    Superusers and national supervisors see all; a local team member sees the items of
    the team's areas and those handed to the team; a caseworker sees the cases they
    hold and those cases' contacts; a call handler the contacts they hold.
    """
    if user.is_superuser:
        return qs
    profile = profile_of(user)
    if profile is None or not user.is_active:
        return qs.none()
    if profile.tier == Tier.LOCAL:
        return qs.filter(
            Q(area__local_team_id=profile.local_team_id)
            | Q(local_team_id=profile.local_team_id)
        )
    if profile.is_supervisor:
        return qs
    if qs.model._meta.model_name == "case":
        return qs.filter(assignee=user) if profile.tier == Tier.CLINICAL else qs.none()
    if profile.tier == Tier.CLINICAL:
        return qs.filter(case__assignee=user)
    return qs.filter(assignee=user)


def get_case_for_user(user, pk: int):
    from cases.models import Case

    try:
        return Case.objects.visible_to(user).with_person().get(pk=pk)
    except Case.DoesNotExist:
        raise Http404("No such case.") from None


def get_contact_for_user(user, pk: int):
    from contacts.models import Contact

    try:
        return Contact.objects.visible_to(user).with_person().get(pk=pk)
    except Contact.DoesNotExist:
        raise Http404("No such contact.") from None
