"""More places where the API and the pages told a user different things on the same
work: a call retried after it handed the item on, what a safeguarding call's answer
says of the supervisors, a contact on file shown without its read audited, a name
typed with a separate accent, and the contact rows sent twice."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, Exposure
from people.models import Person
from tests import factories as f

from .conftest import (
    SHEFFIELD,
    api_session,
    case_in,
    contact_in,
    hold,
    person_in,
    supervisor_of_team,
    web_session,
)

pytestmark = pytest.mark.django_db

CONCERN = "Child alone at home"


def post_call(http, item, body: dict, key: str | None = "retry-1"):
    headers = {"Idempotency-Key": key} if key else {}
    return http.post(
        f"/api/v1/{item.kind}s/{item.pk}/calls/", body, format="json", headers=headers
    )


HANDING_ON = [
    pytest.param({"outcome": "needs_interpreter", "language": "Urdu"}, id="pool"),
    pytest.param({"outcome": "safeguarding", "notes": CONCERN}, id="local-team"),
]


# --- 1. a call that handed the item on, sent again on its Idempotency-Key ------------


@pytest.mark.parametrize("body", HANDING_ON)
def test_a_call_that_handed_the_contact_on_sent_again_is_the_call_logged(
    call_handler, body
):
    f.LanguageFactory(code="ur", name="Urdu")
    contact = hold(contact_in(), call_handler)
    http = api_session(call_handler)

    first = post_call(http, contact, body)
    again = post_call(http, contact, body)

    assert first.status_code == 201, first.content
    # Before: 404 "No such contact.", the contact being gone from their queue.
    assert again.status_code == 200, again.content
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert CallAttempt.objects.filter(contact=contact).count() == 1


@pytest.mark.parametrize("body", HANDING_ON)
def test_a_call_that_handed_the_case_on_sent_again_is_the_call_logged(caseworker, body):
    f.LanguageFactory(code="ur", name="Urdu")
    case = hold(case_in(), caseworker)
    http = api_session(caseworker)

    first = post_call(http, case, body)
    again = post_call(http, case, body)

    assert first.status_code == 201, first.content
    assert again.status_code == 200, again.content
    assert again.json()["id"] == first.json()["id"]
    assert CallAttempt.objects.filter(case=case).count() == 1


def test_a_different_call_on_the_key_of_a_call_that_handed_the_item_on_is_a_422(
    call_handler,
):
    contact = hold(contact_in(), call_handler)
    http = api_session(call_handler)
    body = {"outcome": "safeguarding", "notes": CONCERN}
    assert post_call(http, contact, body).status_code == 201

    other = post_call(http, contact, {"outcome": "safeguarding", "notes": "Other"})

    assert other.status_code == 422, other.content
    assert CallAttempt.objects.filter(contact=contact).count() == 1


def test_an_item_handed_on_is_still_not_found_without_a_call_on_file(call_handler):
    """A new key, no key, or another handler's retry of the same key: no call of
    theirs on file, so the contact they may not see is a 404 as before."""
    contact = hold(contact_in(), call_handler)
    http = api_session(call_handler)
    body = {"outcome": "safeguarding", "notes": CONCERN}
    assert post_call(http, contact, body).status_code == 201
    colleague = f.StaffProfileFactory(user__username="colleague").user

    new_key = post_call(http, contact, body, key="retry-2")
    no_key = post_call(http, contact, body, key=None)
    theirs = post_call(api_session(colleague), contact, body)

    assert (new_key.status_code, no_key.status_code, theirs.status_code) == (
        404,
        404,
        404,
    )
    assert theirs.json() == {"detail": "No such contact."}
    assert CallAttempt.objects.filter(contact=contact).count() == 1


# --- 2. whether a supervisor was told of a safeguarding concern ------------------------


def test_a_safeguarding_call_says_where_it_went_and_that_a_supervisor_is_emailed(
    call_handler,
):
    supervisor_of_team(call_handler)
    contact = hold(contact_in(), call_handler)
    http = api_session(call_handler)
    body = {"outcome": "safeguarding", "notes": CONCERN}

    first = post_call(http, contact, body)
    again = post_call(http, contact, body)

    team = f.area(SHEFFIELD).local_team
    assert first.status_code == 201, first.content
    assert (first.json()["escalated_to"], first.json()["supervisors_told"]) == (
        team.code,
        True,
    )
    assert (again.json()["escalated_to"], again.json()["supervisors_told"]) == (
        team.code,
        True,
    )


def test_a_safeguarding_call_says_when_no_supervisor_can_be_emailed(call_handler):
    """The page says "No supervisor of your team has an email address on file: tell
    them yourself now"; the API's answer said nothing of it."""
    contact = hold(contact_in(), call_handler)
    http = api_session(call_handler)
    body = {"outcome": "safeguarding", "notes": CONCERN}

    first = post_call(http, contact, body)
    again = post_call(http, contact, body)

    assert first.status_code == 201, first.content
    assert first.json()["supervisors_told"] is False
    assert first.json()["escalated_to"] == f.area(SHEFFIELD).local_team.code
    assert again.json()["supervisors_told"] is False


def test_a_call_that_alerts_nobody_says_neither(call_handler):
    contact = hold(contact_in(), call_handler)

    answer = post_call(api_session(call_handler), contact, {"outcome": "no_answer"})

    assert answer.status_code == 201, answer.content
    assert answer.json()["escalated_to"] is None
    assert answer.json()["supervisors_told"] is None


def test_the_schema_says_what_supervisors_told_false_asks_of_the_caller(call_handler):
    http = api_session(call_handler)
    schema = http.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    fields = schema["components"]["schemas"]["CallLogged"]["properties"]
    told = fields["supervisors_told"]
    assert told["type"] == "boolean"
    assert told["nullable"] is True
    assert "tell your supervisor yourself" in told["description"]
    assert fields["escalated_to"]["nullable"] is True


