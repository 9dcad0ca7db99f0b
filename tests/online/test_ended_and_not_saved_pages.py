"""Two pages a link opens that said the wrong thing.

A contact or case whose time to stay at home had ended was still headed "Bethan, you
need to self-isolate" and given the list of what to do while staying at home (a case
counted from symptoms long before the result got the list with no date at all). Now
the page says the time has ended, with no list asking them to stay at home.

The page listing the people a case's link could not save had a language switch that
was a plain link: opened, it lost the list (it came in the sending) and said there
was nothing to do. Now that page has no switch: the list is drawn in the language
the people were typed in."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from online.models import OnlineLink
from online.texts import long_date
from pages.online import limits
from tests import factories as f
from work.online import CASE_LINK_PEOPLE_MAX, online_case_invite, online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

STAY_AT_HOME = {
    "en": "Do not go to work, school or any public place.",
    "cy": "Peidiwch â mynd i'r gwaith, i'r ysgol nac i unrhyw le cyhoeddus.",
}
ENDED = {
    "en": "Your time to stay at home ended on {until}.",
    "cy": "Daeth eich cyfnod i aros gartref i ben ar {until}.",
}
SYMPTOMS = {
    "en": "If you get symptoms of coronavirus, call 119 to get a test.",
    "cy": "Os cewch symptomau coronafeirws, ffoniwch 119 i gael prawf.",
}


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def words(response) -> str:
    return unescape(response.content.decode())


def link_url(link: OnlineLink) -> str:
    return f"/o/{link.message.body.split('/o/')[1].split('/')[0]}/"


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


# --- a time to stay at home that has ended ------------------------------------------


@pytest.fixture
def contact_ended(clock) -> tuple[Contact, str]:
    """Bethan, named the evening her time to stay at home ended (the last day she
    was near the case 10 days back); her link opened the next morning."""
    contact = f.ContactFactory(
        person__first_name="Bethan",
        person__phone="+447400222333",
        exposure_date=days_ago(10),
        isolation_ends_on=days_ago(0),
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    clock.shift(dt.timedelta(days=1))
    return contact, link_url(link)


@pytest.fixture
def case_ended() -> tuple[Case, str]:
    """Symptoms three weeks back, the result only yesterday: the case's time to
    stay at home ended before the result came."""
    case = f.CaseFactory(
        person__phone="+447400111222",
        symptom_onset=days_ago(21),
        specimen_date=days_ago(20),
        result_date=days_ago(1),
    )
    assert case.isolation_ends_on < timezone.localdate()
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, link_url(link)


@pytest.mark.parametrize(
    ("language", "asked_to_isolate", "ended_title"),
    [
        (
            "en",
            "you need to self-isolate",
            "Bethan, your time to stay at home has ended",
        ),
        (
            "cy",
            "mae angen i chi hunanynysu",
            "Bethan, mae eich cyfnod i aros gartref wedi dod i ben",
        ),
    ],
)
def test_a_contact_whose_time_has_ended_is_not_asked_to_stay_at_home(
    client, contact_ended, language, asked_to_isolate, ended_title
):
    contact, url = contact_ended

    page = words(client.get(f"{url}?lang={language}"))

    assert asked_to_isolate not in page
    assert f"<h1>{ended_title}</h1>" in page
    until = long_date(contact.isolation_ends_on, language)
    assert ENDED[language].format(until=until) in page
    assert STAY_AT_HOME[language] not in page
    assert SYMPTOMS[language] in page


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_case_whose_time_ended_before_the_result_is_not_asked_to_stay_at_home(
    client, case_ended, language
):
    case, url = case_ended

    page = words(client.get(f"{url}?lang={language}"))

    assert STAY_AT_HOME[language] not in page
    until = long_date(case.isolation_ends_on, language)
    assert ENDED[language].format(until=until) in page
    # Still asked who they were near: that is what the link is for.
    assert 'name="contact-0-first_name"' in page


@pytest.mark.parametrize("language", ["en", "cy"])
def test_a_contact_still_within_their_time_is_still_told_what_to_do(client, language):
    contact = f.ContactFactory(
        person__first_name="Bethan",
        person__phone="+447400222334",
        exposure_date=days_ago(1),
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None

    page = words(client.get(f"{link_url(link)}?lang={language}"))

    assert STAY_AT_HOME[language] in page
    assert ENDED[language].split("{")[0] not in page


# --- the people a link could not save ------------------------------------------------


def row(i: int, first: str, last: str, phone: str) -> dict[str, str]:
    return {
        f"contact-{i}-first_name": first,
        f"contact-{i}-last_name": last,
        f"contact-{i}-phone": phone,
        f"contact-{i}-last_near": days_ago(1).isoformat(),
        f"contact-{i}-household": "no",
    }


def has_no_switch_that_loses_the_list(page: str) -> bool:
    """No link to the other language (a GET carries nothing typed), and no switch
    of any kind."""
    return (
        "?lang=" not in page
        and "switch_lang" not in page
        and "app-language" not in page
    )


@pytest.mark.parametrize("language", ["en", "cy"])
def test_the_people_a_replaced_link_could_not_save_have_no_switch_to_lose_them(
    client, language
):
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    url = link_url(link)
    assert client.get(url).status_code == 200
    OnlineLink.objects.filter(pk=link.pk).update(revoked_at=timezone.now())

    page = words(
        client.post(url, {"lang": language, **row(0, "Aled", "Ap Rhys", "07400000611")})
    )

    assert "Aled Ap Rhys" in page
    assert "119" in page
    assert has_no_switch_that_loses_the_list(page)


def test_the_people_past_what_one_link_takes_have_no_switch_to_lose_them(client):
    case = f.CaseFactory(person__phone="+447400111222")
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    for _ in range(CASE_LINK_PEOPLE_MAX):
        f.ContactFactory(case=case)  # named on the phone to their caseworker

    page = words(
        client.post(
            link_url(link), {"lang": "cy", **row(0, "Ceri", "Evans", "07400000612")}
        )
    )

    assert "felly nid ydym wedi cadw'r bobl hyn y dywedoch wrthym amdanynt:" in page
    assert "Ceri Evans" in page
    assert "Ffoniwch 119 a dywedwch wrthym amdanynt." in page
    assert has_no_switch_that_loses_the_list(page)
