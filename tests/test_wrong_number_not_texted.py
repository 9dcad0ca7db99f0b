"""A contact named with a mistyped mobile: the call handler rings it, a stranger
answers, and the handler logs "Wrong number". Before, nothing marked the number as
bad: the next message about the contact (a clinician's new end date, a second
naming with a later date) was texted to the stranger. Now a number logged wrong for
a person is not texted (their email is used, if they have one); a new number given
afterwards is texted as usual, and a "Wrong number" corrected to another outcome
makes the number theirs again.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt, Outcome
from contacts.models import Contact
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails, contact_add
from work.isolation import isolation_override
from work.online import online_contact_tell

from .isolation.conftest import hold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MISTYPED = "+447911123402"  # a stranger's mobile: one digit out
THEIRS = "+447911123403"  # the number Bryn gives later
REASON = "Immunosuppressed household: a longer infectious period is likely."


def bryn(phone: str = MISTYPED, email: str = "") -> PersonDetails:
    return PersonDetails(
        first_name="Bryn",
        last_name="Evans",
        date_of_birth=dt.date(1988, 6, 1),
        phone=phone,
        email=email,
        postcode="S1 2HE",
    )


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def named(phone: str = MISTYPED, *, exposed: int, email: str = "") -> Contact:
    """A case names Bryn on its page, last near them `exposed` days ago."""
    return contact_add(
        case=f.CaseFactory(),
        details=ContactDetails(
            person=bryn(phone, email),
            exposure_date=days_ago(exposed),
            exposure="household",
        ),
    )


@pytest.fixture
def bryn_rung(client, call_handler, run_tasks_here) -> Contact:
    """Bryn is named and texted a link (it went, to the mistyped number); the call
    handler rings the number, and logs "Wrong number" on the contact's page."""
    contact = named(exposed=3)
    with run_tasks_here():
        link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    assert link.message.to == MISTYPED
    contact = hold(contact, call_handler)
    client.force_login(call_handler)
    logged = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": Outcome.WRONG_NUMBER, "duration_minutes": 1, "notes": ""},
    )
    assert logged.status_code == 302, logged.content.decode()[:2000]
    return contact


def texts_to(number: str) -> list[str]:
    """The kinds of the messages addressed to `number`, oldest first."""
    return list(
        Message.objects.filter(to=number).order_by("pk").values_list("kind", flat=True)
    )


def override(contact: Contact, clinician, days_later: int = 2):
    return isolation_override(
        item=contact,
        ends_on=contact.isolation_ends_on + dt.timedelta(days=days_later),
        reason=REASON,
        clinician=clinician,
    )


def test_a_clinicians_new_end_date_is_not_texted_to_the_number_logged_wrong(
    bryn_rung, supervisor
):
    done = override(bryn_rung, supervisor)

    assert done.message is None
    assert texts_to(MISTYPED) == [Message.Kind.CONTACT_LINK]


def test_named_again_with_the_same_number_nothing_more_goes_to_it(bryn_rung):
    again = named(exposed=1)

    assert again.person_id == bryn_rung.person_id
    assert texts_to(MISTYPED) == [Message.Kind.CONTACT_LINK]


def test_with_an_email_on_record_the_new_date_is_emailed_instead(
    client, call_handler, supervisor
):
    contact = hold(named(exposed=3, email="bryn@example.org"), call_handler)
    client.force_login(call_handler)
    client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": Outcome.WRONG_NUMBER, "duration_minutes": 1, "notes": ""},
    )

    done = override(contact, supervisor)

    assert (done.message.channel, done.message.to) == (
        Message.Channel.EMAIL,
        "bryn@example.org",
    )
    assert texts_to(MISTYPED) == []


def test_a_new_number_given_afterwards_is_texted(bryn_rung, supervisor):
    again = named(THEIRS, exposed=1)
    assert again.person_id == bryn_rung.person_id
    bryn_rung.refresh_from_db()
    assert str(bryn_rung.person.phone) == THEIRS

    done = override(bryn_rung, supervisor, days_later=4)

    assert (done.message.channel, done.message.to) == (Message.Channel.SMS, THEIRS)
    assert texts_to(MISTYPED) == [Message.Kind.CONTACT_LINK]


def test_a_wrong_number_corrected_to_no_answer_is_texted_again(
    client, bryn_rung, supervisor
):
    call = CallAttempt.objects.get(contact=bryn_rung)
    corrected = client.post(
        reverse("contacts:call_correction", args=[bryn_rung.pk, call.pk]),
        {
            "outcome": Outcome.NO_ANSWER,
            "reason": "Logged on the wrong contact: this number rang out.",
        },
    )
    assert corrected.status_code == 302, corrected.content.decode()[:2000]
    call.refresh_from_db()
    assert (call.corrected_from, call.outcome) == (Outcome.WRONG_NUMBER, "no_answer")

    done = override(bryn_rung, supervisor)

    assert (done.message.channel, done.message.to) == (Message.Channel.SMS, MISTYPED)


def test_a_no_answer_corrected_to_wrong_number_is_not_texted(
    client, call_handler, supervisor
):
    contact = hold(named(exposed=3), call_handler)
    client.force_login(call_handler)
    client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": Outcome.NO_ANSWER, "duration_minutes": 1, "notes": ""},
    )
    call = CallAttempt.objects.get(contact=contact)
    corrected = client.post(
        reverse("contacts:call_correction", args=[contact.pk, call.pk]),
        {
            "outcome": Outcome.WRONG_NUMBER,
            "reason": "A stranger answered: I logged it as no answer by mistake.",
        },
    )
    assert corrected.status_code == 302, corrected.content.decode()[:2000]

    done = override(contact, supervisor)

    assert done.message is None
    assert texts_to(MISTYPED) == []
