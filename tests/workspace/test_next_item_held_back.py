"""My work and "Next item" for a call handler whose contact has since tested
positive: while their case waits for (or is with) a caseworker, the contact is held
back from calls (work.queues.called_as_case). It is neither due, nor due later, nor
out of time, so it must not stop Next item asking for pool work, nor be described as
something it is not. And "On shift until" on My work is the end of the spell of
back-to-back shifts, as the supervisor's board says and assignment treats it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from cases.workitem import Status
from tests import factories as f
from tests.workspace.conftest import CaseFactory, ContactFactory, hold

# On the test clock: Tuesday 12 January 2021, 10:00, within calling hours.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MINUTE = dt.timedelta(minutes=1)
HOUR = dt.timedelta(hours=1)


def held_back_contact(user, *, next_call_in: dt.timedelta):
    """A contact `user` holds whose person has since become a case waiting for a
    caseworker (a new case, in CASE_WORKED)."""
    contact = hold(ContactFactory(), user)
    now = timezone.now()
    type(contact).objects.filter(pk=contact.pk).update(
        next_attempt_at=now + next_call_in, escalate_due_at=now + 20 * HOUR
    )
    CaseFactory(person=contact.person)
    return contact


def waiting_contact():
    """A contact in the pool, due to be called now."""
    return ContactFactory(
        created_at=timezone.now() - 10 * MINUTE,
        next_attempt_at=timezone.now() - 10 * MINUTE,
    )


def next_item_messages(client) -> tuple[str, list[str]]:
    response = client.post(reverse("cases:next"))
    return response["Location"], [str(m) for m in get_messages(response.wsgi_request)]


@pytest.mark.parametrize(
    "next_call_in", [-5 * MINUTE, 40 * MINUTE], ids=["call time passed", "ahead"]
)
def test_next_item_gives_pool_work_past_a_contact_held_back_as_a_case(
    client, call_handler, next_call_in
):
    held = held_back_contact(call_handler, next_call_in=next_call_in)
    waiting = waiting_contact()
    client.force_login(call_handler)

    location, _ = next_item_messages(client)

    assert location == reverse("contacts:detail", args=[waiting.pk])
    waiting.refresh_from_db()
    assert waiting.assignee == call_handler
    assert waiting.status == Status.ASSIGNED
    held.refresh_from_db()
    assert held.assignee == call_handler


@pytest.mark.parametrize(
    "next_call_in", [-5 * MINUTE, 40 * MINUTE], ids=["call time passed", "ahead"]
)
def test_next_item_says_the_contact_held_is_with_a_caseworker(
    client, call_handler, next_call_in
):
    held_back_contact(call_handler, next_call_in=next_call_in)
    client.force_login(call_handler)

    location, said = next_item_messages(client)

    assert location == reverse("cases:queue")
    assert len(said) == 1
    assert "out of time" not in said[0]
    assert "next call is due" not in said[0]
    assert "is now a case" in said[0]
    assert "no call to them is due while their case is open" in said[0]
    assert "Nothing is waiting for you" in said[0]


def test_next_item_tells_apart_a_contact_held_back_and_one_out_of_time(
    client, call_handler
):
    held_back_contact(call_handler, next_call_in=-5 * MINUTE)
    spent = hold(ContactFactory(), call_handler)
    type(spent).objects.filter(pk=spent.pk).update(
        next_attempt_at=timezone.now() - HOUR,
        escalate_due_at=timezone.now() - MINUTE,  # the local team's once swept
    )
    client.force_login(call_handler)

    location, said = next_item_messages(client)

    assert location == reverse("cases:queue")
    assert said == [
        "Nothing in your queue is due. The contact you hold has tested positive "
        "and is now a case: a caseworker calls them about it, and no call to them "
        "is due while their case is open. Once the caseworker has finished with "
        "it, the contact is due for calls again. The rest of what you hold is out "
        "of time for calls (they refused, the number was wrong or the attempts are "
        "spent) and goes to the local team within a few minutes. Try “Next item” "
        "again shortly for new work."
    ]


def test_my_work_is_on_shift_until_the_end_of_back_to_back_shifts(client):
    now = timezone.now()
    profile = f.StaffProfileFactory(user__username="two_shifts")
    f.ShiftFactory(staff=profile, starts_at=now - 2 * HOUR, ends_at=now + HOUR)
    f.ShiftFactory(staff=profile, starts_at=now + HOUR, ends_at=now + 9 * HOUR)
    # A later shift after a gap is another spell: not counted.
    f.ShiftFactory(staff=profile, starts_at=now + 10 * HOUR, ends_at=now + 12 * HOUR)
    client.force_login(profile.user)

    html = client.get(reverse("cases:queue")).content.decode()

    assert "On shift until 19:00." in html


def test_my_work_is_on_shift_until_its_only_shift_ends(client, call_handler):
    client.force_login(call_handler)

    html = client.get(reverse("cases:queue")).content.decode()

    assert "On shift until 17:00." in html  # the fixture's shift: 09:00 to 17:00


def test_my_work_says_a_spell_ending_tomorrow_ends_tomorrow(client):
    now = timezone.now()
    profile = f.StaffProfileFactory(user__username="night_after_day")
    f.ShiftFactory(staff=profile, starts_at=now - HOUR, ends_at=now + 8 * HOUR)
    f.ShiftFactory(staff=profile, starts_at=now + 8 * HOUR, ends_at=now + 20 * HOUR)
    client.force_login(profile.user)

    html = client.get(reverse("cases:queue")).content.decode()

    assert "On shift until 06:00 tomorrow." in html
