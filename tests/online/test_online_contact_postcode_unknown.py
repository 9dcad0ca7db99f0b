"""A case naming the people they met on their own link types a contact's postcode of
the right form that is not in the postcode directory (a typo, S1 2ZZ). Before, it
was taken: the contact had no area, and their work went to the fallback team
flagged "no area" rather than to their own local team. Now it is refused beside
that contact's postcode field, in the page's language, with everything typed kept
and nothing saved."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone

from cases.models import Case
from online.models import OnlineLink
from pages.online import limits
from tests import factories as f
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

LEEDS = "E08000035"
SHEFFIELD = "E08000019"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def words(response) -> str:
    return unescape(response.content.decode())


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def case_link() -> tuple[Case, OnlineLink, str]:
    case = f.CaseFactory(
        person__first_name="Priya",
        person__last_name="Shah",
        person__phone="+447400111222",
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, link, link.message.body.split("/o/")[1].split("/")[0]


def grace(postcode: str, *, household: str = "no") -> dict[str, str]:
    """Person 1 on the case's page: Grace, met yesterday."""
    return {
        "contact-0-first_name": "Grace",
        "contact-0-last_name": "Okafor",
        "contact-0-email": "grace@example.org",
        "contact-0-last_near": yesterday(),
        "contact-0-household": household,
        "contact-0-postcode": postcode,
    }


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "We cannot find this postcode. Check it and enter it again."),
        ("cy", "Ni allwn ddod o hyd i'r cod post hwn. Gwiriwch ef a'i roi eto."),
    ],
)
def test_a_contacts_postcode_not_in_the_directory_is_refused_beside_the_field(
    client, lang, message
):
    case, link, token = case_link()

    page = client.post(f"/o/{token}/", {"lang": lang, **grace("S1 2ZZ")})

    html = words(page)
    assert page.status_code == 200
    # Beside the field, and in the summary leading to it.
    assert f'<a href="#id_contact-0-postcode">Person 1: {message}</a>' in html
    beside = html.split('id="id_contact-0-postcode-error"')[1].split("<input")[0]
    assert message in beside
    # Everything typed is kept.
    assert 'value="S1 2ZZ"' in html
    assert 'value="Grace"' in html
    assert 'value="Okafor"' in html
    assert 'value="grace@example.org"' in html
    assert f'value="{yesterday()}"' in html
    assert 'value="no" checked' in html
    # Nothing saved.
    assert not case.contacts.exists()
    link.refresh_from_db()
    assert link.submitted_at is None


def test_a_contacts_known_postcode_is_still_saved_and_places_them(client):
    case, link, token = case_link()

    done = client.post(f"/o/{token}/", grace("ls1 1ur"))

    assert "Thank you" in words(done)
    contact = case.contacts.select_related("person", "area").get()
    assert contact.person.postcode == "LS1 1UR"
    assert contact.area.code == LEEDS
    assert not contact.area_unknown
    link.refresh_from_db()
    assert link.submitted_at is not None


def test_an_empty_postcode_or_one_outside_england_is_still_taken(client):
    """No postcode (optional) and a Scottish one (in the directory, no English
    team's) are taken as before: the contact has no area."""
    case, _link, token = case_link()

    done = client.post(
        f"/o/{token}/",
        {
            **grace(""),
            "contact-1-first_name": "Ewan",
            "contact-1-last_name": "Reid",
            "contact-1-phone": "07400 123451",
            "contact-1-last_near": yesterday(),
            "contact-1-household": "no",
            "contact-1-postcode": "eh1 1yz",
        },
    )

    assert "Thank you" in words(done)
    contacts = {
        c.person.first_name: c for c in case.contacts.select_related("person", "area")
    }
    assert contacts["Grace"].person.postcode == ""
    assert contacts["Grace"].area is None
    assert contacts["Ewan"].person.postcode == "EH1 1YZ"
    assert contacts["Ewan"].area is None


def test_a_typo_for_someone_living_with_the_case_is_not_refused(client):
    """Someone living with the case is placed at the case's home whatever was
    typed: their postcode is not looked up."""
    case, _link, token = case_link()

    done = client.post(f"/o/{token}/", grace("S1 2ZZ", household="yes"))

    assert "Thank you" in words(done)
    contact = case.contacts.select_related("person", "area").get()
    assert contact.person.postcode == case.person.postcode
    assert contact.area.code == SHEFFIELD
