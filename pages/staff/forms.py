from __future__ import annotations

from datetime import timedelta

from django import forms
from django.conf import settings

from staffing.models import CallReview, StaffProfile
from staffing.services import SlotPlan

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


class DateInput(forms.DateInput):
    """A browser date picker, which reads and writes only ISO dates."""

    input_type = "date"

    def __init__(self, attrs=None, format: str = "%Y-%m-%d"):
        super().__init__(attrs, format=format)


class TimeInput(forms.TimeInput):
    input_type = "time"


class PublishSlotsForm(forms.Form):
    first_day = forms.DateField(widget=DateInput)
    last_day = forms.DateField(widget=DateInput)
    weekdays = forms.MultipleChoiceField(
        choices=WEEKDAYS,
        widget=forms.CheckboxSelectMultiple,
        initial=["0", "1", "2", "3", "4"],
        error_messages={"required": "Choose at least one day of the week."},
    )
    starts = forms.TimeField(label="Start time", widget=TimeInput)
    ends = forms.TimeField(
        label="End time",
        widget=TimeInput,
        help_text="An end time at or before the start means the shift ends the next day.",
    )
    count = forms.IntegerField(
        label="Slots at each time",
        min_value=1,
        max_value=100,
        initial=1,
        help_text="How many people you need on each of these shifts.",
    )

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
    )
    reason = forms.CharField(
        max_length=300,
        error_messages={"required": "Give a reason for the change."},
    )


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.fields:
            self.fields[name].required = True


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=CallReview.Verdict.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a verdict."},
    )
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReassignForm(forms.Form):
    items = forms.TypedMultipleChoiceField(
        coerce=int,
        error_messages={
            "required": "Choose at least one item to move.",
            "invalid_choice": "Some of the chosen items are no longer yours to move.",
        },
    )
    to = forms.ChoiceField(
        label="Move to", error_messages={"required": "Choose who takes the work."}
    )
    reason = forms.CharField(
        max_length=300, error_messages={"required": "Give a reason for the move."}
    )

    def __init__(
        self, *args, item_ids: list[int], people: list[StaffProfile], **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(pk, pk) for pk in item_ids]
        self.fields["to"].choices = [
            ("", "Choose…"),
            ("pool", "Back to the pool"),
            *[(str(p.pk), p.user.get_full_name() or p.user.username) for p in people],
        ]
        self.people = {str(p.pk): p for p in people}

    def target(self) -> StaffProfile | None:
        to = self.cleaned_data["to"]
        return None if to == "pool" else self.people[to]
