"""Reads for the call screens: the script, the call history, knowledge articles."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import CallAttempt, KnowledgeArticle, ScriptStep

# How many articles one search shows: enough to choose from, small enough to read.
ARTICLE_LIMIT = 8


def script_steps(audience: str) -> list[ScriptStep]:
    """The steps of the script for a case or a contact call, in order."""
    return list(script_steps_query(audience))


def script_steps_query(audience: str) -> QuerySet[ScriptStep]:
    return (
        ScriptStep.objects.filter(script__audience=audience)
        .select_related("script")
        .order_by("order")
    )


def call_history(item) -> QuerySet[CallAttempt]:
    """Every call to a case or contact, newest first, with the caller."""
    return CallAttempt.objects.filter(**{item.kind: item}).select_related("caller")


def articles_matching(query: str, *, clinical: bool) -> list[KnowledgeArticle]:
    """Articles whose title, keywords or text contain every word typed.

    Clinical guidance only for those allowed it (tier 2 and supervisors).
    """
    qs = KnowledgeArticle.objects.all()
    if not clinical:
        qs = qs.filter(clinical=False)
    for word in query.split()[:6]:
        qs = qs.filter(
            Q(title__icontains=word)
            | Q(keywords__icontains=word)
            | Q(body__icontains=word)
        )
    return list(qs.order_by("title")[:ARTICLE_LIMIT])
