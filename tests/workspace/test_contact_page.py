"""The tier 3 contact page: only what a call handler needs."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.models import Case
from contacts.models import Contact
from people.models import Message
from tests import factories as f
from tests.workspace.conftest import ContactFactory, hold

pytestmark = pytest.mark.django_db


def page(contact) -> str:
    return reverse("contacts:detail", args=[contact.pk])


def test_assignee_opens_their_contact(client, call_handler, held_contact, scripts):
    client.force_login(call_handler)
    response = client.get(page(held_contact))
    assert response.status_code == 200
    assert b"Read out the date" in response.content  # the contact script
    assert b"Ask about symptoms" not in response.content  # not the case script


def test_contact_page_hides_the_case_and_clinical_details(
    client, call_handler, held_contact
):
    case = held_contact.case
    Case.objects.filter(pk=case.pk).update(symptom_onset=case.specimen_date)
    # A name no one else on the page could have (generated names can coincide).
    type(case.person).objects.filter(pk=case.person_id).update(last_name="Quenbyworth")
    case.person.refresh_from_db()
    f.RiskAssessmentFactory(case=case, clinical_notes="Asthma, on inhaler")
    client.force_login(call_handler)
    html = client.get(page(held_contact)).content.decode()
    assert case.person.last_name not in html
    assert case.lab_reference not in html
    assert "Asthma" not in html
    assert "Risk assessment" not in html


def test_contact_page_shows_the_isolation_end_date_to_read_out(
    client, call_handler, held_contact
):
    client.force_login(call_handler)
    html = client.get(page(held_contact)).content.decode()
    ends = held_contact.isolation_ends_on
    assert f"{ends:%A} {ends.day} {ends:%B %Y}" in html


def test_another_call_handler_gets_403(client, held_contact):
    other = f.StaffProfileFactory(user__username="other_handler").user
    client.force_login(other)
    assert client.get(page(held_contact)).status_code == 403


def test_the_caseworker_of_the_case_gets_403_on_the_contact_page(
    client, caseworker, call_handler
):
    case = hold(ContactFactory().case, caseworker)
    contact = hold(ContactFactory(case=case), call_handler)
    client.force_login(caseworker)
    assert client.get(page(contact)).status_code == 403


def test_supervisor_opens_the_contact_page(client, supervisor, held_contact):
    client.force_login(supervisor)
    assert client.get(page(held_contact)).status_code == 200


def test_viewing_a_contact_is_audited(client, call_handler, held_contact):
    client.force_login(call_handler)
    client.get(page(held_contact))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.person == held_contact.person
    assert event.object_type == "contacts.contact"


def test_reaching_a_contact_queues_the_isolation_advice_text(
    client, call_handler, held_contact
):
    client.force_login(call_handler)
    response = client.post(
        reverse("contacts:call", args=[held_contact.pk]),
        {"outcome": Outcome.REACHED},
        headers={"HX-Request": "true"},
    )
    assert b'data-testid="status">Reached<' in response.content
    message = Message.objects.get()
    assert message.contact == held_contact
    assert message.kind == Message.Kind.ISOLATION_ADVICE
    assert message.channel == Message.Channel.SMS
    assert message.status == Message.Status.QUEUED
    assert message.to == str(held_contact.person.phone)
    ends = held_contact.isolation_ends_on
    assert f"{ends:%A} {ends.day} {ends:%B %Y}" in message.body
    # The number in the confirmation as the page shows it beside: 07... not +44...
    shown = held_contact.person.phone.as_national
    assert f"queued as a text to {shown}.".encode() in response.content


def test_no_answer_shows_the_next_attempt_scheduled_by_the_rules(
    client, call_handler, held_contact, settings
):
    client.force_login(call_handler)
    response = client.post(
        reverse("contacts:call", args=[held_contact.pk]),
        {"outcome": Outcome.NO_ANSWER},
        headers={"HX-Request": "true"},
    )
    held_contact.refresh_from_db()
    gap = settings.TRACING_CALL_RULES["contact"]["min_gap_hours"]
    call = CallAttempt.objects.get()
    assert (
        held_contact.next_attempt_at - call.started_at
    ).total_seconds() == gap * 3600
    at = timezone.localtime(held_contact.next_attempt_at)
    assert f"Next attempt {at:%H:%M} on {at:%a} {at.day} {at:%b} (".encode() in (
        response.content
    )
    assert not Message.objects.exists()


def test_a_reached_contact_cannot_be_called_again(client, call_handler, held_contact):
    Contact.objects.filter(pk=held_contact.pk).update(status="reached")
    client.force_login(call_handler)
    response = client.post(
        reverse("contacts:call", args=[held_contact.pk]), {"outcome": Outcome.REACHED}
    )
    assert response.status_code == 200
    assert b"it cannot be called" in response.content
    assert not CallAttempt.objects.exists()


def test_needs_interpreter_returns_the_contact_to_the_pool_and_my_work(
    client, call_handler, held_contact
):
    client.force_login(call_handler)
    response = client.post(
        reverse("contacts:call", args=[held_contact.pk]),
        {"outcome": Outcome.NEEDS_INTERPRETER, "language": "Welsh"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert b"needs an interpreter" in response.content
    held_contact.refresh_from_db()
    assert held_contact.assignee is None


@pytest.mark.parametrize("calls", [3, 30])
def test_contact_page_query_count_does_not_grow_with_calls(
    client, call_handler, held_contact, scripts, django_assert_num_queries, calls
):
    for _ in range(calls):
        f.CallAttemptFactory(contact=held_contact, caller=call_handler)
    client.force_login(call_handler)
    # session, user, profile, contact with person, audit insert, whether their
    # person is a case being worked (work.queues.contact_called_as_case: a contact
    # not yet reached only; the contact's own read, work.access, does not say), its
    # exposures, calls, script steps, its isolation changes, the person's other
    # contacts with another date (named again since, or told an earlier one before),
    # whether a chain of transmission runs through the contact, the messages to them
    # that failed, why no link was sent them (none was: named with no one signed in,
    # they have a mobile); then the session save (3 in a test)
    with django_assert_num_queries(18):
        response = client.get(page(held_contact))
    assert response.status_code == 200


def test_an_email_only_contact_shows_the_email_to_reach_them(
    client, call_handler, scripts
):
    """The page said "Phone None" and nothing else: the handler had no way to reach
    someone named with an email address alone."""
    contact = hold(
        ContactFactory(person=f.PersonFactory(phone="", email="sian@example.org")),
        call_handler,
    )
    client.force_login(call_handler)

    html = client.get(page(contact)).content.decode()

    assert 'href="mailto:sian@example.org"' in html
