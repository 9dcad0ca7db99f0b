"""The capacity page, the dashboard's summary, and publishing slots for the gap.

The history: a fortnight of 240 cases a day, 20 in each hour from 08:00 to 20:00, and
no calls, so the defaults stand in (1.5 calls a case, 20 minutes a call, 85%
occupancy). Tomorrow then needs 7.8 caseworkers at 08:00 and 09:00 (first calls
only), 11.8 from 10:00 to 20:00 (second calls too) and 3.9 at 20:00 and 21:00 (the
last second calls). Another team has 12 caseworkers booked tomorrow from 08:00 to
20:00: over-staffed at 08:00 and 09:00, about right all day, short at 20:00 and 21:00.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEvent
from figures.capacity_selectors import cached_forecast
from figures.tasks import capacity_forecast_task
from staffing.models import Shift, Tier
from tests import factories as f
from tests.conftest import NOW

from .builders import at, calls_made, cases_arriving
from .conftest import supervisor_of

pytestmark = pytest.mark.django_db

TODAY = NOW.date()
TOMORROW = TODAY + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _calls_at_any_hour(settings):
    """The gap at 20:00 and 21:00 above is the evening's second calls: with calls made
    at any hour (the calling hours would make them at 08:00 the next morning)."""
    settings.TRACING_CALLING_HOURS = {"opens": "00:00", "closes": "00:00"}


@pytest.fixture
def fortnight(clock):
    """And today's 40 so far, at 08:00 and 09:00: today's arrivals count."""
    cases_arriving([240] * 14, last_day=TODAY - dt.timedelta(days=1))
    cases_arriving([40], last_day=TODAY, hours=[8, 9])


@pytest.fixture
def rota_tomorrow(fortnight):
    """Twelve caseworkers of another team booked tomorrow, 08:00 to 20:00."""
    south = f.TeamFactory(name="Clinical South", tier=Tier.CLINICAL)
    for _ in range(12):
        worker = f.StaffProfileFactory(clinical=True, team=south)
        f.ShiftFactory(
            staff=worker, starts_at=at(TOMORROW, 8), ends_at=at(TOMORROW, 20)
        )


def preview(client, first=TOMORROW, last=TOMORROW, **extra):
    return client.post(
        reverse("staffing:capacity_slots"),
        {"first_day": first.isoformat(), "last_day": last.isoformat(), **extra},
    )


def slots_shown(response) -> list[tuple[int, int, int]]:
    return [(s.starts.hour, s.ends.hour, s.count) for s in response.context["slots"]]


def open_slots(team) -> list[tuple[dt.datetime, dt.datetime]]:
    return list(
        Shift.objects.filter(team=team, status=Shift.Status.OPEN)
        .order_by("starts_at")
        .values_list("starts_at", "ends_at")
    )


def test_the_dashboard_waits_for_the_beats_forecast_rather_than_making_it(
    client, lead, rota_tomorrow
):
    client.force_login(lead.user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("staffing:dashboard"))
    # Weeks of contacts by the hour (the forecast's history) are not read.
    assert not [q for q in queries if '"contacts_contact"."created_at" >=' in q["sql"]]
    assert cached_forecast(now=NOW) is None
    assert page.context["summaries"] == []
    assert "is not ready yet" in page.text
    assert reverse("staffing:capacity") in page.text
    capacity_forecast_task()
    page = client.get(reverse("staffing:dashboard"))
    assert [s.tier for s in page.context["summaries"]] == [
        Tier.CLINICAL,
        Tier.CALL_HANDLER,
    ]
    assert "is not ready yet" not in page.text


def test_the_dashboard_shows_the_hour_befores_forecast_from_this_hour(
    client, lead, rota_tomorrow, clock
):
    """In the minutes after the hour turns, before the beat makes the next one."""
    capacity_forecast_task()
    clock.shift(dt.timedelta(hours=1))
    client.force_login(lead.user)
    tier2, _ = client.get(reverse("staffing:dashboard")).context["summaries"]
    # The next 48 hours from this one: the hour now past is left out.
    assert tier2.hours == 48
    assert tier2.worst
    assert all(h.hour >= NOW + dt.timedelta(hours=1) for h in tier2.worst)
    clock.shift(dt.timedelta(hours=1))
    client.force_login(lead.user)  # idle for two hours: signed out
    page = client.get(reverse("staffing:dashboard"))
    assert "is not ready yet" in page.text


def test_the_dashboard_shows_the_gap_of_the_next_two_days(client, lead, rota_tomorrow):
    capacity_forecast_task()
    client.force_login(lead.user)
    page = client.get(reverse("staffing:dashboard"))
    tier2, tier3 = page.context["summaries"]
    assert (tier2.tier, tier2.hours) == (Tier.CLINICAL, 48)
    assert tier3.tier == Tier.CALL_HANDLER
    # Today from 10:00 to 22:00 and Thursday 08:00 and 09:00 have nobody; tomorrow
    # is short only at 20:00 and 21:00, and over-staffed at 08:00 and 09:00.
    assert (tier2.short, tier2.over) == (12 + 2 + 2, 2)
    assert tier2.worst[0].local == at(TODAY, 12)
    row = page.text.split('data-tier="2"')[1].split("</tr>")[0]
    assert "Tue 12 Jan 12:00: 11.8 needed, 0.0 booked" in row
    assert reverse("staffing:capacity") in page.text


def test_the_dashboards_minute_refresh_leaves_the_forecast_alone(client, lead, clock):
    capacity_forecast_task()
    client.force_login(lead.user)
    client.get(reverse("staffing:dashboard"))
    page = client.get(reverse("staffing:dashboard"), headers={"HX-Request": "true"})
    assert "capacity-summary" not in page.text


def test_the_capacity_page_draws_each_tier_with_its_numbers_beside(
    client, lead, rota_tomorrow
):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"))
    assert page.status_code == 200
    assert page.text.count('<svg xmlns="http://www.w3.org/2000/svg"') == 2
    table = page.text.split('id="chart-tier2-table"')[1].split("</table>")[0]
    tomorrow = table.split('data-day="2021-01-13"')[1].split("</tr>")[0]
    # 360 calls of 20 minutes, at 85% occupancy.
    assert "Staff-hours needed </span>141<" in tomorrow
    assert "Booked </span>144<" in tomorrow
    assert 'nhsuk-tag--red">2<' in tomorrow
    # Tomorrow's hours, asked for: 20:00 short, 12:00 about right, 08:00 over.
    page = client.get(reverse("staffing:capacity"), {"day": "2021-01-13"})
    assert 'data-hour="2021-01-13T20:00:00+00:00" data-state="short"' in page.text
    assert 'data-hour="2021-01-13T12:00:00+00:00" data-state="about_right"' in page.text
    assert 'data-hour="2021-01-13T08:00:00+00:00" data-state="over"' in page.text


def test_the_page_says_which_defaults_stand_in(client, lead, fortnight):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"))
    notice = page.text.split('id="defaults"')[1].split("</div>")[0]
    assert "minutes per call, tier 2" in notice
    assert "calls per case" in notice
    assert "the hour of day cases arrive" not in notice  # 3,360 arrivals measured


def test_a_local_teams_view_is_its_areas_work_with_no_gap_drawn(client, lead, clock):
    sheffield = f.area()
    cases_arriving([120] * 14, last_day=TODAY - dt.timedelta(days=1), area=sheffield)
    # Today's so far (10 an hour, 08:00 and 09:00): today's arrivals count.
    cases_arriving([20], last_day=TODAY, hours=[8, 9], area=sheffield)
    cases_arriving(
        [480] * 14, last_day=TODAY - dt.timedelta(days=1), area=f.AreaFactory()
    )
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"), {"team": sheffield.local_team_id})
    assert page.context["scope_label"] == sheffield.local_team.name
    assert page.context["plan"].forecast.daily.mean[1] == pytest.approx(120)
    assert "Publish slots for the gap" not in page.text
    assert "Booked </span>" not in page.text
    assert "To local teams </span>" in page.text
    assert 'data-state="short"' not in page.text


def test_an_unknown_local_team_is_a_form_error_and_england_is_shown(
    client, lead, clock
):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"), {"team": "999999"})
    assert page.status_code == 200
    assert "Choose a local team from the list" in page.text
    assert page.context["scope_label"] == "England"


def test_publishing_shows_the_slots_first_and_writes_nothing(
    client, lead, rota_tomorrow
):
    client.force_login(lead.user)
    page = preview(client)
    assert page.status_code == 200
    # 3.9 needed at 20:00 and 21:00: four people, within 15% of it (3.3 or more).
    assert slots_shown(page) == [(20, 22, 4)]
    assert "Publish 4 slots" in page.text
    assert open_slots(lead.team) == []


def test_confirming_publishes_open_slots_for_the_short_hours_through_the_shift_service(
    client, lead, rota_tomorrow
):
    client.force_login(lead.user)
    digest = preview(client).context["digest"]
    done = preview(client, plan=digest, confirm="1")
    assert done.status_code == 302
    assert done.url == reverse("staffing:capacity")
    assert open_slots(lead.team) == [(at(TOMORROW, 20), at(TOMORROW, 22))] * 4
    slot = Shift.objects.filter(team=lead.team).first()
    assert (slot.tier, slot.published_by) == (Tier.CLINICAL, lead.user)
    events = AuditEvent.objects.filter(
        object_type="staffing.shift", action=AuditEvent.Action.CREATE
    )
    assert events.count() == 4
    assert {e.detail["reason"] for e in events} == {"capacity gap"}
    assert {e.user_id for e in events} == {lead.user_id}


def test_slots_once_published_count_as_filled(client, lead, rota_tomorrow):
    client.force_login(lead.user)
    digest = preview(client).context["digest"]
    preview(client, plan=digest, confirm="1")
    again = preview(client)
    assert slots_shown(again) == []
    assert "there is nothing to publish" in again.text


def test_a_gap_that_changed_since_it_was_shown_publishes_nothing(
    client, lead, rota_tomorrow
):
    client.force_login(lead.user)
    page = preview(client, plan="0123456789abcdef", confirm="1")
    assert page.status_code == 200
    assert "The gap has changed" in page.text
    assert slots_shown(page) == [(20, 22, 4)]
    assert open_slots(lead.team) == []


def test_the_caps_warning_says_how_many_hours_short(client, lead, rota_tomorrow):
    f.StaffProfileFactory(clinical=True, team=lead.team, weekly_hours_cap=5)
    client.force_login(lead.user)
    page = preview(client)
    warning = page.text.split('id="caps-2021-01-11"')[1].split("</div>")[0]
    # Eight hours of slots; the team (one caseworker: the lead supervises, and fills
    # no slots) may book five more this week.
    assert "<strong>3 hours short</strong>" in warning
    assert "Publish 4 slots" in page.text


def test_no_warning_when_the_caps_leave_room(client, lead, rota_tomorrow):
    f.StaffProfileFactory(clinical=True, team=lead.team)
    client.force_login(lead.user)
    assert "app-cap-warning" not in preview(client).text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "first_day", "Enter the first day to cover"),
        (
            {"first_day": "2021-01-14", "last_day": "2021-01-13"},
            "last_day",
            "The last day must be on or after the first.",
        ),
        (
            {"first_day": "2021-01-13", "last_day": "2021-02-13"},
            "last_day",
            "The forecast runs to 25 January 2021: choose a day up to then.",
        ),
        (
            {"first_day": "2021-01-11", "last_day": "2021-01-13"},
            "first_day",
            "The first day cannot be in the past.",
        ),
        (
            {"first_day": "the 13th", "last_day": "2021-01-13"},
            "first_day",
            "Enter the first day as a real date",
        ),
    ],
)
def test_bad_days_are_a_form_error_and_publish_nothing(
    client, lead, rota_tomorrow, data, field, message
):
    client.force_login(lead.user)
    page = client.post(reverse("staffing:capacity_slots"), {**data, "confirm": "1"})
    assert page.status_code == 200
    assert page.context["form"].errors[field] == [message]
    assert message in page.text
    assert Shift.objects.filter(status=Shift.Status.OPEN).count() == 0


def test_a_supervisor_with_no_team_is_told_there_is_nothing_to_publish_for(
    client, rota_tomorrow
):
    loner = f.StaffProfileFactory(clinical=True, is_supervisor=True, team=None)
    client.force_login(loner.user)
    page = client.post(
        reverse("staffing:capacity_slots"),
        {"first_day": "2021-01-13", "last_day": "2021-01-13"},
        follow=True,
    )
    assert "not attached to a tier 2 or 3 team" in page.text
    assert Shift.objects.filter(status=Shift.Status.OPEN).count() == 0


def test_a_call_handling_supervisor_publishes_for_tier_3(client, rota_tomorrow):
    calls_lead = supervisor_of(f.TeamFactory(tier=Tier.CALL_HANDLER))
    client.force_login(calls_lead.user)
    page = client.get(reverse("staffing:capacity"))
    assert "Tier 3: contacts" in page.text.split('id="publish"')[1]


@pytest.mark.parametrize("who", ["caseworker", "call_handler", "local_team_member"])
def test_only_national_supervisors_may_see_or_publish(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("staffing:capacity")).status_code == 403
    assert preview(client).status_code == 403
    assert Shift.objects.filter(status=Shift.Status.OPEN).count() == 0


def test_signing_in_comes_first(client):
    page = client.get(reverse("staffing:capacity"))
    assert page.status_code == 302
    assert page.url.startswith(reverse("login"))


def test_the_page_shows_the_measured_minutes_per_call_by_outcome(client, lead, clock):
    case = f.CaseFactory(created_at=NOW - dt.timedelta(days=2))
    then = NOW - dt.timedelta(days=2)
    calls_made(40, caller=lead.user, case=case, started_at=then, minutes=24)
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"))
    table = page.text.split('id="handling-table"')[1].split("</table>")[0]
    assert "Reached</td>" in table
    assert "Talk, minutes a call </span>24.0<" in table
    inputs = page.text.split('id="inputs-table"')[1].split("</table>")[0]
    row = inputs.split("Minutes per call, tier 2")[1].split("</tr>")[0]
    assert "29.0 (40 calls)" in row
    assert "Measured" in row


def test_the_hours_listed_are_todays_unless_another_day_is_asked_for(
    client, lead, clock
):
    client.force_login(lead.user)
    today = client.get(reverse("staffing:capacity"))
    assert 'data-hour="2021-01-12T10:00:00+00:00"' in today.text
    assert 'data-hour="2021-01-13T10:00:00+00:00"' not in today.text
    tomorrow = client.get(reverse("staffing:capacity"), {"day": "2021-01-13"})
    assert 'data-hour="2021-01-13T10:00:00+00:00"' in tomorrow.text
    assert 'data-hour="2021-01-12T10:00:00+00:00"' not in tomorrow.text


def test_a_day_outside_the_forecast_is_a_form_error(client, lead, clock):
    client.force_login(lead.user)
    page = client.get(reverse("staffing:capacity"), {"day": "2021-03-01"})
    assert page.status_code == 200
    assert "Choose a day of the next 14 days." in page.text
    assert page.context["day"] == TODAY


@pytest.mark.parametrize("days", [2, 14])
def test_the_capacity_page_costs_the_same_queries_whatever_the_volume(
    client, lead, clock, django_assert_num_queries, days
):
    cases_arriving([100] * days, last_day=TODAY - dt.timedelta(days=1))
    for n in range(days):
        worker = f.StaffProfileFactory(clinical=True)
        start = at(TOMORROW, 6) + dt.timedelta(hours=n)
        f.ShiftFactory(
            staff=worker, starts_at=start, ends_at=start + dt.timedelta(hours=8)
        )
    client.force_login(lead.user)
    client.get(reverse("staffing:team"))  # the session's first touch, written
    # Session, user, second factor, profile; the history (cases, contacts and calls
    # by the hour, calls per case and per contact, the cases and contacts waiting);
    # the rota by the hour; the supervisor's team; the local teams.
    with django_assert_num_queries(14):
        client.get(reverse("staffing:capacity"))
    # Within the hour the history comes from the cache; the rota is read afresh.
    with django_assert_num_queries(7):
        client.get(reverse("staffing:capacity"))


def test_slots_published_on_the_rota_page_are_audited_the_same_way(client, lead, clock):
    client.force_login(lead.user)
    client.post(
        reverse("staffing:shifts_publish"),
        {
            "first_day": "2021-01-18",
            "last_day": "2021-01-18",
            "weekdays": ["0"],
            "starts": "08:00",
            "ends": "14:00",
            "count": "2",
        },
    )
    slots = list(Shift.objects.filter(team=lead.team).values_list("pk", flat=True))
    events = AuditEvent.objects.filter(
        object_type="staffing.shift", action=AuditEvent.Action.CREATE
    )
    assert len(slots) == 2
    assert sorted(int(e.object_id) for e in events) == sorted(slots)
    assert {e.detail["shift"] for e in events} == {"published"}
    assert "reason" not in events[0].detail
