"""A contact who says online that they cannot stay at home is not counted reached:
nobody has spoken to them yet, whatever help they asked for with it."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from escalations.models import Escalation
from tests.online.test_online_fixes import _fresh_allowance, contact_link, url  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]


def answer(client, token: str, **given) -> None:
    client.post(url(token), {"postcode": "S1 1AA", "note": "I care", **given})


def test_cannot_stay_at_home_with_help_asked_is_not_reached(client):
    """Before: counted reached online (and so in the figures) the moment they said
    they cannot stay at home, because they also ticked food."""
    contact, _, token = contact_link()

    answer(client, token, will_isolate="no", support=["food"])

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.reached_at is None
    assert contact.reached_route == ""
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.detail.startswith("Says they cannot stay at home")


def test_staying_at_home_with_help_asked_is_reached_online(client):
    contact, _, token = contact_link()

    answer(client, token, will_isolate="yes", support=["food"])

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.reached_at is not None
    assert Escalation.objects.filter(contact=contact).exists()
