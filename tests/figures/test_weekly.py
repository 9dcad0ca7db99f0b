"""The weekly figures (figures.weekly), on a data set built by hand: every figure
asserted here is worked out by hand in the comments beside it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from calls.models import Outcome
from cases.workitem import Route, Status
from contacts.models import Contact
from figures.percentile import percentile_cont
from figures.weekly import (
    ISO,
    ROUTES,
    THURSDAY,
    CaseFigures,
    Period,
    RouteFigures,
    Scope,
    Spread,
    StaffRow,
    Times,
    forget_cached_figures,
    may_see,
    scopes_for,
    time_columns,
    weekly_figures,
    weekly_trend,
)
from figures.weekly import _times_in_python as times_in_python
from staffing.models import Shift, Tier
from tests import factories as f
from work.calls import call_record

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")

# The Thursday week 7-13 January 2021 (GMT all week): 7 Jan 00:00 to 14 Jan 00:00.
WEEK = Period(dt.date(2021, 1, 7))
T = dt.datetime(2021, 1, 7, 9, 0, tzinfo=LONDON)  # Thursday 09:00
# A week later: the week of 7 January is over (closed).
AFTER = dt.datetime(2021, 1, 20, 12, 0, tzinfo=LONDON)
ENGLAND = Scope.england()


def at(hours: float = 0, minutes: float = 0) -> dt.datetime:
    return T + dt.timedelta(hours=hours, minutes=minutes)


def route_figures(**counts: tuple[int, int]) -> dict[str, RouteFigures]:
    """{route: RouteFigures(reached, within_24h)}, zero for the routes not named."""
    return {r: RouteFigures(*counts.get(r, (0, 0))) for r in ROUTES}


def case(
    created: dt.datetime,
    *,
    reached: dt.datetime | None = None,
    route: str = "",
    lab_days: int = 1,
    **kwargs,
):
    """A case transferred at `created`; its result came `lab_days` after the
    specimen; reached at `reached` by `route`."""
    status = Status.NEW
    if reached is not None:
        status = Status.CLOSED if route == Route.LOCAL else Status.COMPLETED
    return f.CaseFactory(
        created_at=created,
        specimen_date=dt.date(2021, 1, 6) - dt.timedelta(days=lab_days),
        result_date=dt.date(2021, 1, 6),
        status=status,
        reached_at=reached,
        reached_route=route,
        **kwargs,
    )


def contact(of, created: dt.datetime, *, reached=None, route: str = "", **kwargs):
    status = Status.NEW
    if reached is not None:
        status = Status.CLOSED if route == Route.LOCAL else Status.REACHED
    return f.ContactFactory(
        case=of,
        created_at=created,
        status=status,
        reached_at=reached,
        reached_route=route,
        **kwargs,
    )


def call(item, caller, started: dt.datetime, seconds: int, outcome=Outcome.REACHED):
    """A call on the item; a reaching one on an item reached by phone stamps the
    caller's tier on it, as recording the call does (work.calls.call_record)."""
    kind = "case" if item.kind == "case" else "contact"
    other = "contact" if kind == "case" else "case"
    if (
        outcome == Outcome.REACHED
        and item.reached_route == Route.NATIONAL
        and item.reached_tier is None
    ):
        item.reached_tier = caller.staff.tier
        item.save(update_fields=["reached_tier"])
    return f.CallAttemptFactory(
        **{kind: item, other: None},
        caller=caller,
        started_at=started,
        duration_seconds=seconds,
        outcome=outcome,
    )


@pytest.fixture
def staff(db):
    """A tier 2 caseworker (team "Clinical A") and a tier 3 call handler ("Calls
    B"), and a member of Sheffield's local team (tier 1: never a staff row)."""
    cw = f.StaffProfileFactory(
        clinical=True, team=f.TeamFactory(name="Clinical A", tier=Tier.CLINICAL)
    )
    ch = f.StaffProfileFactory(
        team=f.TeamFactory(name="Calls B", tier=Tier.CALL_HANDLER)
    )
    local = f.StaffProfileFactory(local=True)
    return cw, ch, local


