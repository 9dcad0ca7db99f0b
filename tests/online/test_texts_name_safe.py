"""Only a name that looks like a first name goes into a text.

Since each isolation text opens with its recipient's first name ("NHS Test and
Trace: a message for Sam. You have been near..."), the name a case types for a
contact on their link's page (no sign-in, 100 characters of anything, at any mobile
they give) went into a text sent under the NHS brand: "Sam. You must pay an 80 pound
isolation fine today at http://..." was texted as ours, and line breaks made it look
like two messages from us. Now a name that is not plainly a first name is left out,
and the text says what it said before names were added; a name in capitals, as labs
send them, is written as a name.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from notify.backends import read_sent
from online.texts import TEXTS, addressed, long_date, name_fit_to_text
from pages.online import limits
from people.services import PersonDetails
from tests import factories as f
from work.casework import ContactDetails
from work.online import CaseAnswer, online_case_invite, online_case_submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

CASE_PHONE = "+447400333191"
VICTIM = "+447400333190"
LURE = "Sam. You must pay an 80 pound isolation fine today at http://nhs-fine.example"
# The contact's text as it was before names were added: the brand, then the words.
UNNAMED = (
    "NHS Test and Trace: you have been near someone who has coronavirus. Stay at "
    "home and isolate until the end of {until}."
)
NAMED = (
    "NHS Test and Trace: a message for {name}. You have been near someone who has "
    "coronavirus. Stay at home and isolate until the end of {until}."
)

# As typed, and as the text then names them.
ACCEPTED = [
    ("Sam", "Sam"),
    ("Mary-Jane", "Mary-Jane"),
    ("D'Arcy", "D'Arcy"),
    ("D\u2019Arcy", "D\u2019Arcy"),
    ("Anne Marie", "Anne Marie"),
    ("Siân", "Siân"),
    ("Zoë", "Zoë"),
    ("Llŷr", "Llŷr"),
    ("McDonald", "McDonald"),
    ("de la Cruz", "de la Cruz"),
    ("SIÂN", "Siân"),
    ("MARY-JANE", "Mary-Jane"),
    ("  Cai  ", "Cai"),
    ("Si\u0302n", "Sîn"),  # typed as i and a combining circumflex
    ("प्रिया", "प्रिया"),  # Priya: letters and the vowel signs on them
    ("Bartholomew-Maximilians", "Bartholomew-Maximilians"),
    ("Abcdefghijklmnopqrstuvwx", "Abcdefghijklmnopqrstuvwx"),  # 24: the most
]
REFUSED = [
    LURE,
    "Sam.",
    "Sam2",
    "4",
    "http://nhs-fine.example",
    "nhs-fine.example",
    "sam@example.com",
    "Sam\nJones",
    "Sam\n\nNHS Test and Trace: ignore the date below",
    "Sam: pay now",
    "Sam/Jo",
    "Sam!",
    "Sam (Jo)",
    "Abcdefghijklmnopqrstuvwxy",  # 25
    "Mary--Jane",
    "Anne  Marie",
    "-Sam",
    "Sam'",
    "Sam\tJones",
    "Sam\u202eJones",  # a right-to-left override
    "",
    "   ",
]


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def link_path(body: str) -> str:
    return "/o/" + body.split("/o/")[1].split()[0]


def yesterday() -> dt.date:
    return timezone.localdate() - dt.timedelta(days=1)


def named_on_the_page(client, run_tasks_here, first_name: str) -> list[dict]:
    """A case opens the link texted to them and names one person, `first_name`,
    at VICTIM's mobile; the texts that went to VICTIM."""
    case = f.CaseFactory(person__phone=CASE_PHONE)
    with run_tasks_here():
        link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    with run_tasks_here():
        answered = client.post(
            link_path(link.message.body),
            {
                "lang": "en",
                "contact-0-first_name": first_name,
                "contact-0-last_name": "Jones",
                "contact-0-phone": VICTIM,
                "contact-0-last_near": yesterday().isoformat(),
                "contact-0-household": "yes",
            },
        )
    assert answered.status_code == 200, answered.content.decode()[:3000]
    assert case.contacts.count() == 1, answered.content.decode()[:3000]
    return [m for m in read_sent() if m["to"] == VICTIM]


