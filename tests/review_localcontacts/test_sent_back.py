"""Rows posted to a case's escalation that was sent back to the phones meanwhile."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from work.escalation import escalation_claim, escalation_return

from .conftest import contact_rows, contacts_url, row, signed_in

pytestmark = pytest.mark.django_db

ANN = row("Ann", "07911 123451")


def test_rows_sent_after_a_send_back_say_the_caseworker_adds_them_now(
    escalation, sheffield_member
):
    # The page was drawn with the form; meanwhile the case went back to the phones.
    escalation_claim(escalation=escalation, by=sheffield_member)
    escalation_return(escalation=escalation, note="New number", by=sheffield_member)

    response = signed_in(sheffield_member).post(
        contacts_url(escalation), contact_rows(ANN)
    )

    assert response.status_code == 409
    body = response.content.decode()
    assert not Contact.objects.exists()
    # Told where the case is now and who adds its contacts, as the core says it...
    assert "sent back to the national queue: its contacts are added by its" in body
    # ...not that it was "closed", nor to hand them to a supervisor who cannot add
    # them either (the case is with the phones, its caseworker's).
    assert "already closed" not in body
    assert "team&#x27;s supervisor" not in body