@pytest.fixture
def week(staff):
    """The week of 7 January, built by hand. Sheffield unless said; `elsewhere` is
    an area of another local team.

    Cases (transferred at, reached after, route, reaching caller):
      c1  T        23:59  national  caseworker (tier 2)   in 24 h
      c2  T        24:01  national  call handler (tier 3)  out
      c3  T        50 h   local (escalated at 30 h; a no-answer call before)
      c4  T+1h     2 h    online
      c5  T+2h     -      no phone, no email
      c6  T+2h     -      has a phone
      c7  Fri 10:00 80 h  national, no call recorded: tier 2 for a case
      c8  Wed 13 Jan 23:59:59   -    (the week's last second)
      c9  T, elsewhere    1 h   online
      and outside the week: Thursday 14 Jan 00:00:00, Wednesday 6 Jan 23:59.
    """
    cw, ch, _ = staff
    elsewhere = f.AreaFactory()
    c1 = case(at(), reached=at(23, 59), route=Route.NATIONAL, lab_days=1)
    c2 = case(at(), reached=at(24, 1), route=Route.NATIONAL, lab_days=1)
    c3 = case(
        at(),
        reached=at(50),
        route=Route.LOCAL,
        lab_days=2,
        escalated_at=at(30),
        local_team=f.area().local_team,
        closed_at=at(50),
    )
    c4 = case(at(1), reached=at(3), route=Route.ONLINE, lab_days=0)
    case(at(2), lab_days=3, person=f.PersonFactory(phone="", email=""))
    case(at(2), lab_days=1)
    case(
        dt.datetime(2021, 1, 8, 10, tzinfo=LONDON),
        reached=dt.datetime(2021, 1, 11, 18, tzinfo=LONDON),  # 80 h on
        route=Route.NATIONAL,
        lab_days=2,
    )
    case(dt.datetime(2021, 1, 13, 23, 59, 59, tzinfo=LONDON), lab_days=5)
    c9 = case(
        at(),
        reached=at(1),
        route=Route.ONLINE,
        lab_days=1,
        person=f.PersonFactory(area=elsewhere),
    )
    case(dt.datetime(2021, 1, 14, 0, 0, 0, tzinfo=LONDON), reached=at(200))
    case(dt.datetime(2021, 1, 6, 23, 59, tzinfo=LONDON), reached=at(2))

    # The reaching calls, and calls that reached nobody.
    call(c1, cw.user, at(23, 29), 1800)
    call(c2, ch.user, at(23, 41), 1200)
    call(c3, cw.user, at(1), 720, Outcome.NO_ANSWER)

    # Contacts (identified at, reached at, route): one person named by c1 and c2;
    # two people sharing a phone (two to matching, so two here), named by c3 and c4.
    p = f.PersonFactory(phone="+447700900101")
    k1 = contact(c1, at(1), reached=at(3), route=Route.NATIONAL, person=p)
    contact(c2, at(2), person=p)  # k2: the same person again, not reached
    contact(c3, at(5), person=f.PersonFactory(phone="+447700900202"))  # k3
    k4 = contact(
        c4,
        at(6),
        reached=at(8),
        route=Route.ONLINE,
        person=f.PersonFactory(phone="+447700900202"),
    )
    k5 = contact(c4, at(1), reached=at(30), route=Route.NATIONAL)
    k6 = contact(c2, at(), reached=at(2), route=Route.NATIONAL)  # no call: tier 3
    k7 = contact(
        c3,
        at(),
        reached=at(75),
        route=Route.LOCAL,
        escalated_at=at(20),
        local_team=f.area().local_team,
    )
    contact(c1, at(4))  # k8: not reached
    k9 = contact(
        c9,
        at(1),
        reached=at(2),
        route=Route.ONLINE,
        person=f.PersonFactory(area=elsewhere),
    )
    contact(c1, dt.datetime(2021, 1, 14, 0, 0, tzinfo=LONDON))  # next week

    call(k1, ch.user, at(2, 40), 1200)
    call(k1, ch.user, at(1, 30), 240, Outcome.NO_ANSWER)
    call(k5, cw.user, at(29, 30), 1800)
    call(k6, ch.user, at(1), 240, Outcome.VOICEMAIL)
    return {"elsewhere": elsewhere, "c1": c1, "k9": k9, "k4": k4, "k7": k7}


# --- weeks ------------------------------------------------------------------------


def test_a_thursday_week_runs_thursday_to_wednesday_in_local_time():
    period = Period.parse("2021-01-10")  # a Sunday: the week holding it
    assert period == WEEK == Period.containing(dt.date(2021, 1, 13))
    assert period.starts_on == dt.date(2021, 1, 7)
    assert period.ends_on == dt.date(2021, 1, 13)
    assert period.kind == THURSDAY
    assert period.key == "2021-01-07"
    assert period.label == "Thursday 7 January to Wednesday 13 January 2021"
    start, end = period.bounds()
    assert start == dt.datetime(2021, 1, 7, tzinfo=LONDON)
    assert end == dt.datetime(2021, 1, 14, tzinfo=LONDON)
    assert period.hours == 168
    assert period.previous() == Period(dt.date(2020, 12, 31))
    assert period.previous(2).key == "2020-12-24"
    assert period.previous().label == (
        "Thursday 31 December 2020 to Wednesday 6 January 2021"
    )


def test_the_last_complete_week_is_the_one_before_today():
    on_wednesday = Period.last_complete(today=dt.date(2021, 1, 13))
    on_thursday = Period.last_complete(today=dt.date(2021, 1, 14))
    assert on_wednesday.key == "2020-12-31"
    assert on_thursday.key == "2021-01-07"
    assert Period.last_complete(ISO, today=dt.date(2021, 1, 10)).key == "2020-W53"
    assert Period.last_complete(ISO, today=dt.date(2021, 1, 11)).key == "2021-W01"


