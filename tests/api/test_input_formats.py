"""What a lab's or a dashboard's client sends is read one way only.

Dates are YYYY-MM-DD, in bodies and in list filters; a time is a whole ISO 8601
date and time (YYYY-MM-DDTHH:MM, seconds and an offset optional). A week date
("1980-W02") or a date without dashes ("20261205") was read as a day nobody wrote
(the Monday of the week), where the results upload refuses it. A batch with one
lone surrogate ("\\ud800") in an item saves the others and reports that item, as a
NUL byte in the same place. A lab reference sent as a float ("842942130.0") is
refused, not kept as a second reference for the result held as 842942130.

Bodies with a surrogate are sent as bytes, escaped as a client's JSON library
escapes them (json.dumps): the test client's own renderer could not write them.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from tests import factories as f

from .conftest import result_payload

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/test-results/"
NOT_UNICODE = "not valid Unicode"


def week_date(day: dt.date) -> str:
    """The day as an ISO week date: 2026-W49-5."""
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}-{weekday}"


def week_only(day: dt.date) -> str:
    """The ISO week holding the day: 2026-W49 (read as its Monday)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def no_dashes(day: dt.date) -> str:
    return day.strftime("%Y%m%d")


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def post_json(http, url: str, body) -> object:
    """POST `body` as a client sends it: lone surrogates escaped, ASCII bytes."""
    return http.post(url, json.dumps(body), content_type="application/json")


# --- dates in a result ----------------------------------------------------------------


@pytest.mark.parametrize(
    "date_of_birth",
    ["1980-W02", "1980-W02-1", "19800107"],
    ids=["week", "week-day", "no-dashes"],
)
def test_a_date_of_birth_not_written_yyyy_mm_dd_is_refused_not_guessed(
    api, date_of_birth
):
    payload = result_payload("WK1")
    payload["person"]["date_of_birth"] = date_of_birth

    response = api.post(INTAKE, payload, format="json")

    assert response.status_code == 400, response.content[:300]
    (reason,) = response.json()["person"]["date_of_birth"]
    assert "YYYY-MM-DD" in reason
    assert not Case.objects.exists()


@pytest.mark.parametrize("field", ["specimen_date", "result_date", "symptom_onset"])
@pytest.mark.parametrize("written", [week_date, no_dashes], ids=["week", "no-dashes"])
def test_a_result_date_not_written_yyyy_mm_dd_is_refused(api, field, written):
    payload = result_payload("WK2", symptom_onset=days_ago(3).isoformat())
    payload[field] = written(days_ago({"result_date": 1}.get(field, 2)))

    response = api.post(INTAKE, payload, format="json")

    assert response.status_code == 400, response.content[:300]
    (reason,) = response.json()[field]
    assert "YYYY-MM-DD" in reason
    assert not Case.objects.exists()


def test_a_batch_item_with_a_week_date_is_invalid_and_the_rest_are_saved(api):
    week = result_payload("WK3", specimen_date=week_date(days_ago(2)))

    response = api.post(INTAKE, [result_payload("OK-1"), week], format="json")

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert (body["created"], body["invalid"]) == (1, 1)
    assert "YYYY-MM-DD" in body["results"][1]["errors"]["specimen_date"][0]
    assert list(Case.objects.values_list("lab_reference", flat=True)) == ["OK-1"]


# --- dates and times in case work ---------------------------------------------------


def contact_body(exposure_date: str) -> dict:
    return {
        "person": {
            "first_name": "Sam",
            "last_name": "Okafor",
            "phone": "07911 123457",
            "postcode": "S1 2HE",
        },
        "exposure_date": exposure_date,
        "exposure": "household",
    }


@pytest.mark.parametrize("written", [week_date, no_dashes], ids=["week", "no-dashes"])
def test_a_contact_exposure_date_not_written_yyyy_mm_dd_is_refused(api, written):
    case = f.CaseFactory()

    response = api.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        contact_body(written(days_ago(1))),
        format="json",
    )

    assert response.status_code == 400, response.content[:300]
    assert "YYYY-MM-DD" in response.json()["exposure_date"][0]
    assert not Contact.objects.exists()


