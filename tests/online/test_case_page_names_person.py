"""A case's page names whose it is, as the text carrying its link does.

Three children (6, 9 and 12) tested positive and the lab gave their mother's mobile
for all three. The texts were told apart ("a message for Lily", "...for Tom",
"...for Amy"), but each link opened the same page, "Tell us who you have been near",
naming nobody: a mother tapping the wrong text entered Lily's contacts under Tom's
case. Now the page's title and heading name the person as the text does, by first
name only (a link can be forwarded) and only when it is fit to show
(online.texts.name_fit_to_text), in English and Welsh; and an email carrying the
link names them in its subject, as an inbox lists it. A contact's page, which named
its person already, shows their name by the same rule: the name was typed by
whoever named them."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.utils import timezone

from online.models import OnlineLink
from pages.online import limits
from tests import factories as f
from work.online import online_case_invite, online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

MOTHER = "+447911100101"
HEADING = {
    "en": "{name}, tell us who you have been near",
    "cy": "{name}, dywedwch wrthym pwy rydych wedi bod yn agos atynt",
}
UNNAMED = {
    "en": "Tell us who you have been near",
    "cy": "Dywedwch wrthym pwy rydych wedi bod yn agos atynt",
}
SERVICE = {"en": "NHS Test and Trace", "cy": "GIG Profi ac Olrhain"}
# Between the page's own title and the service's, in the <title>: an en dash.
DASH = "\u2013"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def link_path(body: str) -> str:
    """The link's address as the text gives it, from /o/ on."""
    return "/o/" + body.split("/o/")[1].split()[0]


def invited(first_name: str, **person) -> OnlineLink:
    case = f.CaseFactory(
        person__first_name=first_name,
        person__last_name=person.pop("last_name", "Hart"),
        person__phone=person.pop("phone", MOTHER),
        **{f"person__{key}": value for key, value in person.items()},
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return link


def opened(client, link: OnlineLink, language: str = "en") -> tuple[str, str, str]:
    """The page the link's text opens: its <title>, its heading and all of it."""
    assert link.message is not None
    page = unescape(
        client.get(f"{link_path(link.message.body)}?lang={language}").content.decode()
    )
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert title is not None
    assert heading is not None
    return title.group(1).strip(), heading.group(1).strip(), page


@pytest.mark.parametrize("language", ["en", "cy"])
def test_each_sibling_s_link_on_the_mother_s_phone_opens_a_page_naming_them(
    client, language
):
    links = {name: invited(name) for name in ("Lily", "Tom", "Amy")}

    for name, link in links.items():
        assert link.message is not None
        assert link.message.body.startswith(
            f"NHS Test and Trace: a message for {name}."
        )
        title, heading, page = opened(client, link, language)

        assert heading == HEADING[language].format(name=name)
        assert title == f"{heading} {DASH} {SERVICE[language]}"
        others = [other for other in links if other != name]
        assert not [other for other in others if other in page]


def test_the_page_names_them_by_first_name_only(client):
    link = invited(
        "Lily", last_name="Hartington-Smythe", date_of_birth=dt.date(2020, 5, 1)
    )

    title, heading, page = opened(client, link)

    assert heading == "Lily, tell us who you have been near"
    assert "Hartington-Smythe" not in page
    assert "2020" not in title


def test_a_name_in_capitals_as_labs_send_them_is_written_as_a_name(client):
    link = invited("MARY-JANE")

    _, heading, _ = opened(client, link)

    assert heading == "Mary-Jane, tell us who you have been near"


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize(
    "first_name", ["Visit www.example.com", "Ring 0800 123456 now", "A\nB"]
)
def test_a_name_not_fit_to_show_is_left_out_whole(client, first_name, language):
    link = invited(first_name)

    title, heading, page = opened(client, link, language)

    assert heading == UNNAMED[language]
    assert title == f"{UNNAMED[language]} {DASH} {SERVICE[language]}"
    assert "example.com" not in page
    assert "0800 123456" not in page


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_email_carrying_the_link_names_them_in_its_subject(language):
    subjects = {
        "en": "NHS Test and Trace: a message for {name}. What to do now",
        "cy": "GIG Profi ac Olrhain: neges ar gyfer {name}. Beth i'w wneud nawr",
    }
    welsh = f.LanguageFactory(code="cy", name="Welsh") if language == "cy" else None
    mother = "mum.hart@example.com"
    for name in ("Lily", "Tom"):
        link = invited(name, phone="", email=mother, language=welsh)
        assert link.message is not None
        assert link.message.to == mother
        assert link.message.personalisation["subject"] == subjects[language].format(
            name=name
        )


def test_an_email_to_someone_with_no_name_fit_to_show_keeps_the_plain_subject():
    link = invited("www.example.com", phone="", email="someone@example.com")

    assert link.message is not None
    assert link.message.personalisation["subject"] == (
        "NHS Test and Trace: what to do now"
    )


@pytest.mark.parametrize(
    ("first_name", "heading"),
    [
        ("Grace", "Grace, you need to self-isolate"),
        ("GRACE", "Grace, you need to self-isolate"),
        ("Visit www.example.com to claim", "You need to self-isolate"),
    ],
)
def test_a_contact_s_page_names_them_by_the_same_rule(client, first_name, heading):
    contact = f.ContactFactory(
        person__first_name=first_name,
        person__phone="+447911100102",
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None

    title, shown, page = opened(client, link)

    assert shown == heading
    assert title == f"{heading} {DASH} NHS Test and Trace"
    assert "example.com" not in page
