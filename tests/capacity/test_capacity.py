"""From a hand-built history to the staff needed each hour, the gap against the rota,
and the slots that would cover it: arithmetic only, no database."""

from __future__ import annotations

import datetime as dt

import pytest

from figures import capacity as cap
from figures import capacity_slots as slots_of
from figures import forecast as fc
from staffing.models import Tier

from .builders import LONDON, at

# A Tuesday morning in January (GMT): tomorrow is a Wednesday.
NOW = dt.datetime(2021, 1, 12, 10, 0, tzinfo=LONDON)
TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def handling(tier: int, *, minutes_talk: float, calls: int = 100) -> cap.Handling:
    return cap.handling_for(
        tier, [("reached", calls, calls * minutes_talk * 60)], wrap_up_minutes=5
    )


def history(
    *,
    per_hour: int = 10,
    hours=range(8, 20),
    days: int = 14,
    attempts: float = 1.5,
    contacts_per_case: float = 2.0,
    talk: dict[int, float] | None = None,
) -> cap.History:
    """`per_hour` cases in each of `hours` on each of the last `days` days and
    today's before now (today's arrivals so far count), as many contacts per case an
    hour later, and calls measured."""
    talk = talk or {Tier.CLINICAL: 15.0, Tier.CALL_HANDLER: 5.0}
    cases, contacts = {}, {}
    for d in range(days + 1):
        day = TODAY - dt.timedelta(days=d)
        for h in hours:
            moment = at(day, h).astimezone(dt.UTC)
            if moment >= NOW:
                continue
            cases[moment] = float(per_hour)
            contacts[moment + HOUR] = per_hour * contacts_per_case
    return cap.History(
        since=at(TODAY - dt.timedelta(days=cap.HISTORY_DAYS), 0),
        until=NOW,
        cases_by_hour=cases,
        contacts_by_hour=contacts,
        contacts_per_case=contacts_per_case,
        contacts_per_case_measured=True,
        attempts_per_item={"case": attempts, "contact": attempts},
        attempts_measured={"case": True, "contact": True},
        escalated_share={"case": 0.1, "contact": 0.25},
        escalated_measured={"case": True, "contact": True},
        handling={
            tier: handling(tier, minutes_talk=minutes) for tier, minutes in talk.items()
        },
    )


def hour_index(forecast: cap.WorkForecast, moment: dt.datetime) -> int:
    return forecast.hours.index(moment.astimezone(dt.UTC))


@pytest.fixture
def work(settings) -> cap.WorkForecast:
    settings.TRACING_CAPACITY_OCCUPANCY = 0.8
    return cap.forecast_work(history(), start=NOW)


def test_the_forecast_runs_fourteen_days_from_the_current_hour(work):
    assert len(work.hours) == 14 * 24
    assert work.hours[0] == NOW.astimezone(dt.UTC)
    assert work.daily.mean[:3] == pytest.approx([120, 120, 120])


def test_cases_arrive_in_the_hours_they_arrived_before(work):
    cases = work.tiers[Tier.CLINICAL].items
    assert cases[hour_index(work, at(TOMORROW, 9))] == pytest.approx(10)
    assert cases[hour_index(work, at(TOMORROW, 3))] == 0


def test_contacts_are_cases_times_contacts_per_case_in_their_own_hours(work):
    contacts = work.tiers[Tier.CALL_HANDLER].items
    assert contacts[hour_index(work, at(TOMORROW, 20))] == pytest.approx(20)
    assert contacts[hour_index(work, at(TOMORROW, 8))] == 0


def test_calls_take_further_attempts_the_rules_gap_later(work):
    calls = work.tiers[Tier.CLINICAL].calls
    # The rules: a case's second call two hours after the first; 1.5 calls a case.
    assert calls[hour_index(work, at(TOMORROW, 8))] == pytest.approx(10)
    assert calls[hour_index(work, at(TOMORROW, 10))] == pytest.approx(10 + 5)
    assert calls[hour_index(work, at(TOMORROW, 21))] == pytest.approx(5)


