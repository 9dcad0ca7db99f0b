"""The intake API answers a further result of a person's case of the same episode
as `attached` (the case's id and why), once and again, and makes no case of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case, FurtherResult
from people.models import Message

from .conftest import result_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-results/"


def sian(ref: str, days_ago: int, **person) -> dict:
    today = timezone.localdate()
    payload = result_payload(
        ref,
        specimen_date=(today - dt.timedelta(days=days_ago)).isoformat(),
        result_date=today.isoformat(),
    )
    payload["person"] |= {
        "first_name": "Siân",
        "last_name": "Llŷr",
        "nhs_number": "9434765919",
    } | person
    return payload


def test_three_results_of_one_person_are_one_case_and_two_attached(api):
    first = api.post(URL, sian("HC-001", 3, nhs_number="943 476 5919"), format="json")
    second = api.post(URL, sian("HC-002", 2), format="json")
    third = api.post(URL, sian("HC-003", 6), format="json")

    [case] = Case.objects.all()
    assert first.status_code == 201
    for response, ref in ((second, "HC-002"), (third, "HC-003")):
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "attached"
        assert body["lab_reference"] == ref
        assert body["case"] == case.pk
        assert f"already has case {case.pk}" in body["detail"]
    assert FurtherResult.objects.filter(case=case).count() == 2
    assert Message.objects.count() == 1


def test_a_retry_of_an_attached_result_is_answered_the_same(api):
    api.post(URL, sian("HC-001", 3), format="json")
    once = api.post(URL, sian("HC-002", 2), format="json")

    again = api.post(URL, sian("HC-002", 2), format="json")

    assert (again.status_code, again.json()) == (once.status_code, once.json())
    assert FurtherResult.objects.count() == 1


def test_a_batch_with_two_results_of_one_person_makes_one_case(api):
    response = api.post(
        URL, [sian("B-1", 2), sian("B-2", 2), result_payload("OTHER")], format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert [item["status"] for item in body["results"]] == [
        "created",
        "attached",
        "created",
    ]
    assert (body["created"], body["attached"]) == (2, 1)
    case = Case.objects.get(lab_reference="B-1")
    assert body["results"][1]["case"] == case.pk
    assert Case.objects.count() == 2
