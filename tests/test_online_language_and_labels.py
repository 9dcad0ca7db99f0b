"""A person who answers their link on a Welsh page has Welsh recorded as their
language (never over one staff recorded), so the call handler and the local team
know to speak Welsh: before, only the online panel said "the link was in Welsh",
and the local team's escalation page showed no language at all. And the local
team's history of a request for help made online says it came from the person's
answer online: before, it said "Escalation sweep"."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from escalations.models import Escalation
from online.models import OnlineLink
from people.models import Language
from tests import factories as f
from tests.local_teams.builders import SHEFFIELD, local_member, person_in
from tests.online.test_online_fixes import _fresh_allowance, token_in, url  # noqa: F401
from work.escalation import item_escalate
from work.online import (
    CaseAnswer,
    online_case_invite,
    online_case_submit,
    online_contact_answer,
    online_contact_tell,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


@pytest.fixture
def sheffield_member(db):
    return local_member(SHEFFIELD, "sheffield_member")


def text(html: str) -> str:
    """The page as a reader sees it: words, one space between."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def told_in(link_language: str, **person):
    """A contact in Sheffield told to isolate by a link in `link_language`."""
    contact = f.ContactFactory(
        person=person_in(SHEFFIELD, phone="+447400222333", **person),
        area=f.area(SHEFFIELD),
    )
    link = online_contact_tell(
        contact=contact, now=timezone.now(), language=link_language
    )
    assert link is not None
    # One with a language recorded is written to in it (English for one with no
    # Welsh): their link taken as Welsh, as one sent before they said would be.
    OnlineLink.objects.filter(pk=link.pk).update(language=link_language)
    return contact, token_in(link.message.body)


def ask_for_help(client, token: str) -> None:
    """The contact's answer on their link's page: they cannot stay at home and
    ask for help with food (the Welsh page's form takes the same values)."""
    response = client.post(
        url(token),
        {
            "will_isolate": "no",
            "support": ["food"],
            "postcode": "S1 1AA",
            "note": "Siaradwch Gymraeg os gwelwch yn dda",
        },
    )
    assert response.status_code == 200


def escalation_page(client, member, escalation: Escalation) -> str:
    client.logout()
    client.force_login(member)
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return text(response.content.decode())


def test_a_contact_answering_their_welsh_link_has_welsh_recorded(
    client, sheffield_member
):
    contact, token = told_in("cy")

    ask_for_help(client, token)

    contact.person.refresh_from_db()
    assert contact.person.language is not None
    assert contact.person.language.code == "cy"
    assert not contact.person.needs_interpreter  # they said nothing of one
    answered = AuditEvent.objects.get(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__online="answered",
    )
    assert answered.detail["language"] == "added"
    escalation = Escalation.objects.get(contact=contact)
    page = escalation_page(client, sheffield_member, escalation)
    assert "Language Welsh" in page
    # Beside the phone, before the address: what to speak on a call or a visit.
    person = page.split("The contact", 1)[1]
    assert person.index("Phone") < person.index("Language Welsh")
    assert person.index("Language Welsh") < person.index("Address")


def test_a_language_staff_recorded_is_never_replaced(client, sheffield_member):
    polish, _ = Language.objects.get_or_create(code="pl", defaults={"name": "Polish"})
    contact, token = told_in("cy", language=polish, needs_interpreter=True)

    ask_for_help(client, token)

    contact.person.refresh_from_db()
    assert contact.person.language == polish
    answered = AuditEvent.objects.get(
        object_type="contacts.contact",
        object_id=str(contact.pk),
        detail__online="answered",
    )
    assert "language" not in answered.detail
    page = escalation_page(
        client, sheffield_member, Escalation.objects.get(contact=contact)
    )
    assert "Language Polish Needs an interpreter" in page


def test_an_answer_in_english_records_no_language(client):
    contact, token = told_in("en")

    ask_for_help(client, token)

    contact.person.refresh_from_db()
    assert contact.person.language is None


def test_an_english_link_answered_on_the_welsh_page_records_welsh():
    """The page's own switch (?lang=cy) makes it a Welsh page: they chose Welsh.
    (The page says which it was; a link's own language is the default.)"""
    contact, _ = told_in("en")
    link = OnlineLink.objects.get(contact=contact)

    online_contact_answer(link=link, will_isolate=True, language="cy")

    contact.person.refresh_from_db()
    assert contact.person.language is not None
    assert contact.person.language.code == "cy"


def test_a_welsh_link_answered_on_the_english_page_records_no_language():
    """Switched to English, they chose English: nothing is recorded for them."""
    contact, _ = told_in("cy")
    link = OnlineLink.objects.get(contact=contact)

    online_contact_answer(link=link, will_isolate=True, language="en")

    contact.person.refresh_from_db()
    assert contact.person.language is None


def test_a_case_answering_on_a_welsh_page_has_welsh_recorded():
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None

    online_case_submit(
        link=link, answer=CaseAnswer(contacts=[], visits=[], language="cy")
    )

    case.person.refresh_from_db()
    assert case.person.language is not None
    assert case.person.language.code == "cy"
    answered = AuditEvent.objects.get(
        object_type="cases.case", object_id=str(case.pk), detail__online="answered"
    )
    assert answered.detail["language"] == "added"


def test_a_case_answering_in_english_records_no_language():
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None

    online_case_submit(
        link=link, answer=CaseAnswer(contacts=[], visits=[], language="en")
    )

    case.person.refresh_from_db()
    assert case.person.language is None


def test_the_history_says_help_was_asked_for_online_not_by_the_sweep(
    client, sheffield_member
):
    contact, token = told_in("en")

    ask_for_help(client, token)

    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SUPPORT
    page = escalation_page(client, sheffield_member, escalation)
    history = page.split("History", 1)[1]
    assert "Escalation sweep" not in history
    assert "From their answer online, asking for help" in history


def test_no_language_row_for_one_written_to_in_english(client, sheffield_member):
    contact, _ = told_in("en")
    escalation = item_escalate(
        item=contact, reason=Escalation.Reason.UNREACHED, detail="3 call attempts"
    )

    page = escalation_page(client, sheffield_member, escalation)

    assert "Language" not in page.split("The contact", 1)[1].split("Escalation")[0]


def test_the_page_switched_to_welsh_records_welsh(client):
    """An English link answered on the page switched to Welsh (?lang=cy): the
    page's language is what they chose (pages.online passes it)."""
    contact, token = told_in("en")

    response = client.post(
        f"{url(token)}?lang=cy", {"will_isolate": "yes", "postcode": "S1 1AA"}
    )

    assert response.status_code == 200
    contact.person.refresh_from_db()
    assert contact.person.language is not None
    assert contact.person.language.code == "cy"


def test_a_welsh_link_answered_on_the_page_switched_to_english_records_none(client):
    contact, token = told_in("cy")

    response = client.post(
        f"{url(token)}?lang=en", {"will_isolate": "yes", "postcode": "S1 1AA"}
    )

    assert response.status_code == 200
    contact.person.refresh_from_db()
    assert contact.person.language is None
