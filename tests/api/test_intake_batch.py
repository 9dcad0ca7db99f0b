"""Batch items are checked one by one, exactly as a single result is."""

from __future__ import annotations

import pytest

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
    "item",
    [bad_phone("LAB-1"), bad_dates("LAB-1"), {}, {"person": {"first_name": "A"}}],
)
def test_batch_item_errors_are_those_of_the_same_result_posted_alone(api, item):
    alone = api.post(URL, item, format="json")
    in_batch = api.post(URL, [result_payload("LAB-0"), item], format="json").json()

    assert alone.status_code == 400
    assert in_batch["results"][1]["errors"] == alone.json()
