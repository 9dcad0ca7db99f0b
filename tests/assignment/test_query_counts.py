"""A run's queries do not grow with the backlog or the staff: set-based, not per item."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from work.assignment import assign_work
from work.escalation import escalate_unreached

from .conftest import (
    HOUR,
    ContactFactory,
    call_handler_on_shift,
    caseworker_on_shift,
    waiting_cases,
    waiting_contacts,
)

pytestmark = pytest.mark.django_db


def queries(run) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def test_assignment_queries_do_not_grow_with_the_backlog(urdu):
    def backlog(staff: int, items: int) -> None:
        for _ in range(staff):
            caseworker_on_shift()
            call_handler_on_shift().staff.languages.add(urdu)
        waiting_cases(items)
        waiting_contacts(items, person__language=urdu, person__needs_interpreter=True)

    backlog(1, 2)
    small = queries(assign_work)
    backlog(4, 12)
    large = queries(assign_work)

    assert large == small


def test_sweep_queries_do_not_grow_with_the_number_due():
    overdue = timezone.now() - 25 * HOUR
    for _ in range(2):
        ContactFactory(created_at=overdue, person__area=None, area=None)
    small = queries(escalate_unreached)
    for _ in range(12):
        ContactFactory(created_at=overdue, person__area=None, area=None)
    large = queries(escalate_unreached)

    assert large == small
