"""A local team with open escalations and no active member is shown to the
administrators, who staff the teams: on the admin's list of local teams (each team's
active members, open and overdue escalations) and at the top of the admin's home page.

Before, escalations went on to teams nobody worked (Westminster, Manchester, the
fallback team) and, once Leeds' only member was deactivated, Leeds' queue grew to 70
with nobody able to open it; national supervisors do not see escalations (by design),
the admin's team list showed only name, code and fallback, and its home page said
nothing. The administrators' queue of every local team did not say whose each row was.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from areas.models import LocalTeam
from escalations.models import Escalation
from tests import factories as f

pytestmark = pytest.mark.django_db

SHEFFIELD = "E08000019"
LEEDS = "E08000035"
YORK = "E06000014"
TEAMS = "/admin/areas/localteam/"


def team_of(area_code: str) -> LocalTeam:
    return f.area(area_code).local_team


def open_escalations(area_code: str, n: int, *, overdue: int = 0) -> None:
    """n open escalations of the area's team, the first `overdue` past their due."""
    place = f.area(area_code)
    now = timezone.now()
    for i in range(n):
        due = (
            now - dt.timedelta(hours=1) if i < overdue else now + dt.timedelta(hours=20)
        )
        f.EscalationFactory(
            contact__person__area=place,
            created_at=due - dt.timedelta(hours=24),
            due_at=due,
        )


def closed_escalation(area_code: str) -> None:
    created = timezone.now() - dt.timedelta(days=3)
    f.EscalationFactory(
        contact__person__area=f.area(area_code),
        created_at=created,
        due_at=created + dt.timedelta(hours=24),
        status=Escalation.Status.CLOSED,
        closed_at=created + dt.timedelta(hours=2),
        outcome=Escalation.Outcome.REACHED,
    )


def member(area_code: str, *, active: bool = True):
    profile = f.StaffProfileFactory(local=True, local_team=team_of(area_code))
    if not active:
        profile.user.is_active = False
        profile.user.save(update_fields=["is_active"])
    return profile.user


