"""Contacts entered several at once on the case page, and their draft."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils import timezone

from areas.postcode_check import postcode_known
from areas.postcodes import normalise_postcode
from cases.models import Case
from clock import SENT_TWICE_WITHIN
from contacts.models import Contact, Exposure
from online.texts import long_date
from people.matching import phone_text
from people.models import Person
from people.phones import uk_phone_e164
from people.services import PersonDetails, same_text
from work.access.cases import may_work_case
from work.casework import ContactDetails
from work.rules import exposure_date_problem

from ..typed import typed_value

# Rows shown for a new batch; the caseworker can leave the spare ones empty.
CONTACT_ROWS = 3
MOST_ROWS = 20


def contacts_added_text(added: list[Contact], *, who: Any) -> str:
    """What the case page says once rows are saved: how many contacts are new, and
    each person who was already another case's contact and had this exposure added
    to their record (that case named only to someone who may work it, as the API's
    receipt names none)."""
    made = [c for c in added if c.joined is None]
    parts = []
    if made or not added:
        n = len(made)
        parts.append(
            f"{n} contact{'s' if n != 1 else ''} added: call handlers will phone "
            "them and tell them until when to isolate."
        )
    parts.extend(
        f"{c.person.full_name} is already a contact of "
        f"{_other_case(c, who)}: added this exposure to their record "
        f"(isolating until {long_date(c.isolation_ends_on)})."
        for c in added
        if c.joined is not None
    )
    return " ".join(parts)


def contacts_sent_twice_text(added: list[Contact], *, who: Any) -> str:
    """What the case page says when the rows it just added are sent again."""
    return (
        f"{contacts_added_text(added, who=who)} (The rows were sent twice, and added "
        "once.)"
    )


def _other_case(contact: Contact, who: Any) -> str:
    if may_work_case(who, contact.case):
        return f"case {contact.case.lab_reference}"
    return "another case"


class ContactRowForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=100,
        error_messages={"required": "Enter their first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=100,
        error_messages={"required": "Enter their last name."},
    )
    phone = forms.CharField(
        label="Phone",
        max_length=32,
        error_messages={
            "required": "Enter their phone number, such as 07911 123456.",
        },
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    postcode = forms.CharField(
        label="Postcode",
        max_length=10,
        error_messages={"required": "Enter their postcode, such as S1 2HE."},
    )
    exposure_date = forms.DateField(
        label="Date of last contact",
        error_messages={
            "required": "Enter the date they were last in contact.",
            "invalid": "Enter a real date, such as 10/01/2021.",
        },
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    exposure = forms.ChoiceField(
        label="Kind of contact",
        choices=[("", "Choose…"), *Contact.Exposure.choices],
        error_messages={"required": "Choose the kind of contact."},
    )

    # What the row's legend says on the case page ("Contact 2"): the error summary
    # names each of the row's errors with it (pages.templatetags.nhsuk.form_errors).
    legend = ""

    def __init__(self, *args, case: Case | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case

    def clean_first_name(self) -> str:
        return name_composed(self.cleaned_data["first_name"])

    def clean_last_name(self) -> str:
        return name_composed(self.cleaned_data["last_name"])

    def clean_phone(self) -> str:
        """A UK (+44) number, stored in international form."""
        return uk_phone_e164(self.cleaned_data["phone"])

    def clean_postcode(self) -> str:
        """In the postcode directory, as the online forms ask: one of the right form
        but unknown (a typo, most likely) would leave the contact with no area. The
        case's own postcode is taken whether the directory knows it or not: those at
        home with them live there."""
        held = self.case.person.postcode if self.case is not None else ""
        return postcode_known(self.cleaned_data["postcode"], held=held)

    def clean_exposure_date(self) -> date:
        day = self.cleaned_data["exposure_date"]
        if problem := exposure_date_problem(
            day=day, case=self.case, today=timezone.localdate()
        ):
            raise ValidationError(problem)
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


ROW_FIELDS = tuple(ContactRowForm.base_fields)


def name_composed(value: str) -> str:
    """A name as it is kept: composed (NFC), as the API, the results upload and
    intake keep it, so "Siân" typed with a separate accent (a + U+0302) is the same
    name, found and matched as the one sent composed."""
    return unicodedata.normalize("NFC", value)


class BaseContactFormSet(forms.BaseFormSet):
    """The rows of new contacts. Unbound, it can be drawn with the rows of a draft
    (`rows`): each a spare row filled in as typed, so an emptied row is still spare."""

    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        # Its hidden counts were not sent, or not as numbers: nothing a caseworker
        # typed, so nothing to point them at but sending the rows again.
        "missing_management_form": "The contact rows were not sent whole: reload "
        "the page and enter them again.",
    }

    def __init__(self, *args, rows: list[dict[str, str]] | None = None, **kwargs):
        self.restored = rows or []
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        # The row's legend: templates/cases/case_detail.html draws it, and the
        # error summary names the row's errors with it.
        form = super()._construct_form(i, **kwargs)
        form.legend = f"Contact {i + 1}"
        return form

    def total_form_count(self) -> int:
        if self.is_bound:
            return super().total_form_count()
        return min(max(len(self.restored), CONTACT_ROWS), MOST_ROWS)

    def get_form_kwargs(self, index):
        kwargs = super().get_form_kwargs(index)
        if not self.is_bound and index is not None and index < len(self.restored):
            kwargs["initial"] = self.restored[index]
        return kwargs

    def clean(self):
        super().clean()
        if self.is_bound and not self.management_form.is_valid():
            return  # said already (missing_management_form), not "enter a contact"
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
                    f"This is the same person as contact {seen[key] + 1}: "
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
    max_num=MOST_ROWS,
    validate_max=True,
    min_num=0,
)


def contact_rows_formset(
    case: Case, data: Any = None, *, rows: list[dict[str, str]] | None = None
) -> BaseContactFormSet:
    """The contacts rows of a case's page: bound to what was sent, or drawn empty
    (or with a draft's rows)."""
    return ContactFormSet(
        data, prefix="contacts", form_kwargs={"case": case}, rows=rows
    )


# --- the draft: the rows as typed ------------------------------------------------------


def typed_rows(data: Any) -> list[dict[str, str]]:
    """The contact rows as typed (from the posted form), in their places, the trailing
    empty ones left off: what a draft of the contacts keeps."""
    try:
        total = int(data.get("contacts-TOTAL_FORMS", 0))
    except (TypeError, ValueError):
        total = 0
    rows = [
        {name: typed_value(data, f"contacts-{i}-{name}") for name in ROW_FIELDS}
        for i in range(max(0, min(total, MOST_ROWS)))
    ]
    while rows and not row_is_filled(rows[-1]):
        rows.pop()
    return rows


def row_is_filled(row: dict[str, Any]) -> bool:
    return any(str(row.get(name, "")).strip() for name in ROW_FIELDS)


def row_is_added(row: dict[str, Any], added: set[tuple[str, str, str]]) -> bool:
    """This typed row is a contact already on the case (a draft saved just after the
    rows were added, say): not typing that is left to add."""
    try:
        phone = uk_phone_e164(str(row.get("phone", "")))
    except ValidationError:
        return False
    key = (
        name_composed(str(row.get("first_name", ""))).strip().lower(),
        name_composed(str(row.get("last_name", ""))).strip().lower(),
        phone,
    )
    return key in added


def rows_left_to_add(
    rows: list[dict[str, Any]], contacts: list[Contact]
) -> list[tuple[int, dict[str, Any]]]:
    """The filled rows of a draft (with their places) that are not on the case yet."""
    added = {
        (
            c.person.first_name.strip().lower(),
            c.person.last_name.strip().lower(),
            str(c.person.phone),
        )
        for c in contacts
    }
    return [
        (index, row)
        for index, row in enumerate(rows)
        if row_is_filled(row) and not row_is_added(row, added)
    ]


# --- the rows sent twice ---------------------------------------------------------------


# A contact of the last batch: the contact (a joined one carrying its naming), the
# exposure's day and kind as saved, and who named them.
_Saved = tuple[Contact, date, str, Any]


def _postcode_as_saved(row: PersonDetails, person: Person) -> bool:
    """The row's postcode is the person's, as the service keeps it (normalised)."""
    try:
        return normalise_postcode(row.postcode) == person.postcode
    except ValidationError:
        return False


def _person_as_saved(row: PersonDetails, person: Person) -> bool:
    """Every field the row carries is what the person's record holds: sending the row
    now would change nothing of theirs (a blank field carries nothing). A phone is
    held as their phone or their other phone, in international form, however it was
    spaced."""
    phone = phone_text(row.phone)
    carried = [
        same_text(row.first_name, person.first_name),
        same_text(row.last_name, person.last_name),
        not phone or phone in {phone_text(person.phone), phone_text(person.phone_alt)},
        not row.postcode or _postcode_as_saved(row, person),
        not row.date_of_birth or row.date_of_birth == person.date_of_birth,
        not row.nhs_number or row.nhs_number == person.nhs_number,
        not row.email.strip() or same_text(row.email, person.email),
        not row.address.strip() or same_text(row.address, person.address),
        not row.language
        or (person.language is not None and person.language.code == row.language),
        not row.needs_interpreter or person.needs_interpreter,
    ]
    return all(carried)


def _is_row(row: ContactDetails, saved: _Saved) -> bool:
    contact, exposure_date, exposure, _ = saved
    return (
        row.exposure_date == exposure_date
        and row.exposure == exposure
        and _person_as_saved(row.person, contact.person)
    )


def _last_batch(case: Case) -> list[_Saved]:
    """The contacts the case named last (one batch is saved at one moment:
    work.casework.contacts_add_many), if a moment ago; else none."""
    own = Contact.objects.filter(case=case)
    named = Exposure.objects.filter(case=case)
    last = max(
        (
            at
            for at in (
                own.aggregate(at=Max("created_at"))["at"],
                named.aggregate(at=Max("created_at"))["at"],
            )
            if at is not None
        ),
        default=None,
    )
    if last is None or last < timezone.now() - SENT_TWICE_WITHIN:
        return []
    batch: list[_Saved] = [
        (contact, contact.exposure_date, contact.exposure, contact.identified_by_id)
        for contact in own.filter(created_at=last).select_related("person__language")
    ]
    for exposure in named.filter(created_at=last).select_related(
        "contact__person__language", "contact__case"
    ):
        contact = exposure.contact
        contact.joined = exposure
        batch.append(
            (
                contact,
                exposure.exposure_date,
                exposure.exposure,
                exposure.identified_by_id,
            )
        )
    return batch


def rows_just_added(
    user: Any, case: Case, rows: list[ContactDetails]
) -> list[Contact] | None:
    """The contacts the rows sent added a moment ago, in the rows' order, when the
    rows are the case's last batch of contacts, added by this user (a double click
    without JavaScript, the browser sending the form again): each row is one of that
    batch, every field it carries as saved (the person's names, phone, postcode and
    any other detail, the exposure's day and kind), and the batch is no more. A
    joined contact of another case carries its naming (`joined`), as contact_add
    returns it. None otherwise: a row that differs (Back, a postcode put right, sent
    again) is refused as before, for it was not saved (work.sent_twice's rule, for
    a form that carries no submission id: the same user, the same fields, the last
    such change, a moment ago)."""
    batch = _last_batch(case)
    if len(batch) != len(rows) or any(by != user.pk for *_, by in batch):
        return None
    added: list[Contact] = []
    left = list(batch)
    for row in rows:
        saved = next((s for s in left if _is_row(row, s)), None)
        if saved is None:
            return None
        left.remove(saved)
        added.append(saved[0])
    return added
