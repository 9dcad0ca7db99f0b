"""Someone flagged as needing an interpreter whose language nobody has recorded: the
supervisor's move follows the rule automatic assignment follows. No language known,
no language to check: anyone may take them (and the first call asks which language
they speak: tests/workspace/test_call_messages.py).

Before, automatic assignment gave them to anyone, but a supervisor's move to any
handler was refused: "... needs an interpreter in their language: ... does not speak
it.", a refusal no handler could ever pass."""

from __future__ import annotations

import pytest
from django.db.models import Q

from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.assignment import assign_work, item_assign, items_reassign
from work.errors import WorkRefused

from .conftest import ContactFactory, call_handler_on_shift

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return f.StaffProfileFactory(is_supervisor=True).user


def no_language_known():
    return ContactFactory(person__language=None, person__needs_interpreter=True)


def test_automatic_assignment_gives_them_to_someone_on_shift():
    handler = call_handler_on_shift()
    contact = no_language_known()

    assign_work()

    contact.refresh_from_db()
    assert contact.assignee == handler


def test_a_supervisor_may_move_them_to_a_handler_too(lead):
    handler = call_handler_on_shift()
    contact = no_language_known()

    moved = items_reassign(
        model=Contact,
        item_ids=[contact.pk],
        scope=Q(),
        to=handler,
        reason="Urgent",
        by=lead,
    )

    assert moved == 1
    contact.refresh_from_db()
    assert (contact.assignee, contact.status) == (handler, Status.ASSIGNED)


def test_and_may_give_them_one_at_a_time(lead):
    handler = call_handler_on_shift()
    contact = no_language_known()

    item_assign(item=contact, to=handler, by=lead)

    contact.refresh_from_db()
    assert contact.assignee == handler


def test_a_known_language_is_still_checked(lead, urdu):
    handler = call_handler_on_shift()
    contact = ContactFactory(person__language=urdu, person__needs_interpreter=True)

    with pytest.raises(WorkRefused, match="needs an interpreter in Urdu"):
        items_reassign(
            model=Contact,
            item_ids=[contact.pk],
            scope=Q(),
            to=handler,
            reason="Urgent",
            by=lead,
        )
