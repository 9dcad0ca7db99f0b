"""A person written to in Welsh goes on being written to in Welsh: named again by a
case whose page was in English, their new link's text is Welsh (before: English,
while their old Welsh link said, in Welsh, that a new message had gone). And a
link sent in Welsh says so in its address (?lang=cy), so even the page asking them
to wait (past the rate limit, where no link is looked up) is in Welsh."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails
from work.online import CaseAnswer, online_case_invite, online_case_submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

ALED = PersonDetails(
    first_name="Aled",
    last_name="Ap Rhys",
    date_of_birth=dt.date(1988, 5, 5),
    phone="07400 000611",
    postcode="S1 2HE",
)
WELSH_LINK = (
    "GIG Profi ac Olrhain: neges ar gyfer Aled. Rydych wedi bod yn agos at rywun"
)
ENGLISH_LINK = (
    "NHS Test and Trace: a message for Aled. You have been near someone who has "
    "coronavirus."
)


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def address_in(body: str) -> str:
    """The link's address as the text gives it, from /o/ on."""
    return "/o/" + body.split("/o/")[1].split()[0]


def aled_named(*, language: str, phone: str, days: int) -> Contact:
    """A case (its own phone) answers its link on a page in `language`, naming Aled,
    last near him `days` ago."""
    case = f.CaseFactory(person__phone=phone)
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    online_case_submit(
        link=link,
        answer=CaseAnswer(
            contacts=[
                ContactDetails(
                    person=ALED, exposure_date=days_ago(days), exposure="household"
                )
            ],
            visits=[],
            language=language,
        ),
    )
    return Contact.objects.select_related("person").get(case=case)


def link_text(contact: Contact) -> str:
    return (
        OnlineLink.objects.select_related("message").get(contact=contact).message.body
    )


def test_named_again_on_an_english_page_he_is_texted_in_welsh(client):
    first = aled_named(language="cy", phone="+447400111901", days=3)
    assert WELSH_LINK in link_text(first)
    answered = client.post(address_in(link_text(first)), {"will_isolate": "yes"})
    assert answered.status_code == 200
    first.refresh_from_db()
    assert first.status == Status.REACHED
    # Answered on the Welsh page: Welsh is his language now (work.online
    # .person_language_from_page), and he is written to in it whatever the page.
    assert first.person.language is not None
    assert first.person.language.code == "cy"

    later = aled_named(language="en", phone="+447400111902", days=1)

    assert later.pk != first.pk
    assert WELSH_LINK in link_text(later)
    assert OnlineLink.objects.get(contact=later).language == "cy"


def test_someone_never_written_to_in_welsh_is_texted_in_english(client):
    contact = aled_named(language="en", phone="+447400111903", days=1)
    body = link_text(contact)
    assert ENGLISH_LINK in body
    assert "?lang=" not in body


def test_a_welsh_links_address_says_welsh(client):
    body = link_text(aled_named(language="cy", phone="+447400111904", days=1))
    address = address_in(body)
    assert address.endswith("/?lang=cy")
    assert '<html lang="cy"' in client.get(address).content.decode()


def test_the_wait_page_of_a_welsh_link_is_in_welsh(client, settings):
    settings.TRACING_ONLINE_RATE = 1
    address = address_in(
        link_text(aled_named(language="cy", phone="+447400111905", days=1))
    )
    assert client.get(address).status_code == 200

    busy = client.get(address)

    assert busy.status_code == 429
    page = unescape(busy.content.decode())
    assert '<html lang="cy"' in page
    assert "Wait 10 minutes, then try again." not in page
