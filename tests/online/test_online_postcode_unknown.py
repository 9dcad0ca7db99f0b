"""A contact asking for help online types a postcode of the right form that is not
in the postcode directory (a typo). Before, the page thanked them and said their
council would be in touch, while the escalation went to the fallback team flagged
"no area", and the correct postcode and area on file were overwritten with the
typo: their own local team could not see them. Now the postcode is refused beside
the field, in the page's language, with what they typed kept and nothing saved."""

from __future__ import annotations

from html import unescape

import pytest
from django.utils import timezone

from areas.models import Area
from areas.services import fallback_team
from contacts.models import Contact
from escalations.models import Escalation
from online.models import OnlineLink
from pages.online import limits
from people.models import PersonChange
from tests import factories as f
from work.online import online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

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


def sheffield_contact() -> tuple[Contact, OnlineLink, str]:
    """A contact living at a known Sheffield postcode, sent their link."""
    sheffield = Area.objects.get(code=SHEFFIELD)
    case = f.CaseFactory(person__phone="+447400111222")
    contact = f.ContactFactory(
        case=case,
        person__first_name="Omar",
        person__last_name="Okafor",
        person__phone="+447400222333",
        person__postcode="S1 2HE",
        person__area=sheffield,
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    return contact, link, link.message.body.split("/o/")[1].split("/")[0]


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "We cannot find this postcode. Check it and enter it again."),
        ("cy", "Ni allwn ddod o hyd i'r cod post hwn. Gwiriwch ef a'i roi eto."),
    ],
)
def test_a_postcode_not_in_the_directory_is_refused_beside_the_field(
    client, lang, message
):
    contact, link, token = sheffield_contact()

    page = client.post(
        f"/o/{token}/",
        {
            "lang": lang,
            "will_isolate": "yes",
            "support": ["food"],
            "note": "I live alone.",
            "postcode": "S1 2ZZ",
        },
    )

    html = words(page)
    assert page.status_code == 200
    # Beside the field, and in the summary leading to it.
    assert f'<a href="#id_postcode">{message}</a>' in html
    beside = html.split('id="id_postcode-error"')[1].split("<input")[0]
    assert message in beside
    assert "about the help you asked for" not in html
    assert "am yr help y gofynnoch amdano" not in html
    # What they typed is kept.
    assert 'value="S1 2ZZ"' in html
    assert "I live alone." in html
    assert 'value="food" checked' in html
    assert 'value="yes" checked' in html
    # Nothing saved: no escalation, the postcode and area on file untouched.
    assert not Escalation.objects.filter(contact=contact).exists()
    contact.refresh_from_db()
    assert contact.area.code == SHEFFIELD
    assert not contact.area_unknown
    assert contact.person.postcode == "S1 2HE"
    assert contact.person.area.code == SHEFFIELD
    assert not PersonChange.objects.filter(person=contact.person).exists()
    link.refresh_from_db()
    assert link.submitted_at is None
    assert link.support == []


def test_a_known_postcode_is_saved_and_help_goes_to_its_team(client):
    contact, _link, token = sheffield_contact()
    leeds = Area.objects.get(code="E08000035")

    page = client.post(
        f"/o/{token}/",
        {"will_isolate": "yes", "support": ["food"], "postcode": "ls1 1ur"},
    )

    assert "about the help you asked for" in words(page)
    contact.refresh_from_db()
    assert contact.person.postcode == "LS1 1UR"
    assert contact.area == leeds
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.local_team == leeds.local_team
    assert not escalation.area_unknown


def test_a_postcode_found_outside_england_is_still_taken(client):
    """Scotland's postcodes are in the directory but no English team's: as before,
    saved, and help goes to the fallback team."""
    contact, _link, token = sheffield_contact()

    page = client.post(
        f"/o/{token}/",
        {"will_isolate": "yes", "support": ["food"], "postcode": "eh1 1yz"},
    )

    assert "about the help you asked for" in words(page)
    contact.refresh_from_db()
    assert contact.person.postcode == "EH1 1YZ"
    assert contact.area is None
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.local_team == fallback_team()
    assert escalation.area_unknown
