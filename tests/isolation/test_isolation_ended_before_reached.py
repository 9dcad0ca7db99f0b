"""A contact whose isolation ended before anyone reached them is told it ended, never
to stay at home until a day gone by: on the call handler's page, after the call
(no advice text is sent, as the online route sends none), and on a local team's
page, as the online route says it ("Your time to stay at home ended on ...").

Before, a contact named on a Monday evening, exposed ten days before, was read out
"please self-isolate until the end of Monday" on the Tuesday morning, texted the
same after the call, and told "Isolation ends on" that Monday."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from calls.models import Outcome
from contacts.models import Contact
from people.models import Message
from tests import factories as f
from work.calls import call_record
from work.casework import ContactDetails, contact_add

from .conftest import LONDON, SAM, D, a_case, a_naming_case, hold

# Monday 7 December 2026, 23:00 in London: a contact exposed on 27 November is
# named, their ten days ending today (the end of Monday 7 December).
MONDAY_NIGHT = dt.datetime(2026, 12, 7, 23, 0, tzinfo=LONDON)
TUESDAY_MORNING = dt.datetime(2026, 12, 8, 9, 0, tzinfo=LONDON)
ENDED = "Monday 7 December 2026"

pytestmark = [pytest.mark.django_db, pytest.mark.now(MONDAY_NIGHT)]


def named_on_monday_night() -> Contact:
    contact = contact_add(
        case=a_naming_case(D(2026, 11, 27)),
        details=ContactDetails(
            person=SAM,
            exposure_date=D(2026, 11, 27),
            exposure=Contact.Exposure.HOUSEHOLD,
        ),
    )
    assert contact.isolation_ends_on == D(2026, 12, 7)
    return contact


def handler_on_shift():
    """A call handler on shift when the clock says (Tuesday morning)."""
    profile = f.StaffProfileFactory(user__username="tuesday_handler")
    f.ShiftFactory(staff=profile)
    return profile.user


def isolation_line(page: str) -> str:
    found = re.search(r'data-testid="isolation">(.*?)</p>', page, re.S)
    assert found, page
    return " ".join(unescape(re.sub(r"<.*?>", "", found.group(1))).split())


def test_the_contact_page_says_their_time_at_home_ended_not_to_isolate(clock, client):
    contact = named_on_monday_night()
    clock.move_to(TUESDAY_MORNING)
    handler = handler_on_shift()
    hold(contact, handler)
    client.force_login(handler)

    line = isolation_line(client.get(f"/contacts/{contact.pk}/").content.decode())

    assert "isolate until" not in line
    assert f"Their time to stay at home ended on {ENDED}" in line
    assert "Do not ask them to stay at home" in line


def test_the_contact_page_still_reads_out_a_date_to_come(clock, client):
    contact = named_on_monday_night()
    clock.move_to(MONDAY_NIGHT + dt.timedelta(minutes=30))  # still Monday
    handler = handler_on_shift()
    hold(contact, handler)
    client.force_login(handler)

    line = isolation_line(client.get(f"/contacts/{contact.pk}/").content.decode())

    assert line == f"Read out: please self-isolate until the end of {ENDED}."


def test_a_contact_reached_after_their_isolation_ended_is_sent_no_advice(clock):
    contact = named_on_monday_night()
    clock.move_to(TUESDAY_MORNING)
    handler = handler_on_shift()
    hold(contact, handler)
    sent_before = Message.objects.filter(contact=contact).count()

    logged = call_record(item=contact, caller=handler, outcome=Outcome.REACHED)

    assert logged.message is None
    assert Message.objects.filter(contact=contact).count() == sent_before
    contact.refresh_from_db()
    assert contact.reached_at == timezone.now()


def test_the_call_page_confirms_the_reach_without_a_past_date_to_isolate_until(
    clock, client
):
    contact = named_on_monday_night()
    clock.move_to(TUESDAY_MORNING)
    handler = handler_on_shift()
    hold(contact, handler)
    client.force_login(handler)

    page = client.post(
        f"/contacts/{contact.pk}/calls/",
        {"outcome": Outcome.REACHED, "duration_minutes": "5"},
        follow=True,
    )

    said = " ".join(unescape(page.content.decode()).split())
    assert "Logged: reached." in said
    assert f"Their time to stay at home ended on {ENDED}: no advice was sent." in (said)
    assert "Isolation ends on" not in said
    assert "isolation advice is queued" not in said


def test_a_call_back_after_their_isolation_ended_says_why_not(clock):
    """Before: "That is after their isolation ends (at the end of Monday 7 December
    2026): call them back before then", a day already gone."""
    contact = named_on_monday_night()
    clock.move_to(TUESDAY_MORNING)
    handler = handler_on_shift()
    hold(contact, handler)

    with pytest.raises(ValidationError) as refused:
        call_record(
            item=contact,
            caller=handler,
            outcome=Outcome.CALL_BACK,
            call_back_at=timezone.now() + dt.timedelta(hours=3),
        )

    assert refused.value.message_dict["call_back_at"] == [
        f"Their time to stay at home ended on {ENDED}: there is no call back to "
        "book. If you spoke to them, log the call as reached."
    ]


def test_a_contact_reached_before_their_isolation_ended_is_still_sent_the_advice(
    clock,
):
    contact = named_on_monday_night()
    clock.move_to(MONDAY_NIGHT + dt.timedelta(minutes=30))
    handler = handler_on_shift()
    hold(contact, handler)

    logged = call_record(item=contact, caller=handler, outcome=Outcome.REACHED)

    assert logged.message is not None
    assert f"Stay at home and isolate until the end of {ENDED}." in logged.message.body


def test_a_local_teams_page_says_their_time_at_home_ended(
    clock, client, local_team_member
):
    contact = named_on_monday_night()
    escalation = f.EscalationFactory(
        contact=contact, local_team=contact.area.local_team
    )
    Contact.objects.filter(pk=contact.pk).update(
        status="escalated", local_team=contact.area.local_team
    )
    clock.move_to(TUESDAY_MORNING)
    client.force_login(local_team_member)

    page = client.get(f"/local/escalations/{escalation.pk}/")

    assert page.status_code == 200
    said = " ".join(unescape(re.sub(r"<.*?>", " ", page.content.decode())).split())
    assert "(inclusive)" not in said
    assert f"Their time to stay at home ended on {ENDED}" in said
    assert "Do not ask them to stay at home" in said


def test_a_case_page_says_a_case_s_time_at_home_ended(clock, client, caseworker):
    """Symptoms from 27 November: ten days, to the end of Monday 7 December."""
    case = hold(a_case(symptom_onset=D(2026, 11, 27)), caseworker)
    clock.move_to(TUESDAY_MORNING)
    f.ShiftFactory(staff=caseworker.staff)
    client.force_login(caseworker)

    line = isolation_line(client.get(f"/cases/{case.pk}/").content.decode())

    assert line == f"Their time to stay at home ended on {ENDED}."