def test_hours_needed_are_calls_times_the_measured_minutes_per_call(work):
    tier2 = work.tiers[Tier.CLINICAL]
    i = hour_index(work, at(TOMORROW, 10))
    # 15 minutes' talk measured, plus 5 of write-up: 20 minutes a call.
    assert tier2.minutes_per_call == pytest.approx(20)
    assert tier2.staff_hours[i] == pytest.approx(15 * 20 / 60)
    # At 80% occupancy, five staff-hours of calls need 6.25 people on shift.
    assert tier2.needed[i] == pytest.approx(6.25)
    tier3 = work.tiers[Tier.CALL_HANDLER]
    assert tier3.minutes_per_call == pytest.approx(10)


def test_longer_calls_need_more_staff(settings):
    settings.TRACING_CAPACITY_OCCUPANCY = 0.8
    short = cap.forecast_work(history(talk={2: 5.0, 3: 5.0}), start=NOW)
    long = cap.forecast_work(history(talk={2: 35.0, 3: 5.0}), start=NOW)
    i = hour_index(short, at(TOMORROW, 12))
    assert long.tiers[2].needed[i] == pytest.approx(4 * short.tiers[2].needed[i])


def test_too_few_calls_take_the_default_minutes_and_say_so():
    h = cap.handling_for(Tier.CLINICAL, [("reached", 29, 29 * 600)], wrap_up_minutes=5)
    assert not h.measured
    assert h.minutes_per_call == fc.DEFAULT_MINUTES_PER_CALL["case"]


def test_minutes_per_call_weigh_each_outcome_by_its_calls():
    h = cap.handling_for(
        Tier.CALL_HANDLER,
        [("reached", 30, 30 * 10 * 60), ("no_answer", 70, 70 * 60)],
        wrap_up_minutes=5,
    )
    assert h.minutes_per_call == pytest.approx((30 * 10 + 70 * 1) / 100 + 5)
    assert [o.outcome for o in h.by_outcome] == ["no_answer", "reached"]
    assert h.by_outcome[1].label == "Reached"


def test_escalations_are_the_measured_share_when_the_window_closes(work):
    escalations = work.tiers[Tier.CLINICAL].escalations
    # Tomorrow's 09:00 cases are due to the local team a day later.
    assert escalations[hour_index(work, at(TOMORROW + dt.timedelta(days=1), 9))] == (
        pytest.approx(10 * 0.1)
    )


def test_the_interval_is_around_the_need(work):
    tier2 = work.tiers[Tier.CLINICAL]
    assert all(
        lo <= n <= hi
        for lo, n, hi in zip(
            tier2.needed_low, tier2.needed, tier2.needed_high, strict=True
        )
    )


@pytest.mark.parametrize(
    ("needed", "booked", "state"),
    [
        (10, 8.4, cap.SHORT),  # more than 15% short
        (10, 8.6, cap.ABOUT_RIGHT),
        (10, 11.4, cap.ABOUT_RIGHT),
        (10, 11.6, cap.OVER),
        (2, 1.6, cap.ABOUT_RIGHT),  # within half a person
        (2, 1.4, cap.SHORT),
        (0, 0, cap.ABOUT_RIGHT),
        (0, 1, cap.OVER),
        (0.3, 0, cap.ABOUT_RIGHT),  # nobody can be booked for a third of a person
    ],
)
def test_each_hour_is_short_about_right_or_over_staffed(needed, booked, state):
    assert cap.classify_gap(needed, booked, 0.15) == state


def test_the_fewest_people_to_add_make_an_hour_about_right():
    assert cap.people_to_add(10, 7, 0.15) == 2  # 9 is within 15% of 10
    assert cap.people_to_add(10, 9, 0.15) == 0
    assert cap.people_to_add(3.92, 0, 0.15) == 4
    assert cap.classify_gap(10, 7 + 2, 0.15) == cap.ABOUT_RIGHT


