"""The form a caller fills in after each call."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from calls.models import CORRECTED_TO, CORRECTION_REASON_MAX, Outcome
from cases.workitem import WorkItem
from work.calls import (
    CORRECTED_OUTCOME_MISSING,
    CORRECTION_REASON_TOO_LONG,
    OUTCOME_MISSING,
    SUPPORT_OFFERED,
    support_problem,
)
from work.online import SUPPORT_KINDS
from work.rules import (
    CALL_LONGEST,
    CALL_NOTES_MAX,
    RANG_THEM,
    call_back_moment,
    call_problems,
    has_number_to_call,
)

from ..online.texts import text
from ..typed import typed_value


class CallBackField(forms.DateTimeField):
    """A call back time as typed, on the local clock, read by the call rules as the
    API reads it (work.rules.call_back_moment): Django's own reading refuses every
    time in the hour the clocks change with one riddle, though when they go back
    each of those times exists."""

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            wall = value
        else:
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                raise ValidationError(
                    self.error_messages["invalid"], code="invalid"
                ) from None
            # Not ISO 8601: the field's own formats (forms.BaseTemporalField).
            wall = parsed or super(forms.DateTimeField, self).to_python(value)
        if timezone.is_aware(wall):
            return wall
        return call_back_moment(wall)


class CallLogForm(forms.Form):
    outcome = forms.ChoiceField(
        label="How did the call go?",
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": OUTCOME_MISSING},
    )
    call_back_at = CallBackField(
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
        max_value=int(CALL_LONGEST.total_seconds() // 60),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=CALL_NOTES_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # A contact reached only (work.calls.support_problem): passed to their local
    # team with the call's notes, as help asked for online is.
    support = forms.MultipleChoiceField(
        label="They need help to stay at home",
        required=False,
        choices=[(kind, text(f"support_{kind}")) for kind in SUPPORT_KINDS],
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for “Reached”: their local team is asked to help them, "
        "and reads your notes.",
        error_messages={
            "invalid_choice": "“%(value)s” is not help we pass on. Choose the help "
            f"they asked for: {SUPPORT_OFFERED}."
        },
    )
    language = forms.CharField(
        label="The language they speak",
        required=False,
        max_length=100,
        help_text="Only for “Needs an interpreter”, when their record has none: "
        "such as Urdu.",
    )
    # This form's own: sent twice (a double click, the browser sending it again),
    # it is one call (work.calls.call_record).
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        item: WorkItem | None = None,
        now: datetime | None = None,
        **kwargs,
    ):
        """`item`: the case or contact the call is logged on, as it is now; a form
        sent is checked against it (whether their record still has a number to
        call). A form only drawn needs none."""
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()
        self.item = item
        self.number_to_call = item is None or has_number_to_call(item.person)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())

    def outcome_offered(self, *, number_to_call: bool) -> BoundField:
        """The outcome as the call panel offers it: for someone with no number on
        their record, only the outcomes that need none (not RANG_THEM), so nobody is
        offered "No answer" for a number that does not exist. What the form accepts
        is unchanged: such an outcome sent from a page drawn before their number went
        (or a hand-made post) is refused on the outcome by the call rules, with their
        reason (work.rules.NO_NUMBER_TO_CALL)."""
        if number_to_call:
            return self["outcome"]
        field = copy.deepcopy(self.fields["outcome"])
        field.choices = [
            (value, label) for value, label in field.choices if value not in RANG_THEM
        ]
        return BoundField(self, field, "outcome")

    def clean(self):
        """The call rules' refusals, field by field. Sent from a panel drawn while
        they had a number, since taken off their record, an outcome that rang them
        is refused on the outcome, for want of a number (work.rules.
        NO_NUMBER_TO_CALL): the panel drawn again for them has no call back field,
        so nothing is said of its time, which is moot."""
        data = super().clean()
        if "outcome" not in data:
            return data
        outcome = data["outcome"]  # as chosen, though refused below
        if not self.number_to_call and data["outcome"] in RANG_THEM:
            self.errors.pop("call_back_at", None)
        elif self.has_error("call_back_at"):
            return data
        problems = call_problems(
            outcome=data["outcome"],
            call_back_at=data.get("call_back_at"),
            notes=data.get("notes", ""),
            duration_seconds=(data.get("duration_minutes") or 0) * 60,
            now=self.now,
            number_to_call=self.number_to_call,
        )
        for field, problem in problems.items():
            self.add_error(
                "duration_minutes" if field == "duration_seconds" else field, problem
            )
        if self.has_error("support"):
            return data
        if problem := support_problem(
            data.get("support") or [],
            outcome=outcome,
            kind=self.item.kind if self.item is not None else "contact",
            isolation_ends_on=(
                self.item.isolation_ends_on if self.item is not None else None
            ),
            now=self.now,
        ):
            self.add_error("support", problem)
        return data


def typed_call(data: Any) -> dict[str, Any]:
    """A call form as typed (kept through signing in again), to draw it again: the
    help ticked too (a list)."""
    typed: dict[str, Any] = {
        name: typed_value(data, name)
        for name in ("outcome", "call_back_at", "duration_minutes", "notes", "language")
        if data.get(name)
    }
    if hasattr(data, "getlist") and (support := data.getlist("support")):
        typed["support"] = [str(kind).replace("\x00", "") for kind in support]
    return typed


class CallCorrectionForm(forms.Form):
    """The outcome a call really had, and why the one logged is corrected
    (work.calls.call_correct)."""

    outcome = forms.ChoiceField(
        label="What was the call?",
        choices=[(outcome.value, outcome.label) for outcome in CORRECTED_TO],
        widget=forms.RadioSelect,
        error_messages={"required": CORRECTED_OUTCOME_MISSING},
    )
    reason = forms.CharField(
        label="Why is the outcome corrected?",
        help_text="Such as “Logged on the wrong contact” or “It was their "
        "voicemail”. Kept with the call and shown in its history.",
        max_length=CORRECTION_REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        # Checked, with its words, by the operation: blank or spaces alike. Too
        # long is refused here first (the textarea's limit), in the operation's words.
        required=False,
        error_messages={"max_length": CORRECTION_REASON_TOO_LONG},
    )
    # This form's own: sent twice, it is one correction.
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())
