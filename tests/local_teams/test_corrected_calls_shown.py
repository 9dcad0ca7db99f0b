"""A call whose outcome was corrected (a "Reached" logged by mistake, put right as
"No answer") is told as corrected wherever a local team reads the item's calls: the
escalation page's history and the API's list of calls. Before, both showed only the
corrected outcome, as if it had been logged so; the case or contact page alone said
"Outcome corrected from Reached by … at …: reason"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from work.calls import call_correct, call_record
from work.escalation import item_escalate

from .builders import SHEFFIELD, ContactFactory, person_in

pytestmark = pytest.mark.django_db

REASON = "It was their voicemail, not them."


@pytest.fixture
def handler(db):
    return f.StaffProfileFactory(
        user__username="handler", user__first_name="Hana", user__last_name="Dell"
    ).user


@pytest.fixture
def corrected(clock, handler):
    """A Sheffield contact logged "Reached" at 10:00 by mistake, corrected to "No
    answer" at 10:20, then escalated to its local team."""
    person = person_in(SHEFFIELD)
    contact = ContactFactory(person=person, area=person.area)
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=handler, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    call = call_record(
        item=contact, caller=handler, outcome=Outcome.REACHED, notes="Spoke to them"
    ).call
    clock.shift(dt.timedelta(minutes=20))
    call_correct(call=call, outcome=Outcome.NO_ANSWER, reason=REASON, by=handler)
    contact.refresh_from_db()
    escalation = item_escalate(
        item=contact, reason=Escalation.Reason.UNREACHED, detail="Never reached"
    )
    call.refresh_from_db()
    return escalation, call


def test_the_escalation_history_says_a_call_was_corrected(corrected, sheffield_client):
    escalation, _call = corrected

    response = sheffield_client.get(reverse("escalations:detail", args=[escalation.pk]))

    assert response.status_code == 200
    history = response.content.decode().split('id="history"', 1)[1]
    assert "Call: No answer" in history
    assert (
        "Outcome corrected from Reached by Hana Dell at 10:20, Tue 12 Jan: "
        "It was their voicemail, not them." in history
    )


def test_the_api_list_of_calls_says_a_call_was_corrected(
    corrected, handler, sheffield_member
):
    escalation, call = corrected
    http = APIClient()
    http.force_login(sheffield_member)

    response = http.get("/api/v1/calls/", {"contact": escalation.contact_id})

    assert response.status_code == 200, response.content
    (listed,) = response.json()["results"]
    assert listed["id"] == call.pk
    assert listed["outcome"] == "no_answer"
    assert listed["corrected_from"] == "reached"
    assert listed["corrected_at"] == "2021-01-12T10:20:00Z"
    assert listed["corrected_by"] == handler.pk
    assert listed["correction_reason"] == REASON
    # One call, on its own: the same.
    one = http.get(f"/api/v1/calls/{call.pk}/").json()
    assert one["corrected_from"] == "reached"


def test_the_api_list_of_calls_marks_an_uncorrected_call_as_such(
    clock, sheffield_member
):
    person = person_in(SHEFFIELD)
    contact = ContactFactory(person=person, area=person.area)
    f.CallAttemptFactory(contact=contact, outcome=Outcome.VOICEMAIL)
    item_escalate(item=contact, reason=Escalation.Reason.UNREACHED, detail="")
    http = APIClient()
    http.force_login(sheffield_member)

    (listed,) = http.get("/api/v1/calls/", {"contact": contact.pk}).json()["results"]

    assert listed["outcome"] == "voicemail"
    assert (listed["corrected_from"], listed["corrected_at"]) == ("", None)
    assert (listed["corrected_by"], listed["correction_reason"]) == (None, "")


def test_the_schema_documents_the_correction_of_a_listed_call(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()

    listed = schema["components"]["schemas"]["CallAttempt"]["properties"]
    for field in ("corrected_from", "corrected_at", "corrected_by"):
        assert listed[field].get("description"), field
    assert listed["correction_reason"].get("description")
