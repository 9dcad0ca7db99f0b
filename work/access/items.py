"""Either kind of work item: who may work it (used by the operations themselves)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact

from .actor import Actor
from .cases import cases_visible_to, may_work_case
from .contacts import contacts_visible_to, may_work_contact


def may_work_item(who: Actor | Any, item: WorkItem) -> bool:
    if isinstance(item, Case):
        return may_work_case(who, item)
    if isinstance(item, Contact):
        return may_work_contact(who, item)
    raise TypeError(f"Not a work item: {item!r}")


def items_visible_to(who: Actor | Any, model: type[WorkItem]) -> QuerySet:
    """The cases or the contacts (by `model`) this actor may see."""
    if model is Case:
        return cases_visible_to(who)
    if model is Contact:
        return contacts_visible_to(who)
    raise TypeError(f"Not a kind of work item: {model!r}")
