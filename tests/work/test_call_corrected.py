"""A call's outcome logged by mistake (the wrong contact's "Reached", a voicemail
logged as "Reached") is corrected from the case or contact page: the item becomes
what it would have been had the right outcome been logged, the call keeps its record
marked corrected, an advice text not sent yet is withdrawn. Before, a contact logged
"Reached" by mistake could not be put right anywhere: never rung again, never sent
to its local team, and counted as reached in the weekly figures.

The test clock stands at 10:00 on Tuesday 12 January 2021, in calling hours."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.workitem import Status
from contacts.models import Contact
from figures.weekly import Period, Scope, weekly_figures
from people.models import Message
from tests import factories as f
from tests.core.conftest import committed_db  # noqa: F401 (a fixture)
from tests.threads import side_by_side
from work.calls import CorrectionRefused, call_correct, call_record
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db

REASON = "Logged on the wrong contact: the one I spoke to was the next in my list."


def held_contact(user, **fields) -> Contact:
    contact = f.ContactFactory(**fields)
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    contact.refresh_from_db()
    return contact


def page(item) -> str:
    return reverse(f"{item.kind}s:detail", args=[item.pk])


def log_call(client, item, outcome: str):
    response = client.post(
        reverse(f"{item.kind}s:call", args=[item.pk]),
        {"outcome": outcome, "duration_minutes": 1, "notes": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return CallAttempt.objects.filter(**{item.kind: item}).latest("started_at")


def correction_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*/correction/)"[^>]*>\s*Correct this outcome', html)
    return found.group(1) if found else None


def correct(client, item, call, outcome=Outcome.NO_ANSWER, reason=REASON, **extra):
    url = reverse(f"{item.kind}s:call_correction", args=[item.pk, call.pk])
    return client.post(url, {"outcome": outcome, "reason": reason, **extra})


def state(item) -> tuple:
    item.refresh_from_db()
    return (
        item.status,
        item.attempts,
        item.assignee_id,
        item.next_attempt_at,
        item.escalate_due_at,
        item.reached_at,
        item.reached_route,
        item.reached_tier,
    )


def test_a_handler_corrects_reached_to_no_answer_and_the_contact_is_as_if_no_answer(
    client, clock, call_handler
):
    # Two contacts alike, called at the same moment: one logged "Reached" by
    # mistake, the other "No answer", as the first should have been.
    mistaken = held_contact(call_handler)
    twin = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, mistaken, Outcome.REACHED)
    log_call(client, twin, Outcome.NO_ANSWER)
    assert Contact.objects.get(pk=mistaken.pk).status == Status.REACHED

    clock.shift(dt.timedelta(minutes=10))
    html = client.get(page(mistaken)).content.decode()
    link = correction_link(html)
    assert link == reverse("contacts:call_correction", args=[mistaken.pk, call.pk])
    form = client.get(link)
    assert form.status_code == 200
    assert "What was the call?" in form.content.decode()

    response = correct(client, mistaken, call)

    assert response.status_code == 302
    assert response["Location"].startswith(page(mistaken))
    shown = client.get(response["Location"]).content.decode()
    assert "Corrected from “Reached” to “No answer”" in shown
    assert "Next attempt" in shown
    # Rung again and sent to its local team as the twin is.
    assert state(mistaken) == state(twin)
    assert mistaken.status == Status.ASSIGNED
    assert mistaken.assignee == call_handler
    assert mistaken.attempts == 1
    assert mistaken.reached_at is None
    # The call keeps its record, marked corrected; the history shows both.
    call.refresh_from_db()
    assert call.outcome == Outcome.NO_ANSWER
    assert call.corrected_from == Outcome.REACHED
    assert call.corrected_by == call_handler
    assert call.correction_reason == REASON
    history = shown[shown.index("Call history") :]
    assert "No answer" in history
    assert "corrected from Reached" in history
    assert REASON in history
    event = AuditEvent.objects.get(
        object_type="contacts.contact",
        object_id=str(mistaken.pk),
        action=AuditEvent.Action.UPDATE,
    )
    assert event.user == call_handler
    assert event.detail["corrected"] == {"from": "reached", "to": "no_answer"}
    assert event.detail["reason"] == REASON
    # Nothing more is offered to correct.
    assert correction_link(shown) is None


def test_the_advice_text_not_yet_sent_is_withdrawn(client, clock, call_handler):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    advice = Message.objects.get(contact=contact)
    assert advice.status == Message.Status.QUEUED

    response = correct(client, contact, call)

    advice.refresh_from_db()
    assert advice.status == Message.Status.SUPERSEDED
    told = client.get(response["Location"]).content.decode()
    assert "The isolation advice text was withdrawn before it was sent" in told
    event = AuditEvent.objects.get(
        object_id=str(contact.pk), action=AuditEvent.Action.UPDATE
    )
    assert event.detail["advice"] == "withdrawn before it was sent"


def test_an_advice_text_already_sent_stays_sent_and_the_handler_is_told(
    client, clock, call_handler
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    Message.objects.filter(contact=contact).update(status=Message.Status.SENT)

    response = correct(client, contact, call)

    assert Message.objects.get(contact=contact).status == Message.Status.SENT
    told = client.get(response["Location"]).content.decode()
    assert "The isolation advice text had already been sent" in told
    event = AuditEvent.objects.get(
        object_id=str(contact.pk), action=AuditEvent.Action.UPDATE
    )
    assert event.detail["advice"].startswith("already sent")


def test_reached_in_earnest_after_a_correction_they_are_sent_the_advice(
    client, clock, call_handler
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    correct(client, contact, call)

    clock.shift(dt.timedelta(hours=2))
    client.force_login(call_handler)
    log_call(client, contact, Outcome.REACHED)

    statuses = set(
        Message.objects.filter(contact=contact).values_list("status", flat=True)
    )
    assert statuses == {Message.Status.SUPERSEDED, Message.Status.QUEUED}


def test_a_correction_needs_a_reason_and_keeps_what_was_chosen(
    client, clock, call_handler
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)

    response = correct(client, contact, call, outcome=Outcome.VOICEMAIL, reason="  ")

    assert response.status_code == 200
    html = response.content.decode()
    assert "Say why the outcome is corrected" in html
    assert re.search(r'value="voicemail"[^>]*checked', html)
    assert Contact.objects.get(pk=contact.pk).status == Status.REACHED


def test_after_four_hours_the_outcome_is_not_corrected_and_the_page_says_why(
    client, clock, call_handler
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    clock.shift(dt.timedelta(hours=4, minutes=1))
    client.force_login(call_handler)

    assert correction_link(client.get(page(contact)).content.decode()) is None
    response = correct(client, contact, call)

    assert response.status_code == 200
    html = response.content.decode()
    assert "may be corrected for 4 hours after the call" in html
    assert REASON in html  # the typing kept
    assert Contact.objects.get(pk=contact.pk).status == Status.REACHED


def test_a_contact_gone_to_its_local_team_since_is_not_corrected(
    client, clock, call_handler
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.WRONG_NUMBER)
    item_escalate(item=contact, reason="wrong_number", detail="", by=None)

    # No longer theirs to see: told where it went, on their queue.
    response = correct(client, contact, call, outcome=Outcome.NO_ANSWER)
    assert response.status_code == 302
    told = client.get(response["Location"]).content.decode()
    assert "The call&#x27;s outcome was not corrected. This contact is now with" in told
    # Their supervisor is told why.
    client.force_login(f.StaffProfileFactory(is_supervisor=True).user)
    refused = correct(client, contact, call, outcome=Outcome.NO_ANSWER)
    assert refused.status_code == 200
    assert "Since the call, it has gone to its local team" in refused.content.decode()
    assert Contact.objects.get(pk=contact.pk).status == Status.ESCALATED


def test_only_the_last_call_is_corrected(client, clock, call_handler):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    first = log_call(client, contact, Outcome.NO_ANSWER)
    clock.shift(dt.timedelta(hours=1))
    client.force_login(call_handler)
    log_call(client, contact, Outcome.VOICEMAIL)

    response = correct(client, contact, first, outcome=Outcome.VOICEMAIL)

    assert "only the outcome of the last call may be corrected" in (
        response.content.decode()
    )


def test_another_handler_may_not_correct_the_call_but_a_supervisor_of_the_tier_may(
    client, clock, call_handler, supervisor
):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)

    other = f.StaffProfileFactory(user__username="other_handler").user
    client.force_login(other)
    assert correct(client, contact, call).status_code != 302
    client.force_login(supervisor)  # a tier 2 supervisor: not of the caller's tier
    refused = correct(client, contact, call)
    assert "or a supervisor of their tier may correct its outcome" in (
        refused.content.decode()
    )
    assert Contact.objects.get(pk=contact.pk).status == Status.REACHED

    tier_3_supervisor = f.StaffProfileFactory(is_supervisor=True).user
    client.force_login(tier_3_supervisor)
    assert correct(client, contact, call).status_code == 302
    assert Contact.objects.get(pk=contact.pk).status == Status.ASSIGNED
    call.refresh_from_db()
    assert call.corrected_by == tier_3_supervisor


def test_the_same_correction_sent_twice_is_made_once(client, clock, call_handler):
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    form = client.get(reverse("contacts:call_correction", args=[contact.pk, call.pk]))
    submission = re.search(
        r'name="submission" value="([^"]+)"', form.content.decode()
    ).group(1)

    first = correct(client, contact, call, submission=submission)
    again = correct(client, contact, call, submission=submission)

    assert first.status_code == again.status_code == 302
    contact.refresh_from_db()
    assert contact.attempts == 1
    assert (
        AuditEvent.objects.filter(
            object_id=str(contact.pk), action=AuditEvent.Action.UPDATE
        ).count()
        == 1
    )


def test_the_weekly_figures_no_longer_count_the_contact_reached(
    client, clock, call_handler, settings
):
    settings.FIGURES_OPEN_WEEK_SECONDS = 300
    contact = held_contact(call_handler)
    client.force_login(call_handler)
    call = log_call(client, contact, Outcome.REACHED)
    week = Period.containing(timezone.localdate())
    assert weekly_figures(period=week, scope=Scope.england()).contacts.reached == 1

    correct(client, contact, call)

    # The call's week is still moving (a call is corrected within hours): its
    # figures are cached for minutes at most.
    clock.shift(dt.timedelta(seconds=301))
    figures = weekly_figures(period=week, scope=Scope.england())
    assert figures.contacts.reached == 0


def test_a_caseworker_corrects_a_case_reached_by_mistake(client, clock, caseworker):
    case = f.CaseFactory()
    type(case).objects.filter(pk=case.pk).update(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=timezone.now()
    )
    client.force_login(caseworker)
    call = log_call(client, case, Outcome.REACHED)
    link = correction_link(client.get(page(case)).content.decode())
    assert link == reverse("cases:call_correction", args=[case.pk, call.pk])

    response = correct(client, case, call, outcome=Outcome.VOICEMAIL)

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED
    assert case.reached_at is None
    assert case.next_attempt_at is not None
    assert case.escalate_due_at is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("requires_postgres", "committed_db")
def test_two_corrections_sent_at_once_are_made_once(clock, call_handler):
    """The handler and their supervisor, say, each correcting the same call: the
    item's lock lets one through; the other is told it was corrected already."""
    contact = held_contact(call_handler)
    call = call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED).call
    refused: list[str] = []

    def correction() -> None:
        try:
            call_correct(
                call=call,
                outcome=Outcome.NO_ANSWER,
                reason=REASON,
                by=call_handler,
                submission=uuid.uuid4(),
            )
        except CorrectionRefused as exc:
            refused.append(str(exc))

    assert side_by_side(correction, correction) == []

    assert len(refused) == 1
    assert "corrected already" in refused[0]
    contact.refresh_from_db()
    assert contact.attempts == 1
    assert contact.status == Status.ASSIGNED
    assert (
        AuditEvent.objects.filter(
            object_id=str(contact.pk), action=AuditEvent.Action.UPDATE
        ).count()
        == 1
    )
