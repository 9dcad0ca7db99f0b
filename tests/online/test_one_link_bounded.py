"""One case's link, no sign-in, took people without end: each sending names up to six,
each new name is a new person even on one phone, and each was texted to isolate
and, unanswered, queued for the call handlers. 13 sendings of 6 made 60 texts to
one number. Now one link names at most 30 people in all (those past it are listed
back, with the number to ring), and one number or email gets at most 3 of the
case's contact texts (a fourth person on it is phoned, and the page says why)."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from people.models import Message
from tests import factories as f
from work.online import (
    CASE_LINK_PEOPLE_MAX,
    CONTACT_TEXTS_PER_ADDRESS,
    online_case_invite,
    online_link_withheld,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHARED = "+447400009999"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def words(response) -> str:
    return unescape(response.content.decode())


def case_link() -> tuple[Case, str]:
    case = f.CaseFactory(
        person__first_name="Priya",
        person__last_name="Shah",
        person__phone="+447400111222",
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, f"/o/{link.message.body.split('/o/')[1].split('/')[0]}/"


def people(*named: tuple[str, str, str]) -> dict[str, str]:
    """The case page's rows: (first name, last name, phone) each."""
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    form: dict[str, str] = {}
    for i, (first, last, phone) in enumerate(named):
        form |= {
            f"contact-{i}-first_name": first,
            f"contact-{i}-last_name": last,
            f"contact-{i}-phone": phone,
            f"contact-{i}-last_near": yesterday,
            f"contact-{i}-household": "no",
        }
    return form


def person(n: int) -> tuple[str, str, str]:
    return (f"Person{n:02d}".replace("0", "o"), "Jones", f"+4474000{n:05d}")


def texts_to(to: str) -> int:
    return Message.objects.filter(kind=Message.Kind.CONTACT_LINK, to=to).count()


def test_the_thirty_first_person_named_is_not_added_and_is_listed_back(client):
    case, url = case_link()
    for sending in range(CASE_LINK_PEOPLE_MAX // 6):
        sent = client.post(url, people(*(person(sending * 6 + i) for i in range(6))))
        assert sent.status_code == 200
    assert Contact.objects.filter(case=case).count() == CASE_LINK_PEOPLE_MAX

    later = client.post(url, people(("Zara", "Late", "+447400077777")))

    page = words(later)
    assert "We could not save these people" in page
    assert "Zara Late" in page
    assert "call 119" in page.lower()
    assert Contact.objects.filter(case=case).count() == CASE_LINK_PEOPLE_MAX
    assert texts_to("+447400077777") == 0


def test_a_sending_that_crosses_the_limit_adds_those_within_it_and_lists_the_rest(
    client,
):
    case, url = case_link()
    client.post(url, people(person(1)))
    for _ in range(CASE_LINK_PEOPLE_MAX - 2):
        f.ContactFactory(case=case)  # named on the phone to their caseworker

    later = client.post(
        url,
        people(("Ann", "Within", "+447400066601"), ("Bob", "Beyond", "+447400066602")),
    )

    page = words(later)
    assert "Ann Within" not in page
    assert "Bob Beyond" in page
    assert "call 119" in page.lower()
    # By their surnames: the factory's contacts have made-up names, a "Bob" among
    # them now and then.
    assert Contact.objects.filter(case=case, person__last_name="Within").exists()
    assert not Contact.objects.filter(case=case, person__last_name="Beyond").exists()
    assert texts_to("+447400066601") == 1
    assert texts_to("+447400066602") == 0


def test_the_fourth_person_on_one_number_is_added_without_a_text(client):
    case, url = case_link()
    family = [(name, "Shared", SHARED) for name in ("Amy", "Ben", "Cai", "Dee")]

    answered = client.post(url, people(*family))

    assert "Thank you" in words(answered)
    assert Contact.objects.filter(case=case).count() == 4
    assert texts_to(SHARED) == CONTACT_TEXTS_PER_ADDRESS == 3
    dee = Contact.objects.get(case=case, person__first_name="Dee")
    assert not OnlineLink.objects.filter(contact=dee).exists()
    # Phoned instead: no wait for an answer online.
    assert dee.next_attempt_at is None or dee.next_attempt_at <= timezone.now()
    assert "3 texts" in online_link_withheld(dee)


def test_the_limit_on_one_number_holds_across_sendings(client):
    case, url = case_link()
    client.post(url, people(*((n, "Shared", SHARED) for n in ("Amy", "Ben", "Cai"))))
    for sending in range(3):
        client.post(url, people((f"Later{'abc'[sending]}", "Shared", SHARED)))

    assert Contact.objects.filter(case=case).count() == 6
    assert texts_to(SHARED) == 3


def test_a_household_of_five_on_five_numbers_is_told_as_before(client):
    case, url = case_link()

    answered = client.post(url, people(*(person(n) for n in range(5))))

    assert "Thank you" in words(answered)
    contacts = Contact.objects.filter(case=case)
    assert contacts.count() == 5
    for contact in contacts:
        assert OnlineLink.objects.filter(contact=contact).count() == 1
        assert contact.next_attempt_at > timezone.now()
        assert online_link_withheld(contact) == ""
