"""The weekly figures page and its CSV (pages/figures), on a small data set worked
out by hand: who may see what, the numbers shown, the week asked for, the errors.

The test clock stands at Tuesday 12 January 2021 (tests/conftest.py), so the page
opens on the last complete Thursday week: Thursday 31 December 2020 to Wednesday
6 January 2021 (GMT throughout).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from areas.models import LocalTeam
from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case
from cases.workitem import Route, Status
from contacts.models import Contact
from figures.weekly import scopes_for
from staffing.models import Shift
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
SHEFFIELD = "E08000019"
LEEDS = "E08000035"
URL = reverse("figures:weekly")
CSV_URL = reverse("figures:weekly_csv")
SVG = "{http://www.w3.org/2000/svg}"


def at(day: int, hour: int = 0, minute: int = 0, month: int = 1) -> dt.datetime:
    year = 2020 if month == 12 else 2021
    return dt.datetime(year, month, day, hour, minute, tzinfo=LONDON)


def case_in(
    code: str,
    created: dt.datetime,
    *,
    reached: dt.datetime | None = None,
    route: str = "",
    **person,
) -> Case:
    """A case transferred at `created`, reached at `reached` by `route`; the time
    stamps set afterwards with .update(), as the brief for these tests says."""
    case = f.CaseFactory(person=f.PersonFactory(area=f.area(code), **person))
    Case.objects.filter(pk=case.pk).update(
        created_at=created,
        reached_at=reached,
        reached_route=route,
        status=Status.COMPLETED if reached else Status.NEW,
    )
    case.refresh_from_db()
    return case


def contact_of(
    case: Case,
    created: dt.datetime,
    *,
    reached: dt.datetime | None = None,
    route: str = "",
    person=None,
) -> Contact:
    contact = f.ContactFactory(
        case=case, person=person or f.PersonFactory(area=case.area), area=case.area
    )
    Contact.objects.filter(pk=contact.pk).update(
        created_at=created,
        reached_at=reached,
        reached_route=route,
        status=Status.COMPLETED if reached else Status.NEW,
    )
    return contact


@pytest.fixture
def week(clock):
    """In Sheffield, in the week of Thursday 31 December 2020 (worked out by hand):

    cases, 6 transferred:
      c1 1 Jan 10:00, reached online 2 h later                 within 24 h
      c2 1 Jan 10:00, reached nationally 30 h later, no call    tier 2 (a case's default)
      c3 2 Jan 09:00, reached by a tier 3 call 23 h 59 min on   within 24 h
      c4 2 Jan 09:00, reached by the local team 80 h later      over 72 h
      c5 3 Jan 09:00, not reached, no phone and no email
      c6 5 Jan 09:00 (a Tuesday), not reached, with a phone
      -> reached 4 (66.7%), within 24 h 2 (33.3%); bands 2 / 1 / 0 / 1
    contacts (of c1 but k2 and k4), 5 rows, 3 people:
      k1 P1 1 Jan 12:30, reached online 13:00                  within 24 h
      k2 P1 again (c3's) 1 Jan 12:40, not reached               merged into P1
      k3 P2 2 Jan 10:00, reached nationally 3 Jan 11:00 (25 h)  tier 3 (a contact's default)
      k4 P2 again (c3's) 2 Jan 11:00, not reached               merged into P2
      k5 P4 3 Jan 09:00, not reached
      -> identified 3, merged 2, reached 2 (66.7%), within 24 h 1 (33.3%), 0.5 a case
    times (hours): result to case reached 2, 23.98, 30, 80: median 26.99, 90th 65.0;
      case reached to contact reached 1 and 47: median 24.0, 90th 42.4.
    One Leeds case in the same week (England counts it, Sheffield does not), and the
    tier 3 caller's 2-hour shift: 1 call, 120 s, reached: 0.5 calls an hour, idle
    1 - 120 / 7200 = 98.3%.
    """
    c1 = case_in(SHEFFIELD, at(1, 10), reached=at(1, 12), route=Route.ONLINE)
    case_in(SHEFFIELD, at(1, 10), reached=at(2, 16), route=Route.NATIONAL)
    c3 = case_in(SHEFFIELD, at(2, 9), reached=at(3, 8, 59), route=Route.NATIONAL)
    case_in(SHEFFIELD, at(2, 9), reached=at(5, 17), route=Route.LOCAL)
    case_in(SHEFFIELD, at(3, 9), phone="", phone_alt="", email="")
    case_in(SHEFFIELD, at(5, 9))
    case_in(LEEDS, at(4, 9))
    handler = f.StaffProfileFactory(team__name="Calls North")
    f.ShiftFactory(staff=handler, starts_at=at(3, 8), ends_at=at(3, 10))
    f.CallAttemptFactory(
        case=c3,
        contact=None,
        caller=handler.user,
        started_at=at(3, 8, 57),
        duration_seconds=120,
        outcome=Outcome.REACHED,
    )
    c3.reached_tier = handler.tier  # as recording that call stamps it
    c3.save(update_fields=["reached_tier"])
    p1 = f.PersonFactory(area=c1.area, phone="+447400300001")
    p2 = f.PersonFactory(area=c1.area, phone="+447400300002")
    contact_of(c1, at(1, 12, 30), reached=at(1, 13), route=Route.ONLINE, person=p1)
    contact_of(c3, at(1, 12, 40), person=p1)  # a person is a contact once a case
    contact_of(c1, at(2, 10), reached=at(3, 11), route=Route.NATIONAL, person=p2)
    contact_of(c3, at(2, 11), person=p2)  # named again, by c3
    contact_of(c1, at(3, 9))
    return c1


@pytest.fixture
def leeds_member(db):
    return f.StaffProfileFactory(
        local=True,
        local_team=f.area(LEEDS).local_team,
        user__username="leeds_member",
    ).user


def text_of(html: str) -> str:
    """The page's words as read aloud: what is hidden from screen readers (the dash
    of a figure not applicable) and the tags taken out, spaces run together."""
    html = re.sub(r'<span aria-hidden="true">[^<]*</span>', "", html)
    return " ".join(re.sub(r"<[^>]+>", "", html).split())


def row_text(html: str, row_id: str) -> str:
    match = re.search(rf'id="{row_id}">(.*?)</div>', html, re.S)
    assert match, f"no row {row_id}"
    return text_of(match.group(1))


class _Tables(HTMLParser):
    """Each table's body rows as lists of cell texts, by the table's id."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = a.get("id", "")
            self.tables[self._table] = []
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif (
            tag == "span"
            and self._cell is not None
            and (self._hidden or a.get("aria-hidden") == "true")
        ):
            # As read aloud: not the stacked layout's repeated headings nor the
            # dash of a figure not applicable (both hidden from screen readers).
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag == "span" and self._hidden:
            self._hidden -= 1
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "tbody":
            self._in_body = False

    def handle_data(self, data):
        if self._cell is not None and not self._hidden:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def svgs(html: str) -> dict[str, ET.Element]:
    """Each inline chart, parsed as XML (it must be well formed), by its box's id."""
    return {
        box: ET.fromstring(svg)
        for box, svg in re.findall(
            r'<div class="app-chart" id="([\w-]+)">(<svg.*?</svg>)</div>', html, re.S
        )
    }


# --- who may see it -------------------------------------------------------------------


def test_a_caseworker_is_refused_with_the_reason(client, caseworker):
    client.force_login(caseworker)
    for url in (URL, CSV_URL):
        response = client.get(url)
        assert response.status_code == 403
        assert "Only supervisors and local teams see the figures." in text_of(
            response.content.decode()
        )


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_local_team_sees_its_own_figures_by_default(client, local_team_member, week):
    client.force_login(local_team_member)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    team = f.area(SHEFFIELD).local_team
    assert response.context["scope"].label == team.name
    # Sheffield's 6 cases, not Leeds's, and no staff table (England only).
    assert row_text(html, "cases-transferred").startswith(
        "Transferred to contact tracing 6"
    )
    assert 'id="staff-table"' not in html
    # The scope list offers the team and its areas, not England nor another team.
    options = re.findall(r'<option value="([^"]+)"', html)
    assert options[0] == f"team-{team.code}"
    assert "england" not in options
    assert f"area-{SHEFFIELD}" in options
    assert not any(o == f"team-{f.area(LEEDS).local_team.code}" for o in options)


def test_a_local_team_may_ask_for_one_of_its_areas(client, local_team_member, week):
    client.force_login(local_team_member)
    response = client.get(URL, {"scope": f"area-{SHEFFIELD}"})
    assert response.status_code == 200
    assert row_text(response.content.decode(), "cases-transferred").endswith("6")


@pytest.mark.parametrize(
    "scope",
    [
        "england",
        f"area-{LEEDS}",
        "team-LEEDS",  # replaced by Leeds's real code below
        "team-NOSUCHTEAM",
        "area-E99999999",
    ],
)
def test_another_teams_scope_is_not_found(client, local_team_member, week, scope):
    if scope == "team-LEEDS":
        scope = f"team-{f.area(LEEDS).local_team.code}"
    client.force_login(local_team_member)
    for url in (URL, CSV_URL):
        assert client.get(url, {"scope": scope}).status_code == 404


def test_another_team_sees_only_its_own(client, leeds_member, week):
    client.force_login(leeds_member)
    response = client.get(URL)
    assert row_text(response.content.decode(), "cases-transferred").endswith(" 1")
    sheffield_team = f.area(SHEFFIELD).local_team.code
    assert client.get(URL, {"scope": f"team-{sheffield_team}"}).status_code == 404


def test_a_national_supervisor_sees_england_with_the_staff_table(
    client, supervisor, week
):
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert response.context["scope"].label == "England"
    assert row_text(html, "cases-transferred").endswith(" 7")  # Leeds's too
    [staff] = tables(html)["staff-table"]
    assert staff == [
        "Calls North",
        "Tier 3 (call handlers)",
        "2.0",
        "1",
        "1",
        "0.5",
        "0.5",
        "94.2%",  # a 2-minute call and its 5-minute write-up in 2 hours
    ]
    # Any team, and any area by its code.
    team = f.area(LEEDS).local_team
    assert client.get(URL, {"scope": f"team-{team.code}"}).status_code == 200
    assert client.get(URL, {"scope": f"area-{LEEDS}"}).status_code == 200


def test_a_scope_code_is_read_in_any_case_as_the_api_reads_it(client, supervisor, week):
    """The API's ?team=leeds_code is Leeds in lower case too; the page's scope was a
    404 unless the code's case matched."""
    client.force_login(supervisor)
    team = f.area(LEEDS).local_team
    for scope in (f"team-{team.code.lower()}", f"area-{LEEDS.lower()}"):
        response = client.get(URL, {"scope": scope})
        assert response.status_code == 200, scope
    assert response.context["scope"].code == LEEDS


# --- the numbers ------------------------------------------------------------------------


def test_the_cases_figures(client, local_team_member, week):
    client.force_login(local_team_member)
    html = client.get(URL).content.decode()
    assert row_text(html, "cases-transferred") == "Transferred to contact tracing 6"
    assert row_text(html, "cases-reached") == "Reached 4 (66.7% of transferred)"
    assert (
        row_text(html, "cases-within-24h")
        == "Reached within 24 hours 2 (33.3% of transferred)"
    )
    assert (
        row_text(html, "cases-no-details") == "Not reached: no working phone number 1"
    )
    assert row_text(html, "cases-not-reached") == "Not reached: other 1"
    found = tables(html)
    assert found["cases-spread"] == [
        ["Under 24 hours", "2", "50.0%"],
        ["24 to 48 hours", "1", "25.0%"],
        ["48 to 72 hours", "0", "0.0%"],
        ["Over 72 hours", "1", "25.0%"],
    ]
    assert found["cases-routes"] == [
        ["Online", "1", "1", "100.0%"],
        ["Call centre, tier 2 (clinical)", "1", "0", "0.0%"],
        ["Call centre, tier 3 (call handlers)", "1", "1", "100.0%"],
        ["Local teams", "1", "0", "0.0%"],
    ]


def test_the_contacts_figures_count_people_once(client, local_team_member, week):
    client.force_login(local_team_member)
    html = client.get(URL).content.decode()
    assert (
        row_text(html, "contacts-identified")
        == "Identified 3 (2 contacts named more than once counted once)"
    )
    assert row_text(html, "contacts-reached") == "Reached 2 (66.7% of identified)"
    assert (
        row_text(html, "contacts-within-24h")
        == "Reached within 24 hours 1 (33.3% of identified)"
    )
    assert (
        row_text(html, "contacts-per-case")
        == "Contacts per case 0.5 (identified for each case transferred)"
    )
    found = tables(html)
    assert found["contacts-routes"] == [
        ["Online", "1", "1", "100.0%"],
        ["Call centre, tier 2 (clinical)", "0", "0", "not applicable"],
        ["Call centre, tier 3 (call handlers)", "1", "0", "0.0%"],
        ["Local teams", "0", "0", "not applicable"],
    ]
    assert found["contacts-spread"][0] == ["Under 24 hours", "1", "50.0%"]


def test_the_end_to_end_times(client, local_team_member, week):
    client.force_login(local_team_member)
    found = tables(client.get(URL).content.decode())["times-table"]
    assert found == [
        ["Specimen taken to result", "24.0", "24.0", "6"],
        ["Result to case reached", "27.0", "65.0", "4"],
        ["Case reached to their contacts reached", "24.0", "42.4", "2"],
    ]


def test_an_empty_week_shows_dashes_read_as_not_applicable(client, local_team_member):
    client.force_login(local_team_member)
    html = client.get(URL).content.decode()
    assert row_text(html, "cases-reached") == "Reached 0 (not applicable)"
    assert (
        '<span aria-hidden="true">\N{EN DASH}</span>'
        '<span class="nhsuk-u-visually-hidden">not applicable</span>' in html
    )
    assert "0 contacts named more than once counted once" in text_of(html)


# --- the week ---------------------------------------------------------------------------


def test_thursday_weeks_by_default(client, local_team_member, week):
    client.force_login(local_team_member)
    response = client.get(URL)
    page = text_of(response.content.decode())
    assert "Thursday 31 December 2020 to Wednesday 6 January 2021" in page
    assert "Thursday to Wednesday" in page
    period = response.context["period"]
    assert (period.kind, period.starts_on) == ("thu", dt.date(2020, 12, 31))
    assert re.search(r'value="thu"[^>]*checked', response.content.decode())


def test_iso_weeks_on_request(client, local_team_member, week):
    client.force_login(local_team_member)
    # The last complete ISO week: Monday 4 to Sunday 10 January, with c6 alone.
    response = client.get(URL, {"weeks": "iso"})
    page = text_of(response.content.decode())
    assert "Monday 4 January to Sunday 10 January 2021" in page
    assert "ISO week 2021-W01" in page
    assert row_text(response.content.decode(), "cases-transferred").endswith(" 1")
    assert re.search(r'value="iso"[^>]*checked', response.content.decode())
    # The same week named as an ISO week, or by a date in it.
    for week_asked in ("2021-W01", "2021-01-10"):
        again = client.get(URL, {"weeks": "iso", "week": week_asked})
        assert again.context["period"] == response.context["period"]
    # Monday 28 December to Sunday 3 January: Sheffield's other five cases.
    before = client.get(URL, {"weeks": "iso", "week": "2021-01-01"})
    assert "ISO week 2020-W53" in text_of(before.content.decode())
    assert row_text(before.content.decode(), "cases-transferred").endswith(" 5")


def test_a_week_in_the_middle_and_its_neighbours(client, local_team_member, week):
    client.force_login(local_team_member)
    response = client.get(URL, {"week": "2021-01-02"})  # a Saturday
    assert response.context["period"].starts_on == dt.date(2020, 12, 31)
    html = response.content.decode()
    team = f.area(SHEFFIELD).local_team.code
    assert f'href="?week=2020-12-24&amp;weeks=thu&amp;scope=team-{team}"' in html
    assert f'href="?week=2021-01-07&amp;weeks=thu&amp;scope=team-{team}"' in html
    # The week under way has no next week, and says its figures are so far.
    current = client.get(URL, {"week": "2021-01-12"})
    assert current.status_code == 200
    assert 'rel="next"' not in current.content.decode()
    assert "Week not over" in text_of(current.content.decode())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"week": "next tuesday"}, "Enter a date in the week, for example 2021-01-07"),
        ({"week": "2021-02-30"}, "Enter a date in the week, for example 2021-01-07"),
        ({"week": "0001-01-01"}, "Enter a week between 1900 and 9000"),
        ({"week": "2021-W01"}, "Enter a date in the week, for example 2021-01-07"),
        (
            {"week": "2021-W60", "weeks": "iso"},
            "Enter a date in the week, for example 2021-01-07, or an ISO week",
        ),
        ({"week": "2021-02-01"}, "Enter a date up to today"),
        ({"weeks": "fortnight"}, "Choose Thursday to Wednesday or Monday to Sunday"),
        ({"scope": "everything"}, "Choose England, a local team or an area"),
    ],
)
def test_a_bad_value_shows_the_error_summary(
    client, local_team_member, week, query, message
):
    client.force_login(local_team_member)
    for url in (URL, CSV_URL):
        response = client.get(url, query)
        assert response.status_code == 400
        html = response.content.decode()
        assert 'class="nhsuk-error-summary"' in html
        start = html.index('class="nhsuk-error-summary"')
        summary = html[start : html.index("</ul>", start)]
        assert message in summary
        assert "<title>Error: " in html


