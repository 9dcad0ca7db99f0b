"""Work a supervisor takes from a call handler and puts back in the pool ("Dan in a 1:1
with me") is not handed straight back to him while a colleague on shift may take it,
even a colleague whose queue is full for now: it waits for them. With nobody else on
shift who may take it, it goes back to him like any other work.

Before, it never went back to him: with the rest of the team's shifts over and Dan
alone on shift with an empty queue, his two contacts fell due and were not given to
him. They waited for tomorrow's shift or the local team, and "Next item" told him
"Nothing is waiting for you: every item has been taken or none has come in"."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.db.models import Q
from django.urls import reverse

from cases.workitem import Status
from contacts.models import Contact
from staffing.models import Tier, open_work_cap
from tests import factories as f
from tests.assignment.conftest import (
    ContactFactory,
    call_handler_on_shift,
    held_by,
    on_shift,
)
from work.assignment import assign_work, item_assign, items_reassign

pytestmark = pytest.mark.django_db

CAP = open_work_cap(Tier.CALL_HANDLER, new_starter=False)


@pytest.fixture
def lead(db):
    return f.StaffProfileFactory(is_supervisor=True).user


def taken_from(dan, lead, n: int = 2, **contact) -> list[Contact]:
    """`n` contacts Dan held, which his supervisor put back in the pool (a queue's
    worth at a time: he may hold no more)."""
    contacts = [ContactFactory(**contact) for _ in range(n)]
    for start in range(0, n, CAP):
        batch = contacts[start : start + CAP]
        for item in batch:
            item_assign(item=item, to=dan)
        items_reassign(
            model=Contact,
            item_ids=[c.pk for c in batch],
            scope=Q(),
            to=None,
            reason="Dan in a 1:1 with me",
            by=lead,
        )
    return contacts


def holders(contacts: list[Contact]) -> set:
    for contact in contacts:
        contact.refresh_from_db()
    return {contact.assignee for contact in contacts}


def next_item(client, user):
    """Dan presses "Next item": where it takes him, and what it tells him."""
    client.force_login(user)
    response = client.post(reverse("cases:next"))
    said = [str(m) for m in get_messages(response.wsgi_request)]
    return response["Location"], said


def full_queue(user) -> None:
    for _ in range(CAP):
        held_by(user, kind="contact")


def test_alone_on_shift_he_is_given_back_what_was_taken_from_him(clock, lead):
    dan = call_handler_on_shift()
    mine = taken_from(dan, lead)

    assign_work()

    assert holders(mine) == {dan}
    assert {c.status for c in mine} == {Status.ASSIGNED}
    assert {c.taken_from_id for c in mine} == {None}


def test_alone_on_shift_next_item_opens_them(clock, client, lead):
    dan = call_handler_on_shift()
    mine = taken_from(dan, lead)

    where, said = next_item(client, dan)

    assert where == reverse("contacts:detail", args=[mine[0].pk]), said
    assert holders(mine) == {dan}


def test_with_a_colleague_on_shift_the_colleague_is_given_them(clock, lead):
    dan, eve = call_handler_on_shift(), call_handler_on_shift()
    held_by(eve, kind="contact")  # Dan now holds less than Eve
    mine = taken_from(dan, lead)

    assign_work()

    assert holders(mine) == {eve}


def test_a_full_colleague_on_shift_keeps_them_from_him_and_he_is_told(
    clock, client, lead
):
    """Eve is on shift with a full queue: the contacts wait for her, not for Dan, and
    his "Next item" says so rather than that nothing is waiting."""
    dan, eve = call_handler_on_shift(), call_handler_on_shift()
    full_queue(eve)
    mine = taken_from(dan, lead)

    assign_work()
    where, said = next_item(client, dan)

    assert holders(mine) == {None}
    assert where == reverse("cases:queue")
    assert len(said) == 1
    assert "2 contacts a supervisor took from you wait for a colleague" in said[0]
    assert "every item has been taken" not in said[0]
    page = client.get(reverse("cases:queue"))
    assert b'data-reason="kept_for_others"' in page.content


def test_new_work_behind_them_still_goes_to_him(clock, lead):
    """Many taken from him at the head of the pool, a full colleague on shift: what
    arrived after them is given to Dan, not held up behind them."""
    dan, eve = call_handler_on_shift(), call_handler_on_shift()
    full_queue(eve)
    mine = taken_from(dan, lead, n=60)
    newcomer = ContactFactory()

    assign_work()

    assert holders(mine) == {None}
    assert holders([newcomer]) == {dan}


def test_a_colleague_who_cannot_speak_their_language_does_not_keep_them_from_him(
    clock, lead
):
    """Eve has room but does not speak Urdu, which the contact needs an interpreter
    in: only Dan may take it, and he is given it back."""
    urdu = f.LanguageFactory()
    dan, eve = call_handler_on_shift(), call_handler_on_shift()
    dan.staff.languages.add(urdu)
    mine = taken_from(
        dan, lead, n=1, person__needs_interpreter=True, person__language=urdu
    )

    assign_work()

    assert holders(mine) == {dan}
    assert eve.staff.languages.count() == 0


def test_a_colleague_on_shift_without_their_training_does_not_keep_them_from_him(
    clock, lead
):
    dan = call_handler_on_shift()
    eve = f.StaffProfileFactory()
    on_shift(eve)
    mine = taken_from(dan, lead)
    module = f.TrainingModuleFactory(tier=Tier.CALL_HANDLER, required=True)
    f.TrainingCompletionFactory(profile=dan.staff, module=module)  # not Eve's

    assign_work()

    assert holders(mine) == {dan}
