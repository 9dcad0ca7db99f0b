"""The language of the text telling a contact a later date when a second case names
them (work.isolation.contact_told_later_date): the rule a new link is written by.
Their recorded language first, then the language of a link sent them in Welsh
before, then that of the page naming them (CaseAnswer.language: the people named
are told in it). Before, a Welsh page naming Kit, first texted in English, had
them told the later date in English, where a new link would have been in Welsh.

The test clock stands at 10:00 on Tuesday 12 January 2021."""

from __future__ import annotations

import pytest
from django.utils import timezone

from contacts.models import Contact
from notify.services import message_send
from online.texts import TEXTS, addressed
from people.models import Language, Message, Person
from tests.work.test_second_naming_tells import (  # noqa: F401 (fixture)
    KIT,
    a_case,
    naming,
    recording,
)
from work.casework import contact_add
from work.online import CaseAnswer, online_case_invite, online_case_submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def welsh_start() -> str:
    """The Welsh text, as sent to Kit, up to the date."""
    return addressed(TEXTS["named_again_later"]["cy"], "Kit", "cy").split("{")[0]


def english_start() -> str:
    """The English text, as sent to Kit, up to the date."""
    return addressed(TEXTS["named_again_later"]["en"], "Kit", "en").split("{")[0]


def named_on_page(days: int, language: str, phone: str) -> Contact:
    """A case names Kit on its own link's page, in `language`."""
    case = a_case(person__phone=phone)
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    online_case_submit(
        link=link,
        answer=CaseAnswer(contacts=[naming(KIT, days)], visits=[], language=language),
    )
    return Contact.objects.get(person__first_name="Kit")


def kit_texted_from(language: str) -> tuple[Contact, set[int]]:
    """Kit is named on a page in `language` and the text carrying their link goes;
    with the messages so far."""
    kit = named_on_page(5, language, "+447400111999")
    message_send(Message.objects.get(contact=kit).pk)
    return kit, set(Message.objects.values_list("pk", flat=True))


def told_later(kit: Contact, before: set[int]) -> Message:
    [told] = Message.objects.filter(contact=kit).exclude(pk__in=before)
    return told


def test_a_welsh_page_naming_kit_again_tells_them_in_welsh(clock):
    kit, before = kit_texted_from("en")

    named_on_page(3, "cy", "+447400111888")

    told = told_later(kit, before)
    assert told.language == "cy", told.body
    assert told.body.startswith(welsh_start())


def test_an_english_page_naming_kit_again_keeps_the_welsh_of_their_link(clock):
    kit, before = kit_texted_from("cy")

    named_on_page(3, "en", "+447400111888")

    told = told_later(kit, before)
    assert told.language == "cy", told.body
    assert told.body.startswith(welsh_start())


def test_their_recorded_language_comes_before_the_welsh_page(clock):
    kit, before = kit_texted_from("en")
    english, _ = Language.objects.get_or_create(code="en", defaults={"name": "English"})
    Person.objects.filter(pk=kit.person_id).update(language=english)

    named_on_page(3, "cy", "+447400111888")

    told = told_later(kit, before)
    assert told.language == "en", told.body
    assert told.body.startswith(english_start())


def test_a_case_page_naming_kit_again_keeps_the_language_of_their_link(clock):
    """Named again by a caseworker on the case page (no language chosen), Kit is
    told in the language of their link, as before."""
    kit, before = kit_texted_from("en")

    contact_add(case=a_case(), details=naming(KIT, 3))

    told = told_later(kit, before)
    assert told.language == "en", told.body
    assert told.body.startswith(english_start())
