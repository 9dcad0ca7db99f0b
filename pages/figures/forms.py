"""What the figures page is asked for, read from the query string: the week, the kind
of week and the scope. Error messages say what to enter (the NHS.UK pattern); a week
that cannot be read is refused with the parser's own reason (figures.weekly.Period
.parse), the words the API gives."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils import timezone

from figures.weekly import ISO, THURSDAY, Period, week_not_started

KINDS = [
    (THURSDAY, "Thursday to Wednesday (the published weeks)"),
    (ISO, "Monday to Sunday (ISO weeks)"),
]
# "england", "team-<LocalTeam.code>" or "area-<Area.code>".
SCOPE_KEY = re.compile(r"^(?:england|(?:team|area)-[A-Za-z0-9_-]{1,16})$")

WEEK_MESSAGE = "Enter a date in the week, for example 2021-01-07"


class FiguresForm(forms.Form):
    week = forms.CharField(
        label="Week",
        max_length=20,
        required=False,
        strip=True,
        error_messages={"max_length": WEEK_MESSAGE},
    )
    weeks = forms.ChoiceField(
        label="Weeks run from",
        choices=KINDS,
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "invalid_choice": "Choose Thursday to Wednesday or Monday to Sunday"
        },
    )
    # Its options are the viewer's scopes, set by the view (pages.figures.views);
    # whether the viewer may see the one asked for is the view's to say (404).
    scope = forms.CharField(
        label="Figures for",
        required=False,
        widget=forms.Select,
    )

    @property
    def kind(self) -> str:
        """The kind of week asked for, or the default while it is not valid."""
        value = self.data.get("weeks") or THURSDAY
        return value if value in (THURSDAY, ISO) else THURSDAY

    def week_hint(self) -> str:
        if self.kind == ISO:
            return (
                "A date in the week, for example 2021-01-07, or an ISO week, "
                "for example 2021-W01"
            )
        return "A date in the week, for example 2021-01-07"

    def clean_weeks(self) -> str:
        return self.cleaned_data.get("weeks") or THURSDAY

    def clean_scope(self) -> str:
        value = (self.cleaned_data.get("scope") or "").strip()
        if value and not SCOPE_KEY.match(value):
            raise forms.ValidationError(
                "Choose England, a local team or an area from the list"
            )
        return value

    def clean(self) -> dict[str, Any]:
        """The week asked for as a Period in `period` (the last complete week when
        none is given); a week not yet started is refused."""
        data = self.cleaned_data
        kind = data.get("weeks") or THURSDAY
        raw = data.get("week", "")
        if "week" in self.errors:
            return data
        if not raw:
            data["period"] = Period.last_complete(kind)
            return data
        try:
            period = Period.parse(raw, kind)
        except ValueError as exc:
            self.add_error("week", str(exc))
            return data
        if problem := week_not_started(period, timezone.localdate()):
            self.add_error("week", problem)
        else:
            data["period"] = period
        return data
