"""Reading a person's record: the page, the API and the admin each write the same
"view" audit row (only `via` tells the doors apart)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from .conftest import (
    api_session,
    case_in,
    contact_in,
    escalated_contact,
    hold,
    web_session,
)

pytestmark = pytest.mark.django_db


def read_through(doors, door, *, drop_via=True, **kwargs):
    run = doors.run(door, drop_via=drop_via, **kwargs)
    assert run.response.status_code == 200
    return run


def views(run) -> list[dict]:
    return [e for e in run.new("audit.auditevent") if e["action"] == "view"]


def page_url(item) -> str:
    return reverse(f"{item.kind}s:detail", args=[item.pk])


def api_url(item) -> str:
    return f"/api/v1/{item.kind}s/{item.pk}/"


def admin_url(item) -> str:
    return reverse(f"admin:{item.kind}s_{item.kind}_change", args=[item.pk])


@pytest.fixture
def items(caseworker, call_handler):
    return {
        "case": hold(case_in(), caseworker),
        "contact": hold(contact_in(), call_handler),
    }


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_reading_through_the_api_audits_the_same_view_as_the_page(
    doors, client, items, kind
):
    item = items[kind]
    web_session(client, item.assignee)
    http = api_session(item.assignee)

    page = read_through(doors, lambda: client.get(page_url(item)))
    api = read_through(doors, lambda: http.get(api_url(item)))

    (event,) = views(page)
    assert (event["user_id"], event["person_id"]) == (item.assignee.pk, item.person_id)
    assert (event["object_type"], event["object_id"]) == (
        f"{kind}s.{kind}",
        str(item.pk),
    )
    assert page.diff(api) == {}


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_each_door_names_itself_in_the_view_it_audits(
    doors, client, superuser, items, kind
):
    item = items[kind]
    web_session(client, superuser)
    http = api_session(superuser)

    page = read_through(doors, lambda: client.get(page_url(item)), drop_via=False)
    api = read_through(doors, lambda: http.get(api_url(item)), drop_via=False)
    admin = read_through(doors, lambda: client.get(admin_url(item)), drop_via=False)

    assert [e["detail"] for e in views(page)] == [{"via": "page"}]
    assert [e["detail"] for e in views(api)] == [{"via": "api"}]
    assert [e["detail"] for e in views(admin)] == [{"via": "admin"}]


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_opening_a_record_in_the_admin_audits_the_same_view_as_the_page(
    doors, client, superuser, items, kind
):
    item = items[kind]
    web_session(client, superuser)

    page = read_through(doors, lambda: client.get(page_url(item)))
    admin = read_through(doors, lambda: client.get(admin_url(item)))

    (event,) = views(admin)
    assert (event["user_id"], event["person_id"], event["object_id"]) == (
        superuser.pk,
        item.person_id,
        str(item.pk),
    )
    assert page.diff(admin) == {}


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_an_integration_reading_a_record_audits_the_same_view_under_its_account(
    doors, client, superuser, national_integration, items, kind
):
    item = items[kind]
    integration, http = national_integration
    web_session(client, superuser)

    page = read_through(
        doors, lambda: client.get(page_url(item)), actors={superuser: "READER"}
    )
    api = read_through(
        doors, lambda: http.get(api_url(item)), actors={integration.user: "READER"}
    )

    assert len(views(api)) == 1
    assert page.diff(api) == {}


def test_reading_an_escalation_through_the_api_audits_the_same_view_as_the_page(
    doors, client, sheffield_member
):
    escalation = escalated_contact()
    web_session(client, sheffield_member)
    http = api_session(sheffield_member)

    page = read_through(
        doors,
        lambda: client.get(reverse("escalations:detail", args=[escalation.pk])),
    )
    api = read_through(doors, lambda: http.get(f"/api/v1/escalations/{escalation.pk}/"))

    assert len(views(page)) == 1
    assert page.diff(api) == {}


def test_opening_an_escalation_in_the_admin_audits_the_same_view_as_the_page(
    doors, client, superuser
):
    escalation = escalated_contact()
    web_session(client, superuser)

    page = read_through(
        doors,
        lambda: client.get(reverse("escalations:detail", args=[escalation.pk])),
    )
    admin = read_through(
        doors,
        lambda: client.get(
            reverse("admin:escalations_escalation_change", args=[escalation.pk])
        ),
    )

    contact = escalation.contact
    (event,) = views(admin)
    assert (event["object_type"], event["object_id"], event["person_id"]) == (
        "contacts.contact",
        str(contact.pk),
        contact.person_id,
    )
    assert page.diff(admin) == {}


def test_opening_a_persons_record_in_the_admin_is_found_in_their_audit_trail(
    doors, client, superuser, items
):
    person = items["contact"].person
    web_session(client, superuser)

    admin = read_through(
        doors,
        lambda: client.get(reverse("admin:people_person_change", args=[person.pk])),
    )

    (event,) = views(admin)
    assert (event["object_type"], event["object_id"]) == (
        "people.person",
        str(person.pk),
    )
    assert event["person_id"] == person.pk
