"""A call handler on the phone to a contact, the contact page open, while the contact
answers their link online (reached: no more calls). Logging the call then was
refused with "This contact is reached: it cannot be called.": not told how or when
they were reached, and the call's notes typed thrown away. Now the answer says they
were reached online, when, and what they answered, and the call form comes back
with everything typed in it, with htmx and without it."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from online.models import OnlineLink
from tests import factories as f
from work.assignment import item_assign
from work.online import online_contact_answer, online_contact_tell

pytestmark = pytest.mark.django_db

NOTES = "Works nights at the depot; partner also has symptoms"


@pytest.fixture
def contact_on_the_phone(clock, client, call_handler):
    """A contact told by text, given to the call handler, their page open; then,
    while on the phone, they confirm online that they will stay at home."""
    contact = f.ContactFactory(person=f.PersonFactory(phone="+447400555321"))
    assert online_contact_tell(contact=contact, now=timezone.now()) is not None
    item_assign(item=contact, to=call_handler)
    client.force_login(call_handler)
    client.get(reverse("contacts:detail", args=[contact.pk]))  # the page, drawn
    clock.shift(dt.timedelta(minutes=20))
    online_contact_answer(
        link=OnlineLink.objects.get(contact=contact), will_isolate=True
    )
    clock.shift(dt.timedelta(minutes=5))
    contact.refresh_from_db()
    return contact


def _said(response) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
@pytest.mark.parametrize("outcome", [Outcome.REACHED, Outcome.NO_ANSWER])
def test_a_call_on_a_contact_reached_online_meanwhile_says_so_and_keeps_the_typing(
    client, contact_on_the_phone, outcome, htmx
):
    contact = contact_on_the_phone
    reached = timezone.localtime(contact.reached_at)

    response = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": outcome, "duration_minutes": "7", "notes": NOTES},
        headers={"HX-Request": "true"} if htmx else {},
        follow=True,
    )

    page = _said(response)
    assert (
        f"This contact was reached online at {reached:%H:%M}: they confirmed they "
        "will stay at home." in page
    )
    assert "Your call was not logged" in page
    # Everything typed is on the page again, to copy what they need.
    assert f"{NOTES}</textarea>" in page
    assert 'name="duration_minutes" value="7"' in page
    assert f'value="{outcome}" checked' in page
    assert not CallAttempt.objects.exists()