@pytest.mark.parametrize("written", [week_date, no_dashes], ids=["week", "no-dashes"])
def test_an_isolation_override_end_not_written_yyyy_mm_dd_is_refused(
    caseworker, written
):
    case = f.CaseFactory(
        status=Status.ASSIGNED, assignee=caseworker, assigned_at=timezone.now()
    )
    http = APIClient()
    http.force_login(caseworker)
    ends_on = timezone.localdate() + dt.timedelta(days=7)

    response = http.post(
        f"/api/v1/cases/{case.pk}/isolation/",
        {"ends_on": written(ends_on), "reason": "Immunosuppressed."},
        format="json",
    )

    assert response.status_code == 400, response.content[:300]
    assert "YYYY-MM-DD" in response.json()["ends_on"][0]
    assert not IsolationChange.objects.exists()


def post_call_back(api, caseworker, call_back_at: str):
    case = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    response = api.post(
        f"/api/v1/cases/{case.pk}/calls/",
        {
            "outcome": "call_back",
            "call_back_at": call_back_at,
            "caller": caseworker.pk,
        },
        format="json",
    )
    return case, response


def tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.mark.parametrize(
    "written",
    [
        lambda day: week_only(day + dt.timedelta(days=7)),
        lambda day: f"{week_date(day)}T10:00",
        lambda day: f"{no_dashes(day)}T1000",
        lambda day: f"{day.isoformat()}T1000",
        lambda day: f"{day.isoformat()}T10",
        lambda day: day.isoformat(),
    ],
    ids=["week", "week-date-time", "no-dashes", "time-no-colon", "hour-only", "date"],
)
def test_a_call_back_time_not_a_whole_date_and_time_is_refused(
    api, caseworker, written
):
    _, response = post_call_back(api, caseworker, written(tomorrow()))

    assert response.status_code == 400, response.content[:300]
    assert "YYYY-MM-DDThh:mm" in response.json()["call_back_at"][0]
    assert not CallAttempt.objects.exists()


@pytest.mark.parametrize(
    ("written", "offset"),
    [
        ("{day}T10:30", None),
        ("{day} 10:30", None),
        ("{day}T10:30:15", None),
        ("{day}T10:30:15.250", None),
        ("{day}T10:30Z", dt.timedelta(0)),
        ("{day}T10:30:15.250000+01:00", dt.timedelta(hours=1)),
        ("{day}T10:30-0500", dt.timedelta(hours=-5)),
    ],
)
def test_a_call_back_time_written_in_full_is_still_taken(
    api, caseworker, written, offset
):
    day = tomorrow()

    case, response = post_call_back(api, caseworker, written.format(day=day))

    assert response.status_code == 201, response.content[:300]
    case.refresh_from_db()
    at = case.next_attempt_at
    if offset is None:
        at = timezone.localtime(at)
    else:
        at = at.astimezone(dt.timezone(offset))
    assert (at.date(), at.hour, at.minute) == (day, 10, 30)


# --- dates in list filters -----------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["/api/v1/cases/", "/api/v1/calls/", "/api/v1/escalations/"],
)
@pytest.mark.parametrize(
    "written",
    [lambda day: day.strftime("%d/%m/%Y"), week_date, no_dashes],
    ids=["day-first", "week", "no-dashes"],
)
def test_a_list_filter_date_not_written_yyyy_mm_dd_is_a_400_saying_how(
    api, url, written
):
    name = "started_from" if "calls" in url else "created_from"

    response = api.get(url, {name: written(days_ago(1))})

    assert response.status_code == 400, response.content[:300]
    assert "YYYY-MM-DD" in response.json()[name][0]


def test_a_list_filter_date_written_yyyy_mm_dd_filters(api):
    f.CaseFactory(created_at=timezone.now() - dt.timedelta(days=3))
    recent = f.CaseFactory()

    response = api.get("/api/v1/cases/", {"created_from": days_ago(1).isoformat()})

    assert response.status_code == 200, response.content[:300]
    assert [item["id"] for item in response.json()["results"]] == [recent.pk]


# --- a lone surrogate in a batch -----------------------------------------------------


