"""Help to stay at home asked on a call, wherever the call lands: a call refused
because the contact was taken meanwhile names the help in what to pass on; a contact
who answered online while on the phone, then asked for food, is passed on (their
reach stands); and the team closing the request "Reached and advised" is not told it
counted a reach of its own when the phone had reached them.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt
import html
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from contacts.models import Contact
from escalations.models import Escalation
from online.models import OnlineLink
from tests import factories as f
from work.calls import call_record
from work.escalation import escalation_claim, escalation_close
from work.online import online_contact_answer, online_contact_tell

pytestmark = pytest.mark.django_db


def _said(response) -> str:
    return html.unescape(response.content.decode())


def _post_call(client, contact, *, htmx=False, **data):
    data.setdefault("duration_minutes", "5")
    data.setdefault("submission", str(uuid.uuid4()))
    return client.post(
        reverse("contacts:call", args=[contact.pk]),
        data,
        headers={"HX-Request": "true"} if htmx else {},
        follow=True,
    )


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_help_typed_on_a_call_refused_after_the_contact_was_taken_is_passed_on(
    clock, client, handler, contact, htmx
):
    """The contact is given to another handler while this one is on the phone:
    the call is refused and the handler is told what they typed "to pass it on"
    (pages/desk/taken.py): the outcome and notes, but not the help they asked for,
    which is the one thing the other holder must act on."""
    client.force_login(handler)
    client.get(reverse("contacts:detail", args=[contact.pk]))  # the page, drawn
    other = f.StaffProfileFactory(user__username="other_handler").user
    Contact.objects.filter(pk=contact.pk).update(assignee=other)

    response = _post_call(
        client,
        contact,
        htmx=htmx,
        outcome=Outcome.REACHED,
        support=["food", "medicine"],
        notes="Lives alone",
    )

    said = _said(response)
    assert "was not logged: pass it on to" in said, said
    assert "help asked for “food and medicine”" in said, said


def test_help_asked_on_a_call_to_a_contact_reached_online_meanwhile_is_passed_on(
    clock, client, handler, contact
):
    """They confirmed online while on the phone, then asked the handler for food.
    A safeguarding concern heard on that call still goes to the team (done with,
    mark_escalated's `concern`), and the commit lets support go "from an item done
    with, as a safeguarding concern does"; but the call is refused outright
    (_outcome_applied only spares a safeguarding call), the page suggests only
    "Safeguarding concern", and the help never reaches the local team."""
    contact.person.phone = "+447400555321"
    contact.person.save()
    Contact.objects.filter(pk=contact.pk).update(status="new", assignee=None)
    contact.refresh_from_db()
    assert online_contact_tell(contact=contact, now=timezone.now()) is not None
    Contact.objects.filter(pk=contact.pk).update(
        status="assigned", assignee=handler, assigned_at=timezone.now()
    )
    client.force_login(handler)
    client.get(reverse("contacts:detail", args=[contact.pk]))
    clock.shift(dt.timedelta(minutes=20))
    online_contact_answer(
        link=OnlineLink.objects.get(contact=contact), will_isolate=True
    )
    clock.shift(dt.timedelta(minutes=5))

    response = _post_call(
        client, contact, outcome=Outcome.REACHED, support=["food"], notes="No family"
    )

    assert response.status_code == 200
    escalation = Escalation.objects.filter(
        contact=contact, reason=Escalation.Reason.SUPPORT
    ).first()
    assert escalation is not None, _said(response)


def test_closed_reached_a_contact_reached_by_phone_is_not_counted_as_local(
    clock, client, handler, contact, sheffield_member
):
    """The team closes the request "Reached and advised": the page says the
    contact is "counted as reached by the local team", while the contact keeps
    its phone reach (route national, tier 3) and the figures count it so."""
    call_record(item=contact, caller=handler, outcome=Outcome.REACHED, support=["food"])
    escalation = Escalation.objects.get(contact=contact)
    escalation_claim(escalation=escalation, by=sheffield_member)
    clock.shift(dt.timedelta(hours=2))
    escalation_close(escalation=escalation, outcome="reached", by=sheffield_member)
    contact.refresh_from_db()
    assert contact.reached_route == "national"

    client.force_login(sheffield_member)
    page = _said(client.get(reverse("escalations:detail", args=[escalation.pk])))

    assert "Reached and advised" in page
    assert "counted as reached by the local team" not in page