def test_a_week_is_closed_once_its_last_local_midnight_has_passed():
    assert not WEEK.is_closed(dt.datetime(2021, 1, 13, 23, 59, 59, tzinfo=LONDON))
    assert WEEK.is_closed(dt.datetime(2021, 1, 14, 0, 0, tzinfo=LONDON))


def test_iso_weeks_are_an_option():
    week_1 = Period.parse("2021-W01", ISO)
    assert week_1 == Period.parse("2021-01-10", ISO) == Period.parse("2021w1", ISO)
    assert week_1.starts_on == dt.date(2021, 1, 4)
    assert week_1.ends_on == dt.date(2021, 1, 10)
    assert week_1.key == "2021-W01"
    assert week_1.label == "Monday 4 January to Sunday 10 January 2021"
    assert Period.parse("2020-W53", ISO).starts_on == dt.date(2020, 12, 28)
    assert Period.parse("2020-W53", ISO).key == "2020-W53"
    with pytest.raises(ValueError, match="not a week of 2021"):
        Period.parse("2021-W53", ISO)


@pytest.mark.parametrize(
    ("value", "kind", "reason"),
    [
        ("2021-W01", THURSDAY, "weeks=iso"),
        ("2021-02-30", THURSDAY, "not a date"),
        ("soon", THURSDAY, "for example 2021-01-07"),
        ("soon", ISO, "2021-W01"),
        ("", THURSDAY, "for example 2021-01-07"),
        ("0000-W01", ISO, "between 1900 and 9000"),
        ("9999-12-31", THURSDAY, "between 1900 and 9000"),
        ("2021-01-07", "month", "'thu'"),
    ],
)
def test_a_bad_week_says_why(value, kind, reason):
    with pytest.raises(ValueError, match=reason):
        Period.parse(value, kind)


def test_a_period_must_start_on_its_first_day():
    with pytest.raises(ValueError, match="Thursday"):
        Period(dt.date(2021, 1, 8))
    with pytest.raises(ValueError, match="Monday"):
        Period(dt.date(2021, 1, 7), ISO)


@pytest.mark.now(dt.datetime(2021, 4, 10, 12, tzinfo=LONDON))
def test_a_week_across_the_spring_clock_change_is_167_hours(clock):
    """Clocks went forward at 01:00 on Sunday 28 March 2021. The Thursday week 25-31
    March runs from 25 March 00:00 GMT to 1 April 00:00 BST: 167 hours. Within 24
    hours is time, not the clock: Saturday 12:00 GMT to Sunday 12:30 BST is 23.5 h
    (24.5 h on the clock face)."""
    period = Period.parse("2021-03-28")
    start, end = period.bounds()
    assert period.key == "2021-03-25"
    assert period.hours == 167
    assert start == dt.datetime(2021, 3, 25, 0, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2021, 3, 31, 23, 0, tzinfo=dt.UTC)
    assert WEEK.hours == 168
    # (Python subtracts two times of one zone on the clock face: go through UTC.)
    saturday = dt.datetime(2021, 3, 27, 12, 0, tzinfo=LONDON)
    sunday = dt.datetime(2021, 3, 28, 12, 30, tzinfo=LONDON)
    assert sunday - saturday == dt.timedelta(hours=24, minutes=30)
    assert sunday.astimezone(dt.UTC) - saturday.astimezone(dt.UTC) == dt.timedelta(
        hours=23, minutes=30
    )
    case(saturday, reached=sunday, route=Route.ONLINE)
    case(dt.datetime(2021, 3, 31, 23, 30, tzinfo=LONDON))  # Wednesday 23:30 BST: in
    case(dt.datetime(2021, 4, 1, 0, 0, tzinfo=LONDON))  # Thursday 00:00 BST: out
    case(dt.datetime(2021, 3, 25, 0, 0, tzinfo=LONDON))  # Thursday 00:00 GMT: in

    figures = weekly_figures(period=period, scope=ENGLAND)

    assert figures.cases.transferred == 3
    assert figures.cases.within_24h == 1
    assert figures.times.result_to_case_reached == Spread(23.5, 23.5, 1)


# --- cases ------------------------------------------------------------------------


@pytest.mark.now(AFTER)
def test_the_cases_of_the_week_worked_out_by_hand(clock, week):
    cases = weekly_figures(period=WEEK, scope=ENGLAND).cases
    assert cases == CaseFigures(
        transferred=9,  # c1-c9; not Thursday 14 Jan 00:00, nor Wednesday 6 Jan
        reached=6,  # c1 c2 c3 c4 c7 c9
        reached_pct=66.7,  # 6 / 9
        within_24h=3,  # c1 (23:59) c4 (2 h) c9 (1 h); not c2 (24:01)
        within_24h_pct=33.3,  # 3 / 9
        spread={
            "under_24h": 3,
            "24_48h": 1,  # c2
            "48_72h": 1,  # c3, 50 h
            "over_72h": 1,  # c7, 80 h
        },
        not_reached_no_details=1,  # c5
        not_reached_other=2,  # c6, c8
        by_route=route_figures(
            online=(2, 2),  # c4 c9
            tier2=(2, 1),  # c1 (caseworker, 23:59), c7 (no call: a case's tier 2)
            tier3=(1, 0),  # c2 (call handler, 24:01)
            local=(1, 0),  # c3: escalated, then reached by the local team, once
        ),
        known_contacts=0,  # none of them was named as a contact
        known_contacts_pct=0.0,
    )


