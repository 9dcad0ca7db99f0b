"""Someone with no phone and no other phone on their record cannot have been rung.

Before, the call page and the API logged "No answer" and "Voicemail left" on a contact
who had only an email (each counted as an attempt, the call stored with no number);
after three, the sweep sent them to their local team as "Not reached after 3 call
attempts", with a call history of voicemails never left, and the figures counted the
attempts. Now an outcome that means their number rang is refused, on the outcome
(the page) or as a 400 on "outcome" (the API), saying there is no number and to log
"Wrong number", which sends them to their local team; the outcomes that need no
number are still logged. And someone the sweep escalates with no number and no
attempt is told to their local team as that: "No phone number to call", "Wrong or
missing number", not "Not reached after every attempt ... never called".
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from escalations.models import Escalation
from tests import factories as f
from work import escalation
from work.calls import call_record
from work.escalation import escalate_unreached, item_escalate_unreached

pytestmark = pytest.mark.django_db

NO_NUMBER = (
    "There is no number to call: they have no phone or other phone on their record."
)
LOG_WRONG_NUMBER = "Log “Wrong number” to send them to their local team now."
RANG_THEM = [
    Outcome.NO_ANSWER,
    Outcome.VOICEMAIL,
    Outcome.REACHED,
    Outcome.REFUSED,
    Outcome.CALL_BACK,
]
HOUR = dt.timedelta(hours=1)


def no_number(**kwargs):
    """Someone named with an email only, as the online route allows."""
    fields = {"phone": "", "phone_alt": "", "email": "em@example.org", **kwargs}
    return f.PersonFactory(**fields)


def held(user, *, kind: str = "contact", **person):
    """A contact (or case) of someone with no number, in `user`'s queue."""
    factory = f.ContactFactory if kind == "contact" else f.CaseFactory
    item = factory(person=no_number(**person))
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def extra_for(outcome: str) -> dict:
    if outcome == Outcome.CALL_BACK:
        return {"call_back_at": (timezone.localtime() + 3 * HOUR).isoformat()}
    return {}


# --- the call page ---------------------------------------------------------------


@pytest.mark.parametrize("outcome", RANG_THEM)
def test_the_page_refuses_a_call_that_rang_no_number_on_the_outcome(
    clock, client, call_handler, outcome
):
    contact = held(call_handler)
    client.force_login(call_handler)

    response = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": outcome, "duration_minutes": 2, **extra_for(outcome)},
    )

    assert response.status_code in (200, 400)
    form = response.context["call_form"]
    assert form.errors["outcome"] == [f"{NO_NUMBER} {LOG_WRONG_NUMBER}"]
    page = response.content.decode()
    assert NO_NUMBER in page
    contact.refresh_from_db()
    assert contact.attempts == 0
    assert contact.status == Status.ASSIGNED
    assert not CallAttempt.objects.filter(contact=contact).exists()


