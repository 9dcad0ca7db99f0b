"""Forms of the case page: the risk assessment (and its draft), the settings visited,
and completing the case."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone

from areas.postcodes import normalise_postcode
from cases.models import Case, RiskAssessment, SettingKind
from work.casework import (
    ASSESSED,
    AssessmentDetails,
    DrawnFrom,
    VisitDetails,
    isolation_after_onset,
)
from work.result_rules import symptom_onset_problem
from work.rules import isolation_over, visit_date_problem

from ..typed import typed_value

DATE_WIDGET = {"type": "date"}
VISIT_PREFIX = "visit"
# The assessment's hidden field: the saved assessment the form was drawn from (when
# it was saved; empty: there was none yet). Sent back with the save, and kept in the
# draft, so a save made from an older assessment than the one saved now is refused
# (work.casework.AssessmentSavedSince) rather than undoing it unseen.
DRAWN_FROM = "drawn_from"


def assessment_version(assessment: RiskAssessment | None) -> str:
    """What the hidden field holds for a form drawn from this saved assessment."""
    return assessment.assessed_at.isoformat() if assessment is not None else ""


class AssessmentForm(forms.ModelForm):
    """The public health risk assessment; symptom onset is stored on the case."""

    # Where the error summary's link of an error of the whole form goes ("": the
    # first field): the table of what was saved since, when a save is refused for it.
    whole_form_anchor = ""

    symptom_onset = forms.DateField(
        label="Date symptoms started",
        required=False,
        help_text="The isolation end date is worked out from this.",
        error_messages={"invalid": "Enter a real date, such as 10/01/2021."},
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )

    # Asked for only when the onset typed would end their isolation before today
    # (clean): a slip of the date would otherwise tell them it has ended.
    onset_ends_past = forms.BooleanField(
        label="The date is right: their isolation has ended",
        required=False,
        help_text="They will be told by text or email that their time to stay at "
        "home has ended, if they were told a date that way.",
    )

    class Meta:
        model = RiskAssessment
        fields = list(ASSESSED)  # what an assessment holds, as the core saves it
        labels = {
            "symptomatic": "They have had symptoms",
            "works_in": "Works or studies in",
            "vulnerabilities": "Vulnerabilities",
            "household_size": "People in the household (including them)",
            "household_notes": "Household",
        }
        help_texts = {
            "vulnerabilities": "Health conditions, pregnancy, caring for someone at risk.",
            "clinical_notes": "Seen by tier 2 clinicians only.",
        }
        widgets = {
            "vulnerabilities": forms.Textarea(attrs={"rows": 2}),
            "household_notes": forms.Textarea(attrs={"rows": 2}),
            "clinical_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        # Whether the box confirming an onset that ends isolation before today is
        # drawn (clean: _onset_ends_isolation_past).
        self.asks_onset_ends_past = False
        size = self.fields["household_size"]
        # The model's minimum (0) would answer -1 with "greater than or equal to 0";
        # clean_household_size says what a household is, for 0 and below alike.
        size.validators = [
            v for v in size.validators if not isinstance(v, MinValueValidator)
        ]
        size.widget.attrs["min"] = 1
        self.fields["household_size"].error_messages["invalid"] = (
            "Enter the number of people as a number, such as 3."
        )
        # Also when bound: has_changed() compares the typing with what is saved.
        self.initial.setdefault("symptom_onset", case.symptom_onset)
        # Drawn from what was sent, or a draft's typing, else from what is saved.
        given = self.data if self.is_bound else self.initial
        self.sent_drawn_from = DRAWN_FROM in given
        self.drawn_from = (
            typed_value(given, DRAWN_FROM)
            if self.sent_drawn_from
            else assessment_version(self.instance if self.instance.pk else None)
        )

    def drawn_from_version(self) -> DrawnFrom | None:
        """The saved assessment the typing was made from, to check the save against
        (None: sent without one, by a page drawn before forms carried it). A value
        that is no time is drawn from nothing: refused if anything is saved."""
        if not self.sent_drawn_from:
            return None
        try:
            return DrawnFrom(saved_at=datetime.fromisoformat(self.drawn_from))
        except ValueError:
            return DrawnFrom(saved_at=None)

    def clean_symptom_onset(self) -> date | None:
        onset = self.cleaned_data.get("symptom_onset")
        if onset is None:
            return None
        if onset > timezone.localdate():
            raise ValidationError("The date symptoms started cannot be in the future.")
        # Symptoms may start after the result (isolation then runs from them):
        # only a day to come, or weeks before the test, is refused.
        if problem := symptom_onset_problem(
            symptom_onset=onset, specimen_date=self.case.specimen_date
        ):
            raise ValidationError(problem)
        return onset

    def clean_household_size(self) -> int | None:
        size = self.cleaned_data.get("household_size")
        if size is not None and size < 1:
            raise ValidationError("A household has at least one person: them.")
        return size

    def clean(self):
        data = super().clean()
        if (
            data.get("symptomatic")
            and data.get("symptom_onset") is None
            and "symptom_onset" not in self.errors
        ):
            self.add_error(
                "symptom_onset", "Enter the date symptoms started, or untick symptoms."
            )
        if past := self._onset_ends_isolation_past(data):
            self.add_error("symptom_onset", past)
        return data

    def _onset_ends_isolation_past(self, data: dict[str, Any]) -> str:
        """Why the onset typed is asked about: a changed onset that ends their
        isolation before today, while it had not ended, tells them it has ended
        (work.isolation.case_onset_revised). A slip of the date (24 November for 4
        December) is asked about first; saved again with the box ticked, it stands.
        "" when there is nothing to ask."""
        if "symptom_onset" in self.errors:
            return ""  # a date to put right first
        # The onset the save records: none once symptoms are unticked (counted
        # from the test), whatever the date box still holds.
        onset = data.get("symptom_onset") if data.get("symptomatic") else None
        if onset == self.case.symptom_onset:
            return ""
        today = timezone.localdate()
        # The date the save gives: a clinician's override may stand against it.
        ends_on = isolation_after_onset(self.case, onset)
        if not isolation_over(ends_on, today=today) or isolation_over(
            self.case.isolation_ends_on, today=today
        ):
            return ""
        self.asks_onset_ends_past = True
        if data.get("onset_ends_past"):
            return ""
        counted = (
            f"With symptoms from {onset:%-d %B %Y}"
            if onset is not None
            else f"With no symptoms, counted from their test on "
            f"{self.case.specimen_date:%-d %B %Y},"
        )
        return (
            f"{counted} their isolation ended on {ends_on:%A %-d %B %Y}, before "
            f"today (it was to end on {self.case.isolation_ends_on:%A %-d %B %Y}). "
            "Check the date. If it is right, tick the box below and save again."
        )

    def details(self) -> AssessmentDetails:
        d = self.cleaned_data
        return AssessmentDetails(
            symptomatic=d["symptomatic"],
            symptom_onset=d.get("symptom_onset"),
            occupation=d["occupation"],
            works_in=d["works_in"],
            vulnerabilities=d["vulnerabilities"],
            household_size=d["household_size"],
            household_notes=d["household_notes"],
            clinical_notes=d["clinical_notes"],
        )


class VisitForm(forms.Form):
    """One setting the case visited (in the days before symptoms or the test)."""

    name = forms.CharField(
        label="Name of the place",
        max_length=200,
        error_messages={"required": "Enter the name of the place."},
    )
    kind = forms.ChoiceField(
        label="Kind of place",
        choices=[("", "Choose…"), *SettingKind.choices],
        error_messages={"required": "Choose the kind of place."},
    )
    postcode = forms.CharField(
        label="Postcode", max_length=10, required=False, help_text="If they know it."
    )
    visited_on = forms.DateField(
        label="Date of visit",
        error_messages={
            "required": "Enter the date they were there.",
            "invalid": "Enter a real date, such as 10/01/2021.",
        },
        widget=forms.DateInput(attrs=DATE_WIDGET, format="%Y-%m-%d"),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, prefix=VISIT_PREFIX, **kwargs)
        self.case = case

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        return normalise_postcode(value) if value else ""

    def clean_visited_on(self) -> date:
        day = self.cleaned_data["visited_on"]
        if problem := visit_date_problem(
            day=day, case=self.case, today=timezone.localdate()
        ):
            raise ValidationError(problem)
        return day

    def details(self) -> VisitDetails:
        d = self.cleaned_data
        return VisitDetails(
            name=d["name"],
            kind=d["kind"],
            visited_on=d["visited_on"],
            postcode=d["postcode"],
        )


# --- the draft of the assessment ----------------------------------------------------------

ASSESSMENT_FIELDS = ("symptom_onset", *AssessmentForm.Meta.fields)


def typed_assessment(data: Any) -> dict[str, str]:
    """The assessment as typed (from the posted form): what its draft keeps, with
    the saved assessment it was drawn from. An unticked box is an empty value, as
    the form reads it."""
    typed = {name: typed_value(data, name) for name in ASSESSMENT_FIELDS}
    if DRAWN_FROM in data:
        typed[DRAWN_FROM] = typed_value(data, DRAWN_FROM)
    return typed


@dataclass
class Difference:
    """One field where the assessment saved now differs from the form's typing."""

    label: str
    saved: str
    typed: str