def named_in_the_answer(run_tasks_here, first_name: str) -> tuple[dict, str]:
    """A case names one person, `first_name`, at VICTIM's mobile through the work
    core (as the page and API do); the one text to VICTIM, and its end date."""
    case = f.CaseFactory(person__phone=CASE_PHONE)
    with run_tasks_here():
        link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    contact = ContactDetails(
        person=PersonDetails(
            first_name=first_name, last_name="Jones", phone=VICTIM, postcode="S1 2HE"
        ),
        exposure_date=yesterday(),
        exposure="household",
    )
    with run_tasks_here():
        online_case_submit(
            link=link, answer=CaseAnswer(contacts=[contact], visits=[], language="en")
        )
    (text,) = [m for m in read_sent() if m["to"] == VICTIM]
    (named,) = case.contacts.all()
    return text, long_date(named.isolation_ends_on)


# --- the reviewer's, through the page --------------------------------------------


def test_a_first_name_typed_on_the_case_page_cannot_put_a_web_address_in_our_text(
    client, run_tasks_here
):
    (text,) = named_on_the_page(client, run_tasks_here, LURE)
    assert "nhs-fine.example" not in text["body"], text["body"]
    assert "80 pound" not in text["body"], text["body"]
    assert text["body"].startswith(UNNAMED.split("{")[0]), text["body"]


def test_a_first_name_typed_with_line_breaks_is_not_texted_as_lines_of_ours(
    client, run_tasks_here
):
    (text,) = named_on_the_page(
        client, run_tasks_here, "Sam\n\nNHS Test and Trace: ignore the date below"
    )
    assert "\n" not in text["body"], repr(text["body"])
    assert "ignore the date" not in text["body"], text["body"]
    assert text["body"].startswith(UNNAMED.split("{")[0]), text["body"]


# --- through the work core ----------------------------------------------------------


@pytest.mark.parametrize(("typed", "written"), ACCEPTED[:12])
def test_a_first_name_is_in_the_contact_s_text(run_tasks_here, typed, written):
    text, until = named_in_the_answer(run_tasks_here, typed)
    assert text["body"].startswith(NAMED.format(name=written, until=until)), text[
        "body"
    ]


@pytest.mark.parametrize("typed", [LURE, "Sam.", "Sam2", "Sam\nJones", "A" * 25])
def test_a_name_that_is_not_a_first_name_is_left_out_of_the_text_whole(
    run_tasks_here, typed
):
    text, until = named_in_the_answer(run_tasks_here, typed)
    assert text["body"].startswith(UNNAMED.format(until=until)), text["body"]
    assert "message for" not in text["body"], text["body"]


# --- the function ---------------------------------------------------------------


@pytest.mark.parametrize(("typed", "written"), ACCEPTED)
def test_a_first_name_is_fit_to_text(typed, written):
    assert name_fit_to_text(typed) == written


@pytest.mark.parametrize("typed", REFUSED)
def test_anything_else_is_not(typed):
    assert name_fit_to_text(typed) == ""


@pytest.mark.parametrize("language", ["en", "cy"])
@pytest.mark.parametrize("typed", REFUSED)
def test_a_text_for_a_name_that_is_not_fit_says_what_it_said_before_names(
    typed, language
):
    body = TEXTS["contact_link"][language]
    assert addressed(body, typed, language) == body


def test_a_name_in_capitals_is_written_as_a_name_in_either_language():
    body = TEXTS["contact_link"]["cy"]
    assert addressed(body, "LLŶR", "cy").startswith(
        "GIG Profi ac Olrhain: neges ar gyfer Llŷr. Rydych wedi bod"
    )
