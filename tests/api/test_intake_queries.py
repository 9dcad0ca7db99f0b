"""A batch's database round trips grow linearly with its items, and few per item."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .conftest import result_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-results/"

# At most this many per new item (13.9 before the batch service, 5 item by item: a
# savepoint and its release, the match, the person's and the case's inserts). A batch
# is written set-wise now (a handful of statements whatever its size), so this bounds
# the item-by-item path it falls back to.
PER_NEW_ITEM = 5


def batch(refs: range) -> list[dict]:
    """New results for distinct people (no name, date of birth or phone shared)."""
    items = []
    for n in refs:
        item = result_payload(f"LAB-{n}")
        item["person"]["phone"] = f"07911 {n:06d}"
        item["person"]["date_of_birth"] = f"19{50 + n % 50}-03-02"
        items.append(item)
    return items


def queries_for(api, items: list[dict], status: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        body = api.post(URL, items, format="json").json()
    assert body[status] == len(items)
    return len(queries)


def test_each_new_item_of_a_batch_costs_a_few_queries(api):
    one = queries_for(api, batch(range(1)), "created")
    eleven = queries_for(api, batch(range(100, 111)), "created")
    assert eleven - one <= 10 * PER_NEW_ITEM


def test_reposting_a_batch_costs_the_same_however_long(api):
    queries_for(api, batch(range(11)), "created")
    one = queries_for(api, batch(range(1)), "existing")
    eleven = queries_for(api, batch(range(11)), "existing")
    assert eleven == one
