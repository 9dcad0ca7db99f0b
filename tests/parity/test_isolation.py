"""A clinician's override of an isolation end date: the override page and the API (a
member of staff's session, or an integration naming the clinician) write the same
rows and queue the same text, and refuse a call handler alike."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from .conftest import api_session, case_in, contact_in, hold, web_session

pytestmark = pytest.mark.django_db

REASON = "Immunosuppressed: a longer infectious period is likely."
SEND = ("notify.tasks.send_message_task", {"message_id": "new people.message #1"})


@pytest.fixture
def held_case(caseworker):
    return hold(case_in(), caseworker)


@pytest.fixture
def held_contact(held_case, call_handler):
    return hold(contact_in(case=held_case), call_handler)


def a_week_on() -> str:
    return (timezone.localdate() + dt.timedelta(days=7)).isoformat()


def page_override(client, item, **extra):
    body = {"ends_on": a_week_on(), "reason": REASON, **extra}
    return client.post(reverse(f"{item.kind}s:isolation", args=[item.pk]), body)


def api_override(http, item, **extra):
    body = {"ends_on": a_week_on(), "reason": REASON, **extra}
    return http.post(f"/api/v1/{item.kind}s/{item.pk}/isolation/", body, format="json")


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_an_override_through_the_api_writes_exactly_what_the_page_writes(
    request, doors, client, caseworker, kind
):
    item = request.getfixturevalue(f"held_{kind}")
    web_session(client, caseworker)
    http = api_session(caseworker)

    page = doors.run(lambda: page_override(client, item))
    api = doors.run(lambda: api_override(http, item))

    assert page.response.status_code == 302
    assert api.response.status_code == 201, api.response.content
    (change,) = page.new("contacts.isolationchange")
    assert (change[f"{kind}_id"], change["kind"], change["by_id"]) == (
        item.pk,
        "override",
        caseworker.pk,
    )
    (message,) = page.new("people.message")
    assert message[f"{kind}_id"] == item.pk
    assert page.diff(api) == {}
    assert page.queued == api.queued == [SEND]


def test_an_integration_naming_the_clinician_writes_the_same_rows_as_the_page(
    doors, client, caseworker, held_contact, national_integration
):
    integration, http = national_integration
    web_session(client, caseworker)

    page = doors.run(
        lambda: page_override(client, held_contact),
        actors={caseworker: "CLINICIAN"},
    )
    api = doors.run(
        lambda: api_override(http, held_contact, clinician=caseworker.pk),
        actors={caseworker: "CLINICIAN", integration.user: "INTEGRATION"},
    )

    assert api.response.status_code == 201, api.response.content
    # The one difference by design: the audit row names who recorded it.
    rows = {label: [dict(r) for r in rs] for label, rs in api.rows.items()}
    for event in rows["audit.auditevent"]:
        if event["user_id"] == "INTEGRATION":
            event["user_id"] = "CLINICIAN"
    assert page.diff(dataclasses.replace(api, rows=rows)) == {}
    assert page.queued == api.queued == [SEND]


def test_a_call_handler_is_refused_alike_and_nothing_is_written(
    doors, client, call_handler, held_contact
):
    web_session(client, call_handler)
    http = api_session(call_handler)
    baseline = doors.baseline()

    page = doors.run(lambda: page_override(client, held_contact))
    api = doors.run(lambda: api_override(http, held_contact))

    assert page.response.status_code == api.response.status_code == 403
    assert page.changes(baseline) == api.changes(baseline) == {}
    assert page.queued == api.queued == []
