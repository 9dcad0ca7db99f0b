"""Logging a call: the case and contact pages and the API (a member of staff's session
or an integration naming who called) write the same rows, queue the same text and
emails, and refuse the same people."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from escalations.models import Escalation
from online.texts import addressed
from people.models import Message
from tests import factories as f
from work.calls import isolation_advice_text

from .conftest import (
    ASSIGN_RUN,
    LEEDS,
    api_session,
    case_in,
    contact_in,
    hold,
    local_member,
    safeguarding_email,
    supervisor_of_team,
    web_session,
)

pytestmark = pytest.mark.django_db


def page_call(client, item, outcome: str, notes: str = "", **extra):
    return client.post(
        reverse(f"{item.kind}s:call", args=[item.pk]),
        {"outcome": outcome, "duration_minutes": 2, "notes": notes, **extra},
    )


def api_call(http, item, outcome: str, notes: str = "", caller=None, **extra):
    body = {"outcome": outcome, "duration_seconds": 120, "notes": notes, **extra}
    if caller is not None:
        body["caller"] = caller.pk
    return http.post(f"/api/v1/{item.kind}s/{item.pk}/calls/", body, format="json")


@pytest.fixture
def held_contact(call_handler):
    return hold(contact_in(), call_handler)


@pytest.fixture
def held_case(caseworker):
    return hold(case_in(), caseworker)


def integration_as_caller(run, caller_name="CALLER"):
    """The API's rows with the one difference an integration makes by design: the
    audit row of the call names the integration's account (who recorded it), not
    the caller; put the caller back to compare the rest."""
    rows = {label: [dict(r) for r in rs] for label, rs in run.rows.items()}
    for event in rows["audit.auditevent"]:
        if event["action"] == "call" and event["user_id"] == "INTEGRATION":
            event["user_id"] = caller_name
    return dataclasses.replace(run, rows=rows)


# --- the same rows ------------------------------------------------------------------------


CALL_BACK_AT = dt.timedelta(hours=3)


def call_back_fields(outcome: str, *, page: bool) -> dict:
    if outcome == Outcome.NEEDS_INTERPRETER:
        return {"language": "Welsh"}  # their record has none: said on the call
    if outcome != Outcome.CALL_BACK:
        return {}
    when = timezone.localtime() + CALL_BACK_AT
    return {
        "call_back_at": when.strftime("%Y-%m-%dT%H:%M") if page else when.isoformat()
    }


@pytest.mark.parametrize(
    ("kind", "outcome"),
    [
        ("case", Outcome.NO_ANSWER),
        ("case", Outcome.REACHED),
        ("contact", Outcome.NO_ANSWER),
        ("contact", Outcome.REACHED),
        ("contact", Outcome.CALL_BACK),
        ("contact", Outcome.WRONG_NUMBER),
        ("contact", Outcome.NEEDS_INTERPRETER),
    ],
)
def test_a_call_logged_through_the_api_writes_exactly_what_the_page_writes(
    request, doors, client, kind, outcome
):
    item = request.getfixturevalue(f"held_{kind}")
    holder = item.assignee
    web_session(client, holder)
    http = api_session(holder)

    page = doors.run(
        lambda: page_call(
            client, item, outcome, "Rang", **call_back_fields(outcome, page=True)
        )
    )
    api = doors.run(
        lambda: api_call(
            http, item, outcome, "Rang", **call_back_fields(outcome, page=False)
        )
    )

    assert page.response.status_code == 302
    assert api.response.status_code == 201, api.response.content
    (call,) = page.new("calls.callattempt")
    assert (call["caller_id"], call["outcome"], call["duration_seconds"]) == (
        holder.pk,
        outcome,
        120,
    )
    assert page.diff(api) == {}
    assert page.queued == api.queued


def test_a_call_logged_by_an_integration_writes_the_same_rows_as_the_page(
    doors, client, call_handler, held_contact, national_integration
):
    integration, http = national_integration
    web_session(client, call_handler)

    page = doors.run(
        lambda: page_call(client, held_contact, Outcome.NO_ANSWER, "Rang out"),
        actors={call_handler: "CALLER"},
    )
    api = doors.run(
        lambda: api_call(
            http, held_contact, Outcome.NO_ANSWER, "Rang out", caller=call_handler
        ),
        actors={call_handler: "CALLER", integration.user: "INTEGRATION"},
    )

    assert api.response.status_code == 201, api.response.content
    (event,) = [e for e in api.new("audit.auditevent") if e["action"] == "call"]
    assert event["user_id"] == "INTEGRATION"
    assert event["detail"]["caller"] == "CALLER"
    assert page.diff(integration_as_caller(api)) == {}
    assert page.queued == api.queued


def test_a_call_logged_through_the_api_queues_the_same_isolation_advice_as_the_page(
    doors, client, call_handler, held_contact, national_integration
):
    _, http = national_integration
    web_session(client, call_handler)

    page = doors.run(lambda: page_call(client, held_contact, Outcome.REACHED))
    api = doors.run(
        lambda: api_call(http, held_contact, Outcome.REACHED, caller=call_handler)
    )

    assert api.response.status_code == 201, api.response.content
    (text,) = page.new("people.message")
    assert text["kind"] == Message.Kind.ISOLATION_ADVICE
    assert text["to"] == str(held_contact.person.phone)
    assert text["body"] == addressed(
        isolation_advice_text(held_contact), held_contact.person.first_name
    )
    assert api.new("people.message") == page.new("people.message")
    # The answer says how they are being told, as the page tells its caller. Before,
    # the API's answer said nothing of it.
    assert any("The isolation advice is queued as a text to" in f for f in page.flashes)
    assert api.response.json()["told_by"] == "sms"


def test_a_safeguarding_concern_logged_through_the_api_escalates_like_the_page(
    doors, client, call_handler, held_contact, national_integration
):
    integration, http = national_integration
    supervisor_of_team(call_handler)
    web_session(client, call_handler)
    concern = "Child alone at home"

    page = doors.run(
        lambda: page_call(client, held_contact, Outcome.SAFEGUARDING, concern),
        actors={call_handler: "CALLER"},
    )
    api = doors.run(
        lambda: api_call(
            http, held_contact, Outcome.SAFEGUARDING, concern, caller=call_handler
        ),
        actors={call_handler: "CALLER", integration.user: "INTEGRATION"},
    )

    assert api.response.status_code == 201, api.response.content
    (escalation,) = page.new("escalations.escalation")
    assert escalation["reason"] == Escalation.Reason.SAFEGUARDING
    assert escalation["detail"] == concern
    assert escalation["created_by_id"] == "CALLER"
    assert api.new("escalations.escalation") == page.new("escalations.escalation")
    assert page.diff(integration_as_caller(api)) == {}
    assert (
        page.queued == api.queued == [ASSIGN_RUN, safeguarding_email(caller="CALLER")]
    )


def test_a_safeguarding_concern_logged_through_the_api_emails_the_same_supervisors_as_the_page(
    doors, client, call_handler, held_contact, national_integration, run_tasks_here
):
    _, http = national_integration
    boss = supervisor_of_team(call_handler)
    web_session(client, call_handler)
    concern = "Child alone at home"

    page = doors.run(
        lambda: page_call(client, held_contact, Outcome.SAFEGUARDING, concern),
        run_tasks=run_tasks_here,
    )
    api = doors.run(
        lambda: api_call(
            http, held_contact, Outcome.SAFEGUARDING, concern, caller=call_handler
        ),
        run_tasks=run_tasks_here,
    )

    assert api.response.status_code == 201, api.response.content
    (email,) = page.mails
    assert email["to"] == [boss.email]
    # Where to read the concern, and none of it: an email is no place for it.
    assert concern not in email["body"]
    path = reverse("contacts:detail", args=[held_contact.pk])
    assert (
        "Sign in to read what they noted, in the call history of the contact's page:"
        f"\n{settings.TRACING_SITE_URL}{path}\n"
    ) in email["body"]
    assert api.mails == page.mails


def test_a_new_starters_call_logged_by_an_integration_is_queued_for_review_as_on_the_page(
    doors, client, national_integration
):
    starter = f.StaffProfileFactory(new_starter=True, user__username="starter")
    f.ShiftFactory(staff=starter)
    contact = hold(contact_in(), starter.user)
    integration, http = national_integration
    web_session(client, starter.user)

    page = doors.run(
        lambda: page_call(client, contact, Outcome.NO_ANSWER),
        actors={starter.user: "CALLER"},
    )
    api = doors.run(
        lambda: api_call(http, contact, Outcome.NO_ANSWER, caller=starter.user),
        actors={starter.user: "CALLER", integration.user: "INTEGRATION"},
    )

    (review,) = page.new("staffing.callreview")
    assert review["call_id"] == "new calls.callattempt #1"
    assert page.diff(integration_as_caller(api)) == {}


# --- who may log a call -----------------------------------------------------------------------


def test_an_integration_cannot_log_a_call_under_a_member_of_another_local_team(
    doors, held_contact, sheffield_integration
):
    _, http = sheffield_integration
    leeds = local_member(LEEDS, "leeds_member")
    before = doors.baseline()

    api = doors.run(lambda: api_call(http, held_contact, Outcome.REACHED, caller=leeds))

    assert api.response.status_code == 403
    assert api.changes(before) == {}
    assert api.queued == []


def test_an_integration_cannot_log_a_call_under_a_call_handler_not_holding_the_contact(
    doors, held_contact, national_integration
):
    _, http = national_integration
    other = f.StaffProfileFactory(user__username="other_call_handler").user
    f.ShiftFactory(staff=other.staff)
    before = doors.baseline()

    api = doors.run(lambda: api_call(http, held_contact, Outcome.REACHED, caller=other))

    assert api.response.status_code == 403
    assert api.changes(before) == {}


def test_an_integration_that_names_no_caller_is_refused_and_nothing_is_written(
    doors, held_contact, national_integration
):
    _, http = national_integration
    before = doors.baseline()

    api = doors.run(lambda: api_call(http, held_contact, Outcome.REACHED))

    assert api.response.status_code == 400
    assert "caller" in api.response.json()
    assert api.changes(before) == {}


def test_a_call_handler_not_holding_the_contact_is_refused_by_the_page_and_the_api(
    doors, client, held_contact
):
    other = f.StaffProfileFactory(user__username="other_call_handler").user
    f.ShiftFactory(staff=other.staff)
    web_session(client, other)
    http = api_session(other)
    before = doors.baseline()

    opened = doors.run(
        lambda: client.get(reverse("contacts:detail", args=[held_contact.pk]))
    )
    page = doors.run(lambda: page_call(client, held_contact, Outcome.REACHED))
    api = doors.run(lambda: api_call(http, held_contact, Outcome.REACHED))

    assert opened.response.status_code == page.response.status_code == 403
    assert api.response.status_code in (403, 404)
    assert opened.changes(before) == page.changes(before) == {}
    assert api.changes(before) == {}


def test_a_caseworker_not_holding_the_case_is_refused_by_the_page_and_the_api(
    doors, client, held_case
):
    other = f.StaffProfileFactory(clinical=True, user__username="other_cw").user
    f.ShiftFactory(staff=other.staff)
    web_session(client, other)
    http = api_session(other)
    before = doors.baseline()

    opened = doors.run(lambda: client.get(reverse("cases:detail", args=[held_case.pk])))
    page = doors.run(lambda: page_call(client, held_case, Outcome.NO_ANSWER))
    api = doors.run(lambda: api_call(http, held_case, Outcome.NO_ANSWER))

    assert opened.response.status_code == page.response.status_code == 403
    assert api.response.status_code in (403, 404)
    assert opened.changes(before) == page.changes(before) == {}
    assert api.changes(before) == {}


# --- the same checks on what is logged -------------------------------------------------------


def test_a_safeguarding_concern_without_notes_is_refused_through_the_api_as_on_the_page(
    doors, client, call_handler, held_contact
):
    web_session(client, call_handler)
    http = api_session(call_handler)
    before = doors.baseline()

    page = doors.run(lambda: page_call(client, held_contact, Outcome.SAFEGUARDING))
    api = doors.run(lambda: api_call(http, held_contact, Outcome.SAFEGUARDING))

    assert page.response.status_code == 200  # the form again, with the error
    assert "Describe the safeguarding concern" in page.response.text
    assert page.changes(before) == {}
    assert api.response.status_code == 400
    assert api.changes(before) == {}


def test_the_page_and_the_api_accept_the_same_call_back_times(
    doors, client, call_handler, held_contact
):
    web_session(client, call_handler)
    http = api_session(call_handler)
    later = timezone.localtime() + dt.timedelta(days=60)

    page = doors.run(
        lambda: page_call(
            client,
            held_contact,
            Outcome.CALL_BACK,
            call_back_at=later.strftime("%Y-%m-%dT%H:%M"),
        )
    )
    api = doors.run(
        lambda: api_call(
            http, held_contact, Outcome.CALL_BACK, call_back_at=later.isoformat()
        )
    )

    page_accepted = bool(page.new("calls.callattempt"))
    api_accepted = bool(api.new("calls.callattempt"))
    assert page_accepted == api_accepted
