"""The dashboard's team table, row by row, as the supervisor reads it: each cell's
text for members on and off shift, idle, overdue, blocked, never called and called
long ago (pages/staff/dashboard_rows.py builds the rows; these pin what they show)."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils.timesince import timesince

from cases.workitem import Status
from tests import factories as f

from .conftest import NOW, member

pytestmark = pytest.mark.django_db


def cells(page_text: str, name: str) -> list[str]:
    """The visible text of each cell of the team table's row for `name`."""
    team_table = page_text.split("Your team</caption>")[1].split("</table>")[0]
    row = next(r for r in team_table.split("<tr") if name in r)
    found = re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", c)).replace("\xa0", "~").split())
        for c in found
    ]


def link_of(page_text: str, name: str) -> str:
    team_table = page_text.split("Your team</caption>")[1].split("</table>")[0]
    row = next(r for r in team_table.split("<tr") if name in r)
    return unescape(re.search(r'<a href="([^"]+)"', row).group(1))


def test_each_cell_of_a_busy_members_row(clock, client, lead, clinical_team):
    worker = member(
        clinical_team,
        user__first_name="Asha",
        user__last_name="Patel",
        signed_off_at=None,
    )
    for due in (NOW - dt.timedelta(hours=2), NOW + dt.timedelta(hours=1)):
        f.CaseFactory(
            status=Status.ASSIGNED,
            assignee=worker.user,
            assigned_at=NOW,
            next_attempt_at=due,
        )
    f.CallAttemptFactory(
        caller=worker.user, started_at=NOW - dt.timedelta(hours=1, minutes=5)
    )
    client.force_login(lead.user)
    text = client.get(reverse("staffing:dashboard")).text

    name, shift, held, overdue, last_call, can_take = cells(text, "Asha Patel")
    assert name == "Name Asha Patel New starter"
    assert re.fullmatch(r"On shift On shift until \d\d:\d\d", shift)
    assert held == "Open work 2"
    assert overdue == "Overdue 1"
    assert last_call == "Last call 1~hour, 5~minutes ago"
    assert can_take == "Can take work No: at their cap (2 of 2)"  # a new starter's cap
    assert (
        link_of(text, "Asha Patel") == f"{reverse('staffing:work')}?holder={worker.pk}"
    )


def test_an_idle_member_off_shift_and_one_never_called(
    clock, client, lead, clinical_team
):
    member(clinical_team, user__first_name="Idris", user__last_name="Idle")
    member(
        clinical_team, on_shift=False, user__first_name="Otto", user__last_name="Off"
    )
    f.CaseFactory()  # waiting in the pool
    client.force_login(lead.user)
    text = client.get(reverse("staffing:dashboard")).text

    idle = cells(text, "Idris Idle")
    assert idle[2] == "Open work 0 Idle"
    assert idle[4] == "Last call No calls yet"
    off = cells(text, "Otto Off")
    assert off[1] == "On shift Off shift"
    assert off[2] == "Open work 0"  # off shift: not idle
    assert off[5].startswith("Can take work No: off shift")


def test_a_last_call_long_ago_reads_as_timesince_says(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, user__first_name="Lou", user__last_name="Long")
    then = NOW - dt.timedelta(days=75, hours=3)
    f.CallAttemptFactory(caller=worker.user, started_at=then)
    client.force_login(lead.user)
    text = client.get(reverse("staffing:dashboard")).text

    expected = timesince(then, NOW).replace("\xa0", "~")
    assert "month" in expected
    assert cells(text, "Lou Long")[4] == f"Last call {expected} ago"


def test_a_name_is_shown_as_text_never_as_markup(clock, client, lead, clinical_team):
    member(clinical_team, user__first_name="<b>Bold</b>", user__last_name="Name")
    client.force_login(lead.user)
    text = client.get(reverse("staffing:dashboard")).text
    assert "&lt;b&gt;Bold&lt;/b&gt; Name" in text
    assert "<b>Bold</b>" not in text
