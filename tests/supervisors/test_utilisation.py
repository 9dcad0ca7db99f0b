"""Utilisation on hand-made shifts and calls, edges included."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from figures.utilisation import utilisation
from staffing.models import Shift
from tests import factories as f

from .conftest import at, member

pytestmark = pytest.mark.django_db

MON = dt.date(2026, 1, 12)
TUE, WED, THU, FRI, SUN = (MON + dt.timedelta(days=n) for n in (1, 2, 3, 4, 6))
MINUTE = dt.timedelta(minutes=1)


def shift(profile, start: dt.datetime, end: dt.datetime, **kwargs) -> Shift:
    return f.ShiftFactory(staff=profile, starts_at=start, ends_at=end, **kwargs)


def call(profile, when: dt.datetime, seconds: int = 900, **kwargs):
    return f.CallAttemptFactory(
        caller=profile.user,
        started_at=when,
        duration_seconds=seconds,
        contact__case__status=Status.COMPLETED,
        **kwargs,
    )


def rows_by_day(u, profile) -> dict[dt.date, object]:
    return {r.day: r for r in u.rows if r.profile.pk == profile.pk}


def test_a_day_shift_with_calls(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(MON, 8), at(MON, 16))
    for hour in (9, 10, 11, 12):
        call(worker, at(MON, hour))  # 15 minutes each
    day = rows_by_day(utilisation(lead, monday=MON), worker)[MON]
    assert day.hours_on_shift == 8
    assert day.calls == 4
    # Busy: 4 x (15 min talk + 5 min write-up) = 80 minutes of 480.
    assert day.idle_share == pytest.approx(1 - 80 / 480)


def test_a_shift_crossing_midnight_is_split_at_local_midnight(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(TUE, 20), at(WED, 4))
    days = rows_by_day(utilisation(lead, monday=MON), worker)
    assert days[TUE].hours_on_shift == 4
    assert days[WED].hours_on_shift == 4


def test_a_cancelled_shift_counts_no_hours(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(
        worker,
        at(THU, 8),
        at(THU, 16),
        status=Shift.Status.CANCELLED,
        cancel_reason="Quiet day",
    )
    assert THU not in rows_by_day(utilisation(lead, monday=MON), worker)


def test_an_open_slot_counts_for_nobody(lead, clinical_team):
    member(clinical_team, on_shift=False)
    Shift.objects.create(
        tier=clinical_team.tier,
        team=clinical_team,
        starts_at=at(THU, 8),
        ends_at=at(THU, 16),
    )
    assert utilisation(lead, monday=MON).rows == []


def test_a_shift_running_into_next_week_counts_only_this_weeks_part(
    lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(SUN, 22), at(SUN + dt.timedelta(days=1), 6))
    u = utilisation(lead, monday=MON)
    assert rows_by_day(u, worker)[SUN].hours_on_shift == 2
    assert u.team.hours_on_shift == 2
    next_week = utilisation(lead, monday=MON + dt.timedelta(days=7))
    assert (
        rows_by_day(next_week, worker)[SUN + dt.timedelta(days=1)].hours_on_shift == 6
    )


def test_a_night_shift_over_the_clock_change_counts_real_hours(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    sat, sun = dt.date(2026, 3, 28), dt.date(2026, 3, 29)  # clocks go forward on Sunday
    shift(worker, at(sat, 22), at(sun, 6))
    days = rows_by_day(utilisation(lead, monday=dt.date(2026, 3, 23)), worker)
    assert days[sat].hours_on_shift == 2
    assert days[sun].hours_on_shift == 5


def test_calls_off_shift_count_but_have_no_idle_share(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    call(worker, at(FRI, 18))
    day = rows_by_day(utilisation(lead, monday=MON), worker)[FRI]
    assert (day.hours_on_shift, day.calls, day.idle_share) == (0, 1, None)


def test_idle_share_never_goes_below_zero(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(MON, 8), at(MON, 9))
    for minute in range(0, 60, 20):
        call(worker, at(MON, 8, minute), seconds=1200)
    assert rows_by_day(utilisation(lead, monday=MON), worker)[MON].idle_share == 0


def test_items_completed_count_reached_contacts_and_completed_cases(
    lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(MON, 8), at(MON, 16))
    call(worker, at(MON, 9), outcome=Outcome.REACHED)
    call(worker, at(MON, 10), outcome=Outcome.NO_ANSWER)
    f.CaseFactory(
        status=Status.COMPLETED, assignee=worker.user, completed_at=at(MON, 11)
    )
    f.CaseFactory(
        status=Status.COMPLETED, assignee=worker.user, completed_at=at(TUE, 11)
    )
    days = rows_by_day(utilisation(lead, monday=MON), worker)
    assert days[MON].items_completed == 2
    assert days[TUE].items_completed == 1


def test_a_call_just_before_midnight_counts_on_its_local_day(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    call(worker, at(MON, 23, 59))
    days = rows_by_day(utilisation(lead, monday=MON), worker)
    assert days[MON].calls == 1
    assert TUE not in days


def test_week_totals_per_person_and_team(lead, clinical_team):
    a, b = (member(clinical_team, on_shift=False) for _ in range(2))
    shift(a, at(MON, 8), at(MON, 16))
    shift(b, at(TUE, 8), at(TUE, 12))
    call(a, at(MON, 9))
    call(b, at(TUE, 9))
    call(b, at(TUE, 10))
    u = utilisation(lead, monday=MON)
    people = {r.profile.pk: r for r in u.people}
    assert (people[a.pk].hours_on_shift, people[a.pk].calls) == (8, 1)
    assert (people[b.pk].hours_on_shift, people[b.pk].calls) == (4, 2)
    assert (u.team.hours_on_shift, u.team.calls) == (12, 3)
    # 3 calls x 20 minutes busy of 12 hours.
    assert u.team.idle_share == pytest.approx(1 - 60 / 720)


def test_the_teams_idle_share_counts_each_ones_calls_up_to_their_shift(
    lead, clinical_team
):
    """Summed, one calling past their shift hid another's idle day: the team total
    said 0.00 while a member was idle all shift."""
    busy, idle = (member(clinical_team, on_shift=False) for _ in range(2))
    for person in (busy, idle):
        shift(person, at(MON, 8), at(MON, 16))
    for hour in range(10):
        call(busy, at(MON, 8 + hour), seconds=3600)

    u = utilisation(lead, monday=MON)

    people = {r.profile.pk: r for r in u.people}
    assert (people[busy.pk].idle_share, people[idle.pk].idle_share) == (0, 1)
    assert u.team.idle_share == pytest.approx(0.5)


def test_other_teams_are_left_out(lead, clinical_team):
    stranger = f.StaffProfileFactory(clinical=True)
    shift(stranger, at(MON, 8), at(MON, 16))
    assert utilisation(lead, monday=MON).rows == []


def test_csv_download_has_a_row_per_person_and_day(client, lead, clinical_team):
    worker = member(
        clinical_team, on_shift=False, user__username="asha", user__first_name="Asha"
    )
    shift(worker, at(TUE, 20), at(WED, 4))
    call(worker, at(TUE, 21))
    client.force_login(lead.user)
    response = client.get(reverse("staffing:utilisation_csv"), {"week": "2026-01-14"})
    assert response["Content-Type"].startswith("text/csv")
    assert "utilisation-2026-01-12.csv" in response["Content-Disposition"]
    assert response.content.startswith("\ufeff".encode())  # Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    tuesday = next(r for r in rows if r["date"] == "2026-01-13")
    assert (tuesday["username"], tuesday["hours_on_shift"], tuesday["calls"]) == (
        "asha",
        "4.00",
        "1",
    )
    assert tuesday["idle_share"] == f"{1 - 20 / 240:.2f}"
    assert rows[-1]["name"] == "Team total"


def test_csv_defuses_formula_names(client, lead, clinical_team):
    worker = member(clinical_team, on_shift=False, user__first_name="=cmd")
    call(worker, at(MON, 9))
    client.force_login(lead.user)
    response = client.get(reverse("staffing:utilisation_csv"), {"week": "2026-01-12"})
    assert "'=cmd" in response.content.decode()


def test_utilisation_page_explains_the_idle_share(client, lead):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:utilisation"))
    assert "Idle share</strong> = 1 \u2212 min(1" in page.text


@pytest.mark.parametrize("size", [1, 5])
def test_utilisation_query_count_does_not_grow_with_the_team(
    client, lead, clinical_team, django_assert_num_queries, size
):
    for _ in range(size):
        worker = member(clinical_team, on_shift=False)
        shift(worker, at(MON, 8), at(MON, 16))
        call(worker, at(MON, 9), outcome=Outcome.REACHED)
        f.CaseFactory(
            status=Status.COMPLETED, assignee=worker.user, completed_at=at(MON, 11)
        )
    client.force_login(lead.user)
    # Session, user, profile, the second factor's device; members, shifts, calls,
    # completed cases; session save (3).
    with django_assert_num_queries(11):
        client.get(reverse("staffing:utilisation"), {"week": "2026-01-12"})


# --- only time already worked counts -------------------------------------------------


def test_on_a_tuesday_the_week_shows_monday_and_tuesday_so_far(lead, clinical_team):
    """Viewed at noon on Tuesday: Monday's shift whole, Tuesday's up to noon, and
    Thursday's booked shift not at all; no idle week of future shifts."""
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(MON, 8), at(MON, 16))
    shift(worker, at(TUE, 8), at(TUE, 16))
    shift(worker, at(THU, 8), at(THU, 16))
    call(worker, at(TUE, 9))
    u = utilisation(lead, monday=MON, now=at(TUE, 12))
    days = rows_by_day(u, worker)
    assert sorted(days) == [MON, TUE]
    assert days[MON].hours_on_shift == 8
    assert days[TUE].hours_on_shift == 4
    assert u.team.hours_on_shift == 12
    # 20 minutes busy (15 talking, 5 writing up) of Tuesday's 4 hours so far.
    assert days[TUE].idle_share == pytest.approx(1 - 20 / 240)
    assert (u.so_far, u.started, u.until) == (True, True, at(TUE, 12))


