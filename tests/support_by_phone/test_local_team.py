"""Help asked on a call reads, where the local team reads it (the escalation page:
its summary and its history), as asked on a call, by whom and when. Before, help
was only ever asked online, and the page would have said so of any such escalation."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.models import Outcome
from escalations.models import Escalation
from work.calls import call_record

pytestmark = pytest.mark.django_db


def test_the_local_team_reads_help_asked_on_a_call(
    clock, client, handler, contact, sheffield_member
):
    call_record(
        item=contact,
        caller=handler,
        outcome=Outcome.REACHED,
        notes="Cannot get to the shops",
        support=["food"],
    )
    escalation = Escalation.objects.get(contact=contact)
    client.force_login(sheffield_member)

    page = client.get(reverse("escalations:detail", args=[escalation.pk]))

    assert page.status_code == 200
    text = page.content.decode()
    summary = text.split('id="escalation-summary"', 1)[1].split("</dl>", 1)[0]
    assert "Asked on a call for help with food. Cannot get to the shops" in summary
    assert "Tue 12 Jan 10:00" in summary
    assert "on a call by Hana Dell" in summary
    assert "answer online" not in summary
    history = text.split('id="history"', 1)[1]
    assert "Escalated: Asked for support to isolate, on a call" in history
    assert "answer online" not in history
