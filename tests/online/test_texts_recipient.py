"""Texts that say whom they are for, one brand, and advice fit for the reader.

A parent who tested positive named two children with no phone of their own, giving
the parent's own mobile: two identical texts came to the parent ("you have been near
someone who has coronavirus", with a later date than their own), neither saying
which child it was for. Now every text about someone's isolation opens with their
first name, as the pages do, and never the case's.

The case's own page told them "If you get symptoms of coronavirus, call 119 to get a
test": they have just tested positive. Now only a contact is told that.

The advice texted to a contact reached by phone was signed "NHS contact tracing" and
said "Do not leave home except for a test or an emergency", beside the link text and
page signed "NHS Test and Trace" giving other advice. Now it is one brand, and the
page's advice."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from calls.models import Outcome
from cases.workitem import Status
from notify.backends import read_sent
from online.texts import TEXTS, long_date
from pages.online import limits
from people.models import Language, Message
from people.services import PersonDetails
from tests import factories as f
from work.calls import call_record
from work.casework import ContactDetails
from work.online import (
    CaseAnswer,
    online_case_invite,
    online_case_submit,
    online_contact_tell,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

PARENT_PHONE = "+447400333101"
GET_A_TEST = {
    "en": "call 119 to get a test",
    "cy": "ffoniwch 119 i gael prawf",
}
STAY_AT_HOME = {
    "en": "Do not go to work, school or any public place.",
    "cy": "Peidiwch â mynd i'r gwaith, i'r ysgol nac i unrhyw le cyhoeddus.",
}
FOR_CHILD = {
    "en": "NHS Test and Trace: a message for {name}. You have been near someone who "
    "has coronavirus. Stay at home and isolate until the end of {until}.",
    "cy": "GIG Profi ac Olrhain: neges ar gyfer {name}. Rydych wedi bod yn agos at "
    "rywun sydd â coronafeirws. Arhoswch gartref a hunanynysu tan ddiwedd {until}.",
}
FOR_CASE = {
    "en": "NHS Test and Trace: a message for Gethin. Your coronavirus test was "
    "positive.",
    "cy": "GIG Profi ac Olrhain: neges ar gyfer Gethin. Roedd eich prawf coronafeirws "
    "yn bositif.",
}
# A contact reached by phone: the page's brand and advice, in a text.
ADVICE = {
    "en": (
        "NHS Test and Trace: a message for Bryn. You have been near someone who has "
        "coronavirus. Stay at home and isolate until the end of {until}. Do not go "
        "to work, school or any public place. If you get symptoms, call 119 to get "
        "a test."
    ),
    "cy": (
        "GIG Profi ac Olrhain: neges ar gyfer Bryn. Rydych wedi bod yn agos at rywun "
        "sydd â coronafeirws. Arhoswch gartref a hunanynysu tan ddiwedd {until}. "
        "Peidiwch â mynd i'r gwaith, i'r ysgol nac i unrhyw le cyhoeddus. Os cewch "
        "symptomau, ffoniwch 119 i gael prawf."
    ),
}
OLD_BRANDS = ("NHS contact tracing", "Olrhain cysylltiadau'r GIG")


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def welsh() -> Language:
    return Language.objects.get_or_create(code="cy", defaults={"name": "Welsh"})[0]


def child(first_name: str) -> ContactDetails:
    """A child living with Gethin, with no phone of their own: Gethin's is given."""
    return ContactDetails(
        person=PersonDetails(
            first_name=first_name,
            last_name="Pryce",
            date_of_birth=dt.date(2014, 3, 3),
            phone=PARENT_PHONE,
            postcode="S1 2HE",
        ),
        exposure_date=yesterday(),
        exposure="household",
    )


def link_path(body: str) -> str:
    """The link's address as the text gives it, from /o/ on."""
    return "/o/" + body.split("/o/")[1].split()[0]


@pytest.mark.parametrize("language", ["en", "cy"])
def test_each_child_s_text_on_the_parent_s_phone_names_the_child(
    language, run_tasks_here
):
    gethin = f.CaseFactory(
        person__first_name="Gethin",
        person__last_name="Pryce",
        person__phone=PARENT_PHONE,
        person__language=welsh() if language == "cy" else None,
    )
    with run_tasks_here():
        link = online_case_invite(case=gethin, now=timezone.now())
    assert link is not None
    with run_tasks_here():
        online_case_submit(
            link=link,
            answer=CaseAnswer(
                contacts=[child("Cai"), child("Elin")], visits=[], language=language
            ),
        )

    sent = [m for m in read_sent() if m["to"] == PARENT_PHONE]
    assert len(sent) == 3
    own, *children = sent
    assert own["body"].startswith(FOR_CASE[language])
    expected = {
        contact.person.first_name: FOR_CHILD[language].format(
            name=contact.person.first_name,
            until=long_date(contact.isolation_ends_on, language),
        )
        for contact in gethin.contacts.select_related("person")
    }
    assert sorted(expected) == ["Cai", "Elin"]
    told = sorted(
        name
        for message in children
        for name, opening in expected.items()
        if message["body"].startswith(opening)
    )
    assert told == ["Cai", "Elin"]
    assert not any("Gethin" in message["body"] for message in children)
    # The rows as kept say the same, each to the parent's phone.
    rows = Message.objects.filter(kind=Message.Kind.CONTACT_LINK).order_by("pk")
    assert [(row.to, row.body) for row in rows] == [
        (m["to"], m["body"]) for m in children
    ]


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_case_s_own_page_does_not_tell_them_to_get_a_test(client, language):
    case = f.CaseFactory(person__phone="+447400333102")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None

    page = unescape(
        client.get(f"{link_path(link.message.body)}?lang={language}").content.decode()
    )

    assert STAY_AT_HOME[language] in page
    assert GET_A_TEST[language] not in page


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_contact_s_page_still_tells_them_to_get_a_test(client, language):
    contact = f.ContactFactory(person__phone="+447400333103", exposure_date=yesterday())
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None

    page = unescape(
        client.get(f"{link_path(link.message.body)}?lang={language}").content.decode()
    )

    assert STAY_AT_HOME[language] in page
    assert GET_A_TEST[language] in page


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_advice_after_a_call_has_the_link_s_brand_and_the_page_s_advice(
    call_handler, run_tasks_here, language
):
    contact = f.ContactFactory(
        person__first_name="Bryn",
        person__phone="+447400333104",
        person__language=welsh() if language == "cy" else None,
        exposure_date=yesterday(),
    )
    type(contact).objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler, assigned_at=timezone.now()
    )
    contact.refresh_from_db()

    with run_tasks_here():
        call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)

    (sent,) = read_sent()
    assert sent["kind"] == "isolation_advice"
    assert sent["body"] == ADVICE[language].format(
        until=long_date(contact.isolation_ends_on, language)
    )
    assert not any(old in sent["body"] for old in OLD_BRANDS)


def test_every_message_text_carries_the_one_brand():
    """So that each can be headed with whom it is for, after the brand."""
    brand = TEXTS["email_subject"]
    for key, versions in TEXTS.items():
        for language, words in versions.items():
            assert words.startswith(brand[language].split(":")[0] + ": "), key
            assert not any(old in words for old in OLD_BRANDS), key
