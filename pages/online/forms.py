"""The forms of the link pages: a case's contacts and places, and a contact's answer.

The checks are the staff forms' (pages.desk): a phone number through
people.phones, a postcode through areas.postcodes, the date someone was last near the
case within the case's infectious period (`infectious_from` to `infectious_until`),
a place's date neither in the future nor before the days that matter
(`visits_from`). Their words are in the page's language (pages.online.texts); in
English a shared validator's own message is shown as it is.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.forms.utils import ErrorDict
from django.utils import timezone

from areas.postcode_check import postcode_known
from areas.postcodes import normalise_postcode
from cases.models import Case
from contacts.models import Contact
from online.texts import long_date
from people.phones import uk_phone_e164
from people.services import PersonDetails
from work.casework import ContactDetails, VisitDetails
from work.online import SUPPORT_KINDS, CaseAnswer
from work.rules import (
    contact_isolation_ends_on,
    infectious_from,
    infectious_until,
    visits_from,
)

from ..templatetags.nhsuk import field_context, form_errors
from .texts import setting_kinds, text

CONTACT_ROWS = 6
PLACE_ROWS = 3
OPEN_CONTACT_ROWS = 2
OPEN_PLACE_ROWS = 1
NOTE_LONGEST = 500
DATE_INPUT = "%Y-%m-%d"
# people.phones' codes with words of their own here ("err_<code>").
PHONE_CODES = {"invalid_phone", "not_in_use", "mobile_length"}
# areas.postcode_check.POSTCODE_NOT_FOUND in Welsh.
POSTCODE_NOT_FOUND_CY = "Ni allwn ddod o hyd i'r cod post hwn. Gwiriwch ef a'i roi eto."

Errors = list[tuple[str, str]]  # (message, the id of the field it links to)


class _Fields:
    """`form.ui.<name>` in a template: what `{% include "online/_field.html" %}`
    draws (the NHS.UK form group of pages.templatetags.nhsuk, its hint and the
    hidden "Error:" in the page's language)."""

    def __init__(self, form: OnlineForm) -> None:
        self.form = form

    def __getitem__(self, name: str) -> dict[str, Any]:
        form = self.form
        options = form.ui_options.get(name, {})
        hint = text(options["hint"], form.language) if "hint" in options else ""
        context = field_context(
            form[name],
            hint=hint,
            width=options.get("width", ""),
            legend_size=options.get("legend", ""),
        )
        context["error_prefix"] = text("error_prefix", form.language)
        context["inline"] = bool(options.get("inline"))
        return context


class OnlineForm(forms.Form):
    """A form of the link pages: its labels and messages in the page's language."""

    # Per field: "hint" (a text key), "width" (nhsuk-input--width-N), "legend" size.
    ui_options: dict[str, dict[str, str]] = {}
    # Per field: its label's text key, and its error messages' text keys.
    words: dict[str, tuple[str, dict[str, str]]] = {}
    # A row of several: what its legend says ("Person 2"), which names each of its
    # errors in the error summary (pages.templatetags.nhsuk.form_errors).
    legend = ""

    def __init__(self, *args, language: str = "en", **kwargs) -> None:
        kwargs.setdefault("use_required_attribute", False)
        super().__init__(*args, **kwargs)
        self.language = language
        for name, (label, messages) in self.words.items():
            field = self.fields[name]
            field.label = text(label, language)
            field.error_messages = {
                **field.error_messages,
                "max_length": text("err_too_long", language),
                "invalid_choice": text("err_choice", language),
                # Django's own English otherwise, on a Welsh page too.
                "null_characters_not_allowed": text("err_null_characters", language),
                **{code: text(key, language) for code, key in messages.items()},
            }

    def t(self, key: str, **values: object) -> str:
        return text(key, self.language, **values)

    def unchecked(self) -> None:
        """Drawn with what was posted and no errors: the language switched while
        typing, nothing sent yet."""
        self._errors = ErrorDict()

    @property
    def ui(self) -> _Fields:
        return _Fields(self)

    def error_list(self) -> Errors:
        """Each error of the form with the field it links to (a row's own error
        links to its first field); a row's named with its legend, in the order of
        its fields."""
        return form_errors(self, row=self.legend)


def _date_widget(**attrs: str) -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date", **attrs}, format=DATE_INPUT)


def _phone_error(
    exc: ValidationError, raw: str, language: str, *, own: bool = False
) -> str:
    """What people.phones said, in the page's language (its English as it is, but
    for a number from abroad, whose advice is for staff). own: said of the
    person's own number ("check it with them" is said of someone they name)."""
    code = exc.code or "invalid_phone"
    if code == "abroad":
        try:
            country = phonenumbers.parse(raw, "GB").country_code
        except phonenumbers.NumberParseException:
            country = 0
        return text("err_own_abroad" if own else "err_abroad", language, code=country)
    if own and code == "not_in_use":
        return text("err_own_not_in_use", language)
    if language == "en":
        return " ".join(exc.messages)
    return text(f"err_{code}" if code in PHONE_CODES else "err_invalid_phone", language)


def _phone(value: str, language: str, *, own: bool = False) -> str:
    """A UK phone number as typed, in E.164 form ("" for none); ValidationError in
    the page's language. own: the person's own number, not someone they name."""
    raw = value.strip()
    if not raw:
        return ""
    try:
        return uk_phone_e164(raw)
    except ValidationError as exc:
        raise ValidationError(_phone_error(exc, raw, language, own=own)) from exc


def _postcode(value: str, language: str) -> str:
    try:
        return normalise_postcode(value)
    except ValidationError as exc:
        if language == "en":
            raise
        raise ValidationError(text("err_invalid_postcode", language)) from exc


def _known_postcode(value: str, language: str) -> str:
    """A postcode as _postcode, and in the postcode directory: one of the right
    form but unknown (a typo, most likely) would leave its person with no area.
    One found outside England is taken."""
    postcode = _postcode(value, language)
    try:
        # The check of every door that names a contact (the case page, the API).
        return postcode_known(postcode)
    except ValidationError as exc:
        if language == "en":
            raise
        raise ValidationError(POSTCODE_NOT_FOUND_CY, code=exc.code) from exc


# --- a case's answer -------------------------------------------------------------------


class ContactRow(OnlineForm):
    """One person the case was near: a name, a phone number or an email (one of
    them), the day they were last near them, whether they live with them, and
    (if they do not) their postcode if the case knows it."""

    first_name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    last_name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    last_near = forms.DateField(widget=_date_widget())
    household = forms.ChoiceField(widget=forms.RadioSelect)
    # Someone who does not live with the case: without it they have no area, and
    # if not reached they go to the fallback team rather than their own.
    postcode = forms.CharField(
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    words = {
        "first_name": ("first_name", {"required": "err_first_name"}),
        "last_name": ("last_name", {"required": "err_last_name"}),
        "phone": ("phone", {}),
        "email": ("email", {"invalid": "err_email"}),
        "last_near": (
            "last_near",
            {"required": "err_last_near", "invalid": "err_date_invalid"},
        ),
        "household": ("household", {"required": "err_household"}),
        "postcode": ("their_postcode", {}),
    }
    ui_options = {
        "phone": {"hint": "phone_hint", "width": "20"},
        "household": {"legend": "s", "inline": "yes"},
        "postcode": {"hint": "their_postcode_hint", "width": "10"},
    }

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["household"].choices = [
            ("yes", self.t("yes_they_do")),
            ("no", self.t("no_they_do_not")),
        ]
        self.fields["last_near"].widget.attrs.update(
            min=infectious_from(case).isoformat(),
            max=min(timezone.localdate(), infectious_until(case)).isoformat(),
        )

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"], self.language)

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        if not value:
            return ""
        # Someone living with the case is placed at the case's home (details()),
        # whatever was typed: only its form is checked. Anyone else is placed by
        # it, so it must be in the directory (household is cleaned first).
        if self.cleaned_data.get("household") == "yes":
            return _postcode(value, self.language)
        return _known_postcode(value, self.language)

    def clean_last_near(self) -> date:
        day = self.cleaned_data["last_near"]
        if day > timezone.localdate():
            raise ValidationError(self.t("err_last_near_future"))
        if (
            over := contact_isolation_ends_on(last_exposure=day)
        ) < timezone.localdate():
            raise ValidationError(
                self.t("err_isolation_over", over=long_date(over, self.language))
            )
        start = infectious_from(self.case)
        if day < start:
            raise ValidationError(
                self.t(
                    "err_before_infectious",
                    start=long_date(start, self.language, after_o=True),
                )
            )
        if day > (end := infectious_until(self.case)):
            raise ValidationError(
                self.t(
                    "err_after_isolation",
                    end=long_date(end, self.language, after_o=True),
                )
            )
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (
            not data.get("phone")
            and not data.get("email")
            and "phone" not in self.errors
            and "email" not in self.errors
        ):
            self.add_error("phone", self.t("err_phone_or_email"))
        return data

    def details(self) -> ContactDetails:
        d = self.cleaned_data
        household = d["household"] == "yes"
        return ContactDetails(
            person=PersonDetails(
                first_name=d["first_name"].strip(),
                last_name=d["last_name"].strip(),
                phone=d["phone"],
                email=d["email"],
                # Someone who lives with the case lives at their address: their
                # local team is the case's. Anyone else's is theirs, if known.
                postcode=_home_postcode(self.case) if household else d["postcode"],
            ),
            exposure_date=d["last_near"],
            exposure=Contact.Exposure.HOUSEHOLD
            if household
            else Contact.Exposure.FACE_TO_FACE,
        )


def _home_postcode(case: Case) -> str:
    try:
        return normalise_postcode(case.person.postcode) if case.person.postcode else ""
    except ValidationError:
        return ""


class PlaceRow(OnlineForm):
    """One place the case has been."""

    kind = forms.ChoiceField()
    name = forms.CharField(max_length=200)
    visited_on = forms.DateField(widget=_date_widget())
    postcode = forms.CharField(max_length=10, required=False)

    words = {
        "kind": ("place_kind", {"required": "err_place_kind"}),
        "name": ("place_name", {"required": "err_place_name"}),
        "visited_on": (
            "place_date",
            {"required": "err_place_date", "invalid": "err_date_invalid"},
        ),
        "postcode": ("postcode_optional", {}),
    }
    ui_options = {"postcode": {"hint": "postcode_hint", "width": "10"}}

    def __init__(self, *args, case: Case, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [
            ("", self.t("choose")),
            *setting_kinds(self.language),
        ]
        self.case = case
        self.fields["visited_on"].widget.attrs.update(
            min=visits_from(case).isoformat(), max=timezone.localdate().isoformat()
        )

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        return _postcode(value, self.language) if value else ""

    def clean_visited_on(self) -> date:
        day = self.cleaned_data["visited_on"]
        if day > timezone.localdate():
            raise ValidationError(self.t("err_place_future"))
        start = visits_from(self.case)
        if day < start:
            raise ValidationError(
                self.t(
                    "err_place_too_early",
                    start=long_date(start, self.language, after_o=True),
                )
            )
        return day

    def details(self) -> VisitDetails:
        d = self.cleaned_data
        return VisitDetails(
            name=d["name"].strip(),
            kind=d["kind"],
            visited_on=d["visited_on"],
            postcode=d["postcode"],
        )


class NoOneForm(OnlineForm):
    no_one = forms.BooleanField(required=False)

    words = {"no_one": ("no_one", {})}


def refused_words(reason: str, language: str) -> str:
    """Why work.casework refused a row (ContactRowsRefused), said to the case. (Never
    "their own contact": only the case's NHS number or date of birth, which this page
    does not ask, makes a row the case; their name and number make a namesake, added
    and phoned: work.online.online_case_submit.)"""
    if "already a contact" in reason:
        return text("err_already", language)
    return reason if language == "en" else text("err_refused", language)


class CaseAnswerForm:
    """The case's page: up to six people and three places; an empty row is left
    out, a half-filled one is an error. Nothing at all needs "there were none"."""

    def __init__(self, data: Any = None, *, case: Case, language: str) -> None:
        self.language = language
        # Every row's dates are checked against the case's further results
        # (work.rules.infection_shown_from): read once for them all.
        prefetch_related_objects([case], "further_results")
        self.contacts = [
            ContactRow(
                data,
                prefix=f"contact-{i}",
                case=case,
                language=language,
                empty_permitted=True,
            )
            for i in range(CONTACT_ROWS)
        ]
        self.places = [
            PlaceRow(
                data,
                prefix=f"place-{i}",
                case=case,
                language=language,
                empty_permitted=True,
            )
            for i in range(PLACE_ROWS)
        ]
        for n, row in enumerate(self.contacts, 1):
            row.legend = text("person_n", language, n=n)
        for n, row in enumerate(self.places, 1):
            row.legend = text("place_n", language, n=n)
        self.none = NoOneForm(data, language=language)

    # The first rows are open; the spare ones are behind "Add more", opened when
    # anything was typed in them (so an error there is never hidden).
    @property
    def first_contacts(self) -> list[ContactRow]:
        return self.contacts[:OPEN_CONTACT_ROWS]

    @property
    def more_contacts(self) -> list[ContactRow]:
        return self.contacts[OPEN_CONTACT_ROWS:]

    @property
    def more_contacts_open(self) -> bool:
        return any(row.is_bound and row.has_changed() for row in self.more_contacts)

    @property
    def first_places(self) -> list[PlaceRow]:
        return self.places[:OPEN_PLACE_ROWS]

    @property
    def more_places(self) -> list[PlaceRow]:
        return self.places[OPEN_PLACE_ROWS:]

    @property
    def more_places_open(self) -> bool:
        return any(row.is_bound and row.has_changed() for row in self.more_places)

    def _forms(self) -> list[OnlineForm]:
        return [*self.contacts, *self.places, self.none]

    def filled_contacts(self) -> list[ContactRow]:
        return [f for f in self.contacts if f.has_changed()]

    def filled_places(self) -> list[PlaceRow]:
        return [f for f in self.places if f.has_changed()]

    def is_valid(self) -> bool:
        # Every form is checked (not just up to the first bad one): all errors show.
        checked = [form.is_valid() for form in self._forms()]
        valid = all(checked)
        if (
            valid
            and not self.filled_contacts()
            and not self.filled_places()
            and not self.none.cleaned_data.get("no_one")
        ):
            self.none.add_error("no_one", text("nothing_entered", self.language))
            return False
        return valid

    def answer(self) -> CaseAnswer:
        return CaseAnswer(
            contacts=[f.details() for f in self.filled_contacts()],
            visits=[f.details() for f in self.filled_places()],
            language=self.language,
        )

    def refused(self, errors: dict[int, str]) -> None:
        """The rows work.casework would not add (by their place among the filled
        rows), each with its reason; the typing stays."""
        filled = self.filled_contacts()
        for index, reason in errors.items():
            filled[index].add_error(None, refused_words(reason, self.language))

    def unchecked(self) -> None:
        for form in self._forms():
            form.unchecked()

    def error_list(self) -> Errors:
        return [error for form in self._forms() for error in form.error_list()]


# --- a contact's answer ----------------------------------------------------------------


class ContactAnswerForm(OnlineForm):
    """A contact says they will stay at home, or asks to be phoned; and what help
    they need. Someone with no phone number on record who asks to be phoned is
    asked for one (`asks_phone`): a message told them, there is no number to ring.
    One whose time to stay at home has ended (`over`) is asked only whether they
    want a call, and for a note: not to stay at home until a day gone by, nor what
    help they need to."""

    will_isolate = forms.ChoiceField(widget=forms.RadioSelect)
    call = forms.ChoiceField(widget=forms.RadioSelect)
    support = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(
        max_length=NOTE_LONGEST,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    # Their own postcode: the phone fills it in (the case's rows ask of others).
    postcode = forms.CharField(
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    phone = forms.CharField(
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )

    words = {
        "will_isolate": ("will_isolate", {"required": "err_will_isolate"}),
        "support": ("support", {}),
        "note": ("note", {"max_length": "err_note_long"}),
        "postcode": ("your_postcode", {}),
        "phone": ("your_phone", {}),
    }
    ui_options = {
        "will_isolate": {"legend": "m"},
        "call": {"legend": "m"},
        "support": {"hint": "support_hint", "legend": "m"},
        "note": {"hint": "note_hint"},
        "postcode": {"hint": "your_postcode_hint", "width": "10"},
        "phone": {"hint": "your_phone_hint", "width": "20"},
    }

    def __init__(
        self, *args, asks_phone: bool = False, over: bool = False, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.asks_phone = asks_phone
        self.over = over
        if not asks_phone:
            del self.fields["phone"]
        if over:
            for name in ("will_isolate", "support", "postcode"):
                del self.fields[name]
            call = self.fields["call"]
            call.label = self._over("call")
            call.choices = [
                ("no", self._over("call_no")),
                ("yes", self._over("call_yes")),
            ]
            call.error_messages = {
                **call.error_messages,
                "required": self._over("err_call"),
                "invalid_choice": self.t("err_choice"),
            }
            return
        del self.fields["call"]
        self.fields["will_isolate"].choices = [
            ("yes", self.t("will_isolate_yes")),
            ("no", self.t("will_isolate_no")),
        ]
        self.fields["support"].choices = [
            (kind, self.t(f"support_{kind}")) for kind in SUPPORT_KINDS
        ]

    def _over(self, key: str) -> str:
        return self.t(f"over_{key}")

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        return _postcode(value, self.language) if value else ""

    def clean_phone(self) -> str:
        return _phone(self.cleaned_data["phone"], self.language, own=True)

    def clean(self) -> dict[str, Any]:
        d = super().clean()
        # Help is given by the council where they are: it needs their postcode.
        if d.get("support") and not d.get("postcode") and "postcode" not in self.errors:
            self.add_error("postcode", self.t("err_postcode_for_help"))
        # "Please phone me" needs a number to ring.
        if (
            self.asks_phone
            and (d.get("will_isolate") == "no" or d.get("call") == "yes")
            and not d.get("phone")
            and "phone" not in self.errors
        ):
            self.add_error("phone", self.t("err_phone_to_call"))
        return d

    def answer(self) -> dict[str, Any]:
        """What work.online.online_contact_answer takes: `phone` only when they
        gave one (asked for when none is on record)."""
        d = self.cleaned_data
        answer: dict[str, Any]
        if self.over:
            # Not asked whether they will stay at home: None, or False to be
            # phoned (as "please phone me" is).
            answer = {
                "will_isolate": False if d["call"] == "yes" else None,
                "support": [],
                "note": d["note"].strip(),
                "postcode": "",
            }
        else:
            answer = {
                "will_isolate": d["will_isolate"] == "yes",
                "support": list(d["support"]),
                "note": d["note"].strip(),
                "postcode": d["postcode"],
            }
        if d.get("phone"):
            answer["phone"] = d["phone"]
        return answer
