"""PATCH /api/v1/cases/{id}/person/ and /api/v1/contacts/{id}/person/: the same
operation as the pages' "Their details", from "api"; field-level 400s, 403 and 404 as
the other item endpoints answer them, decided before the body is read."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from people.models import Person, PersonChange

from .conftest import (
    HELD_EMAIL,
    LEEDS,
    LEEDS_POSTCODE,
    api_url,
    barker,
    details_url,
    form_as_drawn,
    hold,
    withdrawn,
)
from .conftest import CaseFactory as Cases

pytestmark = pytest.mark.django_db

UNKNOWN = ["Unknown field: not one this API reads."]


@pytest.fixture
def api(db) -> APIClient:
    """A national integration with every scope."""
    _, token = api_client_create(
        name="Telephony", scopes=list(Scope.values), rate_limit_per_minute=10**6
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def signed_in(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def test_a_caseworker_corrects_their_cases_person_and_is_told_what_changed(
    caseworker, held_case, jon
):
    response = signed_in(caseworker).patch(
        api_url(held_case),
        {"email": "jon.barker@example.org", "postcode": "ls6 3qe"},
        format="json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["changed"] == ["email", "postcode"]
    assert body["detail"].startswith("Email and postcode updated.")
    assert body["person"]["email"] == "jon.barker@example.org"
    assert body["person"]["postcode"] == LEEDS_POSTCODE
    assert body["person"]["area"] == LEEDS
    assert body["person"]["id"] == jon.pk
    assert set(PersonChange.objects.values_list("field", "source")) == {
        ("email", "api"),
        ("postcode", "api"),
    }


def test_an_integration_corrects_a_contacts_person(api, held_contact, jon):
    response = api.patch(
        api_url(held_contact),
        {"first_name": "Jon", "date_of_birth": "1985-06-14"},
        format="json",
    )

    assert response.status_code == 200, response.content
    jon.refresh_from_db()
    assert (jon.first_name, jon.date_of_birth) == ("Jon", dt.date(1985, 6, 14))


def test_bad_values_are_a_400_naming_each_field(api, held_case, jon):
    response = api.patch(
        api_url(held_case),
        {
            "email": "jon at example",
            "phone": "0123",
            "postcode": "S10 2HE",
            "date_of_birth": "14/06/1985",
            "mobile": "07911 123456",
        },
        format="json",
    )

    assert response.status_code == 400, response.content
    errors = response.json()
    assert set(errors) == {"email", "phone", "postcode", "date_of_birth", "mobile"}
    assert errors["mobile"] == UNKNOWN
    jon.refresh_from_db()
    assert jon.email == HELD_EMAIL
    assert not PersonChange.objects.exists()


def test_a_number_logged_wrong_is_a_400_on_the_phone(api, held_case, jon):
    Person.objects.filter(pk=jon.pk).update(wrong_numbers=["+447911123499"])

    response = api.patch(api_url(held_case), {"phone": "07911123499"}, format="json")

    assert response.status_code == 400
    assert "Wrong number" in response.json()["phone"][0]


def test_details_as_held_change_nothing_and_say_so(api, held_case, jon):
    response = api.patch(
        api_url(held_case),
        {"email": HELD_EMAIL, "phone": "+447911123456"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["changed"] == []
    assert response.json()["detail"].startswith("Nothing to change")
    assert not PersonChange.objects.exists()


def test_a_body_that_is_not_json_is_a_400(api, held_case):
    response = api.patch(
        api_url(held_case), b"email=x", content_type="application/json"
    )

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("body", [[], "email", 7])
def test_a_body_that_is_not_an_object_is_a_400(api, held_case, body):
    response = api.patch(api_url(held_case), body, format="json")

    assert response.status_code == 400


def test_a_local_team_member_who_sees_the_case_may_not_correct_it(
    local_team_member, held_case, jon
):
    # Before the body is read: a body the API could not read is still a 403.
    response = signed_in(local_team_member).patch(
        api_url(held_case), b"{not json", content_type="application/json"
    )

    assert response.status_code == 403
    assert "not yours to work" in response.json()["detail"]


def test_another_caseworkers_case_is_not_found(other_caseworker, held_case, jon):
    response = signed_in(other_caseworker).patch(
        api_url(held_case), {"first_name": "X"}, format="json"
    )

    assert response.status_code == 404
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_a_withdrawn_case_is_a_409(api, held_case, jon):
    withdrawn(held_case)

    response = api.patch(api_url(held_case), {"first_name": "Jon"}, format="json")

    assert response.status_code == 409
    assert "withdrawn" in response.json()["detail"]


def test_the_page_and_the_api_store_the_same_result(client, caseworker):
    """Two John Barkers, one corrected on the case page, the other through the API
    with the same typing: the same details saved, and the same history, but for
    where it came from."""
    people = [barker(phone=phone) for phone in ("+447911100001", "+447911100002")]
    cases = [hold(Cases(person=person), caseworker) for person in people]
    typed = {
        "first_name": "Jon",
        "date_of_birth": "1985-06-14",
        "phone": "07912 345678",
        "email": "Jon.Barker@Example.org",
        "postcode": "ls6 3qe",
        "address": "3 Hyde Park Road, Leeds",
    }

    client.force_login(caseworker)
    client.post(details_url(cases[0]), form_as_drawn(people[0], **typed))
    answer = signed_in(caseworker).patch(api_url(cases[1]), typed, format="json")
    assert answer.status_code == 200, answer.content

    def stored(person: Person) -> dict:
        person.refresh_from_db()
        return {
            "first_name": person.first_name,
            "date_of_birth": person.date_of_birth,
            "phone": str(person.phone),
            "email": person.email,
            "postcode": person.postcode,
            "area": person.area.code,
            "easting": person.easting,
            "address": person.address,
            # The other phone given the old number: each its own.
            "history": sorted(
                (c.field, c.new_value)
                for c in PersonChange.objects.filter(person=person)
                if c.field != "phone_alt"
            ),
        }

    on_page, by_api = (stored(person) for person in people)
    assert on_page == by_api
    assert (on_page["phone"], on_page["area"]) == ("+447912345678", LEEDS)
    # Their old numbers are their other phones now.
    assert [str(p.phone_alt) for p in people] == ["+447911100001", "+447911100002"]
    assert {c.source for c in PersonChange.objects.filter(person=people[0])} == {
        "case page"
    }
    assert {c.source for c in PersonChange.objects.filter(person=people[1])} == {"api"}
