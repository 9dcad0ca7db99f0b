"""The local team's forms. Error messages say what to do (the NHS.UK pattern): each
is shown beside its field and in the summary at the top of the page, linking to it."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from escalations.models import (
    CLOSING_OUTCOMES,
    WITHDRAWN_NOT_CHOSEN,
    Escalation,
    EscalationAction,
)
from escalations.words import (
    ACTION_KIND_MISSING,
    CLOSE_OUTCOME_MISSING,
    NEW_PHONE_INVALID,
    notes_too_long,
)
from staffing.models import Tier
from work.escalation import (
    REOPEN_REASON_MISSING,
    SENT_BACK_TO_WRONG_NUMBER,
    SENT_BACK_WITH_NO_NUMBER,
)
from work.rules import ESCALATION_NOTE_MAX

TABS = [
    (Escalation.Status.NEW, "New"),
    (Escalation.Status.PICKED_UP, "Picked up"),
    (Escalation.Status.CLOSED, "Closed"),
]

SEARCH_MAX = 100
# The words the API says too (escalations.words), without the full stop.
NOTE_TOO_LONG = notes_too_long(ESCALATION_NOTE_MAX).removesuffix(".")
CHOOSE_OUTCOME = CLOSE_OUTCOME_MISSING.removesuffix(".")
CHOOSE_KIND = ACTION_KIND_MISSING.removesuffix(".")


class QueueFilterForm(forms.Form):
    """The queue's tab, search and filters, read from the query string."""

    tab = forms.ChoiceField(choices=TABS, required=False)
    q = forms.CharField(
        label="Search by name, phone number or postcode",
        max_length=SEARCH_MAX,
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}
        ),
        error_messages={
            "max_length": f"Search must be {SEARCH_MAX} characters or fewer"
        },
    )
    reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Any reason"), *Escalation.Reason.choices],
        required=False,
    )
    mine = forms.BooleanField(label="Only those I picked up", required=False)

    def __init__(self, data=None, *args, **kwargs) -> None:
        # A stale or hand-made link with an unknown tab or reason shows the defaults
        # rather than an error about a field nobody typed in.
        if data is not None:
            data = data.copy()
            for name in ("tab", "reason"):
                valid = {str(value) for value, _ in self.base_fields[name].choices}
                if name in data and data.get(name) not in valid:
                    del data[name]
        super().__init__(data, *args, **kwargs)

    def values(self) -> dict:
        """The cleaned filters. A field that is not valid (a search too long, say)
        falls back to its default, its error shown beside it; the others still
        apply, so the page shows the tab and filters that were asked for."""
        self.is_valid()
        data = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in self.errors
        }
        return {
            "tab": data.get("tab") or Escalation.Status.NEW,
            "q": data.get("q", ""),
            "reason": data.get("reason", ""),
            "mine": data.get("mine", False),
        }


class _OnePageForm(forms.Form):
    """A form sharing a page with others: its own id prefix keeps ids unique."""

    id_prefix = ""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


def _note(label: str, *, rows: int, required: bool, missing: str = "") -> forms.Field:
    messages = {"max_length": NOTE_TOO_LONG}
    if missing:
        messages["required"] = missing
    return forms.CharField(
        label=label,
        max_length=ESCALATION_NOTE_MAX,
        required=required,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=messages,
    )


# What a team member records as done (a reopening is recorded by the reopening).
RECORDED_KINDS = [
    (value, label)
    for value, label in EscalationAction.Kind.choices
    if value != EscalationAction.Kind.REOPENED
]


class ActionForm(_OnePageForm):
    id_prefix = "action"
    kind = forms.ChoiceField(
        label="What did you do?",
        choices=RECORDED_KINDS,
        widget=forms.RadioSelect,
        error_messages={
            "required": CHOOSE_KIND,
            "invalid_choice": CHOOSE_KIND,
        },
    )
    note = _note("Notes", rows=3, required=True, missing="Say what happened")
    # This form's own: sent twice (a double click, the browser sending it again),
    # it is one action (work.escalation.escalation_record_action).
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())


class _ClosingOutcomeField(forms.ChoiceField):
    """How a team closes an escalation (escalations.models.CLOSING_OUTCOMES). The
    withdrawal's own outcome, never offered, is refused saying why."""

    def validate(self, value) -> None:
        if value == Escalation.Outcome.WITHDRAWN:
            raise forms.ValidationError(WITHDRAWN_NOT_CHOSEN, code="withdrawn")
        super().validate(value)


class CloseForm(_OnePageForm):
    id_prefix = "close"
    outcome = _ClosingOutcomeField(
        label="How did it end?",
        choices=CLOSING_OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={
            "required": CHOOSE_OUTCOME,
            "invalid_choice": CHOOSE_OUTCOME,
        },
    )
    note = _note("Notes (optional)", rows=2, required=False)


class ReturnForm(_OnePageForm):
    """Sending an item back to the national queue. Someone with no phone and no
    other phone on their record goes back only with a new number (work.escalation:
    the national callers would have nothing to ring): for them the number is asked
    for, not offered as optional, and left out it is refused with the service's
    reason."""

    id_prefix = "return"
    note = _note(
        "Why it goes back",
        rows=2,
        required=True,
        missing="Say why, for the national caller",
    )
    new_phone = PhoneNumberField(
        label="New phone number (optional)",
        region="GB",
        required=False,
        help_text="For example, 07911 123456",
        widget=RegionalPhoneNumberWidget(
            region="GB", attrs={"autocomplete": "off", "spellcheck": "false"}
        ),
        error_messages={
            "invalid": NEW_PHONE_INVALID.removesuffix("."),
            "required": SENT_BACK_WITH_NO_NUMBER,
        },
    )

    def __init__(self, *args, no_number: str = "", **kwargs) -> None:
        """`no_number`: why they cannot be sent back without a new number
        (work.escalation.no_number_refusal), "" when they have a number to call:
        said when the field is left empty."""
        super().__init__(*args, **kwargs)
        if no_number:
            field = self.fields["new_phone"]
            field.required = True
            field.label = "New phone number"
            field.error_messages = {**field.error_messages, "required": no_number}
            field.help_text = (
                "A call to the number on their record was answered by someone else"
                if no_number == SENT_BACK_TO_WRONG_NUMBER
                else "They have no phone or other phone on their record"
            ) + (
                ": the national callers need a number to phone them. For example, "
                "07911 123456"
            )


class ReassignForm(_OnePageForm):
    id_prefix = "reassign"

    to = forms.ModelChoiceField(
        label="Give it to",
        queryset=get_user_model().objects.none(),
        empty_label="Choose a team member",
        error_messages={
            "required": "Choose a team member",
            "invalid_choice": "Choose a member of this team",
        },
    )

    def __init__(self, *args, team_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to"].queryset = (
            get_user_model()
            .objects.filter(
                is_active=True, staff__tier=Tier.LOCAL, staff__local_team_id=team_id
            )
            .order_by("first_name", "last_name", "username")
        )
        self.fields["to"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )


class ReopenForm(_OnePageForm):
    """Reopening an escalation closed by mistake (work.escalation.escalation_reopen):
    the reason is asked for, and kept in its history."""

    id_prefix = "reopen"
    reason = _note(
        "Why are you reopening it?",
        rows=2,
        required=True,
        missing=REOPEN_REASON_MISSING.removesuffix("."),
    )
    # This form's own: sent twice (a double click), it is one reopening.
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission", uuid.uuid4())
