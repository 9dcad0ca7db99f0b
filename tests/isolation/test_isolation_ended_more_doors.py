"""A contact whose isolation has ended is told so through every door, never to stay
at home until a day gone by, and is closed rather than sent to a local team by one
item's escalation as by the sweep (work.rules.isolation_over).

Before, on the Tuesday after a contact's isolation ended on the Monday, "Send a new
link" texted them "Stay at home and isolate until the end of Monday 7 December
2026"; the call handler logging the last failed call was told it "goes to the local
team next" when the sweep would close it; the case page's contacts table said
"Isolates until" the Monday; and escalating that one contact alone refused it,
leaving it open, where the sweep closes it."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.errors import IllegalTransition
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Message
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.escalation import escalate_unreached, item_escalate_unreached
from work.online import online_contact_tell, online_link_resend

from .conftest import LONDON, SAM, a_naming_case, hold

# Monday 7 December 2026, 10:00 in London: a contact exposed on 27 November is
# named, their ten days ending at the end of today.
MONDAY = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
TUESDAY = dt.datetime(2026, 12, 8, 9, 0, tzinfo=LONDON)
EXPOSED = dt.date(2026, 11, 27)
ENDED = "Monday 7 December 2026"
HOUR = dt.timedelta(hours=1)

pytestmark = [pytest.mark.django_db, pytest.mark.now(MONDAY)]


def named_on_monday(caseworker) -> Contact:
    naming = hold(a_naming_case(EXPOSED), caseworker)
    contact = contact_add(
        case=naming,
        details=ContactDetails(
            person=SAM, exposure_date=EXPOSED, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )
    assert contact.isolation_ends_on == dt.date(2026, 12, 7)
    return contact


def told_online_on_monday(caseworker, call_handler) -> Contact:
    """Named on Monday, texted their link then, held by the call handler."""
    contact = named_on_monday(caseworker)
    assert online_contact_tell(contact=contact, now=MONDAY) is not None
    return hold(contact, call_handler)


def texts_to(contact: Contact) -> list[str]:
    return list(
        Message.objects.filter(contact=contact)
        .order_by("pk")
        .values_list("body", flat=True)
    )


def words(html: str) -> str:
    return " ".join(unescape(re.sub(r"<.*?>", " ", html)).split())


# --- 1. a new link ---------------------------------------------------------------------


def test_no_new_link_is_texted_once_their_time_at_home_has_ended(
    clock, caseworker, call_handler
):
    contact = told_online_on_monday(caseworker, call_handler)
    before = texts_to(contact)
    clock.move_to(TUESDAY)

    with pytest.raises(IllegalTransition) as refused:
        online_link_resend(item=contact, by=call_handler)

    assert str(refused.value).startswith(
        f"Their time to stay at home ended on {ENDED}: no new link is sent"
    )
    assert texts_to(contact) == before
    assert not any("isolate until" in body for body in before[1:])


def test_the_contact_page_offers_no_new_link_and_says_why(
    clock, client, caseworker, call_handler
):
    contact = told_online_on_monday(caseworker, call_handler)
    clock.move_to(TUESDAY)
    client.force_login(call_handler)

    page = client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

    assert 'id="online-resend"' not in page
    assert f"Their time to stay at home ended on {ENDED}: no new link is sent" in (
        words(page)
    )


def test_sending_one_from_a_page_left_open_is_refused_with_the_reason(
    clock, client, caseworker, call_handler
):
    contact = told_online_on_monday(caseworker, call_handler)
    before = texts_to(contact)
    clock.move_to(TUESDAY)
    client.force_login(call_handler)

    answer = client.post(
        reverse("contacts:online_resend", args=[contact.pk]), HTTP_HX_REQUEST="true"
    )

    assert answer.status_code == 200
    assert f"Their time to stay at home ended on {ENDED}: no new link is sent" in (
        words(answer.content.decode())
    )
    assert texts_to(contact) == before


def test_a_new_link_still_goes_while_their_time_at_home_lasts(
    clock, caseworker, call_handler
):
    contact = told_online_on_monday(caseworker, call_handler)
    clock.move_to(MONDAY + 2 * HOUR)

    online_link_resend(item=contact, by=call_handler)

    assert f"isolate until the end of {ENDED}" in texts_to(contact)[-1]


# --- 2. the last failed call -------------------------------------------------------------


def test_the_last_failed_call_says_it_will_be_closed_not_sent_to_a_team(
    clock, client, caseworker, call_handler
):
    contact = hold(named_on_monday(caseworker), call_handler)
    clock.move_to(TUESDAY)
    client.force_login(call_handler)

    answer = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "wrong_number"},
        follow=True,
    )

    said = words(answer.content.decode())
    assert "it goes to the local team next" not in said
    assert (
        "Logged: wrong number. No more attempts by phone: their time to stay at home "
        f"ended on {ENDED}, so it will be closed, not sent to a local team." in said
    )


def test_the_last_failed_call_still_says_the_team_is_next_while_it_lasts(
    clock, client, caseworker, call_handler
):
    contact = hold(named_on_monday(caseworker), call_handler)
    client.force_login(call_handler)

    answer = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": "wrong_number"},
        follow=True,
    )

    assert "No more attempts by phone: it goes to the local team next." in words(
        answer.content.decode()
    )


# --- 3. the case page's contacts ---------------------------------------------------------


def contacts_table(page: str) -> str:
    found = re.search(r"Contacts of this case</caption>.*?</table>", page, re.S)
    assert found, page
    return words(found.group(0))


def test_the_case_page_says_a_contacts_time_at_home_ended(clock, client, caseworker):
    contact = named_on_monday(caseworker)
    clock.move_to(TUESDAY)
    client.force_login(caseworker)

    page = client.get(reverse("cases:detail", args=[contact.case_id])).content.decode()

    table = contacts_table(page)
    assert "Ended on 7 Dec 2026" in table
    assert "7 Dec 2026" not in table.replace("Ended on 7 Dec 2026", "")


def test_the_case_page_still_gives_a_date_to_come(clock, client, caseworker):
    contact = named_on_monday(caseworker)
    client.force_login(caseworker)

    page = client.get(reverse("cases:detail", args=[contact.case_id])).content.decode()

    table = contacts_table(page)
    assert "7 Dec 2026" in table
    assert "Ended" not in table


def test_a_contact_joined_from_another_case_is_said_to_have_ended_too(
    clock, client, caseworker
):
    contact = named_on_monday(caseworker)
    other = hold(a_naming_case(EXPOSED), caseworker)
    joined = contact_add(
        case=other,
        details=ContactDetails(
            person=SAM, exposure_date=EXPOSED, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )
    assert joined.pk == contact.pk  # one person, one contact
    clock.move_to(TUESDAY)
    client.force_login(caseworker)

    page = client.get(reverse("cases:detail", args=[other.pk])).content.decode()

    found = re.search(r'data-testid="named-elsewhere".*?</table>', page, re.S)
    assert found, page
    assert "Ended on 7 Dec 2026" in words(found.group(0))


# --- 4. one contact out of time, escalated alone -----------------------------------------


def due_on_tuesday_night() -> Contact:
    """Named on Monday night, never reached, out of time an hour before Tuesday
    23:30."""
    night = dt.datetime(2026, 12, 8, 23, 30, tzinfo=LONDON)
    contact = f.ContactFactory(
        exposure_date=EXPOSED,
        created_at=night - 25 * HOUR,
        escalate_due_at=night - HOUR,
    )
    assert contact.isolation_ends_on == dt.date(2026, 12, 7)
    return contact


def closing(contact: Contact) -> dict:
    [event] = AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__has_key="closed",
    )
    return {"at": event.at, "user": event.user_id, "detail": event.detail}


def test_one_contact_alone_is_closed_as_the_sweep_closes_it(clock, call_handler):
    clock.move_to(dt.datetime(2026, 12, 8, 23, 30, tzinfo=LONDON))
    swept = hold(due_on_tuesday_night(), call_handler)
    escalate_unreached()
    swept.refresh_from_db()
    alone = hold(due_on_tuesday_night(), call_handler)

    assert item_escalate_unreached(item=alone) is None

    alone.refresh_from_db()
    assert not Escalation.objects.exists()
    fields = ("status", "closed_at", "assignee_id", "next_attempt_at", "reached_at")
    assert [getattr(alone, n) for n in fields] == [getattr(swept, n) for n in fields]
    assert alone.status == Status.CLOSED
    assert alone.escalate_due_at is None
    assert closing(alone) == closing(swept)


def test_one_contact_alone_is_closed_once(clock):
    clock.move_to(dt.datetime(2026, 12, 8, 23, 30, tzinfo=LONDON))
    alone = due_on_tuesday_night()
    item_escalate_unreached(item=alone)

    with pytest.raises(IllegalTransition):
        item_escalate_unreached(item=alone)

    assert escalate_unreached() == (0, False)
    assert closing(alone)["detail"]["closed"] == "isolation_over"


def test_the_call_panel_agrees_the_contact_will_be_closed(
    clock, client, caseworker, call_handler
):
    """The message said it would be closed; the call panel beside it still said
    "None: it goes to the local team" (found by review)."""
    contact = hold(named_on_monday(caseworker), call_handler)
    clock.move_to(TUESDAY)
    client.force_login(call_handler)

    said = words(
        client.post(
            reverse("contacts:call", args=[contact.pk]),
            {"outcome": "wrong_number"},
            follow=True,
        ).content.decode()
    )

    assert "so it will be closed, not sent to a local team" in said
    assert "None: it goes to the local team" not in said
    assert "To the local team if not reached by" not in said