@pytest.mark.now(AFTER)
def test_reached_at_23_59_after_transfer_is_within_24_hours_and_24_01_is_not(clock):
    case(at(), reached=at(23, 59), route=Route.NATIONAL)
    case(at(), reached=at(24), route=Route.NATIONAL)  # exactly 24 h: within
    case(at(), reached=at(24, 1), route=Route.NATIONAL)
    cases = weekly_figures(period=WEEK, scope=ENGLAND).cases
    assert (cases.reached, cases.within_24h) == (3, 2)
    assert cases.spread == {"under_24h": 2, "24_48h": 1, "48_72h": 0, "over_72h": 0}


@pytest.mark.now(AFTER)
def test_results_at_23_59_59_on_wednesday_and_midnight_thursday_are_different_weeks(
    clock,
):
    case(dt.datetime(2021, 1, 13, 23, 59, 59, tzinfo=LONDON))
    case(dt.datetime(2021, 1, 14, 0, 0, 0, tzinfo=LONDON))
    case(dt.datetime(2021, 1, 14, 0, 0, 1, tzinfo=LONDON))
    this_week = weekly_figures(period=WEEK, scope=ENGLAND).cases
    next_week = weekly_figures(period=WEEK.previous(-1), scope=ENGLAND).cases
    assert (this_week.transferred, next_week.transferred) == (1, 2)


@pytest.mark.now(AFTER)
def test_an_item_escalated_then_reached_by_its_local_team_counts_once_as_local(
    clock, staff
):
    cw, _, _ = staff
    item = case(
        at(),
        reached=at(40),
        route=Route.LOCAL,
        escalated_at=at(30),
        local_team=f.area().local_team,
        closed_at=at(40),
    )
    call(item, cw.user, at(1), 60, Outcome.NO_ANSWER)
    call(item, cw.user, at(5), 60, Outcome.NO_ANSWER)
    cases = weekly_figures(period=WEEK, scope=ENGLAND).cases
    assert (cases.transferred, cases.reached) == (1, 1)
    assert cases.by_route == route_figures(local=(1, 0))


@pytest.mark.now(AFTER)
def test_the_national_route_splits_by_the_tier_of_the_caller_who_reached_them(
    clock, staff
):
    cw, ch, _ = staff
    by_caseworker = case(at(), reached=at(2), route=Route.NATIONAL)
    call(by_caseworker, ch.user, at(1), 60, Outcome.NO_ANSWER)  # not the reaching one
    call(by_caseworker, cw.user, at(2), 60)
    by_handler = case(at(), reached=at(3), route=Route.NATIONAL)
    call(by_handler, ch.user, at(3), 60)
    case(at(), reached=at(4), route=Route.NATIONAL)  # no call: tier 2 for a case

    contact_by_caseworker = contact(
        by_caseworker, at(), reached=at(2), route="national"
    )
    call(contact_by_caseworker, cw.user, at(2), 60)
    contact_by_handler = contact(by_handler, at(), reached=at(30), route="national")
    call(contact_by_handler, ch.user, at(30), 60)
    contact(by_handler, at(), reached=at(5), route="national")  # no call: tier 3

    figures = weekly_figures(period=WEEK, scope=ENGLAND)
    assert figures.cases.by_route == route_figures(tier2=(2, 2), tier3=(1, 1))
    assert figures.contacts.by_route == route_figures(tier2=(1, 1), tier3=(2, 1))


@pytest.mark.now(AFTER)
def test_a_call_recorded_through_the_service_stamps_the_tier_that_reached_them(
    clock, staff
):
    """The split follows the tier of whoever made the reaching call as recorded by
    call_record: a contact a clinical supervisor reached counts for tier 2 (with no
    stamp it would count for tier 3, a contact's default)."""
    _, ch, _ = staff
    clinician = f.StaffProfileFactory(clinical=True, is_supervisor=True).user
    item = f.ContactFactory(
        case=case(at()), created_at=at(), status=Status.ASSIGNED, assignee=ch.user
    )
    call_record(item=item, caller=clinician, outcome=Outcome.REACHED, now=at(2))
    item.refresh_from_db()
    assert (item.reached_route, item.reached_tier) == (Route.NATIONAL, Tier.CLINICAL)
    figures = weekly_figures(period=WEEK, scope=ENGLAND)
    assert figures.contacts.by_route == route_figures(tier2=(1, 1))


@pytest.mark.now(AFTER)
def test_the_online_route(clock):
    item = case(at(), reached=at(25), route=Route.ONLINE)
    contact(item, at(1), reached=at(2), route=Route.ONLINE)
    figures = weekly_figures(period=WEEK, scope=ENGLAND)
    assert figures.cases.by_route == route_figures(online=(1, 0))
    assert figures.contacts.by_route == route_figures(online=(1, 1))


