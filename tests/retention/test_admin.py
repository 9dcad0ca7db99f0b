"""The administrators' pages: the runs and what they did, legal holds placed and
lifted, and erasure with a page showing what will go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case
from contacts.models import Contact
from people.models import Person
from retention.models import Erasure, LegalHold
from retention.services import legal_hold_place, retention_run
from tests import factories as f

from .builders import (
    CLOSED,
    PSEUDONYMISE_DAYS,
    PURGE_CONTACTS_DAYS,
    completed_case,
    reached_contact,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    client.force_login(admin)
    client.admin = admin
    return client


def test_the_runs_page_shows_what_each_rule_did(clock, warned, admin_client):
    contact = reached_contact()
    due = CLOSED + dt.timedelta(days=PURGE_CONTACTS_DAYS)
    # One to pseudonymise too: the warning's run a week before did the first's.
    reached_contact(due - dt.timedelta(days=PSEUDONYMISE_DAYS))
    warned(due)
    assert Contact.objects.filter(pk=contact.pk).exists()
    clock.move_to(due)
    run = retention_run()
    admin_client.force_login(admin_client.admin)  # years on: a new session

    listing = admin_client.get(reverse("admin:retention_retentionrun_changelist"))
    page = admin_client.get(
        reverse("admin:retention_retentionrun_change", args=[run.pk])
    )

    assert listing.status_code == 200
    assert "Purge contacts: 1" in listing.content.decode()
    assert page.status_code == 200
    text = page.content.decode()
    assert "contacts.contact" in text
    assert "Pseudonymise identifying fields" in text
    assert "(180 days)" in text
    assert "(5 years)" in text


def test_a_run_cannot_be_changed_or_deleted_in_the_admin(clock, admin_client):
    run = retention_run()

    response = admin_client.post(
        reverse("admin:retention_retentionrun_delete", args=[run.pk]), {"post": "yes"}
    )

    assert response.status_code == 403


def test_an_administrator_places_a_hold_in_the_admin(admin_client):
    person = f.PersonFactory()

    response = admin_client.post(
        reverse("admin:retention_legalhold_add"),
        {"person": person.pk, "reason": "Coroner's inquest"},
    )

    assert response.status_code == 302
    hold = LegalHold.objects.get(person=person)
    assert (hold.placed_by, hold.reason) == (admin_client.admin, "Coroner's inquest")
    assert AuditEvent.objects.filter(
        object_type="retention.legalhold", person=person
    ).exists()


def test_a_second_hold_is_refused_with_the_reason(admin_client):
    person = f.PersonFactory()
    legal_hold_place(person=person, reason="First", by=admin_client.admin)

    response = admin_client.post(
        reverse("admin:retention_legalhold_add"),
        {"person": person.pk, "reason": "Second"},
    )

    assert response.status_code == 200
    assert "A legal hold is on this person already." in response.content.decode()
    assert LegalHold.objects.filter(person=person).count() == 1


def test_an_administrator_lifts_a_hold_with_a_reason(admin_client):
    hold = legal_hold_place(
        person=f.PersonFactory(), reason="First", by=admin_client.admin
    )
    url = reverse("admin:retention_legalhold_changelist")
    chosen = {"action": "lift", ACTION_CHECKBOX_NAME: [hold.pk]}

    form = admin_client.post(url, chosen)
    done = admin_client.post(url, {**chosen, "apply": "1", "reason": "Settled"})

    assert "Why the hold is lifted" in form.content.decode()
    assert done.status_code == 302
    hold.refresh_from_db()
    assert (hold.lifted_by, hold.lift_reason) == (admin_client.admin, "Settled")


def test_erasure_shows_what_will_go_then_erases(admin_client):
    case = completed_case()
    url = reverse("admin:people_person_changelist")
    chosen = {"action": "erase_person", ACTION_CHECKBOX_NAME: [case.person_id]}

    confirm = admin_client.post(url, chosen)
    assert Person.objects.filter(pk=case.person_id).exists()
    done = admin_client.post(url, {**chosen, "apply": "1", "reason": "error"})

    text = confirm.content.decode()
    assert confirm.status_code == 200
    assert "cases.case" in text
    assert "Erase for good" in text
    assert done.status_code == 302
    assert not Person.objects.filter(pk=case.person_id).exists()
    assert not Case.objects.filter(pk=case.pk).exists()
    assert Erasure.objects.get().by == admin_client.admin


def test_erasure_of_a_person_to_be_kept_shows_why(admin_client):
    case = f.CaseFactory()  # still waiting: open
    url = reverse("admin:people_person_changelist")

    confirm = admin_client.post(
        url, {"action": "erase_person", ACTION_CHECKBOX_NAME: [case.person_id]}
    )

    assert "still open" in confirm.content.decode()
    assert "Erase for good" not in confirm.content.decode()
    assert Person.objects.filter(pk=case.person_id).exists()
