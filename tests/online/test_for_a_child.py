"""A child's link page asks their parent or guardian to answer for them.

A lab gives a parent's mobile for their children's tests, and the text says whose
it is ("a message for Lily"): the page it opens asked "Lily, tell us who you have
been near" as if a six-year-old would answer. The case and contact pages of
someone under 16 now say it is about them, under 16, and ask their parent or
guardian to answer for them, in English and Welsh; an adult's pages do not. Only
the first name, and not the age: a link can be forwarded."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from tests import factories as f
from tests.online.test_case_page_names_person import (
    _fresh_allowance,  # noqa: F401
    invited,
    link_path,
)
from work.online import online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

FOR_A_CHILD = {
    "en": "This is about Lily, who is under 16. If you are their parent or "
    "guardian, please answer for them.",
    "cy": "Mae hyn am Lily, sydd o dan 16 oed. Os ydych yn rhiant neu'n "
    "warcheidwad iddynt, atebwch ar eu rhan os gwelwch yn dda.",
}


def born_years_ago(years: int) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years) - dt.timedelta(days=30)


def page_of(client, link, language: str = "en") -> str:
    assert link.message is not None
    return unescape(
        client.get(f"{link_path(link.message.body)}?lang={language}").content.decode()
    )


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_six_year_old_s_case_page_asks_their_parent_to_answer(client, language):
    link = invited("Lily", date_of_birth=born_years_ago(6))

    page = page_of(client, link, language)

    assert FOR_A_CHILD[language] in page


def test_an_adult_s_case_page_does_not(client):
    link = invited("Lily", date_of_birth=born_years_ago(34))

    assert "under 16" not in page_of(client, link)


def test_a_fifteen_year_old_contact_s_page_asks_their_parent_to_answer(client):
    person = f.PersonFactory(
        first_name="Lily", phone="+447911100102", date_of_birth=born_years_ago(15)
    )
    contact = f.ContactFactory(person=person)
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None

    assert FOR_A_CHILD["en"] in page_of(client, link)