def test_a_shift_counts_for_the_part_of_each_hour_it_covers():
    hours = cap.hour_starts(at(TOMORROW, 8), 4)
    windows = [
        (at(TOMORROW, 8, 30), at(TOMORROW, 10), 2),
        (at(TOMORROW, 9), at(TOMORROW, 17), 1),
    ]
    assert cap.staff_by_hour(windows, hours) == pytest.approx([1, 3, 1, 1])


def gap_of(
    needed: list[float], booked: list[float], start: dt.datetime, open_slots=None
):
    hours = cap.hour_starts(start, len(needed))
    zeros = tuple(0.0 for _ in needed)
    forecast = cap.TierForecast(
        tier=Tier.CLINICAL,
        kind="case",
        items=zeros,
        items_low=zeros,
        items_high=zeros,
        calls=zeros,
        staff_hours=zeros,
        needed=tuple(needed),
        needed_low=tuple(needed),
        needed_high=tuple(needed),
        escalations=zeros,
        minutes_per_call=20,
        attempts_per_item=1.5,
    )
    return cap.tier_gap(
        forecast, hours=hours, booked=booked, open_slots=open_slots, tolerance=0.15
    )


def test_the_days_add_up_their_hours_and_name_the_worst():
    needed = [0.0] * 8 + [4.0] * 12 + [0.0] * 4
    booked = [0.0] * 8 + [4.0] * 6 + [1.0] * 6 + [0.0] * 4
    (day,) = gap_of(needed, booked, at(TOMORROW, 0)).days()
    assert (day.short, day.about_right, day.over) == (6, 18, 0)
    assert day.needed_hours == pytest.approx(48)
    assert day.booked_hours == pytest.approx(30)
    assert day.worst is not None
    assert day.worst.local.hour == 14


def test_the_summary_names_the_worst_gaps_most_short_first():
    needed = [2.0, 6.0, 4.0, 3.0, 2.0]
    booked = [2.0, 1.0, 1.0, 1.0, 0.0]
    summary = cap.gap_summary(gap_of(needed, booked, at(TOMORROW, 8)), hours=4)
    assert summary.hours == 4
    assert summary.short == 3
    assert [h.local.hour for h in summary.worst] == [9, 10, 11]


def test_slots_cover_only_the_short_hours_in_layers():
    # 08:00-12:00 short by 2 people, 12:00-14:00 by 1, 14:00-16:00 about right.
    needed = [6.0] * 4 + [5.0] * 2 + [4.0] * 2
    booked = [3.1] * 4 + [3.5] * 2 + [4.0] * 2
    gap = gap_of(needed, booked, at(TOMORROW, 8))
    slots = slots_of.gap_slots(
        gap, first_day=TOMORROW, last_day=TOMORROW, now=NOW, tolerance=0.15
    )
    assert [(s.starts.hour, s.ends.hour, s.count) for s in slots] == [
        (8, 12, 1),
        (8, 14, 1),
    ]


def test_slots_already_open_count_as_filled():
    def slots(open_now: float) -> list[tuple[int, int, int]]:
        gap = gap_of([6.0] * 4, [3.0] * 4, at(TOMORROW, 8), [open_now] * 4)
        found = slots_of.gap_slots(
            gap, first_day=TOMORROW, last_day=TOMORROW, now=NOW, tolerance=0.15
        )
        return [(s.starts.hour, s.ends.hour, s.count) for s in found]

    assert slots(0) == [(8, 12, 3)]
    assert slots(2) == [(8, 12, 1)]
    assert slots(3) == []


def test_a_long_gap_is_cut_into_shifts_and_a_short_one_lengthened():
    gap = gap_of([3.0] * 12 + [0.0] * 3 + [3.0], [0.0] * 16, at(TOMORROW, 6))
    slots = slots_of.gap_slots(
        gap, first_day=TOMORROW, last_day=TOMORROW, now=NOW, tolerance=0.15
    )
    assert [(s.starts.hour, s.ends.hour, s.count) for s in slots] == [
        (6, 12, 3),
        (12, 18, 3),
        (21, 23, 3),
    ]