# --- the trends -------------------------------------------------------------------------


def test_the_charts_are_svg_with_a_point_or_bar_a_week_and_a_table_alike(
    client, local_team_member, week
):
    client.force_login(local_team_member)
    html = client.get(URL).content.decode()
    charts = svgs(html)
    assert set(charts) == {"chart-cases", "chart-contacts"}
    found = tables(html)
    for box, svg in charts.items():
        assert svg.tag == f"{SVG}svg"
        assert svg.get("role") == "img"
        assert svg.get("width") == "100%"
        assert svg.get("viewBox")
        assert svg.find(f"{SVG}title").text.endswith(f.area(SHEFFIELD).local_team.name)
        assert svg.find(f"{SVG}desc").text
        assert len(found[f"{box}-table"]) == 8
    assert 'style="' not in html.split('<div class="app-chart"')[1]
    assert "<script" not in "".join(re.findall(r"<svg.*?</svg>", html, re.S))

    # Cases: a point per route and week with a value; the last week's as the table.
    points = charts["chart-cases"].iter(f"{SVG}g")
    by_series: dict[str, list[tuple[str, str]]] = {}
    for g in points:
        if g.get("class") == "app-chart__point":
            by_series.setdefault(g.get("data-series"), []).append(
                (g.get("data-week"), g.get("data-value"))
            )
    # Only the last week has cases: one point each on the four routes.
    assert {k: len(v) for k, v in by_series.items()} == {
        "online": 1,
        "tier2": 1,
        "tier3": 1,
        "local": 1,
    }
    last = found["chart-cases-table"][-1]
    assert last == ["31 Dec 2020", "100.0%", "0.0%", "100.0%", "0.0%"]
    assert [by_series[r][0][1] for r in ("online", "tier2", "tier3", "local")] == [
        "100.0",
        "0.0",
        "100.0",
        "0.0",
    ]
    # Earlier weeks: nobody reached, so not applicable in the table.
    assert found["chart-cases-table"][0][1:] == ["not applicable"] * 4

    # Contacts: a bar a week (eight), its segments adding up to its total.
    bars = [
        g
        for g in charts["chart-contacts"].iter(f"{SVG}g")
        if g.get("class") == "app-chart__bar"
    ]
    assert len(bars) == 8
    table = found["chart-contacts-table"]
    for bar, row in zip(bars, table, strict=True):
        segments = {
            r.get("data-series"): r.get("data-value")
            for r in bar.iter(f"{SVG}rect")
            if r.get("class") == "app-chart__segment"
        }
        assert row[-1] == bar.get("data-total")
        shown = dict(zip(("online", "tier2", "tier3", "local"), row[1:5], strict=True))
        for series, value in shown.items():
            assert segments.get(series, "0") == value
    assert table[-1] == ["31 Dec 2020", "1", "0", "1", "0", "2"]