# --- contacts ---------------------------------------------------------------------


@pytest.mark.now(AFTER)
def test_the_contacts_of_the_week_worked_out_by_hand(clock, week):
    contacts = weekly_figures(period=WEEK, scope=ENGLAND).contacts
    # Rows k1-k9 (not the one of 14 January); people: p (k1, k2), k3, k4 (who
    # share a phone: two people), k5, k6, k7, k8, k9.
    assert contacts.rows == 9
    assert contacts.identified == 8
    assert contacts.merged == 1
    assert contacts.reached == 6  # p (k1), k4, k5 k6 k7 k9; not k3 nor k8
    assert contacts.reached_pct == 75.0  # 6 / 8
    # p: named at 1 h, reached at 3 h; k4: named 6 h, reached 8 h; k6: 2 h;
    # k9: 1 h. Not k5 (29 h) nor k7 (75 h).
    assert contacts.within_24h == 4
    assert contacts.within_24h_pct == 50.0  # 4 / 8
    assert contacts.spread == {
        "under_24h": 4,
        "24_48h": 1,
        "48_72h": 0,
        "over_72h": 1,
    }
    assert contacts.by_route == route_figures(
        online=(2, 2),  # k4, k9
        tier2=(1, 0),  # k5: the caseworker's call, 29 h
        tier3=(2, 2),  # p (k1: the call handler's call), k6 (no call: tier 3)
        local=(1, 0),  # k7: escalated, reached by the local team
    )
    assert contacts.per_case == 0.89  # 8 people / 9 cases


@pytest.mark.now(AFTER)
def test_the_same_contact_named_by_two_cases_counts_once(clock):
    person = f.PersonFactory()
    first, second = case(at()), case(at(1))
    contact(first, at(2), person=person)
    contact(second, at(10), reached=at(12), route=Route.ONLINE, person=person)
    contacts = weekly_figures(period=WEEK, scope=ENGLAND).contacts
    assert (contacts.rows, contacts.identified, contacts.merged) == (2, 1, 1)
    # Reached once; within 24 h of when they were first named (2 h -> 12 h).
    assert (contacts.reached, contacts.within_24h) == (1, 1)
    assert contacts.by_route == route_figures(online=(1, 1))
    assert contacts.per_case == 0.5  # one person, two cases


@pytest.mark.now(AFTER)
def test_a_family_sharing_a_phone_counts_as_its_people(clock):
    """Twins on the family's landline are two people to matching (people/matching.py),
    and so to the figures: neither counts as reached when only the other is."""
    item = case(at())
    home = "+441144960000"
    born = dt.date(2012, 5, 1)
    amir, amira = (
        f.PersonFactory(
            first_name=name, last_name="Khan", phone=home, date_of_birth=born
        )
        for name in ("Amir", "Amira")
    )
    contact(item, at(), reached=at(2), route=Route.NATIONAL, person=amir)
    contact(item, at(), person=amira)
    contact(item, at(), person=f.PersonFactory(phone=""))
    contacts = weekly_figures(period=WEEK, scope=ENGLAND).contacts
    assert (contacts.rows, contacts.identified, contacts.merged) == (3, 3, 0)
    assert (contacts.reached, contacts.reached_pct) == (1, 33.3)


@pytest.mark.now(AFTER)
def test_a_record_merged_into_anothers_counts_as_that_person(clock):
    """Two records found to be one person and merged: their contact rows are one
    person's, as the merge moved them (work/merge.py)."""
    first, second = case(at()), case(at(1))
    kept = f.PersonFactory(phone="+447700900333")
    merged = f.PersonFactory(phone="+447700900444", merged_into=kept)
    contact(first, at(2), reached=at(3), route=Route.ONLINE, person=kept)
    contact(second, at(4), person=merged)
    # As work.merge moves the merged record's rows to the survivor.
    Contact.objects.filter(person=merged).update(person=kept)
    contacts = weekly_figures(period=WEEK, scope=ENGLAND).contacts
    assert (contacts.rows, contacts.identified, contacts.merged) == (2, 1, 1)
    assert contacts.reached == 1


@pytest.mark.now(AFTER)
def test_a_person_named_again_a_week_later_counts_in_each_week(clock):
    person = f.PersonFactory()
    contact(case(at()), at(), person=person)
    contact(case(at(24 * 7)), at(24 * 7), person=person)
    for period in (WEEK, WEEK.previous(-1)):
        contacts = weekly_figures(period=period, scope=ENGLAND).contacts
        assert (contacts.identified, contacts.merged) == (1, 0)


# --- times ------------------------------------------------------------------------


