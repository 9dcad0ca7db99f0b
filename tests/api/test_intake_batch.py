"""Batch items are checked one by one, exactly as a single result is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from api.cases import serializers

from .conftest import result_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-results/"


def bad_phone(ref: str) -> dict:
    item = result_payload(ref)
    item["person"]["phone"] = "12345"
    return item


def bad_dates(ref: str) -> dict:
    item = result_payload(ref)
    item["specimen_date"], item["result_date"] = (
        item["result_date"],
        item["specimen_date"],
    )
    return item


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def result_tomorrow(ref: str) -> dict:
    item = result_payload(ref)
    item["result_date"] = _tomorrow()
    return item


def born_tomorrow(ref: str) -> dict:
    item = result_payload(ref)
    item["person"]["date_of_birth"] = _tomorrow()
    return item


def test_one_items_errors_do_not_carry_over_to_the_next(api):
    body = api.post(
        URL,
        [bad_phone("LAB-1"), result_payload("LAB-2"), bad_dates("LAB-3")],
        format="json",
    ).json()

    assert [r["status"] for r in body["results"]] == ["invalid", "created", "invalid"]
    assert set(body["results"][0]["errors"]) == {"person"}
    assert set(body["results"][2]["errors"]) == {"specimen_date"}


@pytest.mark.parametrize(
    "make",
    [
        bad_phone,
        bad_dates,
        result_tomorrow,
        born_tomorrow,
        lambda ref: {},
        lambda ref: {"person": {"first_name": "A"}},
    ],
    ids=["phone", "dates", "result-tomorrow", "born-tomorrow", "empty", "no-names"],
)
def test_batch_item_errors_are_those_of_the_same_result_posted_alone(api, make):
    item = make("LAB-1")
    alone = api.post(URL, item, format="json")
    in_batch = api.post(URL, [result_payload("LAB-0"), item], format="json").json()

    assert alone.status_code == 400
    assert in_batch["results"][1]["errors"] == alone.json()


def test_a_batch_asks_for_the_date_once_for_all_its_items(api, monkeypatch):
    asked = []

    class CountingTimezone:
        """django.utils.timezone, counting the local dates asked of it."""

        def __getattr__(self, name: str):
            return getattr(timezone, name)

        def localdate(self, *args, **kwargs):
            asked.append(1)
            return timezone.localdate(*args, **kwargs)

    monkeypatch.setattr(serializers, "timezone", CountingTimezone())
    batch = [result_payload(f"LAB-{n}") for n in range(10)]
    batch[3] = result_tomorrow("LAB-3")

    body = api.post(URL, batch, format="json").json()

    assert body["created"] == 9
    assert body["results"][3]["errors"] == {
        "result_date": ["The result date cannot be in the future."]
    }
    assert len(asked) == 1