# --- the CSV ----------------------------------------------------------------------------


def test_the_csv_has_a_header_and_a_row_a_week_and_is_audited(
    client, local_team_member, week
):
    client.force_login(local_team_member)
    response = client.get(CSV_URL)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    team = f.area(SHEFFIELD).local_team
    assert (
        f'filename="figures-team-{team.code}-2020-12-31.csv"'
        in response["Content-Disposition"]
    )
    assert response.content.startswith("\ufeff".encode())  # Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 8
    assert [r["week"] for r in rows][-2:] == ["2020-12-24", "2020-12-31"]
    last = rows[-1]
    assert last["scope"] == team.name
    assert (
        last["cases_transferred"],
        last["cases_reached"],
        last["cases_reached_pct"],
    ) == ("6", "4", "66.7")
    assert last["cases_within_24h_pct"] == "33.3"
    assert last["cases_reached_over_72h"] == "1"
    assert last["cases_not_reached_no_details"] == "1"
    assert (last["cases_reached_tier3"], last["cases_within_24h_tier3"]) == ("1", "1")
    assert (last["contacts_identified"], last["contacts_merged"]) == ("3", "2")
    assert last["contacts_per_case"] == "0.50"
    assert last["result_to_case_reached_median_hours"] == "26.99"
    assert last["result_to_case_reached_p90_hours"] == "65.00"
    assert last["case_reached_to_contacts_reached_n"] == "2"
    # An empty week: zeros, and blanks where a percentage is of nothing.
    assert (rows[0]["cases_transferred"], rows[0]["cases_reached_pct"]) == ("0", "")
    event = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert event.user == local_team_member
    assert event.object_type == "areas.localteam"
    assert event.object_id == str(team.pk)
    assert event.detail["what"] == "weekly figures"


