from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone

from staffing.models import CallReview, StaffProfile
from staffing.services import (
    CAP_CHANGE_NOT_SHOWN,
    SlotPlan,
    registration_expiry_problem,
    registration_number_read,
)

WEEKDAYS = [
    ("0", "Monday"),
    ("1", "Tuesday"),
    ("2", "Wednesday"),
    ("3", "Thursday"),
    ("4", "Friday"),
    ("5", "Saturday"),
    ("6", "Sunday"),
]
# A publish covers at most this many days: a surge rota, not a year's diary.
MAX_PUBLISH_DAYS = 56
# Slots are published at most this far ahead: a year's rota, not a mistyped year.
MAX_PUBLISH_AHEAD = timedelta(days=365)


class DateInput(forms.DateInput):
    """A browser date picker, which reads and writes only ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None, format: str = "%Y-%m-%d"):
        super().__init__(attrs, format=format)


class TimeInput(forms.TimeInput):
    input_type = "time"


class PublishSlotsForm(forms.Form):
    first_day = forms.DateField(
        widget=DateInput,
        error_messages={
            "required": "Enter the first day of the slots",
            "invalid": "Enter the first day as a real date",
        },
    )
    last_day = forms.DateField(
        widget=DateInput,
        error_messages={
            "required": "Enter the last day of the slots",
            "invalid": "Enter the last day as a real date",
        },
    )
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        initial=["0", "1", "2", "3", "4"],
        error_messages={"required": "Choose at least one day of the week."},
    )
    starts = forms.TimeField(
        label="Start time",
        widget=TimeInput,
        error_messages={
            "required": "Enter the time the shifts start",
            "invalid": "Enter the start time as a time of day, like 08:00",
        },
    )
    ends = forms.TimeField(
        label="End time",
        widget=TimeInput,
        help_text="An end time at or before the start means the shift ends the next day.",
        error_messages={
            "required": "Enter the time the shifts end",
            "invalid": "Enter the end time as a time of day, like 14:00",
        },
    )
    count = forms.IntegerField(
        label="Slots at each time",
        min_value=1,
        max_value=100,
        initial=1,
        help_text="How many people you need on each of these shifts.",
        error_messages={
            "required": "Enter how many people you need on each shift",
            "invalid": "Enter the number of slots as a whole number, like 3",
            "min_value": "Publish at least 1 slot at each time",
            "max_value": "Publish at most 100 slots at each time",
        },
    )
    # This form's own: sent twice, it publishes once (staffing.services.shifts_publish).
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())

    def _within_a_year(self, day: date) -> date:
        latest = timezone.localdate() + MAX_PUBLISH_AHEAD
        if day > latest:
            raise forms.ValidationError(
                f"Slots can be published up to a year ahead: choose a day up to "
                f"{latest.day} {latest:%B %Y}."
            )
        return day

    def clean_first_day(self) -> date:
        day = self.cleaned_data["first_day"]
        if day < timezone.localdate():
            # Told beside the field, with the rest (a start later today that has
            # already passed is the service's to refuse).
            raise forms.ValidationError(
                "Slots must start in the future: choose today or a later day."
            )
        return self._within_a_year(day)

    def clean_last_day(self) -> date:
        return self._within_a_year(self.cleaned_data["last_day"])

    def clean(self) -> dict:
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error(
                    "last_day", "The last day must be on or after the first."
                )
            elif last - first >= timedelta(days=MAX_PUBLISH_DAYS):
                self.add_error(
                    "last_day", f"Publish at most {MAX_PUBLISH_DAYS} days at once."
                )
        if data.get("starts") is not None and data.get("starts") == data.get("ends"):
            self.add_error("ends", "A shift cannot start and end at the same time.")
        return data

    def plan(self) -> SlotPlan:
        d = self.cleaned_data
        return SlotPlan(
            first_day=d["first_day"],
            last_day=d["last_day"],
            weekdays=frozenset(int(w) for w in d["weekdays"]),
            starts=d["starts"],
            ends=d["ends"],
            count=d["count"],
        )


class CancelShiftForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The person booked sees this on their shifts page.",
        error_messages={"required": "Give a reason: the person booked will see it."},
    )


class HoursCapForm(forms.Form):
    new_cap = forms.IntegerField(
        label="New weekly hours cap",
        min_value=1,
        help_text=f"At most {settings.TRACING_WEEKLY_HOURS_CEILING} hours a week.",
        error_messages={
            "required": "Enter the new weekly cap in hours",
            "invalid": "Enter the cap as a whole number of hours, like 48",
            "min_value": "A weekly cap must be at least 1 hour.",
        },
    )
    reason = forms.CharField(
        max_length=300,
        error_messages={"required": "Give a reason for the change."},
    )
    # The version of the cap the page showed (services.hours_cap_version), sent back
    # with the change so that one made once the cap was changed since is refused,
    # not saved over it. A field of the form, so typing put back after signing in
    # again (pages.typed.put_typing_back) says which cap it was typed against.
    shown_version = forms.CharField(required=False, widget=forms.HiddenInput)

    def clean_shown_version(self) -> int:
        """CAP_CHANGE_NOT_SHOWN from a page that did not say (drawn before pages
        carried it, or sending something else): the service refuses it, telling the
        cap now. Never an error of the form: the person could not correct it."""
        text = self.cleaned_data["shown_version"].strip()
        if not text.isascii() or not text.isdigit() or len(text) > 18:
            return CAP_CHANGE_NOT_SHOWN
        return int(text)

    def showing(self, version: int) -> None:
        """The page is drawn again showing the cap at `version` (the cap now, after a
        refusal): saved again from it, the change is taken."""
        self.data = self.data.copy()
        self.data[self.add_prefix("shown_version")] = str(version)


class RegistrationForm(forms.ModelForm):
    """The registration as the supervisor found it on the professional register."""

    class Meta:
        model = StaffProfile
        fields = [
            "registration_body",
            "registration_number",
            "registration_expires_on",
        ]
        labels = {
            "registration_body": "Registering body",
            "registration_number": "Registration number",
            "registration_expires_on": "Expires on",
        }
        widgets = {"registration_expires_on": DateInput}

    REQUIRED = {
        "registration_body": "Choose the body the registration is with",
        "registration_number": "Enter the registration number",
        "registration_expires_on": "Enter the date the registration expires",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, message in self.REQUIRED.items():
            self.fields[name].required = True
            self.fields[name].error_messages["required"] = message

    def clean(self) -> dict:
        # The number is read against the body chosen (both fields of the form).
        cleaned = super().clean()
        body, number = (
            cleaned.get("registration_body"),
            cleaned.get("registration_number"),
        )
        if body and number:
            written, problem = registration_number_read(body, number)
            if problem:
                self.add_error("registration_number", problem)
            else:
                cleaned["registration_number"] = written
        return cleaned

    def clean_registration_expires_on(self) -> date:
        # Told beside the field with the form's other problems, not only once they
        # are right (the service refuses it too).
        expires_on = self.cleaned_data["registration_expires_on"]
        if problem := registration_expiry_problem(
            expires_on, today=timezone.localdate()
        ):
            raise forms.ValidationError(problem)
        return expires_on


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=CallReview.Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a verdict."},
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


def target_label(p: Any) -> str:
    """A person to move work to, as the form lists them: what they hold, and why they
    cannot take more now."""
    name = p.user.get_full_name() or p.user.username
    label = f"{name}: holds {p.held} of {p.open_work_cap}"
    if not p.can_take_work:
        label += f" (cannot take work: {'; '.join(p.blocked_by)})"
    return label


class ReassignForm(forms.Form):
    items = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose at least one item to move.",
            "invalid_choice": "Some of the chosen items are no longer yours to move.",
        },
    )
    to = forms.ChoiceField(
        label="Move the ticked items to",
        error_messages={
            "required": "Choose who takes the work.",
            # Listed when the page loaded, since deactivated or moved away.
            "invalid_choice": (
                "That person can no longer take work: choose someone else."
            ),
        },
    )
    reason = forms.CharField(
        max_length=300, error_messages={"required": "Give a reason for the move."}
    )

    def __init__(self, *args, item_ids: list[int], people: list[Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(pk, pk) for pk in item_ids]
        self.fields["to"].choices = [
            ("", "Choose…"),
            ("pool", "Back to the pool"),
            *[(str(p.pk), target_label(p)) for p in people],
        ]
        self.people = {str(p.pk): p for p in people}

    def target(self) -> StaffProfile | None:
        to = self.cleaned_data["to"]
        return None if to == "pool" else self.people[to]


class WorkFilterForm(forms.Form):
    """What the reassignment page lists: whose work, a search, overdue only, and the
    pool's order."""

    ORDERS = [("", "Most urgent, then oldest first"), ("newest", "Newest first")]

    holder = forms.ChoiceField(label="Show", required=False)
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="A name, a postcode, or a reference (the lab reference or number).",
    )
    order = forms.ChoiceField(label="Order of the pool", required=False, choices=ORDERS)
    overdue = forms.BooleanField(label="Overdue only", required=False)

    def __init__(self, *args, people: list[Any], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["holder"].choices = [
            ("", "Held by your team"),
            ("pool", "Waiting in the pool"),
            *[
                (
                    str(p.pk),
                    f"Held by {p.user.get_full_name() or p.user.username} ({p.held})",
                )
                for p in people
            ],
        ]

    def value(self, name: str) -> Any:
        """The cleaned value; empty when that part of the query is not valid (an
        unknown holder shows the team's work)."""
        self.is_valid()
        return self.cleaned_data.get(name) or ""
