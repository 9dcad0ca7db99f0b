"""The forecast counts the work already waiting: cases in the pool or held and not
yet reached need their calls, at least one each, in the first hours; today's
arrivals so far count; and calls per item are measured over the items whose
calling is over, not over the items that arrived."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from figures import capacity_selectors as reads
from staffing.models import Tier
from tests import factories as f
from tests.conftest import NOW
from work.assignment import item_assign
from work.calls import call_record

from .builders import calls_made, cases_arriving

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)


@pytest.fixture
def quiet_fortnight(clock):
    """A fortnight of 24 cases a day, each reached as it arrived."""
    cases_arriving([24] * 14, last_day=YESTERDAY)


def staff_hours_within(forecast, hours: int) -> float:
    return sum(forecast.tiers[Tier.CLINICAL].staff_hours[:hours])


def test_cases_waiting_uncalled_need_their_first_calls_now(quiet_fortnight):
    cases_arriving([120], last_day=YESTERDAY, waiting=True)
    forecast = reads.work_forecast(now=NOW, refresh=True)
    tier2 = forecast.tiers[Tier.CLINICAL]
    assert tier2.waiting == 120
    # Every waiting case is due a call now: the current hour holds at least them.
    assert tier2.calls[0] >= 120
    minutes = tier2.minutes_per_call
    assert staff_hours_within(forecast, 48) >= 120 * minutes / 60


def test_new_results_raise_the_need_of_the_next_two_days(quiet_fortnight):
    before = staff_hours_within(reads.work_forecast(now=NOW, refresh=True), 48)
    f.CaseFactory.create_batch(20, created_at=NOW - dt.timedelta(minutes=5))
    after_results = reads.work_forecast(now=NOW, refresh=True)
    minutes = after_results.tiers[Tier.CLINICAL].minutes_per_call
    assert staff_hours_within(after_results, 48) >= before + 20 * minutes / 60


def test_todays_arrivals_so_far_count_in_the_days_forecast(quiet_fortnight):
    quiet = reads.work_forecast(now=NOW, refresh=True).daily
    cases_arriving([300], last_day=TODAY, hours=[8, 9])
    busy = reads.work_forecast(now=NOW, refresh=True).daily
    assert busy.mean[0] >= 300
    assert busy.mean[1] > quiet.mean[1]


def test_calls_per_case_are_over_the_cases_whose_calling_is_over(clock):
    clinician = f.StaffProfileFactory(clinical=True).user
    then = NOW - dt.timedelta(days=2)
    for _ in range(40):
        case = f.CaseFactory(
            created_at=then, status=Status.COMPLETED, reached_at=then, completed_at=then
        )
        calls_made(2, caller=clinician, case=case, started_at=then, minutes=10)
    # A week that fell behind: as many more arrived and wait, not yet called.
    cases_arriving([40], last_day=YESTERDAY, waiting=True)
    history = reads.history_measure(now=NOW)
    assert history.attempts_measured["case"]
    assert history.attempts_per_item["case"] == pytest.approx(2.0)


def test_the_page_lists_the_waiting_work_among_its_inputs(client, lead, clock):
    cases_arriving([24] * 14, last_day=YESTERDAY)
    cases_arriving([36], last_day=YESTERDAY, waiting=True)
    client.force_login(lead.user)
    response = client.get(reverse("staffing:capacity"))
    inputs = {what: value for what, value, _ in response.context["inputs"]}
    assert inputs["Cases waiting now, not yet reached"].startswith("36 ")
    assert "Calls per case reached, escalated or closed, last 7 days" in inputs
    assert b"already waiting" in response.content


def test_a_contact_whose_calls_are_spent_needs_no_more_calls(clock, call_handler):
    """After the last failed call an item waits, with no next call, for the sweep:
    it was counted a call due now that nobody would make (found by review)."""
    contact = f.ContactFactory()
    item_assign(item=contact, to=call_handler)
    for i in range(3):
        if i:
            clock.shift(dt.timedelta(hours=4))
        call_record(item=contact, caller=call_handler, outcome=Outcome.NO_ANSWER)
    contact.refresh_from_db()
    assert contact.is_unreached
    assert contact.next_attempt_at is None

    forecast = reads.work_forecast(now=NOW + dt.timedelta(hours=8), refresh=True)

    assert forecast.tiers[Tier.CALL_HANDLER].waiting_calls == 0
