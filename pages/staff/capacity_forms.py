"""The capacity page's forms: whose work to forecast, and the days to cover."""

from __future__ import annotations

from datetime import date

from django import forms

from areas.models import LocalTeam

from .forms import DateInput


class CapacityScopeForm(forms.Form):
    """England, or one local team's areas."""

    team = forms.ModelChoiceField(
        queryset=LocalTeam.objects.order_by("name"),
        required=False,
        label="Local team",
        empty_label="England: every local team",
        help_text="The work of one local team's areas; the gap against the rota is "
        "England's only, as the rota is national.",
        error_messages={"invalid_choice": "Choose a local team from the list"},
    )

    day = forms.DateField(
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid": "Choose a day of the forecast from its table"},
    )

    def __init__(self, *args, earliest: date, latest: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.earliest, self.latest = earliest, latest

    def clean_day(self) -> date | None:
        day = self.cleaned_data["day"]
        if day is not None and not self.earliest <= day <= self.latest:
            raise forms.ValidationError("Choose a day of the next 14 days.")
        return day

    def chosen_day(self) -> date:
        """The day whose hours to list: the one asked for, else today."""
        if self.is_bound and self.is_valid() and self.cleaned_data["day"]:
            return self.cleaned_data["day"]
        return self.earliest

    def local_team(self) -> LocalTeam | None:
        """The team chosen; None for England or a choice that is not valid."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get("team")


class GapSlotsForm(forms.Form):
    """The days whose short hours to cover, within the forecast's 14 days; on the
    confirm step, the fingerprint of the slots shown."""

    first_day = forms.DateField(
        widget=DateInput,
        error_messages={
            "required": "Enter the first day to cover",
            "invalid": "Enter the first day as a real date",
        },
    )
    last_day = forms.DateField(
        widget=DateInput,
        error_messages={
            "required": "Enter the last day to cover",
            "invalid": "Enter the last day as a real date",
        },
    )
    # No max_length: a plan that is not the slots' fingerprint, whatever its length,
    # is a gap that changed since it was shown, and the page shows it again.
    plan = forms.CharField(required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, earliest: date, latest: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.earliest, self.latest = earliest, latest
        self.fields["first_day"].help_text = f"From today, {earliest:%-d %B}."
        self.fields[
            "last_day"
        ].help_text = f"The forecast runs to {latest:%-d %B %Y}: no later."

    def clean_first_day(self) -> date:
        day = self.cleaned_data["first_day"]
        if day < self.earliest:
            raise forms.ValidationError("The first day cannot be in the past.")
        if day > self.latest:
            raise forms.ValidationError(
                f"The forecast runs to {self.latest:%-d %B %Y}: choose a day up to then."
            )
        return day

    def clean_last_day(self) -> date:
        day = self.cleaned_data["last_day"]
        if day > self.latest:
            raise forms.ValidationError(
                f"The forecast runs to {self.latest:%-d %B %Y}: choose a day up to then."
            )
        return day

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last and last < first:
            self.add_error("last_day", "The last day must be on or after the first.")
        return data
