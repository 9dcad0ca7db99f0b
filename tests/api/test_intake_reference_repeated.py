"""A batch's reply repeats each item's lab reference as it was stored, so a lab can
match the replies to its results by reference."""

from __future__ import annotations

import pytest

from cases.models import Case

from .conftest import result_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/test-results/"


def test_a_reference_sent_as_a_number_is_repeated_as_the_text_stored(api):
    response = api.post(
        URL, [result_payload("LAB-1"), result_payload(123456)], format="json"
    )

    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert Case.objects.get(pk=results[1]["case"]).lab_reference == "123456"
    assert results[1]["lab_reference"] == "123456"


def test_a_reference_with_spaces_is_repeated_as_stored(api):
    response = api.post(
        URL, [result_payload("LAB-1"), result_payload("  LAB-2 ")], format="json"
    )

    results = response.json()["results"]
    assert Case.objects.get(pk=results[1]["case"]).lab_reference == "LAB-2"
    assert results[1]["lab_reference"] == "LAB-2"


def test_an_invalid_item_with_a_numeric_reference_is_still_named_by_it(api):
    bad = result_payload(987654)
    bad["person"]["phone"] = "12345"

    response = api.post(URL, [result_payload("LAB-1"), bad], format="json")

    results = response.json()["results"]
    assert results[1]["status"] == "invalid"
    assert results[1]["lab_reference"] == "987654"
