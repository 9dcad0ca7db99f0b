"""A request an integration sends again (a retry after a timeout) is answered as the
first one was, as the pages answer a form sent twice: a call retried on its
Idempotency-Key after its call-back time has passed is the call logged, and an
isolation override sent twice is the one change, saved once, through the API as
through the override page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from calls.models import CallAttempt
from contacts.models import IsolationChange
from people.models import Message

from .conftest import case_in, contact_in, hold, web_session

pytestmark = pytest.mark.django_db

REASON = "immunosuppressed"


# --- a call retried on its Idempotency-Key -------------------------------------------


@pytest.fixture
def held_contact(call_handler):
    return hold(contact_in(), call_handler)


def call_back_in(seconds: int) -> str:
    return (timezone.now() + dt.timedelta(seconds=seconds)).isoformat()


def post_call(http, contact, body: dict, key: str):
    return http.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        body,
        format="json",
        headers={"Idempotency-Key": key},
    )


def test_a_call_back_retried_after_its_time_has_passed_is_the_call_logged(
    clock, national_integration, call_handler, held_contact
):
    _, http = national_integration
    body = {
        "outcome": "call_back",
        "caller": call_handler.pk,
        "call_back_at": call_back_in(20),
    }
    first = post_call(http, held_contact, body, "cb1")
    clock.shift(dt.timedelta(seconds=25))
    again = post_call(http, held_contact, body, "cb1")

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CallAttempt.objects.filter(contact=held_contact).count() == 1
    held_contact.refresh_from_db()
    assert held_contact.attempts == 1


def test_a_different_call_on_that_key_is_still_refused_once_its_time_has_passed(
    clock, national_integration, call_handler, held_contact
):
    _, http = national_integration
    body = {
        "outcome": "call_back",
        "caller": call_handler.pk,
        "call_back_at": call_back_in(20),
    }
    assert post_call(http, held_contact, body, "cb1").status_code == 201
    clock.shift(dt.timedelta(seconds=25))

    other_notes = post_call(http, held_contact, {**body, "notes": "Busy"}, "cb1")
    other_time = post_call(
        http, held_contact, {**body, "call_back_at": call_back_in(3600)}, "cb1"
    )

    assert (other_notes.status_code, other_time.status_code) == (422, 422)
    assert CallAttempt.objects.filter(contact=held_contact).count() == 1


def test_a_new_key_with_a_call_back_time_passed_is_still_told_so(
    clock, national_integration, call_handler, held_contact
):
    _, http = national_integration
    body = {
        "outcome": "call_back",
        "caller": call_handler.pk,
        "call_back_at": call_back_in(20),
    }
    assert post_call(http, held_contact, body, "cb1").status_code == 201
    clock.shift(dt.timedelta(seconds=25))

    answer = post_call(http, held_contact, body, "cb2")

    assert answer.status_code == 400
    assert answer.json() == {
        "call_back_at": ["The call back time must be in the future."]
    }
    assert CallAttempt.objects.filter(contact=held_contact).count() == 1


# --- an isolation override sent twice -------------------------------------------------


@pytest.fixture
def held_case(caseworker):
    return hold(case_in(), caseworker)


def a_week_on() -> str:
    return (timezone.localdate() + dt.timedelta(days=7)).isoformat()


def api_override(http, case, *, clinician, ends_on: str, reason: str = REASON):
    return http.post(
        f"/api/v1/cases/{case.pk}/isolation/",
        {"ends_on": ends_on, "reason": reason, "clinician": clinician.pk},
        format="json",
    )


def page_override(client, case, *, ends_on: str, reason: str = REASON):
    return client.post(
        reverse("cases:isolation", args=[case.pk]),
        {"ends_on": ends_on, "reason": reason},
    )


def test_an_override_sent_twice_through_the_api_is_the_change_saved_once(
    national_integration, caseworker, held_case
):
    _, http = national_integration
    ends_on = a_week_on()

    first = api_override(http, held_case, clinician=caseworker, ends_on=ends_on)
    again = api_override(http, held_case, clinician=caseworker, ends_on=ends_on)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again.json() == first.json()
    assert again.json()["ends_on"] == ends_on
    assert IsolationChange.objects.of_item(held_case).count() == 1
    assert Message.objects.filter(case=held_case).count() == 1


def test_the_page_and_the_api_both_answer_an_override_sent_twice_as_saved_once(
    client, national_integration, caseworker, held_case
):
    _, http = national_integration
    web_session(client, caseworker)
    ends_on = a_week_on()

    page_override(client, held_case, ends_on=ends_on)
    page_again = page_override(client, held_case, ends_on=ends_on)
    api_again = api_override(http, held_case, clinician=caseworker, ends_on=ends_on)

    assert page_again.status_code == 302
    told = [str(m) for m in get_messages(page_again.wsgi_request)]
    assert any("it was sent twice, and saved once" in m for m in told), told
    assert api_again.status_code == 200, api_again.content
    (change,) = IsolationChange.objects.of_item(held_case)
    assert api_again.json()["id"] == change.pk
    assert Message.objects.filter(case=held_case).count() == 1


def test_another_reason_for_the_date_in_force_is_still_refused_by_both(
    client, national_integration, caseworker, held_case
):
    _, http = national_integration
    web_session(client, caseworker)
    ends_on = a_week_on()
    assert (
        api_override(http, held_case, clinician=caseworker, ends_on=ends_on).status_code
        == 201
    )

    api = api_override(
        http, held_case, clinician=caseworker, ends_on=ends_on, reason="pregnant"
    )
    page = page_override(client, held_case, ends_on=ends_on, reason="pregnant")

    assert api.status_code == 400
    assert list(api.json()) == ["ends_on"]
    assert api.json()["ends_on"][0].startswith("They already isolate until")
    assert page.status_code == 200
    assert "They already isolate until" in page.content.decode()
    assert IsolationChange.objects.of_item(held_case).count() == 1
