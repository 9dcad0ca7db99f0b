"""Cases, contacts and calls over the API: lists, filters, scoping, writes."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.pagination import INVALID
from calls.models import CallAttempt
from cases.workitem import Route, Status
from contacts.models import Contact
from tests import factories as f

pytestmark = pytest.mark.django_db

BARNSLEY = "E08000016"


def barnsley_case(**kwargs):
    person = f.PersonFactory(postcode="S70 2TA", area=f.area(BARNSLEY))
    return f.CaseFactory(person=person, **kwargs)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def contact_payload(**overrides) -> dict:
    payload = {
        "person": {
            "first_name": "Sam",
            "last_name": "Okafor",
            "phone": "07911 123457",
            "postcode": "S1 2HE",
        },
        "exposure_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "exposure": "household",
    }
    payload.update(overrides)
    return payload


# --- lists ----------------------------------------------------------------------------


def test_cases_list_newest_first(api):
    older = f.CaseFactory(created_at=timezone.now() - dt.timedelta(hours=2))
    newer = f.CaseFactory()
    assert ids(api.get("/api/v1/cases/")) == [newer.pk, older.pk]


def test_cases_list_pages_with_a_cursor(api):
    made = [
        f.CaseFactory(created_at=timezone.now() - dt.timedelta(minutes=n)).pk
        for n in range(5)
    ]
    first = api.get("/api/v1/cases/?page_size=2").json()
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    seen = [c["id"] for page in (first, second, third) for c in page["results"]]
    assert seen == made
    assert third["next"] is None


@pytest.mark.parametrize("kind", ["cases", "calls"])
def test_pages_back_and_forth_show_every_item_once_though_many_share_a_time(api, kind):
    # An intake batch is written with one timestamp: the twelve oldest items share
    # it here. DRF's cursor skipped one of them on the way back from the last page.
    one_time = timezone.now() - dt.timedelta(hours=1)
    times = [one_time + dt.timedelta(minutes=5), *[one_time] * 12]
    if kind == "cases":
        made = [f.CaseFactory(created_at=at).pk for at in times]
    else:
        made = [f.CallAttemptFactory(started_at=at).pk for at in times]
    newest_first = sorted(
        made, key=lambda pk: (-times[made.index(pk)].timestamp(), -pk)
    )

    pages = [api.get(f"/api/v1/{kind}/?page_size=3").json()]
    while pages[-1]["next"]:
        pages.append(api.get(pages[-1]["next"]).json())
    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(api.get(back[-1]["previous"]).json())

    forward_ids = [item["id"] for page in pages for item in page["results"]]
    backward_ids = [item["id"] for page in reversed(back) for item in page["results"]]
    assert forward_ids == newest_first
    assert backward_ids == newest_first
    assert len(pages) == len(back) == 5
    assert pages[0]["previous"] is None


def test_a_bad_cursor_is_a_400_on_the_cursor(api):
    answer = api.get("/api/v1/cases/?cursor=garbage")
    assert answer.status_code == 400
    assert answer.json() == {"cursor": [INVALID]}


@pytest.mark.parametrize(
    ("position", "status"),
    [
        # An offset PostgreSQL refuses: a moment all the same, read in UTC (it was
        # handed on as written, and the database's error was a 500).
        ("n|2026-01-01T00:00:00-23:59|1", 200),
        ("n|9999-12-31T23:59:59-12:00|1", 400),  # past year 9999 in UTC
        ("n|2026-01-01T00:00:00|1", 400),  # no offset
        ("n|2026-01-01T00:00:00+00:00|²", 400),
    ],
)
def test_a_crafted_cursor_is_a_page_or_400_never_an_error(api, position, status):
    token = base64.urlsafe_b64encode(position.encode()).decode()
    assert api.get("/api/v1/cases/", {"cursor": token}).status_code == status


def test_cases_filter_by_status(api, caseworker):
    f.CaseFactory()
    held = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    assert ids(api.get("/api/v1/cases/?status=assigned")) == [held.pk]


def test_cases_filter_by_area(api):
    f.CaseFactory()
    barnsley = barnsley_case()
    assert ids(api.get(f"/api/v1/cases/?area={BARNSLEY}")) == [barnsley.pk]


def test_cases_filter_by_assignee(api, caseworker):
    f.CaseFactory()
    held = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    assert ids(api.get(f"/api/v1/cases/?assignee={caseworker.pk}")) == [held.pk]


def test_cases_filter_by_created_dates(api):
    today = timezone.localdate()
    f.CaseFactory(created_at=timezone.now() - dt.timedelta(days=10))
    recent = f.CaseFactory()
    since = (today - dt.timedelta(days=1)).isoformat()
    assert ids(api.get(f"/api/v1/cases/?created_from={since}")) == [recent.pk]
    until = (today - dt.timedelta(days=5)).isoformat()
    assert recent.pk not in ids(api.get(f"/api/v1/cases/?created_to={until}"))


def test_bad_filter_value_is_400(api):
    response = api.get("/api/v1/cases/?assignee=abc&status=nonsense")
    assert response.status_code == 400
    assert set(response.json()) == {"assignee", "status"}


def test_huge_id_filter_is_400_not_a_database_error(api):
    assert api.get("/api/v1/cases/?assignee=99999999999999999999").status_code == 400


def test_cases_list_query_count_does_not_grow_with_the_list(
    api, django_assert_num_queries
):
    f.CaseFactory.create_batch(3)
    # The client by its token, its last use noted, then the page in one query.
    with django_assert_num_queries(4):
        assert len(ids(api.get("/api/v1/cases/"))) == 3
    f.CaseFactory.create_batch(20)
    with django_assert_num_queries(3):  # last use is noted at most once a minute
        assert len(ids(api.get("/api/v1/cases/"))) == 23


def test_contacts_list_query_count_does_not_grow_with_the_list(
    api, django_assert_num_queries
):
    f.ContactFactory.create_batch(3)
    api.get("/api/v1/contacts/")
    f.ContactFactory.create_batch(20)
    with django_assert_num_queries(3):
        assert len(ids(api.get("/api/v1/contacts/"))) == 23


def test_retrieve_a_case(api):
    case = f.CaseFactory()
    body = api.get(f"/api/v1/cases/{case.pk}/").json()
    assert body["lab_reference"] == case.lab_reference
    assert body["person"]["last_name"] == case.person.last_name


def test_missing_case_is_404(api):
    assert api.get("/api/v1/cases/999999/").status_code == 404
    assert api.get("/api/v1/cases/not-a-number/").status_code == 404


# --- scoping --------------------------------------------------------------------------


def test_local_teams_client_lists_only_its_areas(sheffield_api):
    sheffield = f.CaseFactory()
    barnsley_case()
    assert ids(sheffield_api.get("/api/v1/cases/")) == [sheffield.pk]


def test_local_teams_client_gets_404_for_another_areas_case(sheffield_api):
    other = barnsley_case()
    assert sheffield_api.get(f"/api/v1/cases/{other.pk}/").status_code == 404
    response = sheffield_api.post(
        f"/api/v1/cases/{other.pk}/calls/", {"outcome": "reached"}, format="json"
    )
    assert response.status_code == 404


def test_local_teams_client_sees_only_its_contacts(sheffield_api):
    mine = f.ContactFactory()
    other_person = f.PersonFactory(postcode="S70 2TA", area=f.area(BARNSLEY))
    other = f.ContactFactory(person=other_person, area=other_person.area)
    assert ids(sheffield_api.get("/api/v1/contacts/")) == [mine.pk]
    assert sheffield_api.get(f"/api/v1/contacts/{other.pk}/").status_code == 404


def test_staff_session_sees_only_what_the_web_shows(caseworker):
    mine = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    someone_elses = f.CaseFactory()
    http = APIClient()
    http.force_login(caseworker)
    assert ids(http.get("/api/v1/cases/")) == [mine.pk]
    assert http.get(f"/api/v1/cases/{someone_elses.pk}/").status_code == 404


def test_call_handler_sees_no_cases(call_handler):
    f.CaseFactory()
    http = APIClient()
    http.force_login(call_handler)
    assert ids(http.get("/api/v1/cases/")) == []


# --- adding contacts ------------------------------------------------------------------


def test_add_contact_to_a_case(api):
    case = f.CaseFactory()
    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/", contact_payload(), format="json"
    )
    assert response.status_code == 201
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.case == case
    assert contact.person.last_name == "Okafor"
    assert contact.status == Status.NEW


def test_same_contact_twice_is_409_with_the_reason(api):
    case = f.CaseFactory()
    url = f"/api/v1/cases/{case.pk}/contacts/"
    api.post(url, contact_payload(), format="json")
    response = api.post(url, contact_payload(), format="json")
    assert response.status_code == 409
    assert "already a contact" in response.json()["detail"]
    assert Contact.objects.count() == 1


def test_contact_with_future_exposure_is_400(api):
    case = f.CaseFactory()
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        contact_payload(exposure_date=tomorrow),
        format="json",
    )
    assert response.status_code == 400
    assert "exposure_date" in response.json()


def test_contact_exposed_before_the_case_was_infectious_is_400_as_on_the_page(api):
    # Symptoms from four days ago: infectious from six days ago, and not before.
    onset = timezone.localdate() - dt.timedelta(days=4)
    case = f.CaseFactory(symptom_onset=onset, person__first_name="Jack")
    url = f"/api/v1/cases/{case.pk}/contacts/"
    too_early = (onset - dt.timedelta(days=3)).isoformat()
    first_day = (onset - dt.timedelta(days=2)).isoformat()

    refused = api.post(url, contact_payload(exposure_date=too_early), format="json")
    taken = api.post(url, contact_payload(exposure_date=first_day), format="json")

    assert refused.status_code == 400
    (reason,) = refused.json()["exposure_date"]
    assert reason.startswith("That is before Jack ")
    assert "could have passed it on" in reason
    assert taken.status_code == 201
    assert Contact.objects.count() == 1  # nothing of the refused one written


# --- recording calls ------------------------------------------------------------------


def test_record_reached_call_on_a_contact(api, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    response = api.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        {"outcome": "reached", "duration_seconds": 300, "caller": call_handler.pk},
        format="json",
    )
    assert response.status_code == 201
    call = CallAttempt.objects.get(pk=response.json()["id"])
    assert call.caller == call_handler
    contact.refresh_from_db()
    assert contact.status == Status.REACHED
    assert contact.reached_route == Route.NATIONAL


def test_call_on_a_closed_item_is_409(api, supervisor):
    case = f.CaseFactory(status=Status.COMPLETED)
    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {"outcome": "no_answer", "caller": supervisor.pk},
        format="json",
    )
    assert response.status_code == 409
    assert "cannot be called" in response.json()["detail"]
    assert not CallAttempt.objects.exists()


def test_call_back_without_a_time_is_400(api):
    case = f.CaseFactory()
    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/", {"outcome": "call_back"}, format="json"
    )
    assert response.status_code == 400
    assert "call_back_at" in response.json()


def test_call_by_an_unknown_caller_is_400(api):
    case = f.CaseFactory()
    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {"outcome": "no_answer", "caller": 987654},
        format="json",
    )
    assert response.status_code == 400
    assert "caller" in response.json()


def test_staff_session_records_a_call_as_themselves(caseworker):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    http = APIClient()
    http.force_login(caseworker)
    response = http.post(
        f"/api/v1/cases/{case.pk}/calls/", {"outcome": "voicemail"}, format="json"
    )
    assert response.status_code == 201
    assert CallAttempt.objects.get().caller == caseworker


def test_calls_list_filters_by_contact(api):
    call = f.CallAttemptFactory()
    f.CallAttemptFactory()
    response = api.get(f"/api/v1/calls/?contact={call.contact_id}")
    assert ids(response) == [call.pk]


def test_call_back_years_ahead_is_400(api):
    case = f.CaseFactory()
    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {"outcome": "call_back", "call_back_at": "9999-12-31T23:59:59Z"},
        format="json",
    )
    assert response.status_code == 400
    assert "28 days" in response.json()["call_back_at"][0]


def test_call_back_tomorrow_schedules_the_next_attempt(api, caseworker):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    when = timezone.now() + dt.timedelta(days=1)
    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {
            "outcome": "call_back",
            "call_back_at": when.isoformat(),
            "caller": caseworker.pk,
        },
        format="json",
    )
    assert response.status_code == 201
    case.refresh_from_db()
    assert case.next_attempt_at == when


def test_a_contact_without_a_phone_or_postcode_is_400_as_on_the_case_page(api):
    case = f.CaseFactory()
    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        {
            "person": {"first_name": "Sam", "last_name": "Okafor"},
            "exposure_date": timezone.localdate().isoformat(),
            "exposure": "household",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["person"]) == {"phone", "postcode"}
    assert not Contact.objects.exists()
