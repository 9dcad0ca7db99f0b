"""Reads every case and contact page makes, on every visit and every section sent
again: their SQL composed by the ORM once per process (work.compiled) and sent with
the item's id. The queries are the selectors' own (calls.selectors), so the pages
read what those give."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.db.models import QuerySet

from calls.models import CallAttempt, ScriptStep
from calls.selectors import call_history, script_steps_query
from cases.workitem import WorkItem
from people.models import Message
from work.compiled import instances_compiled_once


def calls_of(item: WorkItem) -> list[CallAttempt]:
    """Every call to the case or contact, newest first, with the caller
    (calls.selectors.call_history)."""
    return instances_compiled_once(
        ("calls of", item.kind),
        CallAttempt,
        partial(_calls_query, model=type(item)),
        item_id=item.pk,
    )


def _calls_query(item_id: int, *, model: Any) -> QuerySet[CallAttempt]:
    return call_history(model(pk=item_id))  # the selector's filter, on the id alone


def steps_of(audience: str) -> list[ScriptStep]:
    """The steps of the script for a case or a contact call, in order
    (calls.selectors.script_steps)."""
    return instances_compiled_once(
        ("script steps", audience), ScriptStep, partial(script_steps_query, audience)
    )


# The Online section tells how the latest link went: these are the rest.
LINK_KINDS = (Message.Kind.CASE_LINK, Message.Kind.CONTACT_LINK)
FAILED_SHOWN = 5


def failed_messages_of(item: WorkItem) -> list[Message]:
    """The messages to the item's person about it that failed for good (the
    isolation advice, a changed end date), newest first, but its links: staff must
    not believe the person has in writing what never reached them."""
    return instances_compiled_once(
        ("failed messages", item.kind),
        Message,
        partial(_failed_query, kind=item.kind),
        item_id=item.pk,
    )


def _failed_query(item_id: int, *, kind: str) -> QuerySet[Message]:
    return (
        Message.objects.filter(**{f"{kind}_id": item_id}, status=Message.Status.FAILED)
        .exclude(kind__in=LINK_KINDS)
        .only("key", "kind", "channel", "to", "created_at", "failure_reason")
        .order_by("-created_at", "-pk")[:FAILED_SHOWN]
    )
