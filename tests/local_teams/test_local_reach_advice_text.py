"""A contact the local team reaches (at the door, by phone or by letter) and closes
"Reached and advised" is sent their isolation advice, as one a call handler reaches
by phone is (work.calls.advice_queued): their date in writing, texted to their
mobile, else emailed, in their language, once. Before, the team's close sent
nothing, and the person had no date in writing.

The close says what went ("Their isolation date has been texted to 07…"), or that
nothing could ("… no mobile number or email"), so the team knows to put it in
writing themselves. A case reached is sent nothing, as on the phone.

Nor is a contact who had their date before the close. One who answered their link
online and asked for help with food (reached online, handed to the team for the
food), closed "Reached and advised" once it is delivered, was texted "you have been
near someone who has coronavirus" again days after their link's text said so; one
who tested positive themselves (a case isolating now) was texted a contact's advice
("call 119 to get a test") on top of their positive result. Now neither is sent
anything, and the close names the text that told them.

The test clock stands at 10:00 on Tuesday 12 January 2021."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from escalations.models import Escalation
from people.models import Language, Message
from tests import factories as f
from work.escalation import escalation_claim, escalation_close, escalation_reopen
from work.online import online_case_invite, online_contact_answer, online_contact_tell

from .builders import (
    HOUR,
    NOW,
    SHEFFIELD,
    CaseFactory,
    escalated_case,
    escalated_contact,
    person_in,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

CLOSED = "Closed: Reached and advised."


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def claimed(escalation: Escalation, by) -> Escalation:
    escalation_claim(escalation=escalation, by=by)
    return escalation


def close_reached(client, escalation: Escalation) -> str:
    """Close it "Reached and advised" on its page: the page that follows."""
    response = client.post(
        url("close", escalation),
        {"outcome": "reached", "note": "Advised at the door"},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def long_date(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def test_a_contact_closed_reached_is_texted_their_date_once(
    sheffield_client, sheffield_member
):
    escalation = claimed(escalated_contact(), sheffield_member)
    contact = escalation.contact
    phone = contact.person.phone

    page = close_reached(sheffield_client, escalation)

    message = Message.objects.get()
    assert message.contact_id == contact.pk
    assert message.kind == Message.Kind.ISOLATION_ADVICE
    assert message.channel == Message.Channel.SMS
    assert message.to == str(phone)
    assert long_date(contact.isolation_ends_on) in message.body
    assert (
        f"{CLOSED} Their isolation date has been texted to {phone.as_national}." in page
    )


def test_the_text_is_in_their_language(sheffield_client, sheffield_member):
    welsh, _ = Language.objects.get_or_create(code="cy", defaults={"name": "Welsh"})
    person = person_in(SHEFFIELD, language=welsh)
    escalation = claimed(escalated_contact(person=person), sheffield_member)

    close_reached(sheffield_client, escalation)

    message = Message.objects.get()
    assert message.language == "cy"
    assert "Arhoswch gartref" in message.body


def test_with_no_mobile_their_date_is_emailed_and_the_close_says_so(
    sheffield_client, sheffield_member
):
    person = person_in(SHEFFIELD, phone="", email="bryn@example.org")
    escalation = claimed(escalated_contact(person=person), sheffield_member)

    page = close_reached(sheffield_client, escalation)

    message = Message.objects.get()
    assert message.channel == Message.Channel.EMAIL
    assert message.to == "bryn@example.org"
    assert (
        f"{CLOSED} Their isolation date has been emailed to bryn@example.org." in page
    )


def test_with_no_mobile_nor_email_nothing_is_sent_and_the_close_says_so(
    sheffield_client, sheffield_member
):
    person = person_in(SHEFFIELD, phone="", email="")
    escalation = claimed(escalated_contact(person=person), sheffield_member)

    page = close_reached(sheffield_client, escalation)

    assert not Message.objects.exists()
    assert (
        f"{CLOSED} Their isolation date was not sent: there is no mobile number or "
        "email to send it to. Give it them in writing." in page
    )
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.CLOSED


def test_a_number_logged_wrong_is_not_texted(sheffield_client, sheffield_member):
    """A call handler logged "Wrong number" on their mobile: a stranger has it."""
    person = person_in(SHEFFIELD, email="")
    person.wrong_numbers = [str(person.phone)]
    person.save(update_fields=["wrong_numbers"])
    escalation = claimed(escalated_contact(person=person), sheffield_member)

    page = close_reached(sheffield_client, escalation)

    assert not Message.objects.filter(to=str(person.phone)).exists()
    assert not Message.objects.exists()
    assert "there is no mobile number or email to send it to" in page


def test_a_number_logged_wrong_goes_to_their_email_instead(
    sheffield_client, sheffield_member
):
    person = person_in(SHEFFIELD, email="bryn@example.org")
    person.wrong_numbers = [str(person.phone)]
    person.save(update_fields=["wrong_numbers"])
    escalation = claimed(escalated_contact(person=person), sheffield_member)

    close_reached(sheffield_client, escalation)

    message = Message.objects.get()
    assert message.channel == Message.Channel.EMAIL
    assert message.to == "bryn@example.org"


def test_a_close_sent_twice_texts_once_and_says_so_alike(
    sheffield_client, sheffield_member, clock
):
    escalation = claimed(escalated_contact(), sheffield_member)
    phone = escalation.contact.person.phone

    close_reached(sheffield_client, escalation)
    clock.shift(HOUR // 60)
    page = close_reached(sheffield_client, escalation)

    assert Message.objects.count() == 1
    assert (
        f"{CLOSED} Their isolation date has been texted to {phone.as_national}." in page
    )


def test_reopened_and_closed_reached_again_texts_once(sheffield_member, clock):
    escalation = claimed(escalated_contact(), sheffield_member)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )
    clock.shift(HOUR)
    escalation_reopen(
        escalation=escalation, reason="Closed the wrong one", by=sheffield_member
    )
    clock.shift(HOUR)
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )

    assert Message.objects.count() == 1


def test_another_outcome_sends_nothing(sheffield_client, sheffield_member):
    escalation = claimed(escalated_contact(), sheffield_member)

    response = sheffield_client.post(
        url("close", escalation), {"outcome": "not_found"}, follow=True
    )

    assert not Message.objects.exists()
    assert "Closed: Not found." in response.content.decode()


def test_a_contact_whose_time_at_home_is_over_is_sent_nothing(
    sheffield_client, sheffield_member, clock
):
    escalation = claimed(escalated_contact(), sheffield_member)
    ends = escalation.contact.isolation_ends_on
    clock.move_to(dt.datetime.combine(ends + dt.timedelta(days=1), NOW.timetz()))
    sheffield_client.force_login(sheffield_member)  # a week on: signed in again

    page = close_reached(sheffield_client, escalation)

    assert not Message.objects.exists()
    assert (
        f"{CLOSED} Their time to stay at home ended on {long_date(ends)}: "
        "no advice was sent." in page
    )


def test_a_case_closed_reached_is_sent_nothing_as_on_the_phone(
    sheffield_client, sheffield_member
):
    escalation = claimed(escalated_case(), sheffield_member)

    page = close_reached(sheffield_client, escalation)

    assert not Message.objects.filter(kind=Message.Kind.ISOLATION_ADVICE).exists()
    assert CLOSED in page
    assert "Their isolation date" not in page


def asked_for_food_online(clock):
    """A contact texted their link, who answers it online: they will stay at home
    and ask for help with food (reached online, escalated to Sheffield for it), and
    the team picks it up two days on."""
    contact = f.ContactFactory(person=person_in(SHEFFIELD), area=f.area(SHEFFIELD))
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    online_contact_answer(link=link, will_isolate=True, support=["food"])
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SUPPORT
    clock.shift(48 * HOUR)
    return escalation, link.message


def test_a_contact_who_answered_their_link_and_asked_for_food_is_not_told_again(
    sheffield_client, sheffield_member, clock
):
    escalation, link_text = asked_for_food_online(clock)
    claimed(escalation, sheffield_member)
    phone = escalation.contact.person.phone

    page = close_reached(sheffield_client, escalation)

    assert not Message.objects.filter(kind=Message.Kind.ISOLATION_ADVICE).exists()
    assert list(Message.objects.values_list("pk", flat=True)) == [link_text.pk]
    # Their link's text gave the date: the team is not told to write it to them.
    assert (
        f"{CLOSED} Their isolation date has been texted to {phone.as_national}." in page
    )
    escalation.contact.refresh_from_db()
    assert escalation.contact.reached_route == "online"  # still counted online


def test_a_contact_who_is_a_case_isolating_is_not_sent_a_contacts_advice(
    sheffield_client, sheffield_member
):
    """Tom tested positive (texted his case's link) and his sister's case named him:
    his contact row, escalated, closed reached at the door, texts him nothing."""
    tom = person_in(SHEFFIELD)
    case = CaseFactory(person=tom, area=tom.area)
    case_link = online_case_invite(case=case, now=NOW)
    assert case_link is not None
    escalation = claimed(
        escalated_contact(person=tom, isolation_ends_on=case.isolation_ends_on),
        sheffield_member,
    )

    page = close_reached(sheffield_client, escalation)

    assert not Message.objects.filter(kind=Message.Kind.ISOLATION_ADVICE).exists()
    assert list(Message.objects.values_list("kind", flat=True)) == [
        Message.Kind.CASE_LINK
    ]
    assert (
        f"{CLOSED} Their isolation date has been texted to {tom.phone.as_national}."
        in page
    )