@pytest.mark.now(AFTER)
def test_the_times_worked_out_by_hand(clock, week):
    """Specimen to result, cases c1-c9 (days x 24): 24 24 48 0 72 24 48 120 24,
    sorted 0 24 24 24 24 48 48 72 120: the median is the 5th, 24; the 90th
    percentile at position 0.9 x 8 = 7.2, 72 + 0.2 x (120 - 72) = 81.6.

    Transfer to reached, cases reached: 1 2 23.983 24.017 50 80: the median at 2.5,
    (23.983 + 24.017) / 2 = 24; the 90th percentile at 4.5, 50 + 0.5 x 30 = 65.

    Case reached to contact reached, contact rows reached whose case was: k1 0
    (reached 20 h before c1: a contact reached first counts 0), k4 5, k5 27, k6 0,
    k7 25, k9 1: sorted 0 0 1 5 25 27, median (1 + 5) / 2 = 3, 90th percentile at
    4.5, 25 + 0.5 x 2 = 26."""
    times = weekly_figures(period=WEEK, scope=ENGLAND).times
    assert times == Times(
        specimen_to_result=Spread(median=24.0, p90=81.6, n=9),
        result_to_case_reached=Spread(median=24.0, p90=65.0, n=6),
        case_reached_to_contacts_reached=Spread(median=3.0, p90=26.0, n=6),
    )


@pytest.mark.now(AFTER)
def test_the_python_percentiles_give_what_the_database_gives(clock, week):
    """The SQLite fallback's interpolation, on the same rows as PostgreSQL's."""
    start, end = WEEK.bounds()
    in_week = {"created_at__gte": start, "created_at__lt": end}
    from cases.models import Case
    from contacts.models import Contact

    columns = time_columns(
        Case.objects.filter(**in_week), Contact.objects.filter(**in_week)
    )
    assert times_in_python(columns) == weekly_figures(period=WEEK, scope=ENGLAND).times


def test_percentiles_interpolate_as_percentile_cont_does():
    assert percentile_cont([], 0.5) is None
    assert percentile_cont([7.0], 0.9) == 7.0
    assert percentile_cont([4, 1, 3, 2], 0.5) == 2.5
    assert percentile_cont(range(1, 11), 0.9) == pytest.approx(9.1)
    assert percentile_cont([0, 10], 0.25) == 2.5


@pytest.mark.now(AFTER)
def test_no_rows_no_times(clock):
    assert weekly_figures(period=WEEK, scope=ENGLAND).times == Times(
        Spread(None, None, 0), Spread(None, None, 0), Spread(None, None, 0)
    )


# --- staff ------------------------------------------------------------------------


@pytest.mark.now(AFTER)
def test_the_staff_rows_worked_out_by_hand(clock, week, staff):
    """Caseworker: Thursday 08:00-16:00 (8 h) and Wednesday 20:00 to Thursday 04:00
    (4 h in the week): 12 h; calls c1 1800 s, c3 720 s, k5 1800 s: 3 calls, 2
    reached, 4320 s on calls and 3 x 300 s writing them up (utilisation's WRAP_UP)
    of 43200 s on shift: idle 0.879. Call handler: Friday 09:00-17:00 (8 h); calls
    c2 1200 s, k1 1200 s and 240 s, k6 240 s: 4 calls, 2 reached, 2880 + 1200 of
    28800 s: idle 0.858. A cancelled shift and an open slot count nothing; the local
    team's member is not a national staff row."""
    cw, ch, local = staff
    thursday = dt.datetime(2021, 1, 7, 8, tzinfo=LONDON)
    f.ShiftFactory(staff=cw, starts_at=thursday, ends_at=thursday.replace(hour=16))
    f.ShiftFactory(
        staff=cw,
        starts_at=dt.datetime(2021, 1, 13, 20, tzinfo=LONDON),
        ends_at=dt.datetime(2021, 1, 14, 4, tzinfo=LONDON),
    )
    f.ShiftFactory(
        staff=cw,
        starts_at=dt.datetime(2021, 1, 9, 8, tzinfo=LONDON),
        ends_at=dt.datetime(2021, 1, 9, 16, tzinfo=LONDON),
        status=Shift.Status.CANCELLED,
    )
    f.ShiftFactory(
        staff=None,
        tier=Tier.CLINICAL,
        team=cw.team,
        starts_at=dt.datetime(2021, 1, 10, 8, tzinfo=LONDON),
        ends_at=dt.datetime(2021, 1, 10, 16, tzinfo=LONDON),
        status=Shift.Status.OPEN,
    )
    f.ShiftFactory(
        staff=ch,
        starts_at=dt.datetime(2021, 1, 8, 9, tzinfo=LONDON),
        ends_at=dt.datetime(2021, 1, 8, 17, tzinfo=LONDON),
    )
    f.ShiftFactory(
        staff=local,
        starts_at=dt.datetime(2021, 1, 8, 9, tzinfo=LONDON),
        ends_at=dt.datetime(2021, 1, 8, 17, tzinfo=LONDON),
    )

    staff_rows = weekly_figures(period=WEEK, scope=ENGLAND).staff

    assert staff_rows == [
        StaffRow(
            tier=2,
            team="Clinical A",
            hours_on_shift=12.0,
            calls=3,
            reached=2,
            calls_per_hour=0.25,
            reached_per_hour=0.17,  # 2 / 12
            idle_share=0.879,
        ),
        StaffRow(
            tier=3,
            team="Calls B",
            hours_on_shift=8.0,
            calls=4,
            reached=2,
            calls_per_hour=0.5,
            reached_per_hour=0.25,
            idle_share=0.858,
        ),
    ]


