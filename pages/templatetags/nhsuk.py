"""Django forms drawn as NHS.UK design system components (nhsuk-frontend 10).

`{% nhsuk_field form.postcode %}` draws a field as the design system's form group:
label (or legend), hint, error message and the input with its classes and
`aria-describedby`; radios and checkboxes as their fieldsets. `{% nhsuk_errors form
other_form %}` draws the error summary that takes focus and links to each field with
a problem (a radio group's first button). One place for the markup, so every form of
the service follows the NHS.UK error pattern.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField

register = template.Library()

INPUT_CLASS = {
    "textarea": "nhsuk-textarea",
    "select": "nhsuk-select",
    "selectmultiple": "nhsuk-select",
}
WIDTH = {"postcode": "nhsuk-input--width-10", "date": "nhsuk-input--width-10"}


def field_anchor(field: BoundField) -> str:
    """The id a link to this field points at (a radio group's first button)."""
    if field.widget_type in ("radioselect", "checkboxselectmultiple"):
        return f"{field.auto_id}_0"
    return field.auto_id


def _described_by(field: BoundField, hint: bool) -> str:
    ids = []
    if hint:
        ids.append(f"{field.auto_id}-hint")
    if field.errors:
        ids.append(f"{field.auto_id}-error")
    return " ".join(ids)


@register.inclusion_tag("nhsuk/field.html")
def nhsuk_field(
    field: BoundField,
    label: str = "",
    hint: str = "",
    width: str = "",
    legend_size: str = "",
    label_hidden: bool = False,
) -> dict[str, Any]:
    hint = hint or str(field.help_text or "")
    kind = field.widget_type
    described = _described_by(field, bool(hint))
    context: dict[str, Any] = {
        "field": field,
        "kind": kind,
        "label": label or field.label,
        "hint": hint,
        "described_by": described,
        "legend_size": legend_size,
        "label_hidden": label_hidden,
    }
    if kind in ("radioselect", "checkboxselectmultiple"):
        return context
    attrs: dict[str, Any] = {}
    css = INPUT_CLASS.get(kind, "nhsuk-input")
    if kind == "checkbox":
        css = "nhsuk-checkboxes__input"
    if field.errors:
        css += {
            "textarea": " nhsuk-textarea--error",
            "select": " nhsuk-select--error",
            "checkbox": "",
        }.get(kind, " nhsuk-input--error")
    if width:
        css += f" nhsuk-input--width-{width}"
    attrs["class"] = css
    if described:
        attrs["aria-describedby"] = described
    context["widget"] = field.as_widget(attrs=attrs)
    return context


@register.inclusion_tag("nhsuk/error_summary.html")
def nhsuk_errors(*forms_: forms.BaseForm | forms.BaseFormSet | None) -> dict[str, Any]:
    """The error summary for these forms (or formsets): each error, linking to its
    field; errors of a whole form link to the form's first field."""
    errors: list[tuple[str, str]] = []
    for form in forms_:
        if form is None or not form.is_bound:
            continue
        subforms = list(form) if isinstance(form, forms.BaseFormSet) else [form]
        if isinstance(form, forms.BaseFormSet):
            for message in form.non_form_errors():
                first = subforms[0] if subforms else None
                anchor = field_anchor(first[next(iter(first.fields))]) if first else ""
                errors.append((message, anchor))
        for sub in subforms:
            first_field = next(iter(sub.fields), None)
            for name, messages in sub.errors.items():
                target = name if name in sub.fields else first_field
                anchor = field_anchor(sub[target]) if target else ""
                errors.extend((str(message), anchor) for message in messages)
    return {"errors": errors}
