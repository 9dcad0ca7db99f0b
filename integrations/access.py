"""What an API caller may see: a client by its local team, staff as on the web.

Every API view starts from these, as every web view starts from visible_to().
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from calls.models import CallAttempt
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation
from staffing.access import profile_of
from staffing.models import Tier

from .models import ApiClient


def api_client_of(request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


def _team_items(qs: QuerySet, team_id: int) -> QuerySet:
    # The same rule as a tier 1 member's: the team's areas and what was handed to it.
    return qs.filter(Q(area__local_team_id=team_id) | Q(local_team_id=team_id))


def cases_for(request) -> QuerySet[Case]:
    client = api_client_of(request)
    if client is None:
        return Case.objects.visible_to(request.user)
    qs = Case.objects.all()
    return _team_items(qs, client.local_team_id) if client.local_team_id else qs


def contacts_for(request) -> QuerySet[Contact]:
    client = api_client_of(request)
    if client is None:
        return Contact.objects.visible_to(request.user)
    qs = Contact.objects.all()
    return _team_items(qs, client.local_team_id) if client.local_team_id else qs


def calls_for(request) -> QuerySet[CallAttempt]:
    """Calls to the cases and contacts the caller may see."""
    client = api_client_of(request)
    if client is not None and not client.local_team_id:
        return CallAttempt.objects.all()
    if client is None and request.user.is_superuser:
        return CallAttempt.objects.all()
    return CallAttempt.objects.filter(
        Q(case__in=cases_for(request).values("pk"))
        | Q(contact__in=contacts_for(request).values("pk"))
    )


def escalations_for(request) -> QuerySet[Escalation]:
    """A local team sees its own escalations; national supervisors see all."""
    client = api_client_of(request)
    if client is not None:
        qs = Escalation.objects.all()
        return (
            qs.filter(local_team_id=client.local_team_id)
            if client.local_team_id
            else qs
        )
    user = request.user
    if user.is_superuser:
        return Escalation.objects.all()
    profile = profile_of(user)
    if profile is None or not user.is_active:
        return Escalation.objects.none()
    if profile.tier == Tier.LOCAL:
        return Escalation.objects.filter(local_team_id=profile.local_team_id)
    if profile.is_supervisor:
        return Escalation.objects.all()
    return Escalation.objects.none()


def _get(qs: QuerySet, pk, what: str):
    try:
        return qs.get(pk=pk)
    except (qs.model.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404(f"No such {what}.") from None


def get_case_for_request(request, pk) -> Case:
    return _get(cases_for(request).with_person(), pk, "case")


def get_contact_for_request(request, pk) -> Contact:
    return _get(contacts_for(request).with_person(), pk, "contact")


def get_escalation_for_request(request, pk) -> Escalation:
    return _get(
        escalations_for(request).select_related("case", "contact", "local_team"),
        pk,
        "escalation",
    )


def get_call_for_request(request, pk) -> CallAttempt:
    return _get(calls_for(request), pk, "call attempt")
