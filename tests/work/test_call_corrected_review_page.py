"""A call's outcome corrected on the contact page (pages/desk/calls.correct_call),
as the reviewer of 6c37ff4 found it going wrong: a settled week's cached figures
kept counting the reach corrected away for a day; the handler was not told the
contact had gone back to the pool (over their cap), nor that an advice text being
sent may have reached them. The API's door: tests/work/test_call_corrected_review.py.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from contacts.models import Contact
from figures.weekly import Period, Scope, weekly_figures
from notify import services as notify_services
from notify.services import message_send
from people.models import Message
from tests import factories as f
from tests.conftest import LONDON
from tests.work.test_call_corrected import held_contact, log_call
from work.assignment import assign_work

pytestmark = pytest.mark.django_db

REASON = "Logged on the wrong contact."


def correct(client, item, call, outcome=Outcome.NO_ANSWER):
    url = reverse(f"{item.kind}s:call_correction", args=[item.pk, call.pk])
    return client.post(url, {"outcome": outcome, "reason": REASON})


def told(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


SETTLED = dt.datetime(2021, 1, 17, 12, 0, tzinfo=LONDON)
WEEK = Period.containing(dt.date(2021, 1, 12))


@pytest.mark.now(SETTLED)
def test_a_settled_weeks_figures_follow_a_correction_on_the_page(
    client, clock, call_handler, django_capture_on_commit_callbacks
):
    contact = held_contact(
        call_handler, created_at=dt.datetime(2021, 1, 13, 10, 0, tzinfo=LONDON)
    )
    Contact.objects.filter(pk=contact.pk).update(
        escalate_due_at=SETTLED + dt.timedelta(hours=12)
    )
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    england = Scope.england()
    assert weekly_figures(period=WEEK, scope=england).contacts.reached == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = correct(client, contact, call)

    assert response.status_code == 302
    assert weekly_figures(period=WEEK, scope=england).contacts.reached == 0


def test_the_handler_is_told_the_contact_went_back_to_the_pool_past_their_cap(
    client, clock, call_handler, settings
):
    settings.TRACING_OPEN_WORK_CAP = {**settings.TRACING_OPEN_WORK_CAP, "tier3": 1}
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    f.ContactFactory()  # in the pool, given to them in the reach's place
    assign_work()

    response = correct(client, contact, call)

    assert response.status_code == 302
    assert response["Location"] == reverse("cases:queue")
    text = told(response)
    assert "It has gone back to the pool, for the next free colleague:" in text
    assert "may hold at most 1" in text
    contact.refresh_from_db()
    assert (contact.status, contact.assignee_id) == (Status.NEW, None)


def test_the_handler_is_told_an_advice_text_being_sent_may_have_gone(
    client, clock, call_handler, monkeypatch
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    advice = Message.objects.get(contact=contact)
    answers = {}

    class Provider:
        def send(self, message):
            answers["page"] = correct(client, contact, call)
            return "provider-ref-1"

    monkeypatch.setattr(notify_services, "backend_for", lambda channel: Provider())
    message_send(advice.pk)

    text = told(answers["page"])
    assert "was being sent, and may have gone, to" in text
    assert "withdrawn" not in text