# --- 3. a contact on file shown by adding them is a read, audited ------------------------


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def test_a_contact_of_another_case_shown_on_adding_them_is_audited_as_read(
    caseworker,
):
    mine, other = hold(case_in(), caseworker), hold(case_in(), caseworker)
    person = Person.objects.create(
        first_name="Sam",
        last_name="Okafor",
        phone="+447911123457",
        postcode="S1 1AA",
        area=f.area(SHEFFIELD),
        email="sam@example.org",
        date_of_birth=dt.date(1990, 5, 1),
    )
    on_file = contact_in(person=person, case=other)
    views = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, object_id=str(on_file.pk)
    )

    answer = api_session(caseworker).post(
        f"/api/v1/cases/{mine.pk}/contacts/",
        {
            "person": {
                "first_name": "Sam",
                "last_name": "Okafor",
                "phone": "07911 123457",
                "postcode": "S1 1AA",
            },
            "exposure_date": yesterday(),
            "exposure": Contact.Exposure.HOUSEHOLD,
        },
        format="json",
    )

    assert answer.status_code == 200, answer.content
    assert answer.json()["id"] == on_file.pk
    (event,) = views
    assert (event.user_id, event.person_id, event.detail["via"]) == (
        caseworker.pk,
        person.pk,
        "api",
    )


def test_a_contact_just_made_through_the_api_is_not_audited_as_read(caseworker):
    case = hold(case_in(), caseworker)

    answer = api_session(caseworker).post(
        f"/api/v1/cases/{case.pk}/contacts/",
        {
            "person": {
                "first_name": "Kim",
                "last_name": "Lee",
                "phone": "07911 123458",
                "postcode": "S1 1AA",
            },
            "exposure_date": yesterday(),
            "exposure": Contact.Exposure.HOUSEHOLD,
        },
        format="json",
    )

    assert answer.status_code == 201, answer.content
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


# --- 4 and 5. the case page's contact rows -------------------------------------------------

SIAN = {
    "first_name": unicodedata.normalize("NFD", "Siân"),
    "last_name": "Llŷr",
    "phone": "07911 123459",
    "postcode": "S1 2HE",
}
SAM = {
    "first_name": "Sam",
    "last_name": "Okafor",
    "phone": "07911 123457",
    "postcode": "S1 2HE",
}


def page_add_contacts(client, case, *people: dict, exposure_date: str = ""):
    data = {
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
    }
    for n, person in enumerate(people):
        for key, value in person.items():
            data[f"contacts-{n}-{key}"] = value
        data[f"contacts-{n}-exposure_date"] = exposure_date or yesterday()
        data[f"contacts-{n}-exposure"] = Contact.Exposure.HOUSEHOLD
    return client.post(reverse("cases:contacts", args=[case.pk]), data)


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_name_typed_with_a_separate_accent_is_kept_composed_as_the_api_keeps_it(
    client, caseworker
):
    case = hold(case_in(), caseworker)
    web_session(client, caseworker)

    response = page_add_contacts(client, case, SIAN)

    assert response.status_code == 302
    person = Contact.objects.get(case=case).person
    assert SIAN["first_name"] != "Siân"
    assert person.first_name == "Siân"
    assert person.full_name.startswith("Siân ")


def test_the_contact_rows_sent_twice_are_told_as_saved(client, caseworker):
    case = hold(case_in(), caseworker)
    web_session(client, caseworker)
    sam = person_in(first_name="Sam", last_name="Okafor", phone="+447911123457")
    on_file = contact_in(person=sam)

    first = page_add_contacts(client, case, SAM, SIAN)
    again = page_add_contacts(client, case, SAM, SIAN)

    # Before: 200, "Contact 1: Sam Okafor is already a contact of this case."
    assert first.status_code == 302
    assert again.status_code == 302, again.text
    *_, said = flashes(again)
    assert "sent twice, and added once" in said
    assert "1 contact added" in said
    assert "Sam Okafor is already a contact of" in said
    assert Contact.objects.filter(case=case).count() == 1
    assert Exposure.objects.filter(case=case, contact=on_file).count() == 1


def test_a_different_row_for_a_contact_just_added_is_still_refused(client, caseworker):
    case = hold(case_in(), caseworker)
    web_session(client, caseworker)
    assert page_add_contacts(client, case, SAM).status_code == 302

    earlier = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    other_day = page_add_contacts(client, case, SAM, exposure_date=earlier)

    assert other_day.status_code == 200
    assert "Sam Okafor is already a contact of this case." in other_day.text
    assert Contact.objects.filter(case=case).count() == 1


def test_rows_repeating_part_of_the_last_batch_are_still_refused(client, caseworker):
    case = hold(case_in(), caseworker)
    web_session(client, caseworker)
    assert page_add_contacts(client, case, SAM, SIAN).status_code == 302

    part = page_add_contacts(client, case, SAM)

    assert part.status_code == 200
    assert "Sam Okafor is already a contact of this case." in part.text


def test_rows_another_caseworker_added_are_still_refused(client, caseworker):
    case = hold(case_in(), caseworker)
    web_session(client, caseworker)
    assert page_add_contacts(client, case, SAM).status_code == 302
    # The case handed to a colleague, who types the same row.
    colleague = f.StaffProfileFactory(clinical=True, user__username="other_cw").user
    f.ShiftFactory(staff=colleague.staff)
    Case.objects.filter(pk=case.pk).update(status=Status.ASSIGNED, assignee=colleague)
    web_session(client, colleague)

    theirs = page_add_contacts(client, case, SAM)

    assert theirs.status_code == 200
    assert "Sam Okafor is already a contact of this case." in theirs.text