def test_the_page_logs_wrong_number_and_it_goes_to_the_local_team(
    clock, client, call_handler
):
    contact = held(call_handler)
    client.force_login(call_handler)

    response = client.post(
        reverse("contacts:call", args=[contact.pk]),
        {"outcome": Outcome.WRONG_NUMBER, "duration_minutes": 0},
        follow=True,
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.escalate_due_at == timezone.now()
    escalated = item_escalate_unreached(item=contact)
    assert escalated is not None
    assert escalated.reason == Escalation.Reason.WRONG_NUMBER


# --- the API ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["contact", "case"])
@pytest.mark.parametrize("outcome", RANG_THEM)
def test_the_api_refuses_a_call_that_rang_no_number_with_a_400_on_the_outcome(
    clock, call_handler, caseworker, kind, outcome
):
    user = call_handler if kind == "contact" else caseworker
    item = held(user, kind=kind)
    http = APIClient()
    http.force_login(user)

    response = http.post(
        f"/api/v1/{kind}s/{item.pk}/calls/",
        {"outcome": outcome, "duration_seconds": 60, **extra_for(outcome)},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["outcome"] == [f"{NO_NUMBER} {LOG_WRONG_NUMBER}"]
    item.refresh_from_db()
    assert item.attempts == 0
    assert not CallAttempt.objects.filter(**{kind: item}).exists()


# --- the operation: what needs no number, and what a number allows ---------------


@pytest.mark.parametrize(
    ("outcome", "notes", "language"),
    [
        (Outcome.WRONG_NUMBER, "", ""),
        (Outcome.SAFEGUARDING, "A neighbour rang about the children", ""),
        (Outcome.NEEDS_INTERPRETER, "", "Welsh"),
    ],
)
def test_the_outcomes_that_need_no_number_are_still_logged(
    clock, call_handler, outcome, notes, language
):
    contact = held(call_handler)

    call_record(
        item=contact,
        caller=call_handler,
        outcome=outcome,
        notes=notes,
        language=language,
    )

    assert CallAttempt.objects.filter(contact=contact, outcome=outcome).count() == 1


@pytest.mark.parametrize("outcome", [Outcome.NO_ANSWER, Outcome.VOICEMAIL])
def test_their_other_phone_is_a_number_to_call(clock, call_handler, outcome):
    contact = held(call_handler, phone_alt="+447911123456")

    call_record(item=contact, caller=call_handler, outcome=outcome)

    contact.refresh_from_db()
    assert contact.attempts == 1


def test_three_calls_to_no_number_no_longer_send_them_on_as_not_reached(
    clock, call_handler
):
    """The hunter's story: three "attempts" and an invented call history."""
    contact = held(call_handler)

    for hours, outcome in ((0, "no_answer"), (5, "voicemail"), (10, "no_answer")):
        with pytest.raises(ValidationError) as refused:
            call_record(
                item=contact,
                caller=call_handler,
                outcome=outcome,
                now=timezone.now() + hours * HOUR,
            )
        assert refused.value.message_dict == {
            "outcome": [f"{NO_NUMBER} {LOG_WRONG_NUMBER}"]
        }

    contact.refresh_from_db()
    assert contact.attempts == 0
    assert not CallAttempt.objects.filter(contact=contact).exists()


# --- the sweep's words -----------------------------------------------------------


NO_NUMBER_DETAIL = [
    "No phone number to call: their record has no phone or other phone.",
    "No calls were made.",
]


def due(kind: str, **kwargs):
    factory = f.ContactFactory if kind == "contact" else f.CaseFactory
    return factory(
        created_at=timezone.now() - 30 * HOUR,
        escalate_due_at=timezone.now() - HOUR,
        **kwargs,
    )


@pytest.fixture(params=["one statement", "row by row"])
def way(request, monkeypatch):
    if request.param == "row by row":
        monkeypatch.setattr(escalation, "_batch_in_one_statement", lambda: False)
    return request.param


@pytest.mark.parametrize("kind", ["contact", "case"])
def test_the_sweep_tells_the_local_team_there_was_no_number_to_call(clock, way, kind):
    item = due(kind, person=no_number())

    assert escalate_unreached() == (1, False)

    escalated = Escalation.objects.get(**{kind: item})
    assert escalated.reason == Escalation.Reason.WRONG_NUMBER
    assert escalated.get_reason_display() == "Wrong or missing number"
    assert escalated.detail.split("\n") == NO_NUMBER_DETAIL
    assert "Not reached" not in escalated.detail


def test_one_item_alone_is_worded_as_the_sweep_words_it(clock):
    contact = due("contact", person=no_number())

    escalated = item_escalate_unreached(item=contact)

    assert escalated is not None
    assert escalated.reason == Escalation.Reason.WRONG_NUMBER
    assert escalated.detail.split("\n") == NO_NUMBER_DETAIL


def test_a_call_handed_on_for_an_interpreter_is_listed_but_no_attempt(clock, way):
    contact = due("contact", person=no_number())
    f.CallAttemptFactory(
        contact=contact,
        outcome=Outcome.NEEDS_INTERPRETER,
        started_at=timezone.now() - 20 * HOUR,
    )

    escalate_unreached()

    escalated = Escalation.objects.get(contact=contact)
    assert escalated.reason == Escalation.Reason.WRONG_NUMBER
    lines = escalated.detail.split("\n")
    assert lines[:2] == [NO_NUMBER_DETAIL[0], "Call history:"]
    assert lines[2].endswith(": Needs an interpreter")


@pytest.mark.parametrize(
    "person",
    [{"phone": "+447911123456"}, {"phone": "", "phone_alt": "+447911123456"}],
    ids=["phone", "other phone only"],
)
def test_someone_with_a_number_never_called_is_still_not_reached(clock, way, person):
    contact = due("contact", person=f.PersonFactory(**person))

    escalate_unreached()

    escalated = Escalation.objects.get(contact=contact)
    assert escalated.reason == Escalation.Reason.UNREACHED
    assert escalated.detail.startswith("Not reached within 24 hours: never called.")


def test_attempts_made_to_a_number_since_gone_are_still_told_as_attempts(clock, way):
    contact = due("contact", person=no_number(), attempts=2)
    for hours in (20, 10):
        f.CallAttemptFactory(contact=contact, started_at=timezone.now() - hours * HOUR)

    escalate_unreached()

    escalated = Escalation.objects.get(contact=contact)
    assert escalated.reason == Escalation.Reason.UNREACHED
    assert escalated.detail.startswith("Not reached within 24 hours (2 call attempts).")
