"""A person named on a Welsh page goes on being written to in Welsh: the advice when
a call handler reaches them, a clinician's new date, a new link sent by hand (before,
only the link was Welsh, then English for everything after). A language recorded for
them still comes first. And a case whose time to stay at home is already over, with
no symptoms, is told it was counted from their test (before: "from when your symptoms
started")."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from online.texts import long_date
from pages.online import limits
from people.models import Language, Message, Person
from tests import factories as f
from tests.online.test_online_fixes import case_link, days_ago, person_row, url
from work.calls import call_record
from work.isolation import isolation_override
from work.online import online_case_invite, online_link_resend

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

WELSH_ADVICE = (
    "GIG Profi ac Olrhain: neges ar gyfer Gwen. Rydych wedi bod yn agos at rywun sydd "
    "â coronafeirws. Arhoswch gartref a hunanynysu"
)
WELSH_CHANGED = "GIG Profi ac Olrhain: neges ar gyfer Gwen. Mae clinigydd wedi adolygu"
WELSH_LINK = (
    "GIG Profi ac Olrhain: neges ar gyfer Gwen. Rydych wedi bod yn agos at rywun"
)


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def named_on_the_welsh_page(client) -> Contact:
    """Gwen, named by a case answering their link in Welsh: texted her link in Welsh;
    no language recorded for her."""
    case, _, token = case_link()
    client.post(
        url(token) + "?lang=cy",
        person_row(
            0,
            "Gwen",
            "Jones",
            phone="07400 123452",
            last_near=days_ago(1).isoformat(),
            household="no",
        ),
    )
    contact = case.contacts.select_related("person").get()
    assert contact.person.language_id is None
    assert OnlineLink.objects.get(contact=contact).language == "cy"
    return contact


def held_by(contact: Contact, user) -> Contact:
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


def advice_to(contact: Contact) -> Message:
    return Message.objects.get(contact=contact, kind=Message.Kind.ISOLATION_ADVICE)


def test_a_contact_named_in_welsh_reached_by_phone_is_sent_the_advice_in_welsh(
    client, call_handler
):
    contact = held_by(named_on_the_welsh_page(client), call_handler)

    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    message = advice_to(contact)
    assert message.language == "cy"
    assert message.body.startswith(WELSH_ADVICE)
    assert long_date(contact.isolation_ends_on, "cy") in message.body
    assert message.personalisation["subject"] == (
        "GIG Profi ac Olrhain: neges ar gyfer Gwen. Beth i'w wneud nawr"
    )


def test_a_contact_named_in_welsh_is_told_a_clinicians_new_date_in_welsh(
    client, supervisor
):
    contact = named_on_the_welsh_page(client)
    new_end = contact.isolation_ends_on + dt.timedelta(days=2)

    done = isolation_override(
        item=contact,
        ends_on=new_end,
        reason="Immunosuppressed: a longer infectious period is likely.",
        clinician=supervisor,
    )

    assert done.message is not None
    message = advice_to(contact)
    assert message == done.message
    assert message.language == "cy"
    assert message.body.startswith(WELSH_CHANGED)
    assert long_date(new_end, "cy") in message.body


def test_a_new_link_sent_to_a_contact_named_in_welsh_is_in_welsh(client, supervisor):
    contact = named_on_the_welsh_page(client)

    link = online_link_resend(item=contact, by=supervisor)

    assert link.language == "cy"
    assert link.message.language == "cy"
    assert link.message.body.startswith(WELSH_LINK)
    # And the one after that, too.
    OnlineLink.objects.filter(pk=link.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    again = online_link_resend(item=contact, by=supervisor)
    assert again.language == "cy"
    assert again.message.body.startswith(WELSH_LINK)


def test_a_language_recorded_for_them_still_comes_first(client, call_handler):
    contact = held_by(named_on_the_welsh_page(client), call_handler)
    english, _ = Language.objects.get_or_create(code="en", defaults={"name": "English"})
    Person.objects.filter(pk=contact.person_id).update(language=english)
    contact.refresh_from_db()

    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    message = advice_to(contact)
    assert message.language == "en"
    assert message.body.startswith(
        "NHS Test and Trace: a message for Gwen. You have been near someone who has "
        "coronavirus. Stay at home and isolate"
    )


def test_a_contact_with_no_link_is_still_told_in_english(call_handler):
    contact = held_by(
        f.ContactFactory(person__phone="+447400222999", exposure_date=days_ago(1)),
        call_handler,
    )

    call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    assert advice_to(contact).language == "en"


# --- a case whose time to stay at home is over --------------------------------------


def a_case_tested_long_ago(**fields):
    today = timezone.localdate()
    return f.CaseFactory(
        specimen_date=today - dt.timedelta(days=20),
        result_date=today - dt.timedelta(days=1),
        person__phone="+447400111222",
        **fields,
    )


@pytest.mark.parametrize(
    ("language", "counted", "not_said"),
    [
        (
            "en",
            "Counted from the day of your test, your time to stay at home ended on",
            "symptoms",
        ),
        (
            "cy",
            "O ddiwrnod eich prawf, daeth eich cyfnod i aros gartref i ben ar",
            "symptomau",
        ),
    ],
)
def test_a_case_with_no_symptoms_is_told_their_time_was_counted_from_the_test(
    language, counted, not_said
):
    case = a_case_tested_long_ago(symptom_onset=None)
    if language == "cy":
        welsh = Language.objects.get(code="cy")
        Person.objects.filter(pk=case.person_id).update(language=welsh)
        case.person.refresh_from_db()
    assert case.isolation_ends_on < timezone.localdate()

    link = online_case_invite(case=case, now=timezone.now())

    assert link is not None
    body = link.message.body
    assert f"{counted} {long_date(case.isolation_ends_on, language)}." in body
    assert not_said not in body
    assert "/o/" in body


def test_a_case_with_symptoms_is_still_told_it_was_counted_from_them():
    today = timezone.localdate()
    case = a_case_tested_long_ago(symptom_onset=today - dt.timedelta(days=21))

    link = online_case_invite(case=case, now=timezone.now())

    assert link is not None
    assert (
        "Counted from when your symptoms started, your time to stay at home ended on "
        f"{long_date(case.isolation_ends_on)}."
    ) in link.message.body
