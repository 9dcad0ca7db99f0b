"""The case page shows the people the case named (its contacts, and those already
contacts of another case) with their phone or email, exposure and isolation: each
is a read of those people, audited as a list view (one INSERT a page), so their
"Who has seen this person" lists the caseworker who read them there."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import Outcome
from contacts.models import Contact, Exposure
from tests.workspace.conftest import CaseFactory, ContactFactory, hold

pytestmark = pytest.mark.django_db

LIST = "case contacts"
AUDIT_INSERT = 'INSERT INTO "audit_auditevent"'


@pytest.fixture
def held_case(caseworker):
    return hold(CaseFactory(), caseworker)


def page(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def who_has_seen(supervisor, person) -> list[tuple[str, str]]:
    """The rows of the person's "Who has seen this person" page: (who, what)."""
    http = Client()
    http.force_login(supervisor)
    response = http.get(reverse("staffing:person_audit", args=[person.pk]))
    assert response.status_code == 200
    cells = re.findall(
        r'aria-hidden="true">(Who|What) </span>(.*?)</td>', response.text, re.S
    )
    texts = [unescape(text).strip() for _, text in cells]
    return list(zip(texts[::2], texts[1::2], strict=True))


def read_there(caseworker, contact: Contact) -> tuple[str, str]:
    name = caseworker.get_full_name() or caseworker.username
    return (
        name,
        f"Viewed contact {contact.pk} through the pages, in the list “{LIST}”",
    )


def named_elsewhere(case) -> Contact:
    """A contact of another case whom this case named too (shown on its page as
    already a contact of another case)."""
    contact = ContactFactory(case=CaseFactory())
    Exposure.objects.create(
        contact=contact,
        case=case,
        exposure_date=timezone.localdate() - dt.timedelta(days=1),
        exposure=Contact.Exposure.FACE_TO_FACE,
        created_at=timezone.now(),
    )
    return contact


def test_opening_a_case_is_seen_on_each_contacts_who_has_seen_page(
    client, caseworker, supervisor, held_case
):
    by_phone = ContactFactory(case=held_case)
    by_email = ContactFactory(case=held_case, person__phone="", person__email="a@b.uk")
    elsewhere = named_elsewhere(held_case)
    client.force_login(caseworker)

    response = client.get(page(held_case))

    assert response.status_code == 200
    shown = response.content.decode()
    assert by_phone.person.phone.as_national in shown
    assert "a@b.uk" in shown
    for contact in (by_phone, by_email, elsewhere):
        assert contact.person.full_name in shown
        assert read_there(caseworker, contact) in who_has_seen(
            supervisor, contact.person
        )


def test_the_contacts_section_drawn_again_after_adding_is_audited(
    client, caseworker, supervisor, held_case
):
    already = ContactFactory(case=held_case)
    elsewhere = named_elsewhere(held_case)
    client.force_login(caseworker)
    day = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    rows = {
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
        "contacts-0-first_name": "Ann",
        "contacts-0-last_name": "Tester",
        "contacts-0-phone": "07911 123451",
        "contacts-0-postcode": "s1 2hh",
        "contacts-0-exposure_date": day,
        "contacts-0-exposure": Contact.Exposure.HOUSEHOLD,
    }

    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]), rows, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    shown = response.content.decode()
    added = Contact.objects.get(case=held_case, person__first_name="Ann")
    for contact in (already, elsewhere, added):
        assert contact.person.full_name in shown
        assert read_there(caseworker, contact) in who_has_seen(
            supervisor, contact.person
        )


def test_a_section_that_shows_no_contacts_audits_none(client, caseworker, held_case):
    contact = ContactFactory(case=held_case)
    client.force_login(caseworker)

    response = client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.NO_ANSWER},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert contact.person.full_name not in response.content.decode()
    assert not AuditEvent.objects.filter(person=contact.person).exists()


@pytest.mark.parametrize(("contacts", "queries"), [(0, 19), (10, 20)])
def test_the_case_page_audits_its_contacts_in_one_insert(
    client, caseworker, held_case, django_assert_num_queries, contacts, queries
):
    for _ in range(contacts):
        ContactFactory(case=held_case)
    client.force_login(caseworker)
    # As tests/workspace/test_case_page.py counts them (the first page after signing
    # in), with the contacts' audit insert when there are any to show.
    with (
        CaptureQueriesContext(connection) as captured,
        django_assert_num_queries(queries),
    ):
        assert client.get(page(held_case)).status_code == 200
    inserts = [
        q for q in captured.captured_queries if q["sql"].startswith(AUDIT_INSERT)
    ]
    assert len(inserts) == 1 + (contacts > 0)  # the case's own view, the contacts'
