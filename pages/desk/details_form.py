"""The "Their details" form of the case page and the contact page: the person's
details as held, to be corrected as they give them on the phone
(work.person_details). Apart from its views (pages.desk.details), which draw the
pages, so that the pages can draw the form without importing the views.

The form carries the details it was drawn with (a hidden `drawn_<detail>` each):
only those its user changed are given, so a form left open never undoes what
someone else saved meanwhile in a field its user did not touch."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse

from cases.workitem import WorkItem
from people.models import Person
from work.person_details import BAD_DATE, DETAILS, details_refusal, details_touched

from ..typed import typed_value

DRAWN = "drawn_"


def details_shown(person: Person) -> dict[str, Any]:
    """The person's details as the form shows them (a phone as a caller reads it:
    07911 123456)."""
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth,
        "phone": _phone_shown(person.phone),
        "phone_alt": _phone_shown(person.phone_alt),
        "email": person.email,
        "address": person.address,
        "postcode": person.postcode,
    }


def _phone_shown(phone: Any) -> str:
    """A UK number as a caller reads it (07911 123456); one from abroad with its
    country's code (+33 6 12 34 56 78), which read as a UK number it is not."""
    if not phone:
        return ""
    return phone.as_national if phone.country_code == 44 else phone.as_international


def _as_drawn(value: Any) -> str:
    """A detail shown, as its hidden field carries it (a date in ISO form)."""
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


class PersonDetailsForm(forms.Form):
    """Every detail optional here: the operation says what may not be emptied, and
    checks each one typed that differs from the one held, in the same words as for
    the API."""

    prefix = "details"

    first_name = forms.CharField(label="First name", required=False)
    last_name = forms.CharField(label="Last name", required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        help_text="For example, 14/06/1985.",
        error_messages={"invalid": BAD_DATE},
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        help_text="A UK number, such as 07911 123456.",
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    phone_alt = forms.CharField(
        label="Other phone (optional)",
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.CharField(
        label="Email (optional)",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    address = forms.CharField(
        label="Address (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    postcode = forms.CharField(label="Postcode", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # What each detail was drawn with, sent back with the form.
        for name in DETAILS:
            self.fields[DRAWN + name] = forms.CharField(
                required=False, strip=False, widget=forms.HiddenInput
            )

    @classmethod
    def of(cls, person: Person, typed: QueryDict | None = None) -> PersonDetailsForm:
        """The form drawn with the details held, or with what was typed into it
        when the session ended (`typed`, the form as posted, with the details it
        had been drawn with), not saved."""
        shown = details_shown(person)
        initial = {
            **shown,
            **{DRAWN + name: _as_drawn(value) for name, value in shown.items()},
        }
        form = cls(initial=initial)
        if typed is not None:
            for name in (*DETAILS, *(DRAWN + name for name in DETAILS)):
                if (key := form.add_prefix(name)) in typed:
                    form.initial[name] = typed_value(typed, key)
        return form

    def drawn(self) -> dict[str, str]:
        """The details as the form sent back what it was drawn with (none, for a
        form drawn without them)."""
        return {
            name: str(self.data.get(key, ""))
            for name in DETAILS
            if (key := self.add_prefix(DRAWN + name)) in self.data
        }

    def given(self) -> dict[str, Any]:
        """The details the form sent and read that its user changed from what it
        was drawn with (details_touched: a field not sent, or sent as drawn, is not
        given: nothing is changed for it), as the operation takes them."""
        read = getattr(self, "cleaned_data", {})
        sent = {
            name: read[name]
            for name in DETAILS
            if self.add_prefix(name) in self.data and name in read
        }
        return details_touched(sent, self.drawn())

    def redrawn(self, person: Person, *, keep: Iterable[str]) -> None:
        """Drawn again after a refusal: each detail but those in `keep` (what its
        user changed, to be checked and sent again) as held now, and drawn with it,
        so that what someone else saved meanwhile is what it shows, and is not sent
        back over."""
        kept = set(keep)
        data = self.data.copy()
        for name, value in details_shown(person).items():
            if name in kept:
                continue
            data[self.add_prefix(name)] = _as_drawn(value)
            data[self.add_prefix(DRAWN + name)] = _as_drawn(value)
        self.data = data


def details_url(item: WorkItem) -> str:
    namespace = "cases" if item.kind == "case" else "contacts"
    return reverse(f"{namespace}:person_details", args=[item.pk])


def details_context(
    item: WorkItem, *, form: PersonDetailsForm | None = None, notice: str = ""
) -> dict[str, Any]:
    """What templates/people/_details_form.html draws, for the item's page: the form
    (as held, unless one with typing or errors is given), where it posts, why it is
    not drawn (details_refusal), and a notice of what was just saved. No query: the
    person is the page's own."""
    return {
        "details_form": form or PersonDetailsForm.of(item.person),
        "details_url": details_url(item),
        "details_refusal": details_refusal(item),
        "details_notice": notice,
    }
