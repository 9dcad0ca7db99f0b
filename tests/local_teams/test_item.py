"""One escalation: its whole history, claiming, actions, closing, sending back,
and the supervisor's reassignment."""

from __future__ import annotations

import re
import threading
from unittest import mock

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.urls import reverse

from audit.models import AuditEvent
from calls.models import Outcome
from cases.errors import IllegalTransition
from cases.workitem import Route, Status
from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from tests import factories as f
from work.assignment import assign_work, item_assign
from work.calls import call_record
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_reassign,
    escalation_record_action,
    escalation_return,
    item_escalate,
)

from .builders import (
    HOUR,
    NOW,
    SHEFFIELD,
    ContactFactory,
    escalated_contact,
    person_in,
)

pytestmark = pytest.mark.django_db


def url(name: str, escalation: Escalation) -> str:
    return reverse(f"escalations:{name}", args=[escalation.pk])


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def claimed(clock, sheffield_member):
    escalation = escalated_contact()
    escalation_claim(escalation=escalation, by=sheffield_member)
    return escalation


# --- the page -------------------------------------------------------------------------


def test_page_shows_every_call_attempt_and_the_reason(
    clock, sheffield_client, call_handler
):
    contact = ContactFactory(person=person_in(SHEFFIELD, first_name="Nadia"))
    item_assign(item=contact, to=call_handler)
    call_record(
        item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER, notes="Rang out"
    )
    clock.shift(4 * HOUR)
    call_record(
        item=contact, caller=call_handler, outcome=Outcome.WRONG_NUMBER, notes="A shop"
    )
    escalation = item_escalate(
        item=contact,
        reason=Escalation.Reason.WRONG_NUMBER,
        detail="2 call attempts; last outcome: wrong_number.",
    )

    response = sheffield_client.get(url("detail", escalation))

    body = response.content.decode()
    assert response.status_code == 200
    handler = call_handler.get_full_name()
    entries = [(e.title, e.who, e.note) for e in response.context["history"].entries]
    assert ("Call: No answer", handler, "Rang out") in entries
    assert ("Call: Wrong number", handler, "A shop") in entries
    assert "Tue 12 Jan 10:00" in body
    assert "Tue 12 Jan 14:00" in body
    assert "Wrong or missing number" in body
    assert "2 call attempts; last outcome: wrong_number." in body


def test_page_shows_earlier_escalations_of_the_item(
    clock, sheffield_client, sheffield_member
):
    first = escalated_contact()
    escalation_claim(escalation=first, by=sheffield_member)
    escalation_return(escalation=first, note="Found a mobile", by=sheffield_member)
    clock.shift(30 * HOUR)
    second = item_escalate(item=first.contact, reason=Escalation.Reason.UNREACHED)

    response = sheffield_client.get(url("detail", second))

    assert [e.pk for e in response.context["history"].earlier] == [first.pk]
    body = response.content.decode()
    assert "Earlier escalations" in body
    assert "Found a mobile" in body
    assert "Sent back to the national queue" in body


def test_viewing_the_page_is_audited(clock, sheffield_client, sheffield_member):
    escalation = escalated_contact()

    sheffield_client.get(url("detail", escalation))

    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.user == sheffield_member
    assert event.person == escalation.contact.person


# --- claim ----------------------------------------------------------------------------


def test_claim_picks_the_escalation_up(clock, sheffield_client, sheffield_member):
    escalation = escalated_contact()

    response = sheffield_client.post(url("claim", escalation))

    assert response.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert escalation.picked_up_by == sheffield_member
    assert escalation.picked_up_at == NOW


def test_a_second_click_on_pick_up_says_it_is_yours(
    clock, sheffield_client, sheffield_member
):
    escalation = escalated_contact()
    sheffield_client.post(url("claim", escalation))

    response = sheffield_client.post(url("claim", escalation), follow=True)

    page = response.content.decode()
    assert "You picked this up: it is yours to work." in page
    assert "already picked up" not in page
    escalation.refresh_from_db()
    assert escalation.picked_up_by == sheffield_member


