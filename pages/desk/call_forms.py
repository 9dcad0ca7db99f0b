"""The form a caller fills in after each call."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.utils import timezone

from calls.models import Outcome


class CallLogForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did the call go?",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the outcome of the call."},
    )
    call_back_at = forms.DateTimeField(
        label="Call back at",
        required=False,
        help_text="Only when they asked to be called back.",
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"],
    )
    duration_minutes = forms.IntegerField(
        label="Length of call (minutes)",
        required=False,
        min_value=0,
        max_value=600,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean(self):
        data = super().clean()
        outcome = data.get("outcome")
        call_back_at = data.get("call_back_at")
        if outcome == Outcome.CALL_BACK:
            if call_back_at is None:
                self.add_error(
                    "call_back_at", "Enter the date and time they asked to be called."
                )
            elif call_back_at <= self.now:
                self.add_error(
                    "call_back_at", "The call back time must be in the future."
                )
        elif call_back_at is not None and "call_back_at" not in self.errors:
            self.add_error(
                "call_back_at",
                "Leave this empty unless they asked to be called back.",
            )
        if outcome == Outcome.SAFEGUARDING and not data.get("notes", "").strip():
            self.add_error(
                "notes",
                "Describe the safeguarding concern: the local team will read it.",
            )
        return data
