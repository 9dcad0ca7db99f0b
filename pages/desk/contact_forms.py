"""Contacts entered several at once on the case page."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from areas.postcodes import normalise_postcode
from contacts.models import Contact
from people.phones import uk_phone_e164
from people.services import PersonDetails
from work.casework import ContactDetails

# Rows shown for a new batch; the caseworker can leave the spare ones empty.
CONTACT_ROWS = 3


class ContactRowForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    postcode = forms.CharField(label="Postcode", max_length=10)
    exposure_date = forms.DateField(
        label="Last exposure",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    exposure = forms.ChoiceField(
        label="Kind of contact", choices=[("", "Choose…"), *Contact.Exposure.choices]
    )

    def clean_phone(self) -> str:
        """A UK (+44) number, stored in international form."""
        return uk_phone_e164(self.cleaned_data["phone"])

    def clean_postcode(self) -> str:
        return normalise_postcode(self.cleaned_data["postcode"])

    def clean_exposure_date(self) -> date:
        day = self.cleaned_data["exposure_date"]
        if day > timezone.localdate():
            raise ValidationError("The exposure date cannot be in the future.")
        return day

    def details(self) -> ContactDetails:
        d = self.cleaned_data
        return ContactDetails(
            person=PersonDetails(
                first_name=d["first_name"],
                last_name=d["last_name"],
                phone=d["phone"],
                postcode=d["postcode"],
            ),
            exposure_date=d["exposure_date"],
            exposure=d["exposure"],
        )


class BaseContactFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.filled_forms():
            raise ValidationError("Enter at least one contact.")
        seen: dict[tuple[str, str, str], int] = {}
        for index, form in enumerate(self.forms):
            if not form.has_changed() or not form.cleaned_data:
                continue
            d = form.cleaned_data
            key = (d["first_name"].lower(), d["last_name"].lower(), d["phone"])
            if key in seen:
                form.add_error(
                    None,
                    f"This is the same person as row {seen[key] + 1}: "
                    "enter each contact once.",
                )
            else:
                seen[key] = index

    def filled_forms(self) -> list[ContactRowForm]:
        return [f for f in self.forms if f.has_changed()]


ContactFormSet = forms.formset_factory(
    ContactRowForm,
    formset=BaseContactFormSet,
    extra=CONTACT_ROWS,
    max_num=20,
    validate_max=True,
    min_num=0,
)