@pytest.mark.now(AFTER)
def test_one_calling_past_their_shift_does_not_hide_anothers_idle_time(clock, staff):
    """Two of one team on 8 h shifts: one on calls for 10 h (past their shift), the
    other on none. Summed, the team looked busy all but a sixth of its time; counted
    up to each one's own shift it is idle half its time, as utilisation says."""
    cw, _, _ = staff
    idle = f.StaffProfileFactory(clinical=True, team=cw.team)
    thursday = dt.datetime(2021, 1, 7, 8, tzinfo=LONDON)
    for person in (cw, idle):
        f.ShiftFactory(
            staff=person, starts_at=thursday, ends_at=thursday.replace(hour=16)
        )
    for hour in range(10):
        f.CallAttemptFactory(
            caller=cw.user,
            started_at=thursday + dt.timedelta(hours=hour),
            duration_seconds=3600,
        )

    [row] = weekly_figures(period=WEEK, scope=ENGLAND).staff

    assert (row.hours_on_shift, row.calls, row.idle_share) == (16.0, 10, 0.5)


def test_hours_on_shift_count_only_the_time_already_worked(clock, staff):
    """Now is Tuesday 12 January 10:00, inside the week: of Tuesday's 08:00-16:00
    shift only 2 h are worked; Thursday's 8 h are; Wednesday's are still to come."""
    cw, _, _ = staff
    for start, end in [
        ((2021, 1, 7, 9), (2021, 1, 7, 17)),
        ((2021, 1, 12, 8), (2021, 1, 12, 16)),
        ((2021, 1, 13, 8), (2021, 1, 13, 16)),
    ]:
        f.ShiftFactory(
            staff=cw,
            starts_at=dt.datetime(*start, tzinfo=LONDON),
            ends_at=dt.datetime(*end, tzinfo=LONDON),
        )
    [row] = weekly_figures(period=WEEK, scope=ENGLAND).staff
    assert (row.hours_on_shift, row.calls, row.calls_per_hour) == (10.0, 0, 0.0)
    assert row.idle_share == 1.0


# --- scopes -----------------------------------------------------------------------


@pytest.mark.now(AFTER)
def test_the_figures_of_a_team_and_of_an_area(clock):
    """A team with two areas: the team scope holds both, an area scope its own; an
    item escalated to the team from another team's area is not the team's (its
    area decides)."""
    team = f.LocalTeamFactory(name="Twin Valleys")
    north, south = f.AreaFactory(local_team=team), f.AreaFactory(local_team=team)
    elsewhere = f.AreaFactory()
    in_north = case(
        at(), reached=at(1), route=Route.ONLINE, person=f.PersonFactory(area=north)
    )
    case(at(), person=f.PersonFactory(area=south))
    away = case(at(), person=f.PersonFactory(area=elsewhere), local_team=team)
    contact(in_north, at(), person=f.PersonFactory(area=south))
    contact(away, at(), person=f.PersonFactory(area=north))
    contact(away, at(), person=f.PersonFactory(area=elsewhere))

    by_team = weekly_figures(period=WEEK, scope=Scope.team(team))
    by_north = weekly_figures(period=WEEK, scope=Scope.area(north))
    by_south = weekly_figures(period=WEEK, scope=Scope.area(south))
    england = weekly_figures(period=WEEK, scope=ENGLAND)

    assert (by_team.cases.transferred, by_team.contacts.identified) == (2, 2)
    assert (by_north.cases.transferred, by_north.contacts.identified) == (1, 1)
    assert by_north.cases.by_route == route_figures(online=(1, 1))
    assert (by_south.cases.transferred, by_south.contacts.identified) == (1, 1)
    assert (england.cases.transferred, england.contacts.identified) == (3, 3)
    assert by_team.staff == []
    assert by_north.staff == []
    assert by_team.scope == Scope("team", team.pk, "Twin Valleys", team.code, team.pk)
    assert by_north.scope.team_id == team.pk


@pytest.mark.now(AFTER)
def test_the_weeks_data_set_by_team_leaves_the_other_team_out(clock, week):
    sheffield = weekly_figures(period=WEEK, scope=Scope.team(f.area().local_team))
    elsewhere = weekly_figures(period=WEEK, scope=Scope.area(week["elsewhere"]))
    assert (sheffield.cases.transferred, elsewhere.cases.transferred) == (8, 1)
    # k1-k8 (k9 is elsewhere's): p (k1, k2), k3, k4 (two people of one phone), k5,
    # k6, k7, k8.
    assert (sheffield.contacts.identified, elsewhere.contacts.identified) == (7, 1)
    assert sheffield.cases.by_route["online"] == RouteFigures(1, 1)
    assert elsewhere.cases.by_route["online"] == RouteFigures(1, 1)
    assert elsewhere.times.case_reached_to_contacts_reached == Spread(1.0, 1.0, 1)