def _shown(form: AssessmentForm, name: str, value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    choices = dict(getattr(form.fields[name], "choices", None) or ())
    return str(choices.get(value, value))


def assessment_differences(
    form: AssessmentForm, *, case: Case, saved: RiskAssessment
) -> list[Difference]:
    """Where the assessment saved now (`saved`, and the onset on `case`) differs
    from what a valid form holds, field by field, in the form's order: what to
    reconcile after a save refused as made from an older assessment."""
    typed = form.cleaned_data
    differences = []
    for name in ASSESSMENT_FIELDS:
        if name == "symptom_onset":
            now = case.symptom_onset
            mine = typed.get(name) if typed.get("symptomatic") else None
        else:
            now, mine = getattr(saved, name), typed.get(name)
        if now != mine:
            differences.append(
                Difference(
                    label=str(form.fields[name].label),
                    saved=_shown(form, name, now),
                    typed=_shown(form, name, mine),
                )
            )
    return differences


def assessment_changed(
    typed: dict[str, Any], *, case: Case, assessment: RiskAssessment | None
) -> bool:
    """The typing differs from the saved assessment (or there is none yet and
    something was typed)."""
    form = AssessmentForm(typed, instance=assessment, case=case)
    return form.has_changed()


class CompleteForm(forms.Form):
    """Completing the case: a case with no contacts says so in as many words."""

    no_contacts = forms.BooleanField(
        label="This case had no contacts",
        required=False,
        help_text="Tick this if they told you they were not near anyone while they "
        "could have passed it on.",
    )


def typed_visit(data: Any) -> dict[str, str]:
    """The setting-visited form as typed (kept through signing in again), by field:
    the form's inputs are named with its prefix (`visit-name`)."""
    return {
        name: typed_value(data, f"{VISIT_PREFIX}-{name}")
        for name in ("name", "kind", "postcode", "visited_on")
        if data.get(f"{VISIT_PREFIX}-{name}")
    }
