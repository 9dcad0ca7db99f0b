"""The reassignment page moves items only from the holder it showed them with. A form
sent twice (a double click on "Move ticked items") or sent after someone else moved
the work does not take it from whoever holds it now.

Before, "Back to the pool" sent twice returned the work to the person the supervisor
had taken it from: the first sending put Anna's contacts in the pool and the next
assignment run gave them to Ben; the second took them from Ben, with the reason
"Anna is overloaded", and the run gave them back to Anna. Both said "Moved 2 contacts
back to the pool."."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.assignment import assign_work

from .conftest import member

pytestmark = pytest.mark.django_db


def named(team, first: str, last: str):
    return member(team, user__first_name=first, user__last_name=last)


def held_contact(profile, first: str) -> Contact:
    return f.ContactFactory(
        status=Status.ASSIGNED,
        assignee=profile.user,
        assigned_at=timezone.now(),
        person__first_name=first,
        person__last_name="Caller",
    )


def page_as_shown(client, url: str) -> dict[str, str]:
    """The hidden fields the list drew: what it showed of each item."""
    html = client.get(url).content.decode()
    return dict(
        re.findall(r'<input type="hidden" name="(shown_[^"]+)" value="([^"]*)"', html)
    )


def text(response) -> str:
    return " ".join(
        unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split()
    )


@pytest.fixture
def anna_and_ben(calls_team, calls_lead, client):
    anna = named(calls_team, "Anna", "Able")
    ben = named(calls_team, "Ben", "Brown")
    held_contact(ben, "Bea")  # Ben holds one already: Anna holds the least
    client.force_login(calls_lead.user)
    return anna, ben


def holders(contacts) -> list:
    return [Contact.objects.get(pk=c.pk).assignee for c in contacts]


def test_back_to_the_pool_sent_twice_does_not_give_the_work_back(
    clock, anna_and_ben, client
):
    anna, ben = anna_and_ben
    contacts = [held_contact(anna, "Cy"), held_contact(anna, "Di")]
    url = reverse("staffing:work") + f"?holder={anna.pk}"
    data = {
        **page_as_shown(client, url),
        "items": [c.pk for c in contacts],
        "to": "pool",
        "reason": "Anna is overloaded",
    }

    first = client.post(url, data, follow=True)
    assign_work()  # the run the move asks for
    assert "Moved 2 contacts back to the pool." in text(first)
    assert holders(contacts) == [ben.user, ben.user]

    second = client.post(url, data, follow=True)
    assign_work()

    assert holders(contacts) == [ben.user, ben.user]
    said = text(second)
    assert "Moved 2 contacts" not in said
    assert "Nothing moved: these contacts are no longer with Anna Able" in said
    assert "Cy Caller (now with Ben Brown)" in said
    # One move each, Anna's reason on none of Ben's.
    taken_from_ben = AuditEvent.objects.filter(
        action=AuditEvent.Action.REASSIGN, detail__from=ben.user_id
    )
    assert not taken_from_ben.exists()


def test_only_the_items_that_changed_hands_stay_where_they_are(
    anna_and_ben, calls_team, client
):
    """Of two ticked items, the one still with Anna moves to Cara; the one moved to
    Ben since the page was shown stays with him, and the supervisor is told."""
    anna, ben = anna_and_ben
    cara = named(calls_team, "Cara", "Cole")
    stays, moved_since = held_contact(anna, "Cy"), held_contact(anna, "Di")
    url = reverse("staffing:work") + f"?holder={anna.pk}"
    data = {
        **page_as_shown(client, url),
        "items": [stays.pk, moved_since.pk],
        "to": str(cara.pk),
        "reason": "Anna is overloaded",
    }
    Contact.objects.filter(pk=moved_since.pk).update(assignee=ben.user)

    response = client.post(url, data, follow=True)

    assert holders([stays, moved_since]) == [cara.user, ben.user]
    said = text(response)
    assert "Moved 1 contact to Cara Cole." in said
    assert "Not moved: this contact is no longer with Anna Able" in said
    assert "Di Caller (now with Ben Brown)" in said


def test_an_item_given_out_from_the_pool_since_is_not_taken(
    anna_and_ben, calls_team, client
):
    anna, ben = anna_and_ben
    waiting = f.ContactFactory(person__first_name="Ed", person__last_name="Pool")
    url = reverse("staffing:work") + "?holder=pool"
    data = {
        **page_as_shown(client, url),
        "items": [waiting.pk],
        "to": str(anna.pk),
        "reason": "Urgent",
    }
    Contact.objects.filter(pk=waiting.pk).update(
        assignee=ben.user, status=Status.ASSIGNED
    )

    response = client.post(url, data, follow=True)

    assert holders([waiting]) == [ben.user]
    assert (
        "Nothing moved: this contact is no longer in the pool: Ed Pool (now with "
        "Ben Brown)." in text(response)
    )
