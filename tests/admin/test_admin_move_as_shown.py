"""The admin's "Return to the pool…" and "Give to a member of staff…" move items only
from the holder their form showed. A form sent twice (a double click, a resend) or
sent after the work changed hands does not take it from whoever holds it now.

Before, "Return to the pool…" sent twice took Gus's contacts from Dan and Ewa, to
whom the assignment run had given them after the first sending, with the reason "Gus
is overloaded", and the next run could give one back to Gus. Both sendings said
"Returned 2 to the pool."."""

from __future__ import annotations

import re
from collections import defaultdict
from html import unescape

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from work.assignment import assign_work, item_assign

pytestmark = pytest.mark.django_db

URL = reverse("admin:contacts_contact_changelist")


def call_handler_on_shift(first: str):
    profile = f.StaffProfileFactory(
        user__first_name=first, user__last_name="Handler", user__username=first.lower()
    )
    f.ShiftFactory(staff=profile)
    return profile


def held_by(profile, first: str) -> Contact:
    return f.ContactFactory(
        status=Status.ASSIGNED,
        assignee=profile.user,
        assigned_at=timezone.now(),
        person__first_name=first,
        person__last_name="Contact",
    )


def action_form(client, action: str, pks: list[int], **typed) -> dict[str, list[str]]:
    """The action's form for the chosen items (`pks`), as the browser sends it once
    filled in: the hidden fields it drew, with what was typed."""
    html = client.post(
        URL, {"action": action, ACTION_CHECKBOX_NAME: pks}
    ).content.decode()
    data: dict[str, list[str]] = defaultdict(list)
    for tag in re.findall(r'<input type="hidden"[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)  # none drawn: sent empty
        if name:
            data[name[1]].append(unescape(value[1]) if value else "")
    for name, value in typed.items():
        data[name] = [str(value)]
    data["apply"] = ["1"]
    return dict(data)


def said(response) -> list[str]:
    """The messages the list shows after the action (the redirect followed)."""
    return [str(message) for message in response.context["messages"]]


def pks(items) -> list[int]:
    return [item.pk for item in items]


def holders(items) -> list:
    return [Contact.objects.get(pk=item.pk).assignee for item in items]


def test_return_to_the_pool_sent_twice_leaves_the_work_with_its_new_holders(
    admin_client,
):
    gus = call_handler_on_shift("Gus")
    dan, ewa = call_handler_on_shift("Dan"), call_handler_on_shift("Ewa")
    contacts = [held_by(gus, "Cy"), held_by(gus, "Di")]
    data = action_form(
        admin_client, "return_to_pool", pks(contacts), reason="Gus is overloaded"
    )

    first = admin_client.post(URL, data, follow=True)
    assign_work()  # the run the move asks for
    assert said(first) == ["Returned 2 to the pool."]
    given = holders(contacts)
    assert sorted(u.username for u in given) == ["dan", "ewa"]

    second = admin_client.post(URL, data, follow=True)
    assign_work()

    assert holders(contacts) == given
    (message,) = said(second)
    assert message.startswith("Returned 0 to the pool. 2 left where they are")
    assert "Cy Contact (now with" in message
    assert "Di Contact (now with" in message
    # Gus's reason on none of Dan's or Ewa's work.
    taken = AuditEvent.objects.filter(
        action=AuditEvent.Action.REASSIGN,
        detail__from__in=[dan.user_id, ewa.user_id],
    )
    assert not taken.exists()


def test_give_to_moves_only_the_items_still_where_the_form_showed_them(
    admin_client,
):
    """Two contacts in the pool are chosen to give to Ewa; the run gives one to Dan
    before the form is sent: that one stays with Dan, the other goes to Ewa, and the
    administrator is told of both."""
    dan, ewa = call_handler_on_shift("Dan"), call_handler_on_shift("Ewa")
    stays, moves = (
        f.ContactFactory(person__first_name="Cy", person__last_name="Contact"),
        f.ContactFactory(person__first_name="Di", person__last_name="Contact"),
    )
    data = action_form(
        admin_client,
        "move_to",
        pks([stays, moves]),
        to=ewa.pk,
        reason="Ewa speaks Welsh",
    )
    item_assign(item=stays, to=dan.user)

    answer = admin_client.post(URL, data, follow=True)

    assert answer.redirect_chain == [(URL, 302)]
    assert holders([stays, moves]) == [dan.user, ewa.user]
    assert said(answer) == [
        "Moved 1 to Ewa Handler (Tier 3: call handler). 1 left where it is, as it changed hands after "
        "this form was drawn: Cy Contact (now with Dan Handler)."
    ]


def test_a_form_sent_once_still_moves_everything_it_shows(admin_client):
    gus, dan = call_handler_on_shift("Gus"), call_handler_on_shift("Dan")
    contacts = [held_by(gus, "Cy"), f.ContactFactory()]
    data = action_form(
        admin_client, "move_to", pks(contacts), to=dan.pk, reason="Cover for sickness"
    )

    answer = admin_client.post(URL, data, follow=True)

    assert said(answer) == ["Moved 2 to Dan Handler (Tier 3: call handler)."]
    assert holders(contacts) == [dan.user, dan.user]