def test_a_gap_in_the_last_hour_of_the_day_is_lengthened_backward():
    gap = gap_of([0.0, 3.0], [0.0, 0.0], at(TOMORROW, 22))
    (slot,) = slots_of.gap_slots(
        gap, first_day=TOMORROW, last_day=TOMORROW, now=NOW, tolerance=0.15
    )
    assert (slot.starts, slot.ends) == (
        at(TOMORROW, 22),
        at(TOMORROW + dt.timedelta(days=1), 0),
    )
    (plan,) = slots_of.slot_plans([slot])
    assert plan.windows() == [
        (at(TOMORROW, 22), at(TOMORROW + dt.timedelta(days=1), 0))
    ]


@pytest.mark.parametrize(
    ("day", "short", "expected"),
    [
        # 25 October 2026: 00:00 BST to 08:00 GMT is nine hours. Counted on the
        # clock's face, the slots were 00:00-04:00 GMT (called four hours, five
        # long) and 04:00-09:00, an hour past the gap: ten hours for nine.
        (
            dt.date(2026, 10, 25),
            9,
            [
                ("2026-10-24T23:00", "2026-10-25T03:00"),
                ("2026-10-25T03:00", "2026-10-25T08:00"),
            ],
        ),
        # 29 March 2026: 00:00 GMT to 08:00 BST is seven hours. It was one slot
        # to 07:00 BST (called seven hours, six long), leaving 07:00-08:00 short.
        (dt.date(2026, 3, 29), 7, [("2026-03-29T00:00", "2026-03-29T07:00")]),
    ],
)
def test_slots_on_a_clock_change_cover_the_short_hours_as_they_pass(
    day, short, expected
):
    """Expected in UTC."""
    gap = gap_of([3.0] * short, [0.0] * short, at(day, 0))

    slots = slots_of.gap_slots(
        gap, first_day=day, last_day=day, now=NOW, tolerance=0.15
    )

    def utc(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)

    assert [(s.starts, s.ends) for s in slots] == [
        (utc(a), utc(b)) for a, b in expected
    ]
    assert sum(s.hours for s in slots) == short
    assert [s.count for s in slots] == [3] * len(slots)
    # Published as shown: each plan's window is the slot's.
    assert [w for p in slots_of.slot_plans(slots) for w in p.windows()] == [
        (s.starts, s.ends) for s in slots
    ]


def test_slots_keep_to_the_days_chosen_and_to_the_future():
    gap = gap_of([3.0] * 48, [0.0] * 48, at(TODAY, 0))
    slots = slots_of.gap_slots(
        gap, first_day=TODAY, last_day=TODAY, now=NOW, tolerance=0.15
    )
    assert {s.day for s in slots} == {TODAY}
    assert min(s.starts for s in slots) == at(TODAY, 11)


def test_the_digest_changes_with_the_slots():
    gap = gap_of([3.0] * 4, [0.0] * 4, at(TOMORROW, 8))
    slots = slots_of.gap_slots(
        gap, first_day=TOMORROW, last_day=TOMORROW, now=NOW, tolerance=0.15
    )
    fewer = [slots_of.GapSlot(s.starts, s.ends, s.count - 1) for s in slots]
    assert slots_of.slots_digest(slots) != slots_of.slots_digest(fewer)


def test_cap_room_is_what_the_caps_leave_and_the_ceiling_beyond():
    members = [(42, 40.0), (42, 50.0), (30, 0.0)]
    assert slots_of.cap_room(members, ceiling=60) == (2 + 0 + 30, 20 + 10 + 60)


def test_a_week_short_of_cap_room_says_by_how_much():
    check = slots_of.CapCheck(monday=TODAY, slot_hours=40, cap_room=25, ceiling_room=90)
    assert check.short_by == 15
    assert check.beyond_ceiling == 0
