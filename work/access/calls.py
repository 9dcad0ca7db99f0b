"""Who may see which call attempts: those to the cases and contacts they may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from calls.models import CallAttempt

from .actor import Actor
from .cases import cases_visible_to
from .contacts import contacts_visible_to


def calls_visible_to(who: Actor | Any) -> QuerySet[CallAttempt]:
    actor = Actor.of(who)
    if actor.sees_everything:
        return CallAttempt.objects.all()
    return CallAttempt.objects.filter(
        Q(case__in=cases_visible_to(actor).values("pk"))
        | Q(contact__in=contacts_visible_to(actor).values("pk"))
    )


def get_call_for(who: Actor | Any, pk: Any) -> CallAttempt:
    try:
        return calls_visible_to(who).get(pk=pk)
    except (CallAttempt.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such call attempt.") from None