def test_a_shift_booked_for_later_is_not_time_on_shift(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(TUE, 14), at(TUE, 22))
    u = utilisation(lead, monday=MON, now=at(TUE, 12))
    assert u.rows == []
    assert u.team.hours_on_shift == 0
    assert u.team.idle_share is None


def test_a_night_shift_under_way_counts_up_to_now(lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(MON, 20), at(TUE, 4))
    days = rows_by_day(utilisation(lead, monday=MON, now=at(TUE, 1)), worker)
    assert (days[MON].hours_on_shift, days[TUE].hours_on_shift) == (4, 1)


def test_a_week_already_over_counts_whole_and_a_week_to_come_counts_nothing(
    lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(SUN, 8), at(SUN, 20))
    past = utilisation(lead, monday=MON, now=at(SUN + dt.timedelta(days=3), 9))
    assert (past.so_far, past.team.hours_on_shift) == (False, 12)
    future = utilisation(lead, monday=MON, now=at(MON - dt.timedelta(days=2), 9))
    assert (future.so_far, future.started, future.rows) == (True, False, [])


@pytest.mark.now(dt.datetime(2026, 1, 13, 12, 0, tzinfo=dt.UTC))
def test_the_page_on_a_tuesday_says_so_far(clock, client, lead, clinical_team):
    worker = member(clinical_team, on_shift=False)
    shift(worker, at(MON, 8), at(MON, 16))
    shift(worker, at(THU, 8), at(THU, 16))
    client.force_login(lead.user)
    page = client.get(reverse("staffing:utilisation"))
    assert "This week so far: up to Tuesday 13 January, 12:00." in page.text
    assert "Team, week of 12 January so far" in page.text
    assert page.context["u"].team.hours_on_shift == 8
    csv_rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("staffing:utilisation_csv")).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [r["date"] for r in csv_rows if r["username"]] == [
        "2026-01-12",
        "week of 2026-01-12",
    ]
