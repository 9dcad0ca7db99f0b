"""Records for the retention tests, built in their final states at a given moment."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.apps import apps

from calls.models import Outcome
from cases.workitem import Route, Status
from tests import factories as f

LONDON = ZoneInfo("Europe/London")
# Every record here is closed at this moment (a Tuesday, GMT), 2021-01-12 10:00.
CLOSED = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)
DAY = dt.timedelta(days=1)

PSEUDONYMISE_DAYS = 180
PURGE_CONTACTS_DAYS = 5 * 365 + 1
PURGE_CASES_DAYS = 8 * 365 + 2
AUDIT_DAYS = 10 * 365 + 2


def completed_case(at: dt.datetime = CLOSED, **kwargs):
    """A case reached by phone and completed at `at`, created an hour before."""
    return f.CaseFactory(
        created_at=at - dt.timedelta(hours=1),
        status=Status.COMPLETED,
        reached_at=at - dt.timedelta(minutes=30),
        reached_route=Route.NATIONAL,
        completed_at=at,
        next_attempt_at=None,
        escalate_due_at=None,
        **kwargs,
    )


def reached_contact(at: dt.datetime = CLOSED, **kwargs):
    """A contact reached (told to isolate: done) at `at`."""
    kwargs.setdefault("case", completed_case(at))
    fields = {
        "created_at": at - dt.timedelta(minutes=50),
        "status": Status.REACHED,
        "reached_at": at,
        "reached_route": Route.NATIONAL,
        "next_attempt_at": None,
        "escalate_due_at": None,
    }
    return f.ContactFactory(**{**fields, **kwargs})


def reaching_call(item, caller=None):
    field = "case" if item.kind == "case" else "contact"
    return f.CallAttemptFactory(
        **{field: item, "contact": item if field == "contact" else None},
        caller=caller or f.UserFactory(),
        started_at=item.reached_at,
        outcome=Outcome.REACHED,
        phone=str(item.person.phone),
        notes="Spoke to them at home; lives with their sister",
    )


def every_row() -> dict[str, set]:
    """The primary keys of every row of every model, by model label."""
    return {
        model._meta.label_lower: set(model._base_manager.values_list("pk", flat=True))
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
