"""What My work and "Next item" say when nothing is due must be true.

At the cap: a call handler whose queue is full of contacts held back as their
people are now cases (they count towards the open-work cap, as assignment counts
every item held) pressed Next item and was told "Nothing is waiting for you: every
item has been taken or none has come in. Try Next item again in a few minutes"
while contacts waited in the pool, and would keep waiting for them however often
they tried, until the caseworkers finished those cases. Now they are told they are
at their cap, that the held-back contacts count towards it, whether work waits, and
to ask their supervisor to move some of what they hold.

At the end of a spell of shifts: no new work is given in its last 15 minutes
(staffing.selectors.members.NEW_WORK_MARGIN), yet the person was told to try again
in a few minutes. Now they are told when their shift ends and why nothing comes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from staffing.models import Tier, open_work_cap
from tests import factories as f
from tests.workspace.conftest import ContactFactory, hold
from tests.workspace.test_next_item_held_back import (
    held_back_contact,
    waiting_contact,
)

# On the test clock: Tuesday 12 January 2021, 10:00, within calling hours.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)
CAP = open_work_cap(Tier.CALL_HANDLER, new_starter=False)
NEW_STARTER_CAP = open_work_cap(Tier.CALL_HANDLER, new_starter=True)
TRY_AGAIN = "again in a few minutes"


def next_item_says(client) -> tuple[str, list[str]]:
    response = client.post(reverse("cases:next"))
    return response["Location"], [str(m) for m in get_messages(response.wsgi_request)]


def holding_held_back(user, count: int) -> None:
    for _ in range(count):
        held_back_contact(user, next_call_in=-5 * MINUTE)


def handler_whose_shift_ends_in(minutes: int, *, then_on_for: dt.timedelta | None):
    """A call handler eight hours into a shift that ends `minutes` from now; with
    `then_on_for`, a back-to-back shift carries on from it that long."""
    now = timezone.now()
    profile = f.StaffProfileFactory(user__username="leaving")
    ends = now + minutes * MINUTE
    f.ShiftFactory(staff=profile, starts_at=ends - 8 * HOUR, ends_at=ends)
    if then_on_for is not None:
        f.ShiftFactory(staff=profile, starts_at=ends, ends_at=ends + then_on_for)
    return profile.user


# --- At the cap ---------------------------------------------------------------------


def test_next_item_at_cap_with_held_back_contacts_says_the_cap_and_what_to_do(
    client, call_handler
):
    holding_held_back(call_handler, CAP)
    waiting = waiting_contact()
    client.force_login(call_handler)

    location, said = next_item_says(client)

    assert location == reverse("cases:queue")
    waiting.refresh_from_db()
    assert waiting.assignee is None  # at the cap: nothing more can be given
    assert Contact.objects.filter(assignee=call_handler).count() == CAP
    assert len(said) == 1
    # The pool has a contact due now: "nothing is waiting" is untrue, and trying
    # again in a few minutes will never bring work while the cap is full.
    assert "Nothing is waiting for you" not in said[0], said[0]
    assert TRY_AGAIN not in said[0]
    assert said[0].startswith(
        f"Nothing in your queue is due. The {CAP} contacts you hold have tested "
        "positive and are now cases"
    )
    assert said[0].endswith(
        f"You hold {CAP} contacts; you may hold at most {CAP} at once, so no new "
        f"work can be given to you. All {CAP} are held back as cases: they cannot "
        "be called now, but they count towards that limit. Contacts are waiting to "
        "be called: ask your supervisor to move some of what you hold to a "
        "colleague, so that you can be given them."
    ), said[0]


def test_next_item_at_cap_with_nothing_waiting_says_none_waits(client, call_handler):
    holding_held_back(call_handler, CAP)
    client.force_login(call_handler)

    _, said = next_item_says(client)

    assert len(said) == 1
    assert "Nothing is waiting for you" not in said[0]
    assert said[0].endswith(
        f"All {CAP} are held back as cases: they cannot be called now, but they "
        "count towards that limit. No contacts are waiting to be called now. If "
        "some come in while you still hold this many, ask your supervisor to move "
        "some of what you hold to a colleague."
    ), said[0]


def test_a_new_starter_at_their_lower_cap_is_told_it(client):
    profile = f.StaffProfileFactory(signed_off_at=None, user__username="starter")
    f.ShiftFactory(staff=profile)
    starter = profile.user
    holding_held_back(starter, NEW_STARTER_CAP - 1)
    spent = hold(ContactFactory(), starter)  # out of time: also counts to the cap
    Contact.objects.filter(pk=spent.pk).update(
        next_attempt_at=timezone.now() - HOUR,
        escalate_due_at=timezone.now() - MINUTE,
    )
    waiting = waiting_contact()
    client.force_login(starter)

    _, said = next_item_says(client)

    waiting.refresh_from_db()
    assert waiting.assignee is None
    assert len(said) == 1
    assert (
        f"You hold {NEW_STARTER_CAP} contacts; you may hold at most "
        f"{NEW_STARTER_CAP} at once as a new starter, so no new work can be given "
        f"to you. {NEW_STARTER_CAP - 1} of them are held back as cases: they cannot "
        "be called now, but they count towards that limit. Contacts are waiting"
    ) in said[0], said[0]
    assert "Try “Next item” again shortly" not in said[0]


def test_below_the_cap_next_item_still_gives_pool_work(client, call_handler):
    holding_held_back(call_handler, CAP - 1)
    waiting = waiting_contact()
    client.force_login(call_handler)

    location, said = next_item_says(client)

    assert location == reverse("contacts:detail", args=[waiting.pk])
    assert said == []


# --- At the end of a spell of shifts -------------------------------------------------

SHIFT_ENDS = (
    "Your shift ends at 10:10, and no new work is given in the last 15 minutes of a "
    "shift, so none will come to you before it ends."
)


def test_next_item_near_the_end_of_a_shift_says_no_new_work_comes(client):
    leaving = handler_whose_shift_ends_in(10, then_on_for=None)
    waiting = waiting_contact()
    client.force_login(leaving)

    location, said = next_item_says(client)

    assert location == reverse("cases:queue")
    waiting.refresh_from_db()
    assert waiting.assignee is None
    assert said == [SHIFT_ENDS]


def test_my_work_near_the_end_of_a_shift_says_no_new_work_comes(client):
    client.force_login(handler_whose_shift_ends_in(10, then_on_for=None))

    html = client.get(reverse("cases:queue")).content.decode()

    assert 'data-reason="shift_ending"' in html
    assert SHIFT_ENDS in html
    assert TRY_AGAIN not in html


def test_next_item_near_the_end_of_a_shift_with_work_out_of_time(client):
    leaving = handler_whose_shift_ends_in(10, then_on_for=None)
    held_back_contact(leaving, next_call_in=-5 * MINUTE)
    spent = hold(ContactFactory(), leaving)
    Contact.objects.filter(pk=spent.pk).update(
        next_attempt_at=timezone.now() - HOUR,
        escalate_due_at=timezone.now() - MINUTE,
    )
    client.force_login(leaving)

    _, said = next_item_says(client)

    assert len(said) == 1
    assert "goes to the local team within a few minutes." in said[0]
    assert "for new work" not in said[0]
    assert said[0].endswith(SHIFT_ENDS), said[0]


def test_a_shift_carried_on_back_to_back_is_not_ending(client):
    client.force_login(handler_whose_shift_ends_in(10, then_on_for=8 * HOUR))

    html = client.get(reverse("cases:queue")).content.decode()

    assert 'data-reason="nothing_waiting"' in html
    assert "Your shift ends" not in html
