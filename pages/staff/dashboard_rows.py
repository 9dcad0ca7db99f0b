"""The supervisor dashboard's team table, its rows made ready in Python.

A national team has hundreds of members (750 at a month at peak). Drawn through the
template's own lookups, each row resolved some 20 variables, reversed a URL and ran
`timesince` (which looks up its unit names through gettext for each part), and the
table cost more than the page's queries: about 250 ms of a 380 ms page at peak. Here
each row is built once, with the work list's address from one reversal per page,
and each "time since the last call" formatted by Django's own `timesince` with its
own unit strings, each translated once per count on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.timesince import TIME_STRINGS, timesince

from staffing.selectors.members import when_said


@dataclass(frozen=True)
class MemberRow:
    """One member of the team as the dashboard shows them."""

    name: str
    new_starter: bool
    supervisor: bool
    on_shift_until: str  # "H:i" local, "" when off shift
    work_url: str
    held: int
    idle: bool  # on shift, holding nothing, while the team's tier has work due a call
    overdue: int
    last_call: str  # "45 minutes" (no-break spaces), "" with no calls yet
    blocked_by: str  # why they cannot take work now, "" when they can


class _UnitText:
    """One of timesince's unit strings ("%(num)d minutes"), translated once per count
    on a page rather than through gettext for every row."""

    def __init__(self, lazy: Any) -> None:
        self.lazy = lazy
        self.known: dict[int, str] = {}

    def __mod__(self, values: dict[str, int]) -> str:
        n = values["num"]
        text = self.known.get(n)
        if text is None:
            text = self.known[n] = str(self.lazy % values)
        return text


def _since(now: datetime) -> Callable[[datetime], str]:
    """Django's `timesince(then, now)` for one page's `now`, its unit strings those of
    timesince itself, each count translated once."""
    units = {name: _UnitText(lazy) for name, lazy in TIME_STRINGS.items()}
    return lambda then: timesince(then, now, time_strings=units)


def member_rows(
    members: list[Any], *, now: datetime, due: int, team_tier: int
) -> list[MemberRow]:
    """The rows of the team table, in the board's order. Each member carries the
    board's annotations (held, overdue, last_call_at, on_shift_until, blocked_by)."""
    work_url = reverse("staffing:work")
    since = _since(now)
    rows = []
    for m in members:
        user = m.user
        on_shift = m.on_shift_until
        rows.append(
            MemberRow(
                name=user.get_full_name() or user.username,
                new_starter=m.is_new_starter,
                supervisor=m.is_supervisor,
                # A spell of shifts may end on a later day: "11:00 tomorrow".
                on_shift_until=when_said(on_shift, now) if on_shift else "",
                work_url=f"{work_url}?holder={m.pk}",
                held=m.held,
                idle=bool(on_shift and m.held == 0 and due and m.tier == team_tier),
                overdue=m.overdue,
                last_call=since(m.last_call_at) if m.last_call_at else "",
                blocked_by="; ".join(m.blocked_by),
            )
        )
    return rows
