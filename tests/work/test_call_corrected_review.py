"""A call's outcome corrected (work.calls.call_correct), as the reviewer of 6c37ff4
found it going wrong, through the API's door:

- an isolation advice text in the provider's hands ("sending") when its "Reached"
  was corrected away was told "withdrawn", yet the provider sent it: the handler
  never told the person it did not apply;
- a "Reached" corrected away gave the contact back to its holder on top of the work
  the assignment run had given them in its place: over their cap (or to a holder
  gone off shift);
- a settled week's cached figures kept counting the reach corrected away for a day;
- the call's own Idempotency-Key sent again after the correction (a retry of the
  call) was refused as a different call.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from contacts.models import Contact
from figures.weekly import Period, Scope, weekly_figures
from notify import services as notify_services
from notify.errors import TemporaryFailure
from notify.services import message_send
from people.models import Message
from staffing.models import Shift
from tests import factories as f
from tests.conftest import LONDON
from work.assignment import assign_work

pytestmark = pytest.mark.django_db

REASON = "Logged on the wrong contact."


def session(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def held_contact(user, **fields) -> Contact:
    contact = f.ContactFactory(**fields)
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


def log_call(http, item, outcome: str, key: str | None = None, **more):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return http.post(
        f"/api/v1/{item.kind}s/{item.pk}/calls/",
        {"outcome": outcome, "duration_seconds": 60, **more},
        format="json",
        **headers,
    )


def logged(http, item, outcome: str) -> CallAttempt:
    response = log_call(http, item, outcome)
    assert response.status_code == 201, response.content
    return CallAttempt.objects.get(pk=response.json()["id"])


def correct(http, item, call, outcome=Outcome.NO_ANSWER, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return http.post(
        f"/api/v1/{item.kind}s/{item.pk}/calls/{call.pk}/correction/",
        {"outcome": outcome, "reason": REASON},
        format="json",
        **headers,
    )


def correction_detail(item) -> dict:
    return (
        AuditEvent.objects.filter(
            object_type="contacts.contact",
            object_id=str(item.pk),
            action=AuditEvent.Action.UPDATE,
        )
        .get()
        .detail
    )


def correcting_while_sending(monkeypatch, correct_now, *, then=None):
    """The provider's backend, which corrects the call while the provider is being
    asked (the text is "sending"), then takes it, or does `then`."""
    answers = {}

    class Provider:
        def send(self, message):
            answers["correction"] = correct_now()
            if then is not None:
                raise then
            return "provider-ref-1"

    monkeypatch.setattr(notify_services, "backend_for", lambda channel: Provider())
    return answers


# --- the advice text being sent when the call is corrected ---------------------------


def test_advice_being_sent_when_corrected_is_told_sent_and_the_person_has_it(
    clock, call_handler, monkeypatch
):
    contact = held_contact(call_handler)
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)
    advice = Message.objects.get(contact=contact)
    answers = correcting_while_sending(
        monkeypatch, lambda: correct(http, contact, call)
    )

    message_send(advice.pk)

    advice.refresh_from_db()
    assert advice.status == Message.Status.SENT  # the provider took it
    response = answers["correction"]
    assert response.status_code == 201, response.content
    # Told it may have reached them (tell them it does not apply), not "withdrawn".
    assert response.json()["advice"] == "sent"
    assert "may have gone" in correction_detail(contact)["advice"]


def test_advice_being_sent_when_corrected_is_not_sent_on_a_retry_and_told_alike(
    clock, call_handler, monkeypatch
):
    """The provider could not take it for now: it is not tried again (the person
    was not reached, and the advice does not apply), yet it may have gone, and the
    correction sent again on its key is told so as the first time."""
    contact = held_contact(call_handler)
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)
    advice = Message.objects.get(contact=contact)
    answers = correcting_while_sending(
        monkeypatch,
        lambda: correct(http, contact, call, key="fix-1"),
        then=TemporaryFailure("the provider timed out"),
    )

    with pytest.raises(TemporaryFailure):
        message_send(advice.pk)

    advice.refresh_from_db()
    assert advice.status == Message.Status.SUPERSEDED  # not queued again
    assert message_send(advice.pk).status == Message.Status.SUPERSEDED
    first = answers["correction"]
    assert first.status_code == 201, first.content
    assert first.json()["advice"] == "sent"
    again = correct(http, contact, call, key="fix-1")
    assert again.status_code == 200
    assert again.json()["advice"] == "sent"


def test_advice_still_queued_when_corrected_is_withdrawn(clock, call_handler):
    contact = held_contact(call_handler)
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)

    response = correct(http, contact, call, key="fix-1")

    assert response.json()["advice"] == "withdrawn"
    assert correct(http, contact, call, key="fix-1").json()["advice"] == "withdrawn"
    advice = Message.objects.get(contact=contact)
    assert advice.status == Message.Status.SUPERSEDED
    assert message_send(advice.pk).status == Message.Status.SUPERSEDED
    assert correction_detail(contact)["advice"] == "withdrawn before it was sent"


# --- who holds the contact after the correction --------------------------------------


def test_a_correction_past_the_handlers_cap_puts_the_contact_back_in_the_pool(
    clock, call_handler, settings, django_capture_on_commit_callbacks
):
    """The reach freed the handler's only slot and the assignment run filled it:
    the contact corrected to "No answer" goes back to the pool for the next free
    handler, not on top of their cap, and an assignment run is asked for."""
    settings.TRACING_OPEN_WORK_CAP = {**settings.TRACING_OPEN_WORK_CAP, "tier3": 1}
    contact = held_contact(call_handler)
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)
    waiting = f.ContactFactory()
    assign_work()
    waiting.refresh_from_db()
    assert waiting.assignee == call_handler
    clock.shift(dt.timedelta(minutes=10))

    with (
        mock.patch("work.tasks.assign_work_task.delay") as run,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = correct(http, contact, call)

    assert response.status_code == 201, response.content
    contact.refresh_from_db()
    assert (contact.status, contact.assignee_id) == (Status.NEW, None)
    assert (contact.attempts, contact.reached_at) == (1, None)
    assert list(Contact.objects.held().filter(assignee=call_handler)) == [waiting]
    run.assert_called_with()
    assert "may hold at most 1" in correction_detail(contact)["to_pool"]
    released = AuditEvent.objects.get(
        object_id=str(contact.pk), action=AuditEvent.Action.REASSIGN
    )
    assert (released.detail["from"], released.detail["to"]) == (call_handler.pk, None)


def test_a_correction_for_a_handler_gone_off_shift_puts_the_contact_in_the_pool(
    clock, call_handler
):
    contact = held_contact(call_handler)
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)
    Shift.objects.filter(staff__user=call_handler).update(
        ends_at=timezone.now() + dt.timedelta(minutes=5)
    )
    clock.shift(dt.timedelta(minutes=10))
    http.force_login(call_handler)

    response = correct(http, contact, call)

    assert response.status_code == 201, response.content
    contact.refresh_from_db()
    assert (contact.status, contact.assignee_id) == (Status.NEW, None)
    assert "must be on shift" in correction_detail(contact)["to_pool"]


def test_a_correction_within_the_handlers_cap_leaves_the_contact_theirs(
    clock, call_handler
):
    contact = held_contact(call_handler)
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)

    assert correct(http, contact, call).status_code == 201

    contact.refresh_from_db()
    assert (contact.status, contact.assignee_id) == (Status.ASSIGNED, call_handler.pk)
    assert "to_pool" not in correction_detail(contact)


# --- a settled week's figures --------------------------------------------------------

SETTLED = dt.datetime(2021, 1, 17, 12, 0, tzinfo=LONDON)
WEEK = Period.containing(dt.date(2021, 1, 12))


@pytest.mark.now(SETTLED)
def test_a_settled_weeks_figures_follow_a_correction_through_the_api(
    clock, call_handler, django_capture_on_commit_callbacks
):
    contact = held_contact(
        call_handler, created_at=dt.datetime(2021, 1, 13, 10, 0, tzinfo=LONDON)
    )
    Contact.objects.filter(pk=contact.pk).update(
        escalate_due_at=SETTLED + dt.timedelta(hours=12)
    )
    http = session(call_handler)
    call = logged(http, contact, Outcome.REACHED)
    england = Scope.england()
    assert weekly_figures(period=WEEK, scope=england).contacts.reached == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = correct(http, contact, call)

    assert response.status_code == 201, response.content
    assert weekly_figures(period=WEEK, scope=england).contacts.reached == 0


# --- the call's own key sent again after its correction ------------------------------


def test_a_call_back_corrected_is_still_the_call_logged_when_its_key_is_sent_again(
    clock, call_handler
):
    contact = held_contact(call_handler)
    http = session(call_handler)
    call_back = {"call_back_at": (timezone.now() + dt.timedelta(hours=2)).isoformat()}
    first = log_call(http, contact, Outcome.CALL_BACK, key="call-1", **call_back)
    assert first.status_code == 201, first.content
    call = CallAttempt.objects.get(pk=first.json()["id"])
    assert correct(http, contact, call).status_code == 201

    again = log_call(http, contact, Outcome.CALL_BACK, key="call-1", **call_back)

    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == call.pk
    assert CallAttempt.objects.filter(contact=contact).count() == 1


def test_a_reach_corrected_is_still_the_call_logged_when_its_key_is_sent_again(
    clock, call_handler
):
    contact = held_contact(call_handler)
    http = session(call_handler)
    first = log_call(http, contact, Outcome.REACHED, key="call-1")
    call = CallAttempt.objects.get(pk=first.json()["id"])
    assert correct(http, contact, call).status_code == 201

    again = log_call(http, contact, Outcome.REACHED, key="call-1")

    assert again.status_code == 200, again.content
    assert again.json()["id"] == call.pk
    contact.refresh_from_db()
    assert (contact.status, contact.attempts) == (Status.ASSIGNED, 1)
    # A different call on that key is still refused.
    assert log_call(http, contact, Outcome.VOICEMAIL, key="call-1").status_code == 422
