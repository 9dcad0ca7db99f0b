"""The team's escalations as CSV, audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from escalations.models import Escalation
from work.escalation import escalation_claim, escalation_close

from .builders import SHEFFIELD, escalated_contact, person_in

pytestmark = pytest.mark.django_db

EXPORT = reverse("escalations:export")


def rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


def test_export_lists_every_escalation_of_the_team(
    clock, sheffield_client, sheffield_member
):
    waiting = escalated_contact(person=person_in(SHEFFIELD, last_name="Waiting"))
    done = escalated_contact(person=person_in(SHEFFIELD, last_name="Done"))
    escalation_claim(escalation=done, by=sheffield_member)
    escalation_close(
        escalation=done, outcome=Escalation.Outcome.REACHED, by=sheffield_member
    )

    response = sheffield_client.get(EXPORT)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    got = {r["last name"]: r for r in rows(response)}
    assert set(got) == {"Waiting", "Done"}
    assert got["Waiting"]["status"] == "New"
    assert got["Waiting"]["escalation"] == str(waiting.pk)
    assert got["Done"]["outcome"] == "Reached and advised"
    assert got["Done"]["picked up by"] == sheffield_member.get_full_name()
    assert got["Done"]["escalated at (UK time)"] == "2021-01-12 10:00 GMT"


def test_export_of_one_tab_holds_only_that_tab(
    clock, sheffield_client, sheffield_member
):
    escalated_contact(person=person_in(SHEFFIELD, last_name="Waiting"))
    escalation_claim(
        escalation=escalated_contact(person=person_in(SHEFFIELD, last_name="Mine")),
        by=sheffield_member,
    )

    response = sheffield_client.get(EXPORT, {"tab": "picked_up"})

    assert [r["last name"] for r in rows(response)] == ["Mine"]


def test_export_is_audited(clock, sheffield_client, sheffield_member):
    escalated_contact()
    escalated_contact()

    rows(sheffield_client.get(EXPORT, {"q": "S1 1AA"}))

    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == sheffield_member
    assert event.object_type == "areas.localteam"
    assert event.detail["rows"] == 2
    # Every tab was exported: the record names no tab (it said "new").
    assert event.detail["filters"] == {"q": "S1 1AA"}

    rows(sheffield_client.get(EXPORT, {"tab": "closed"}))
    latest = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).latest("pk")
    assert latest.detail["filters"] == {"tab": "closed"}


def test_text_a_spreadsheet_would_run_is_quoted(clock, sheffield_client):
    escalated_contact(person=person_in(SHEFFIELD, last_name="=HYPERLINK(1)"))

    response = sheffield_client.get(EXPORT)

    row = rows(response)[0]
    assert row["last name"] == "'=HYPERLINK(1)"
    assert row["phone"].startswith("+44")