def test_scopes_for_a_national_supervisor_england_and_every_team(supervisor):
    from areas.models import LocalTeam

    scopes = scopes_for(supervisor)
    assert scopes[0] == Scope.england()
    assert [s.id for s in scopes[1:]] == list(
        LocalTeam.objects.order_by("name").values_list("pk", flat=True)
    )
    assert {s.kind for s in scopes[1:]} == {"team"}


def test_scopes_for_an_administrator_england_and_every_team(db):
    admin = get_user_model().objects.create_superuser("boss", "b@example.org", "x")
    assert scopes_for(admin)[0] == Scope.england()


def test_scopes_for_a_local_team_member_their_team_and_its_areas(local_team_member):
    sheffield = f.area()
    assert scopes_for(local_team_member) == [
        Scope.team(sheffield.local_team),
        Scope.area(sheffield),
    ]


def test_scopes_for_a_caseworker_none(caseworker, outsider):
    assert scopes_for(caseworker) == []
    assert scopes_for(outsider) == []


def test_a_viewer_bound_to_a_team_may_see_that_team_and_its_areas_only(db):
    sheffield = f.area()
    other = f.AreaFactory()
    team_id = sheffield.local_team_id
    assert may_see(Scope.team(sheffield.local_team), local_team_id=team_id)
    assert may_see(Scope.area(sheffield), local_team_id=team_id)
    assert not may_see(Scope.england(), local_team_id=team_id)
    assert not may_see(Scope.team(other.local_team), local_team_id=team_id)
    assert not may_see(Scope.area(other), local_team_id=team_id)
    assert may_see(Scope.area(other), local_team_id=None)


# --- queries and the cache --------------------------------------------------------


@pytest.mark.now(AFTER)
def england_queries() -> int:
    """The marker of the forgettings the cache missed (forgotten_in_database); cases,
    contacts, times, the staff's shifts and calls; on PostgreSQL with the
    transaction's memory setting around them (in a test's transaction: a savepoint,
    set_config, its release); on SQLite (no percentile_cont) the times block reads
    its three columns."""
    return 1 + (5 + 3 if connection.vendor == "postgresql" else 7)


def test_one_query_per_block_whatever_the_volume(
    clock, week, django_assert_num_queries
):
    sheffield = Scope.team(f.area().local_team)
    with django_assert_num_queries(england_queries()):
        weekly_figures(period=WEEK, scope=ENGLAND)
    with django_assert_num_queries(england_queries() - 2):  # no staff for a team
        weekly_figures(period=WEEK, scope=sheffield)


@pytest.mark.now(AFTER)
def test_a_closed_week_is_answered_from_the_cache(
    clock, week, django_assert_num_queries
):
    first = weekly_figures(period=WEEK, scope=ENGLAND)
    case(at(2))  # a late correction: not seen while the week is cached
    with django_assert_num_queries(1):  # the marker (forgotten_in_database)
        again = weekly_figures(period=WEEK, scope=ENGLAND)
    assert again == first
    assert again.cases.transferred == 9
    # Another scope or kind of week is another entry.
    iso = weekly_figures(period=Period.containing(WEEK.starts_on, ISO), scope=ENGLAND)
    assert iso.period.kind == ISO
    forget_cached_figures()
    assert weekly_figures(period=WEEK, scope=ENGLAND).cases.transferred == 10


def test_an_open_week_is_cached_for_its_minutes_only(
    clock, settings, django_assert_num_queries
):
    """Now is Tuesday 12 January: the week of 7 January is still open (its cache:
    tests/figures/test_cache_open_week.py)."""
    settings.FIGURES_OPEN_WEEK_SECONDS = 300
    case(at())
    assert not WEEK.is_closed()
    assert weekly_figures(period=WEEK, scope=ENGLAND).cases.transferred == 1
    case(at(1))
    clock.shift(dt.timedelta(minutes=5))
    with django_assert_num_queries(england_queries()):
        figures = weekly_figures(period=WEEK, scope=ENGLAND)
    assert figures.cases.transferred == 2


@pytest.mark.now(AFTER)
def test_the_trend_is_oldest_first_ending_with_the_last_complete_week(clock):
    case(at())
    case(at(-24 * 7))
    case(at(-24 * 7 + 1))
    trend = weekly_trend(scope=ENGLAND, weeks=3)
    # Now is Wednesday 20 January: the last complete week is 7-13 January.
    assert [w.period.key for w in trend] == ["2020-12-24", "2020-12-31", "2021-01-07"]
    assert [w.cases.transferred for w in trend] == [0, 2, 1]
    iso = weekly_trend(scope=ENGLAND, weeks=2, kind=ISO)
    assert [w.period.key for w in iso] == ["2021-W01", "2021-W02"]
    until = weekly_trend(scope=ENGLAND, weeks=1, until=Period(dt.date(2021, 1, 14)))
    assert [w.period.key for w in until] == ["2021-01-14"]
