"""What the database says: the history by the hour, calls by tier and outcome, the rota
by the hour, the caps' room; each read an aggregate, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest

from calls.models import Outcome
from figures import capacity as cap
from figures import capacity_selectors as reads
from figures import capacity_slots as slots_of
from figures.tasks import capacity_forecast_task
from staffing.models import Shift, Tier
from tests import factories as f
from tests.conftest import NOW

from .builders import at, calls_made, cases_arriving

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)
UTC = dt.UTC


def test_the_history_counts_arrivals_by_the_hour(clock):
    cases_arriving([3, 5], last_day=YESTERDAY, hours=[9])
    cases_arriving([2], last_day=YESTERDAY, hours=[14])
    history = reads.history_measure(now=NOW)
    assert history.cases_by_hour == {
        at(YESTERDAY - dt.timedelta(days=1), 9).astimezone(UTC): 3,
        at(YESTERDAY, 9).astimezone(UTC): 5,
        at(YESTERDAY, 14).astimezone(UTC): 2,
    }
    assert history.cases == 10


def test_cases_before_the_eight_weeks_or_in_the_current_hour_are_not_history(clock):
    cases_arriving([4], last_day=TODAY - dt.timedelta(days=57), hours=[12])
    cases_arriving([1], last_day=TODAY, hours=[10])  # 10:00 to now
    assert reads.history_measure(now=NOW).cases == 0


def test_contacts_per_case_calls_per_item_and_minutes_per_call_are_measured(clock):
    # Eight weeks ago: history for the trend, not for the rates of the last weeks.
    cases_arriving([500], last_day=TODAY - dt.timedelta(days=50))
    cases_arriving([40], last_day=YESTERDAY)
    # Calls per item are over the items whose calling is over: here reached.
    two_days_ago = NOW - dt.timedelta(days=2)
    case = f.CaseFactory(
        created_at=two_days_ago, status="reached", reached_at=two_days_ago
    )
    for _ in range(2):
        f.ContactFactory.create_batch(
            41,
            case=case,
            created_at=two_days_ago,
            status="reached",
            reached_at=two_days_ago,
        )
    clinician = f.StaffProfileFactory(clinical=True).user
    handler = f.StaffProfileFactory().user
    then = NOW - dt.timedelta(days=3)
    calls_made(30, caller=clinician, case=case, started_at=then, minutes=24)
    calls_made(
        30,
        caller=clinician,
        case=case,
        started_at=then,
        minutes=2,
        outcome=Outcome.NO_ANSWER,
    )
    contact = case.contacts.first()
    calls_made(123, caller=handler, contact=contact, started_at=then, minutes=6)
    history = reads.history_measure(now=NOW)
    assert history.cases == 541
    assert history.contacts_per_case == pytest.approx(82 / 41)
    assert history.attempts_per_item["case"] == pytest.approx(60 / 41)
    assert history.attempts_per_item["contact"] == pytest.approx(123 / 82)
    tier2 = history.handling[Tier.CLINICAL]
    assert tier2.measured
    # 13 minutes' talk on average, and 5 minutes' write-up.
    assert tier2.minutes_per_call == pytest.approx(13 + 5)
    assert {(o.outcome, o.calls) for o in tier2.by_outcome} == {
        ("reached", 30),
        ("no_answer", 30),
    }
    assert history.handling[Tier.CALL_HANDLER].minutes_per_call == pytest.approx(11)


def test_with_no_history_the_defaults_stand_in_and_are_named(clock):
    forecast = reads.work_forecast(now=NOW)
    assert forecast.tiers[Tier.CLINICAL].needed == (0.0,) * cap.HORIZON_HOURS
    assert "contacts per case" in forecast.defaults_used
    assert "minutes per call, tier 2" in forecast.defaults_used


def test_the_share_escalated_counts_only_items_whose_window_has_closed(clock):
    cases_arriving([40], last_day=YESTERDAY - dt.timedelta(days=1))
    f.CaseFactory.create_batch(
        10, created_at=NOW - dt.timedelta(days=3), escalated_at=NOW
    )
    f.CaseFactory.create_batch(20, created_at=NOW - dt.timedelta(hours=3))
    history = reads.history_measure(now=NOW)
    assert history.escalated_share["case"] == pytest.approx(10 / 50)


def test_a_local_teams_history_is_its_areas_work_only(clock):
    sheffield = f.area()
    elsewhere = f.AreaFactory()
    cases_arriving([7], last_day=YESTERDAY, area=sheffield)
    cases_arriving([5], last_day=YESTERDAY, area=elsewhere)
    team = reads.history_measure(now=NOW, local_team_id=sheffield.local_team_id)
    england = reads.history_measure(now=NOW)
    assert (team.cases, england.cases) == (7, 12)


def test_the_history_is_read_in_seven_queries_whatever_its_size(
    clock, django_assert_num_queries
):
    cases_arriving([50] * 28, last_day=YESTERDAY)
    f.ContactFactory.create_batch(3, created_at=NOW - dt.timedelta(days=1))
    with django_assert_num_queries(7):
        reads.history_measure(now=NOW)


def test_the_forecast_is_kept_for_the_hour_and_forgotten_on_request(
    clock, django_assert_num_queries
):
    cases_arriving([20] * 7, last_day=YESTERDAY)
    first = reads.work_forecast(now=NOW)
    cases_arriving([200] * 7, last_day=YESTERDAY - dt.timedelta(days=7))
    with django_assert_num_queries(0):
        again = reads.work_forecast(now=NOW + dt.timedelta(minutes=5))
    assert again.daily.mean == first.daily.mean
    reads.forget_cached_forecasts()
    assert reads.work_forecast(now=NOW).history.cases == 20 * 7 + 200 * 7


def test_the_rota_counts_booked_staff_and_bookable_slots_by_the_hour(clock):
    tomorrow_8 = at(TOMORROW, 8)
    worker = f.StaffProfileFactory(clinical=True)
    f.ShiftFactory(staff=worker, starts_at=tomorrow_8, ends_at=at(TOMORROW, 10, 30))
    f.ShiftFactory(
        staff=f.StaffProfileFactory(clinical=True),
        starts_at=tomorrow_8,
        ends_at=at(TOMORROW, 12),
        status=Shift.Status.CANCELLED,
    )
    f.ShiftFactory(staff=f.StaffProfileFactory(), starts_at=tomorrow_8)  # tier 3
    team = worker.team
    for _ in range(2):
        Shift.objects.create(
            tier=Tier.CLINICAL,
            team=team,
            starts_at=at(TOMORROW, 9),
            ends_at=at(TOMORROW, 11),
        )
    # An open slot already started cannot be booked: it covers nothing.
    Shift.objects.create(
        tier=Tier.CLINICAL,
        team=team,
        starts_at=NOW - dt.timedelta(hours=1),
        ends_at=at(TOMORROW, 12),
    )
    hours = cap.hour_starts(tomorrow_8, 4)
    rota = reads.rota_by_hour(hours, now=NOW)
    booked, open_slots = rota[Tier.CLINICAL]
    assert booked == pytest.approx([1, 1, 0.5, 0])
    assert open_slots == pytest.approx([0, 2, 2, 0])
    assert rota[Tier.CALL_HANDLER][0] == pytest.approx([1, 1, 1, 1])


def test_the_caps_room_is_the_teams_for_the_week_the_slots_fall_in(clock, lead):
    team = lead.team
    busy = f.StaffProfileFactory(clinical=True, team=team, weekly_hours_cap=42)
    f.StaffProfileFactory(clinical=True, team=team, weekly_hours_cap=20)
    f.StaffProfileFactory(clinical=True)  # another team's
    f.ShiftFactory(staff=busy, starts_at=at(TOMORROW, 8), ends_at=at(TOMORROW, 20))
    lead.weekly_hours_cap = 10
    lead.save()
    slot = slots_of.GapSlot(at(TOMORROW, 20), at(TOMORROW, 22), 25)
    (check,) = reads.cap_checks(lead, [slot])
    assert check.monday == TODAY - dt.timedelta(days=1)
    assert check.slot_hours == 50
    # The lead's own cap is no room: a supervisor runs the team, not its slots.
    assert check.cap_room == pytest.approx(30 + 20)
    assert check.short_by == 0
    (tight,) = reads.cap_checks(
        lead, [slots_of.GapSlot(at(TOMORROW, 20), at(TOMORROW, 23), 25)]
    )
    assert tight.short_by == pytest.approx(75 - 50)


def test_the_beat_makes_englands_forecast_afresh_for_the_pages(
    clock, django_assert_num_queries
):
    cases_arriving([20] * 7, last_day=YESTERDAY)
    reads.work_forecast(now=NOW)
    cases_arriving([30] * 7, last_day=YESTERDAY)
    assert capacity_forecast_task() == {
        "from": cap.current_hour(NOW).isoformat(),
        "cases": str(50 * 7),
    }
    with django_assert_num_queries(0):
        assert reads.work_forecast(now=NOW).history.cases == 50 * 7


def test_the_beat_makes_it_before_the_cached_one_ages_out(settings):
    from tracing.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["capacity-forecast"]
    assert entry["task"] == capacity_forecast_task.name
    assert entry["schedule"] < dt.timedelta(
        seconds=settings.TRACING_CAPACITY_CACHE_SECONDS
    )
    assert capacity_forecast_task.name in app.tasks