def test_a_batch_item_with_a_lone_surrogate_is_invalid_and_the_rest_are_saved(api):
    bad = result_payload("LAB-2")
    bad["person"]["address"] = "1 High St\ud800"
    batch = [result_payload("LAB-1"), bad, result_payload("LAB-3")]

    response = post_json(api, INTAKE, batch)

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert (body["created"], body["invalid"]) == (2, 1)
    item = body["results"][1]
    assert (item["status"], item["lab_reference"], item["case"]) == (
        "invalid",
        "LAB-2",
        None,
    )
    (reason,) = item["errors"]["person"]["address"]
    assert NOT_UNICODE in reason
    assert [body["results"][i]["status"] for i in (0, 2)] == ["created", "created"]
    assert sorted(Case.objects.values_list("lab_reference", flat=True)) == [
        "LAB-1",
        "LAB-3",
    ]


def test_a_batch_item_with_a_lone_surrogate_in_a_choice_is_invalid_not_echoed(api):
    bad = result_payload("LAB-2", complex_setting="care\udc80home")

    response = post_json(api, INTAKE, [result_payload("LAB-1"), bad])

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert (body["created"], body["invalid"]) == (1, 1)
    (reason,) = body["results"][1]["errors"]["complex_setting"]
    assert NOT_UNICODE in reason
    assert list(Case.objects.values_list("lab_reference", flat=True)) == ["LAB-1"]


def test_a_batch_item_is_reported_alike_for_a_lone_surrogate_and_a_nul_byte(api):
    surrogate, nul = result_payload("LAB-2"), result_payload("LAB-3")
    surrogate["person"]["address"] = "\udc80"
    nul["person"]["address"] = "\x00"

    response = post_json(api, INTAKE, [result_payload("LAB-1"), surrogate, nul])

    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "invalid", "invalid"]
    assert [list(r["errors"]["person"]) for r in results[1:]] == [
        ["address"],
        ["address"],
    ]


def test_a_batch_item_whose_lab_reference_has_a_lone_surrogate_is_not_echoed(api):
    """The reference cannot be written back in the answer: the item is reported by
    its index, the reason beside the field."""
    bad = result_payload("LAB-2", lab_reference="BAD-\ud800")

    response = post_json(api, INTAKE, [result_payload("LAB-1"), bad])

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert (body["created"], body["invalid"]) == (1, 1)
    item = body["results"][1]
    assert (item["status"], item["lab_reference"]) == ("invalid", None)
    assert NOT_UNICODE in item["errors"]["lab_reference"][0]
    assert list(Case.objects.values_list("lab_reference", flat=True)) == ["LAB-1"]


def test_a_batch_item_with_a_lone_surrogate_in_a_key_is_invalid(api):
    bad = result_payload("LAB-2")
    bad["person"]["\ud800"] = "x"

    response = post_json(api, INTAKE, [bad, result_payload("LAB-1")])

    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["invalid", "created"]
    assert NOT_UNICODE in results[0]["errors"]["person"]["non_field_errors"][0]


def test_one_result_with_a_lone_surrogate_is_still_a_400_naming_the_field(api):
    payload = result_payload()
    payload["person"]["address"] = "\ud800"

    response = post_json(api, INTAKE, payload)

    assert response.status_code == 400, response.content[:300]
    assert NOT_UNICODE in response.json()["person"]["address"][0]
    assert not Case.objects.exists()


# --- lab references sent as numbers --------------------------------------------------


def test_a_lab_reference_sent_as_a_float_is_refused(api):
    response = api.post(
        INTAKE, result_payload(lab_reference=842942130.0), format="json"
    )

    assert response.status_code == 400, response.content[:300]
    (reason,) = response.json()["lab_reference"]
    assert "text" in reason
    assert not Case.objects.exists()


def test_a_float_lab_reference_makes_no_second_case_of_a_result_held(api):
    held = api.post(INTAKE, result_payload(lab_reference=842942130), format="json")
    assert held.status_code == 201, held.content[:300]

    response = api.post(
        INTAKE, [result_payload(lab_reference=842942130.0)], format="json"
    )

    assert response.status_code == 200, response.content[:300]
    body = response.json()
    assert body["invalid"] == 1
    assert body["results"][0]["lab_reference"] == "842942130.0"
    assert "lab_reference" in body["results"][0]["errors"]
    assert list(Case.objects.values_list("lab_reference", flat=True)) == ["842942130"]


def test_a_lab_reference_sent_as_a_whole_number_is_still_taken_as_text(api):
    response = api.post(INTAKE, result_payload(lab_reference=842942130), format="json")

    assert response.status_code == 201, response.content[:300]
    assert Case.objects.get().lab_reference == "842942130"
