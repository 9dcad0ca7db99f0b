"""POST /api/v1/{contacts,cases}/{id}/calls/{call_id}/correction/: the outcome of the
last call corrected through the API, as the page corrects it (work.calls.call_correct).
Before, a contact logged "reached" by mistake could not be put right: another call was
a 409 ("This contact is reached: it cannot be called."), PATCH, PUT and DELETE 405.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from contacts.models import Contact
from people.models import Message
from tests import factories as f
from work.calls import CORRECTION_REASON_MISSING

pytestmark = pytest.mark.django_db

REASON = "It was their voicemail, not them."


def session(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def held(model_factory, user):
    item = model_factory()
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def log_call(http, item, outcome: str) -> CallAttempt:
    response = http.post(
        f"/api/v1/{item.kind}s/{item.pk}/calls/",
        {"outcome": outcome, "duration_seconds": 60},
        format="json",
    )
    assert response.status_code == 201, response.content
    return CallAttempt.objects.get(pk=response.json()["id"])


def correct(http, item, call, outcome=Outcome.NO_ANSWER, reason=REASON, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return http.post(
        f"/api/v1/{item.kind}s/{item.pk}/calls/{call.pk}/correction/",
        {"outcome": outcome, "reason": reason},
        format="json",
        **headers,
    )


def test_a_handler_corrects_reached_to_no_answer_through_the_api(clock, call_handler):
    contact = held(f.ContactFactory, call_handler)
    twin = held(f.ContactFactory, call_handler)
    http = session(call_handler)
    call = log_call(http, contact, Outcome.REACHED)
    log_call(http, twin, Outcome.NO_ANSWER)

    response = correct(http, contact, call)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["id"] == call.pk
    assert body["outcome"] == "no_answer"
    assert body["corrected_from"] == "reached"
    assert body["corrected_by"] == call_handler.pk
    assert body["correction_reason"] == REASON
    assert body["advice"] == "withdrawn"
    contact.refresh_from_db()
    twin.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.reached_at is None
    assert (contact.attempts, contact.next_attempt_at, contact.escalate_due_at) == (
        twin.attempts,
        twin.next_attempt_at,
        twin.escalate_due_at,
    )
    assert Message.objects.get(contact=contact).status == Message.Status.SUPERSEDED
    # It can be called again now.
    assert log_call(http, contact, Outcome.VOICEMAIL).outcome == Outcome.VOICEMAIL
    # The call list shows it corrected... and no longer correctable (a later call).
    listed = http.get(f"/api/v1/calls/{call.pk}/").json()
    assert listed["outcome"] == "no_answer"


def test_the_same_correction_sent_again_on_its_key_is_answered_as_the_first(
    clock, call_handler
):
    contact = held(f.ContactFactory, call_handler)
    http = session(call_handler)
    call = log_call(http, contact, Outcome.REACHED)

    first = correct(http, contact, call, key="fix-1")
    again = correct(http, contact, call, key="fix-1")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    contact.refresh_from_db()
    assert contact.attempts == 1
    assert (
        AuditEvent.objects.filter(
            object_id=str(contact.pk), action=AuditEvent.Action.UPDATE
        ).count()
        == 1
    )
    # The same key for another correction: refused, nothing done.
    other = correct(http, contact, call, outcome=Outcome.VOICEMAIL, key="fix-1")
    assert other.status_code == 422


def test_a_correction_refused_is_a_409_saying_why(clock, call_handler):
    contact = held(f.ContactFactory, call_handler)
    http = session(call_handler)
    call = log_call(http, contact, Outcome.REACHED)
    clock.shift(dt.timedelta(hours=4, minutes=1))
    http.force_login(call_handler)  # signed in again after the idle time

    response = correct(http, contact, call)

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert "may be corrected for 4 hours after the call" in response.json()["detail"]
    assert Contact.objects.get(pk=contact.pk).status == Status.REACHED


def test_a_correction_twice_is_a_409(clock, call_handler):
    contact = held(f.ContactFactory, call_handler)
    http = session(call_handler)
    call = log_call(http, contact, Outcome.REACHED)
    assert correct(http, contact, call).status_code == 201

    response = correct(http, contact, call, outcome=Outcome.VOICEMAIL)

    assert response.status_code == 409
    assert "corrected already" in response.json()["detail"]


def test_a_correction_needs_a_reason(clock, call_handler):
    contact = held(f.ContactFactory, call_handler)
    http = session(call_handler)
    call = log_call(http, contact, Outcome.REACHED)

    response = correct(http, contact, call, reason="   ")

    assert response.status_code == 400
    assert response.json()["reason"] == [CORRECTION_REASON_MISSING]
    assert Contact.objects.get(pk=contact.pk).status == Status.REACHED


def test_only_the_caller_or_a_supervisor_of_their_tier_corrects(
    clock, call_handler, supervisor, api
):
    contact = held(f.ContactFactory, call_handler)
    call = log_call(session(call_handler), contact, Outcome.REACHED)

    refused = correct(session(supervisor), contact, call)  # a tier 2 supervisor
    assert refused.status_code == 403
    assert "supervisor of their tier" in refused.json()["detail"]
    assert correct(api, contact, call).status_code == 403  # an integration
    assert Contact.objects.get(pk=contact.pk).status == Status.REACHED


def test_a_caseworker_corrects_a_case_through_the_api(clock, caseworker):
    case = held(f.CaseFactory, caseworker)
    http = session(caseworker)
    call = log_call(http, case, Outcome.REACHED)

    response = correct(http, case, call, outcome=Outcome.VOICEMAIL)

    assert response.status_code == 201, response.content
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    assert case.reached_at is None
    assert case.next_attempt_at is not None


def test_a_call_of_another_item_is_a_404(clock, call_handler):
    contact = held(f.ContactFactory, call_handler)
    other = held(f.ContactFactory, call_handler)
    http = session(call_handler)
    call = log_call(http, contact, Outcome.REACHED)

    assert correct(http, other, call).status_code == 404
