"""The capacity forecast counts each piece of waiting work once, and all it brings:
a case that arrived earlier this hour and waits is called once in the hour, not again
as one of the hour's forecast arrivals; and a waiting case carried over from the days
before, once reached, names its contacts, whose calls tier 3 must make (found by
review; today's cases' contacts are in the contact forecast already)."""

from __future__ import annotations

import datetime as dt

import pytest

from figures import capacity as cap
from figures import capacity_selectors as reads
from staffing.models import Tier
from tests.capacity.builders import LONDON, at, cases_arriving
from tests.conftest import NOW

TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
HALF_PAST = NOW + dt.timedelta(minutes=30)
HOUR = dt.timedelta(hours=1)


@pytest.mark.django_db
@pytest.mark.now(HALF_PAST)
def test_cases_arrived_this_hour_and_waiting_are_called_once_in_it(clock):
    # A fortnight of 12 cases an hour from 8 to 20, each reached as it arrived, and
    # today's so far: the forecast for 10 to 11 is 12 cases.
    cases_arriving([144] * 14, last_day=YESTERDAY)
    cases_arriving([24], last_day=TODAY, hours=[8, 9])
    # Half past ten: six of the hour's twelve have come, and wait for their call.
    cases_arriving([6], last_day=TODAY, hours=[10], waiting=True)

    capacity = reads.capacity(now=HALF_PAST)

    this_hour = capacity.tiers[Tier.CLINICAL].hours[0]
    assert this_hour.hour == NOW.astimezone(dt.UTC)
    # The six waiting, one call each now, and the six still to come in the half
    # hour left: twelve calls, not the six again among a whole hour's arrivals.
    assert this_hour.calls == pytest.approx(12)


@pytest.mark.django_db
def test_cases_arrived_this_hour_are_not_doubled_without_history(clock):
    """No history, no forecast arrivals: the waiting cases alone (this always held)."""
    cases_arriving([6], last_day=TODAY, hours=[10], waiting=True)
    capacity = reads.capacity(now=HALF_PAST)
    assert capacity.tiers[Tier.CLINICAL].hours[0].calls == pytest.approx(6)


def history_with_waiting_cases(
    waiting: tuple[tuple[dt.datetime | None, int, dt.date, int, int], ...],
) -> cap.History:
    """No arrivals to forecast; 3 contacts a case and the calls measured; and
    `waiting` cases not yet reached (as History.waiting_cases has them)."""
    handling = {
        tier: cap.handling_for(
            tier, [("reached", 100, 100 * 5 * 60)], wrap_up_minutes=5
        )
        for tier in cap.TIERS
    }
    return cap.History(
        since=at(TODAY - dt.timedelta(days=cap.HISTORY_DAYS), 0),
        until=NOW,
        cases_by_hour={},
        contacts_by_hour={},
        contacts_per_case=3.0,
        contacts_per_case_measured=True,
        attempts_per_item={"case": 1.0, "contact": 1.5},
        attempts_measured={"case": True, "contact": True},
        escalated_share={"case": 0.1, "contact": 0.25},
        escalated_measured={"case": True, "contact": True},
        handling=handling,
        waiting={"case": tuple((due, made, n) for due, made, _, _, n in waiting)},
        waiting_cases=waiting,
    )


def test_waiting_cases_bring_their_contacts_calls_once_called(settings):
    settings.TRACING_CAPACITY_OCCUPANCY = 0.8
    # 100 cases carried over from yesterday, none of their contacts named yet, their
    # first call due at one o'clock (three hours on).
    due = dt.datetime(2021, 1, 12, 13, 0, tzinfo=LONDON).astimezone(dt.UTC)
    forecast = cap.forecast_work(
        history_with_waiting_cases(((due, 0, YESTERDAY, 0, 100),)), start=NOW
    )

    tier2 = forecast.tiers[Tier.CLINICAL]
    assert tier2.calls[3] == pytest.approx(100)
    tier3 = forecast.tiers[Tier.CALL_HANDLER]
    # Nothing for tier 3 before the cases are called; then their 300 contacts, each
    # first called at once and half of them again the rules' four hours later.
    assert tier3.calls[:3] == pytest.approx([0, 0, 0])
    assert tier3.calls[3] == pytest.approx(300)
    assert tier3.calls[7] == pytest.approx(150)
    assert sum(tier3.calls) == pytest.approx(450)
    # Ten minutes a call (five's talk, five's write-up) at 80% occupancy.
    assert tier3.needed[3] == pytest.approx(300 * 10 / 60 / 0.8)


def test_waiting_cases_with_no_call_left_bring_no_contacts(settings):
    """A case whose calls are spent goes to its local team: the phones get none of its
    contacts."""
    forecast = cap.forecast_work(
        history_with_waiting_cases(((None, 3, YESTERDAY, 0, 100),)), start=NOW
    )
    assert sum(forecast.tiers[Tier.CALL_HANDLER].calls) == 0


def test_waiting_cases_bring_only_the_contacts_they_have_not_named():
    """A contact named already is waiting work of its own, not one more to come."""
    forecast = cap.forecast_work(
        history_with_waiting_cases(
            ((None, 0, YESTERDAY, 1, 100), (None, 0, YESTERDAY, 5, 10))
        ),
        start=NOW,
    )
    assert forecast.tiers[Tier.CALL_HANDLER].items[0] == pytest.approx(200)


def test_todays_waiting_cases_bring_no_contacts_beside_the_forecast():
    """Today's cases, waiting or not, are the arrivals the contact forecast is made
    from: their contacts are in it (none here, with nothing to forecast from)."""
    forecast = cap.forecast_work(
        history_with_waiting_cases(((None, 0, TODAY, 0, 100),)), start=NOW
    )
    assert forecast.tiers[Tier.CLINICAL].calls[0] == pytest.approx(100)
    assert sum(forecast.tiers[Tier.CALL_HANDLER].items) == 0