def test_second_claim_is_refused_with_who_has_it(
    clock, client, sheffield_member, sheffield_colleague
):
    escalation = escalated_contact()
    client.force_login(sheffield_member)
    client.post(url("claim", escalation))
    client.force_login(sheffield_colleague)

    response = client.post(url("claim", escalation), follow=True)

    assert (
        f"This escalation was already picked up by {sheffield_member.get_full_name()}."
        in response.content.decode()
    )
    escalation.refresh_from_db()
    assert escalation.picked_up_by == sheffield_member


@pytest.mark.django_db(transaction=True)
def test_two_members_claiming_at_once_give_it_to_one(requires_postgres):
    members = [f.StaffProfileFactory(local=True).user for _ in range(2)]
    escalation = escalated_contact()
    barrier = threading.Barrier(2)
    won, refused = [], []

    def claim(user) -> None:
        try:
            barrier.wait(timeout=10)
            escalation_claim(escalation=escalation, by=user)
            won.append(user)
        except IllegalTransition as exc:
            refused.append(str(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(m,)) for m in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(won) == 1
    assert len(refused) == 1
    assert refused[0].startswith("This escalation was already picked up by")
    escalation.refresh_from_db()
    assert escalation.picked_up_by == won[0]


# --- actions --------------------------------------------------------------------------


def test_recording_a_doorstep_visit_keeps_it_with_notes(
    claimed, sheffield_client, sheffield_member
):
    response = sheffield_client.post(
        url("action", claimed), {"kind": "doorstep", "note": "Nobody in; card left"}
    )

    assert response.status_code == 302
    action = EscalationAction.objects.get(escalation=claimed)
    assert action.kind == EscalationAction.Kind.DOORSTEP
    assert action.note == "Nobody in; card left"
    assert action.by == sheffield_member
    page = sheffield_client.get(url("detail", claimed)).content.decode()
    assert "Door-step visit" in page
    assert "Nobody in; card left" in page


def test_action_without_notes_shows_the_error_and_keeps_the_choice(
    claimed, sheffield_client
):
    response = sheffield_client.post(url("action", claimed), {"kind": "letter"})

    assert response.status_code == 400
    body = response.content.decode()
    assert "Say what happened" in body
    assert re.search(r'<input[^>]*value="letter"[^>]*checked', body)
    assert not EscalationAction.objects.exists()


def test_action_before_pick_up_is_refused(clock, sheffield_client):
    escalation = escalated_contact()

    response = sheffield_client.post(
        url("action", escalation), {"kind": "phone", "note": "Rang"}
    )

    assert "Pick this escalation up before working it." in flash(response)
    assert not EscalationAction.objects.exists()


# --- close ----------------------------------------------------------------------------


def test_closing_as_reached_counts_it_reached_by_the_local_team(
    claimed, sheffield_client, clock
):
    clock.shift(2 * HOUR)

    response = sheffield_client.post(
        url("close", claimed), {"outcome": "reached", "note": "Advised at the door"}
    )

    assert response.status_code == 302
    contact = Contact.objects.get(pk=claimed.contact_id)
    assert contact.status == Status.CLOSED
    assert contact.reached_at == NOW + 2 * HOUR
    assert contact.reached_route == Route.LOCAL
    claimed.refresh_from_db()
    assert claimed.outcome == Escalation.Outcome.REACHED
    assert claimed.outcome_note == "Advised at the door"


def test_closing_again_is_refused_and_counts_the_reach_once(
    claimed, sheffield_client, clock
):
    sheffield_client.post(url("close", claimed), {"outcome": "reached"})
    clock.shift(HOUR)

    response = sheffield_client.post(url("close", claimed), {"outcome": "not_found"})

    assert any(
        text.startswith("This escalation is already closed: You closed it")
        for text in flash(response)
    )
    reached_locally = Contact.objects.filter(reached_route=Route.LOCAL)
    assert reached_locally.count() == 1
    assert reached_locally.get().reached_at == NOW


def test_closing_as_not_found_leaves_it_unreached(claimed, sheffield_client):
    sheffield_client.post(url("close", claimed), {"outcome": "not_found"})

    contact = Contact.objects.get(pk=claimed.contact_id)
    assert contact.status == Status.CLOSED
    assert contact.reached_at is None


def test_closing_without_an_outcome_says_so(claimed, sheffield_client):
    response = sheffield_client.post(url("close", claimed), {"note": "Hmm"})

    assert response.status_code == 400
    assert "Choose how it ended" in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.closed_at is None


def test_closing_as_returned_is_not_an_offered_outcome(claimed, sheffield_client):
    response = sheffield_client.post(url("close", claimed), {"outcome": "returned"})

    assert response.status_code == 400
    claimed.refresh_from_db()
    assert claimed.closed_at is None


# --- send back ------------------------------------------------------------------------


def test_sent_back_item_is_assigned_again_by_the_next_run(
    claimed, sheffield_client, call_handler
):
    response = sheffield_client.post(
        url("return", claimed),
        {"note": "Neighbour gave a mobile number", "new_phone": "07911 123457"},
    )

    assert response.status_code == 302
    contact = Contact.objects.get(pk=claimed.contact_id)
    assert contact.status == Status.NEW
    assert str(contact.person.phone) == "+447911123457"
    claimed.refresh_from_db()
    assert claimed.outcome == Escalation.Outcome.RETURNED
    assert claimed.outcome_note == "Neighbour gave a mobile number"

    assign_work()

    contact.refresh_from_db()
    assert contact.status == Status.ASSIGNED
    assert contact.assignee == call_handler


def test_sending_back_with_a_bad_number_shows_the_error_and_changes_nothing(
    claimed, sheffield_client
):
    phone = str(claimed.contact.person.phone)

    response = sheffield_client.post(
        url("return", claimed), {"note": "New number", "new_phone": "12345"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a UK phone number, such as 07911 123456" in body
    assert 'value="12345"' in body
    contact = Contact.objects.select_related("person").get(pk=claimed.contact_id)
    assert contact.status == Status.ESCALATED
    assert str(contact.person.phone) == phone


def test_sending_back_a_new_number_keeps_the_old_one_in_their_history(
    claimed, sheffield_client
):
    """A mistyped number must not lose the only number held: the old one is kept in
    the person's history and as their other number."""
    person = claimed.contact.person
    old = str(person.phone)
    sheffield_client.post(
        url("return", claimed),
        {"note": "Neighbour gave a mobile number", "new_phone": "07911 123457"},
    )
    person.refresh_from_db()
    assert str(person.phone) == "+447911123457"
    assert str(person.phone_alt) == old
    (change,) = person.changes.all()
    assert (change.field, change.old_value, change.new_value, change.source) == (
        "phone",
        old,
        "+447911123457",
        "local team",
    )


def test_a_contact_reached_online_asking_for_help_cannot_be_sent_back(
    clock, sheffield_client, sheffield_member
):
    """Its answer asked for help with food: reached, escalated for support. Sent back,
    it would be in no queue at all (a contact reached is nobody's to call), while the
    page said a caller would be assigned."""
    person = person_in(SHEFFIELD)
    contact = ContactFactory(person=person, area=person.area)
    contact.note_reached_online(now=NOW)  # as the online route does (work.online)
    escalation = item_escalate(
        item=contact, reason=Escalation.Reason.SUPPORT, detail="Help with food"
    )
    escalation_claim(escalation=escalation, by=sheffield_member)
    page = sheffield_client.get(url("detail", escalation)).content.decode()
    assert "Send back to the national queue" not in page
    # How it came, said so (not "by the escalation sweep", "reached by the online").
    assert "from their answer online, asking for help" in page
    assert "by the escalation sweep" not in page
    assert re.search(r"Reached</dt>\s*<dd[^>]*>[^<]* online</dd>", page)

    response = sheffield_client.post(
        url("return", escalation), {"note": "Call them about isolation"}
    )

    assert "was reached already (online)" in response.content.decode() or any(
        "was reached already (online)" in m for m in flash(response)
    )
    escalation.refresh_from_db()
    contact.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert contact.status == Status.ESCALATED
    with pytest.raises(IllegalTransition, match="Close the escalation"):
        escalation_return(escalation=escalation, note="again", by=sheffield_member)


def test_sending_back_needs_a_note(claimed, sheffield_client):
    response = sheffield_client.post(url("return", claimed), {"new_phone": ""})

    assert response.status_code == 400
    assert "Say why, for the national caller" in response.content.decode()


# --- reassign -------------------------------------------------------------------------


def test_supervisor_reassigns_within_the_team(
    claimed, client, sheffield_supervisor, sheffield_colleague
):
    client.force_login(sheffield_supervisor)

    response = client.post(url("reassign", claimed), {"to": sheffield_colleague.pk})

    assert response.status_code == 302
    claimed.refresh_from_db()
    assert claimed.picked_up_by == sheffield_colleague
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REASSIGN).exists()


def test_supervisor_cannot_reassign_to_another_teams_member(
    claimed, client, sheffield_supervisor, sheffield_member, leeds_member
):
    client.force_login(sheffield_supervisor)

    response = client.post(url("reassign", claimed), {"to": leeds_member.pk})

    assert response.status_code == 400
    assert "Choose a member of this team" in response.content.decode()
    claimed.refresh_from_db()
    assert claimed.picked_up_by == sheffield_member


def test_reassign_service_refuses_another_teams_member(
    claimed, sheffield_supervisor, sheffield_member, leeds_member
):
    with pytest.raises(IllegalTransition, match="is not a member of"):
        escalation_reassign(
            escalation=claimed, to=leeds_member, by=sheffield_supervisor
        )

    claimed.refresh_from_db()
    assert claimed.picked_up_by == sheffield_member


def test_member_who_is_not_supervisor_cannot_reassign(
    claimed, sheffield_client, sheffield_colleague, sheffield_member
):
    response = sheffield_client.post(
        url("reassign", claimed), {"to": sheffield_colleague.pk}
    )

    assert response.status_code == 403
    claimed.refresh_from_db()
    assert claimed.picked_up_by == sheffield_member


def test_supervisor_of_another_team_gets_404(claimed, client, sheffield_colleague):
    from .builders import LEEDS, local_member

    client.force_login(local_member(LEEDS, "leeds_supervisor", is_supervisor=True))

    response = client.post(url("reassign", claimed), {"to": sheffield_colleague.pk})

    assert response.status_code == 404


def test_reassigning_a_new_escalation_picks_it_up_for_the_member(
    clock, client, sheffield_supervisor, sheffield_colleague
):
    escalation = escalated_contact()
    client.force_login(sheffield_supervisor)

    client.post(url("reassign", escalation), {"to": sheffield_colleague.pk})

    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.PICKED_UP
    assert escalation.picked_up_by == sheffield_colleague
    assert escalation.picked_up_at == NOW


def test_record_action_service_still_refuses_a_closed_escalation(
    claimed, sheffield_member
):
    escalation_close(
        escalation=claimed, outcome=Escalation.Outcome.REFUSED, by=sheffield_member
    )

    with pytest.raises(IllegalTransition):
        escalation_record_action(
            escalation=claimed, kind="letter", note="late", by=sheffield_member
        )


def _worked_escalation(calls: int, actions: int, by) -> Escalation:
    """An item sent back once and escalated again, with calls and actions."""
    first = escalated_contact()
    escalation_claim(escalation=first, by=by)
    escalation_return(escalation=first, note="New number", by=by)
    contact = Contact.objects.get(pk=first.contact_id)
    caller_profile = f.StaffProfileFactory()
    f.ShiftFactory(staff=caller_profile)
    caller = caller_profile.user
    item_assign(item=contact, to=caller)
    for _ in range(calls):
        call_record(item=contact, caller=caller, outcome=Outcome.VOICEMAIL)
    escalation = item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)
    escalation_claim(escalation=escalation, by=by)
    for n in range(actions):
        escalation_record_action(
            escalation=escalation, kind="letter", note=f"Letter {n}", by=by
        )
    return escalation


# Session, user, staff profile, the second factor's device, the escalation, the view's
# audit event, the item's escalations, their actions, its calls, who closed the earlier
# escalation, a contact's exposures (every case's naming of them, one query); then the
# session's expiry (savepoint, update, release).
DETAIL_QUERIES = 14


@pytest.mark.parametrize(("calls", "actions"), [(1, 1), (3, 6)])
def test_page_query_count_is_pinned_whatever_the_history(
    clock, sheffield_client, sheffield_member, django_assert_num_queries, calls, actions
):
    escalation = _worked_escalation(calls, actions, sheffield_member)

    with django_assert_num_queries(DETAIL_QUERIES):
        response = sheffield_client.get(url("detail", escalation))

    # Arrival, 2 escalations, 2 pick-ups, the send-back, the calls and actions.
    assert len(response.context["history"].entries) == 6 + calls + actions


def test_a_failed_form_is_summarised_at_the_top_with_a_link(claimed, sheffield_client):
    response = sheffield_client.post(url("close", claimed), {})

    body = response.content.decode()
    assert "There is a problem" in body
    assert '<a href="#close_outcome_0">Choose how it ended</a>' in body
    assert 'id="close_outcome_0"' in body


def test_claiming_a_closed_escalation_says_it_is_closed(claimed, sheffield_member):
    escalation_close(
        escalation=claimed, outcome=Escalation.Outcome.NOT_FOUND, by=sheffield_member
    )

    with pytest.raises(IllegalTransition, match=r"^This escalation is closed\.$"):
        escalation_claim(escalation=claimed, by=sheffield_member)


def test_sending_back_asks_for_an_assignment_run_once_committed(
    claimed, sheffield_member, django_capture_on_commit_callbacks
):
    with (
        mock.patch("work.tasks.assign_work_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        escalation_return(escalation=claimed, note="New number", by=sheffield_member)

    delay.assert_called_once_with()


def test_a_refused_action_keeps_the_typed_note_for_the_page_once(
    claimed, sheffield_client, sheffield_colleague
):
    escalation_close(
        escalation=claimed,
        outcome=Escalation.Outcome.MOVED_AWAY,
        by=sheffield_colleague,
    )

    response = sheffield_client.post(
        url("action", claimed),
        {"kind": "doorstep", "note": "Nobody in; card left"},
        follow=True,
    )

    body = response.content.decode()
    assert response.redirect_chain == [(url("detail", claimed), 302)]
    summary = body.split('class="nhsuk-error-summary"', 1)[1].split("</div>", 1)[0]
    assert "This escalation is closed." in summary
    assert "Nobody in; card left</textarea>" in body
    assert re.search(r'<input[^>]*value="doorstep"[^>]*checked', body)
    assert "This was not saved" in body
    assert not EscalationAction.objects.exists()
    again = sheffield_client.get(url("detail", claimed)).content.decode()
    assert "Nobody in; card left" not in again
    assert "Record action" not in again


def test_a_refused_send_back_keeps_the_note_and_the_number(
    claimed, sheffield_client, sheffield_colleague
):
    escalation_close(
        escalation=claimed, outcome=Escalation.Outcome.REFUSED, by=sheffield_colleague
    )

    response = sheffield_client.post(
        url("return", claimed),
        {"note": "Neighbour has a mobile", "new_phone": "07911 123457"},
        follow=True,
    )

    body = response.content.decode()
    assert "Neighbour has a mobile</textarea>" in body
    assert 'value="07911 123457"' in body


def test_a_kept_note_is_not_shown_on_another_escalation(
    claimed, sheffield_client, sheffield_colleague, sheffield_member
):
    other = escalated_contact()
    escalation_claim(escalation=other, by=sheffield_member)
    escalation_close(
        escalation=claimed, outcome=Escalation.Outcome.REFUSED, by=sheffield_colleague
    )
    sheffield_client.post(
        url("close", claimed), {"outcome": "reached", "note": "Rang back"}
    )

    body = sheffield_client.get(url("detail", other)).content.decode()

    assert "Rang back" not in body


def test_the_page_uses_the_design_systems_components(claimed, sheffield_client):
    body = sheffield_client.get(url("detail", claimed)).content.decode()

    assert 'class="nhsuk-back-link"' in body
    assert 'class="nhsuk-summary-list" id="person-summary"' in body
    assert 'class="app-timeline" id="history"' in body
    assert 'class="nhsuk-radios" data-module="nhsuk-radios"' in body
    assert "nhsuk-card--warning" not in body  # nothing overdue nor safeguarding


def test_an_overdue_escalation_and_a_safeguarding_concern_are_warning_callouts(
    clock, sheffield_client
):
    from .builders import escalated_case

    escalation = escalated_case(
        safeguarding_flag=True, safeguarding_note="Visit in pairs."
    )
    clock.shift(25 * HOUR)

    body = sheffield_client.get(url("detail", escalation)).content.decode()

    assert body.count("nhsuk-card nhsuk-card--warning") == 2
    assert "Safeguarding concern</span>" in body
    assert "Visit in pairs." in body
    assert "Overdue</span>" in body
