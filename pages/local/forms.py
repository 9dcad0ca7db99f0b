from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from phonenumber_field.formfields import PhoneNumberField

from escalations.models import Escalation, EscalationAction
from staffing.models import Tier
from work.rules import ESCALATION_NOTE_MAX

TABS = [
    (Escalation.Status.NEW, "New"),
    (Escalation.Status.PICKED_UP, "Picked up"),
    (Escalation.Status.CLOSED, "Closed"),
]


class QueueFilterForm(forms.Form):
    """The queue's tab, search and filters, read from the query string."""

    tab = forms.ChoiceField(choices=TABS, required=False)
    q = forms.CharField(
        label="Search by name, phone number or postcode",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    reason = forms.ChoiceField(
        choices=[("", "Any reason"), *Escalation.Reason.choices], required=False
    )
    mine = forms.BooleanField(label="Only mine", required=False)

    def values(self) -> dict:
        """The cleaned filters, with safe defaults when the query string is bad."""
        data = self.cleaned_data if self.is_valid() else {}
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


class ActionForm(_OnePageForm):
    id_prefix = "action"
    kind = forms.ChoiceField(
        label="What did you do?",
        choices=EscalationAction.Kind.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Notes",
        max_length=ESCALATION_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say what happened."},
    )


CLOSING_OUTCOMES = [
    (value, label)
    for value, label in Escalation.Outcome.choices
    if value != Escalation.Outcome.RETURNED
]


class CloseForm(_OnePageForm):
    id_prefix = "close"
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=CLOSING_OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how it ended."},
    )
    note = forms.CharField(
        label="Notes (optional)",
        max_length=ESCALATION_NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(_OnePageForm):
    id_prefix = "return"
    note = forms.CharField(
        label="Why it goes back",
        max_length=ESCALATION_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say why, for the national caller."},
    )
    new_phone = PhoneNumberField(
        label="New phone number (optional)",
        region="GB",
        required=False,
        error_messages={
            "invalid": "Enter a valid UK phone number, such as 07911 123456."
        },
    )


class ReassignForm(_OnePageForm):
    id_prefix = "reassign"

    to = forms.ModelChoiceField(
        label="Give it to",
        queryset=get_user_model().objects.none(),
        empty_label="Choose a team member",
        error_messages={
            "required": "Choose a team member.",
            "invalid_choice": "Choose a member of this team.",
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
