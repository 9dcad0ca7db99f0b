"""Contact rows sent again a moment after they were added: the same rows (a double
click, the browser sending the form again) are told they were added once; a row put
right (Back, a mistyped postcode corrected, "Add contacts" again) is not the same
act, and is refused as it always was, so the caseworker knows the correction was not
taken. Before, the corrected row was told "sent twice, and added once" while the
contact kept the mistyped postcode and its area (the wrong local team)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact
from tests import factories as f
from tests.workspace.conftest import CaseFactory, hold

pytestmark = pytest.mark.django_db

SHEFFIELD = "E08000019"
LEEDS = "E08000035"
BOB = {"first_name": "Bob", "last_name": "Stone", "phone": "07911 123457"}
ADDED_ONCE = "sent twice, and added once"
REFUSED = "Bob Stone is already a contact of this case."


def add_contacts(client, case, **person):
    data = {
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
        "contacts-0-exposure_date": (
            timezone.localdate() - dt.timedelta(days=1)
        ).isoformat(),
        "contacts-0-exposure": Contact.Exposure.HOUSEHOLD,
    }
    data.update({f"contacts-0-{key}": value for key, value in person.items()})
    return client.post(reverse("cases:contacts", args=[case.pk]), data)


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def case(clock, client, caseworker):
    client.force_login(caseworker)
    return hold(CaseFactory(), caseworker)


def bob(case) -> Contact:
    return Contact.objects.select_related("person", "area").get(case=case)


def test_a_row_sent_again_with_its_postcode_corrected_is_refused_not_added_once(
    clock, client, case
):
    first = add_contacts(client, case, **BOB, postcode="LS1 1UR")  # a typo: Leeds
    assert first.status_code == 302
    clock.shift(dt.timedelta(minutes=1))

    again = add_contacts(client, case, **BOB, postcode="S1 1AA")  # put right

    assert again.status_code == 200
    assert REFUSED in again.content.decode()
    assert not any(ADDED_ONCE in said for said in flashes(again))
    contact = bob(case)
    assert contact.person.postcode == "LS1 1UR"
    assert contact.area == f.area(LEEDS)


def test_the_same_row_sent_twice_is_told_added_once(clock, client, case):
    assert add_contacts(client, case, **BOB, postcode="S1 1AA").status_code == 302
    clock.shift(dt.timedelta(minutes=1))

    again = add_contacts(client, case, **BOB, postcode="s11aa")

    assert again.status_code == 302
    said = flashes(again)
    assert any("1 contact added" in s and ADDED_ONCE in s for s in said), said
    contact = bob(case)
    assert contact.person.postcode == "S1 1AA"
    assert contact.area == f.area(SHEFFIELD)


def test_a_row_sent_again_with_only_its_phone_spaced_differently_is_the_same(
    clock, client, case
):
    assert add_contacts(client, case, **BOB, postcode="S1 1AA").status_code == 302
    clock.shift(dt.timedelta(minutes=1))

    again = add_contacts(
        client, case, **{**BOB, "phone": "07911123457"}, postcode="S1 1AA"
    )

    assert again.status_code == 302
    assert any(ADDED_ONCE in s for s in flashes(again))
    assert Contact.objects.filter(case=case).count() == 1