def test_the_csv_iso_weeks(client, local_team_member, week):
    client.force_login(local_team_member)
    response = client.get(CSV_URL, {"weeks": "iso", "week": "2021-W01"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["week"] for r in rows][-1] == "2021-W01"
    assert rows[-1]["weeks"] == "iso"
    assert len(rows) == 8
    assert "2021-W01.csv" in response["Content-Disposition"]


def test_the_csv_defuses_a_formula_looking_team_name(client, supervisor, week):
    team = LocalTeam.objects.create(code="EVIL1", name='=HYPERLINK("http://x","y")')
    client.force_login(supervisor)
    response = client.get(CSV_URL, {"scope": f"team-{team.code}"})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 8
    scope = header.index("scope")
    assert {r[scope] for r in body} == {'\'=HYPERLINK("http://x","y")'}
    # The page shows the name as text (escaped), never as markup.
    page = client.get(URL, {"scope": f"team-{team.code}"}).content.decode()
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in page


# --- the navigation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "role",
    [
        "caseworker",
        "call_handler",
        "supervisor",
        "local_team_member",
        "outsider",
        "admin",
    ],
)
def test_the_figures_link_is_there_for_those_with_a_scope(
    client, request, django_user_model, role
):
    if role == "admin":
        user = django_user_model.objects.create_superuser("root", "r@example.org", "pw")
    else:
        user = request.getfixturevalue(role)
    client.force_login(user)
    response = client.get(reverse("home"), follow=True)
    linked = f'href="{URL}"' in response.content.decode()
    assert linked == bool(scopes_for(user)), role


def test_the_link_is_marked_current_on_the_page(client, supervisor):
    client.force_login(supervisor)
    html = client.get(URL).content.decode()
    assert f'href="{URL}" aria-current="page">Figures</a>' in html


def test_the_figures_page_takes_few_queries(
    client, supervisor, week, django_assert_max_num_queries
):
    """Eight weeks for England: five queries a week (cases, contacts, times, the
    staff's shifts and calls; and the memory setting's three statements), and the
    page's own few."""
    client.force_login(supervisor)
    with django_assert_max_num_queries(8 * (5 + 3) + 12):
        assert client.get(URL).status_code == 200


def test_shift_fixture_is_counted_as_worked(week):
    # The staff table's hand-worked numbers rest on this shift being booked.
    assert Shift.objects.filter(status=Shift.Status.BOOKED).count() >= 1
