"""A call back asked for in the hour the clocks change: the call form and the API
read the local time the same way. A time the clocks skip (spring) is refused beside
the field, naming the gap; a time that happens twice (autumn) is the first, summer
time, one at both doors; a time with an offset, in the API, is taken as given."""

from __future__ import annotations

import datetime as dt

import pytest

from calls.models import Outcome

from .conftest import api_session, case_in, contact_in, hold, web_session
from .test_calls import api_call, page_call

pytestmark = pytest.mark.django_db

UTC = dt.UTC

# The clocks go forward at 01:00 UTC on Sunday 28 March 2027 (01:00 to 02:00 is
# skipped), and back at 01:00 UTC on Sunday 31 October 2027 (01:00 to 01:59 twice).
SPRING = pytest.mark.now(dt.datetime(2027, 3, 25, 12, 0, tzinfo=UTC))
# (Two days on, a call back would put off the item's local team by more than the
# day a call back may: work.rules.CALL_BACK_HOLDS_OFF.)
AUTUMN = pytest.mark.now(dt.datetime(2027, 10, 30, 12, 0, tzinfo=UTC))

GAP = (
    "The clocks go forward on Sunday 28 March 2027, from 01:00 to 02:00, so there "
    "is no 01:30 that night."
)


@pytest.fixture
def held(call_handler, caseworker):
    """A contact held by a call handler, or a case held by a caseworker."""

    def make(kind: str):
        if kind == "contact":
            return hold(contact_in(), call_handler)
        return hold(case_in(), caseworker)

    return make


def doors_for(client, item):
    holder = item.assignee
    web_session(client, holder)
    return api_session(holder)


def call_back(doors, client, http, item, *, page_at: str, api_at: str):
    page = doors.run(
        lambda: page_call(client, item, Outcome.CALL_BACK, call_back_at=page_at)
    )
    api = doors.run(
        lambda: api_call(http, item, Outcome.CALL_BACK, call_back_at=api_at)
    )
    return page, api


@SPRING
@pytest.mark.parametrize("kind", ["contact", "case"])
def test_a_call_back_in_the_hour_the_clocks_skip_is_refused_at_both_doors(
    doors, client, held, kind
):
    item = held(kind)
    http = doors_for(client, item)

    page, api = call_back(
        doors,
        client,
        http,
        item,
        page_at="2027-03-28T01:30",
        api_at="2027-03-28T01:30:00",
    )

    assert page.response.status_code == 200
    errors = page.response.context["call_form"].errors
    assert list(errors) == ["call_back_at"]
    (said,) = errors["call_back_at"]
    assert said.startswith(GAP), said
    assert page.new("calls.callattempt") == []

    assert api.response.status_code == 400, api.response.content
    body = api.response.json()
    assert list(body) == ["call_back_at"], body
    assert body["call_back_at"] == [said]
    assert api.new("calls.callattempt") == []
    assert page.diff(api) == {}


@AUTUMN
@pytest.mark.parametrize("kind", ["contact", "case"])
@pytest.mark.parametrize("minute", ["01:00", "01:30", "01:59"])
def test_a_call_back_in_the_hour_the_clocks_repeat_is_the_first_at_both_doors(
    doors, client, held, kind, minute
):
    item = held(kind)
    http = doors_for(client, item)

    page, api = call_back(
        doors,
        client,
        http,
        item,
        page_at=f"2027-10-31T{minute}",
        api_at=f"2027-10-31T{minute}:00",
    )

    assert page.response.status_code == 302
    assert api.response.status_code == 201, api.response.content
    (call,) = page.new("calls.callattempt")
    hour, minutes = map(int, minute.split(":"))
    # The first of the two: British Summer Time, an hour ahead of UTC.
    assert call["call_back_at"] == dt.datetime(
        2027, 10, 31, hour - 1, minutes, tzinfo=UTC
    )
    assert page.diff(api) == {}


@AUTUMN
def test_a_call_back_with_an_offset_is_taken_as_given_by_the_api(doors, client, held):
    item = held("contact")
    http = doors_for(client, item)

    api = doors.run(
        lambda: api_call(
            http, item, Outcome.CALL_BACK, call_back_at="2027-10-31T01:30:00+00:00"
        )
    )

    assert api.response.status_code == 201, api.response.content
    (call,) = api.new("calls.callattempt")
    # The second 01:30 (Greenwich Mean Time), as the offset says.
    assert call["call_back_at"] == dt.datetime(2027, 10, 31, 1, 30, tzinfo=UTC)


@AUTUMN
@pytest.mark.parametrize("kind", ["contact", "case"])
def test_an_ordinary_call_back_time_is_unchanged_at_both_doors(
    doors, client, held, kind
):
    item = held(kind)
    http = doors_for(client, item)

    page, api = call_back(
        doors,
        client,
        http,
        item,
        page_at="2027-10-31T14:15",
        api_at="2027-10-31T14:15:00",
    )

    assert page.response.status_code == 302
    assert api.response.status_code == 201, api.response.content
    (call,) = page.new("calls.callattempt")
    # Greenwich Mean Time again by the afternoon.
    assert call["call_back_at"] == dt.datetime(2027, 10, 31, 14, 15, tzinfo=UTC)
    assert page.diff(api) == {}