class _Rows(HTMLParser):
    """The rows of the admin's change list, each a dict of its columns' texts by the
    column's field name (the cell's class "field-<name>")."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.field: str | None = None
        self.in_body = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append({})
        elif self.in_body and tag in ("td", "th"):
            names = [
                c for c in (a.get("class") or "").split() if c.startswith("field-")
            ]
            self.field = names[0].removeprefix("field-") if names else None
            if self.field:
                self.rows[-1][self.field] = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.field = None
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data):
        if self.field:
            self.rows[-1][self.field] += data


def team_rows(response) -> dict[str, dict[str, str]]:
    parser = _Rows()
    parser.feed(response.content.decode())
    return {
        " ".join(row["name"].split()): {k: " ".join(v.split()) for k, v in row.items()}
        for row in parser.rows
    }


def shown(client, *names: str) -> dict[str, dict[str, str]]:
    """The rows of the named teams, each found by the list's search (the ~150 teams
    run over more than one page)."""
    rows: dict[str, dict[str, str]] = {}
    for name in names:
        rows.update(team_rows(client.get(TEAMS, {"q": name})))
    return rows


def warning(response) -> str:
    """The admin home page's warning about unstaffed teams, as text."""
    html = response.content.decode()
    found = re.search(r'<div[^>]*id="unstaffed-teams".*?</div>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", "", found.group(0)).split()) if found else ""


@pytest.fixture
def leeds_unstaffed_sheffield_staffed():
    """Leeds: 3 open (1 overdue) and 1 closed, its only member deactivated.
    Sheffield: 2 open (1 overdue), one active member."""
    open_escalations(LEEDS, 3, overdue=1)
    closed_escalation(LEEDS)
    member(LEEDS, active=False)
    open_escalations(SHEFFIELD, 2, overdue=1)
    member(SHEFFIELD)
    member(SHEFFIELD, active=False)


# --- the admin's list of local teams ----------------------------------------------


def test_team_list_shows_active_members_open_and_overdue_escalations(
    admin_client, leeds_unstaffed_sheffield_staffed
):
    rows = shown(admin_client, "Sheffield", "Leeds", "York")

    sheffield = rows["Sheffield Public Health"]
    assert sheffield["active_members"] == "1"
    assert sheffield["open_escalations"] == "2"
    assert sheffield["overdue_escalations"] == "1"
    leeds = rows["Leeds Public Health"]
    assert leeds["open_escalations"] == "3"
    assert leeds["overdue_escalations"] == "1"
    york = rows["York Public Health"]
    assert (york["active_members"], york["open_escalations"]) == ("0", "0")


def test_team_list_flags_teams_with_open_work_and_no_active_member(
    admin_client, leeds_unstaffed_sheffield_staffed
):
    rows = shown(admin_client, "Sheffield", "Leeds", "York")

    assert rows["Leeds Public Health"]["active_members"] == (
        "0: nobody can work its open escalations"
    )
    # Staffed, or with nothing open: no flag.
    assert rows["Sheffield Public Health"]["active_members"] == "1"
    assert rows["York Public Health"]["active_members"] == "0"


def test_team_list_filters_to_the_unstaffed_teams_with_open_work(
    admin_client, leeds_unstaffed_sheffield_staffed
):
    response = admin_client.get(TEAMS, {"staffing": "unstaffed"})

    assert list(team_rows(response)) == ["Leeds Public Health"]


def test_team_list_sorts_by_open_escalations(
    admin_client, leeds_unstaffed_sheffield_staffed
):
    open_escalations(YORK, 5)
    page = admin_client.get(TEAMS).content.decode()
    sort = re.search(
        r'class="[^"]*column-open_escalations[^"]*".*?href="(\?o=[^"]+)"', page, re.S
    )
    assert sort is not None, "the open escalations column is not sortable"

    # Most open first (the header's link sorts ascending; a second click descends).
    descending = admin_client.get(TEAMS + sort.group(1).replace("o=", "o=-", 1))

    assert list(team_rows(descending))[:3] == [
        "York Public Health",
        "Leeds Public Health",
        "Sheffield Public Health",
    ]


def test_team_list_counts_in_the_same_queries_however_many_teams_have_work(
    admin_client,
):
    """The counts are read for every team of the page at once (about 150 teams)."""
    open_escalations(LEEDS, 1)
    admin_client.get(TEAMS)  # what a first request reads once (the session's user...)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(TEAMS)
    for code in (SHEFFIELD, YORK, "E08000036", "E06000010", "E08000016"):
        open_escalations(code, 2, overdue=1)
        member(code)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(TEAMS)

    assert len(many) == len(few)


# --- the admin's home page ----------------------------------------------------------


def test_admin_home_warns_of_each_team_with_open_work_and_no_active_member(
    admin_client, leeds_unstaffed_sheffield_staffed
):
    response = admin_client.get(reverse("admin:index"))

    said = warning(response)
    assert (
        "Leeds Public Health: 3 open escalations, 1 overdue, no active member: "
        "add or reactivate a member." in said
    )
    # A staffed team, and the teams with nothing open, are not named.
    assert "Sheffield" not in said
    assert "York" not in said


def test_admin_home_warning_leads_to_the_team_and_its_open_escalations(
    admin_client, leeds_unstaffed_sheffield_staffed
):
    leeds = team_of(LEEDS)
    html = admin_client.get(reverse("admin:index")).content.decode()
    block = re.search(r'<div[^>]*id="unstaffed-teams".*?</div>', html, re.S)
    assert block is not None
    links = {
        re.sub(r"<[^>]+>", "", text).strip(): href.replace("&amp;", "&")
        for href, text in re.findall(
            r'<a href="([^"]+)">(.*?)</a>', block.group(0), re.S
        )
    }

    assert links["Leeds Public Health"] == reverse(
        "admin:areas_localteam_change", args=[leeds.pk]
    )
    queue = admin_client.get(links["3 open escalations"])
    assert queue.status_code == 200
    listed = {e.pk for e in queue.context["cl"].result_list}
    assert listed == set(
        Escalation.objects.filter(
            local_team=leeds, status__in=["new", "picked_up"]
        ).values_list("pk", flat=True)
    )
    staff = admin_client.get(links["add or reactivate a member"])
    assert staff.status_code == 200
    assert {p.local_team_id for p in staff.context["cl"].result_list} == {leeds.pk}


def test_admin_home_warns_once_the_last_member_is_deactivated(admin_client):
    open_escalations(LEEDS, 2)
    only = member(LEEDS)
    assert "Leeds" not in warning(admin_client.get(reverse("admin:index")))

    only.is_active = False
    only.save(update_fields=["is_active"])

    assert (
        "Leeds Public Health: 2 open escalations, none overdue, no active member"
        in warning(admin_client.get(reverse("admin:index")))
    )


def test_admin_home_says_nothing_when_every_team_with_open_work_is_staffed(
    admin_client,
):
    open_escalations(SHEFFIELD, 2, overdue=1)
    member(SHEFFIELD)

    response = admin_client.get(reverse("admin:index"))

    assert response.status_code == 200
    assert 'id="unstaffed-teams"' not in response.content.decode()


def test_admin_home_reads_the_teams_in_the_same_queries_however_many_warn(
    admin_client,
):
    open_escalations(LEEDS, 1)
    admin_client.get(reverse("admin:index"))  # what a first request reads once
    with CaptureQueriesContext(connection) as one:
        admin_client.get(reverse("admin:index"))
    for code in (SHEFFIELD, YORK, "E08000036", "E06000010", "E08000016"):
        open_escalations(code, 2, overdue=1)
    with CaptureQueriesContext(connection) as six:
        response = admin_client.get(reverse("admin:index"))

    assert warning(response).count("no active member:") == 6
    assert len(six) == len(one)


def test_admin_home_stays_the_administrators(client, leeds_unstaffed_sheffield_staffed):
    client.force_login(member(SHEFFIELD))

    response = client.get(reverse("admin:index"))

    assert response.status_code == 302
    assert "Leeds" not in response.content.decode()


# --- the administrators' queue of every local team -----------------------------------


def test_every_local_team_queue_names_each_rows_team(admin_client):
    open_escalations(LEEDS, 1)
    open_escalations(SHEFFIELD, 1)

    html = admin_client.get(reverse("escalations:queue")).content.decode()
    cells = re.findall(
        r'aria-hidden="true">Team </span>\s*<span class="app-cell">([^<]*)</span>', html
    )

    assert sorted(cells) == ["Leeds Public Health", "Sheffield Public Health"]


def test_every_local_team_queue_reads_the_teams_with_its_rows(admin_client):
    open_escalations(LEEDS, 1)
    admin_client.get(reverse("escalations:queue"))  # what a first request reads once
    with CaptureQueriesContext(connection) as one:
        admin_client.get(reverse("escalations:queue"))
    for code in (SHEFFIELD, YORK, "E08000036", "E06000010"):
        open_escalations(code, 1)
    with CaptureQueriesContext(connection) as five:
        admin_client.get(reverse("escalations:queue"))

    assert len(five) == len(one)


def test_a_teams_own_queue_has_no_team_column(client):
    open_escalations(SHEFFIELD, 1)
    client.force_login(member(SHEFFIELD))

    html = client.get(reverse("escalations:queue")).content.decode()

    assert "Sheffield Public Health" in html  # the page's caption
    assert ">Team </span>" not in html
