"""Django forms drawn as NHS.UK design system components (nhsuk-frontend 10).

`{% nhsuk_field form.postcode %}` draws a field as the design system's form group:
label (or legend), hint, error message and the input with its classes and
`aria-describedby`; radios and checkboxes as their fieldsets. `{% nhsuk_errors form
other_form %}` draws the error summary that takes focus and links to each field with
a problem (a radio group's first button). One place for the markup, so every form of
the service follows the NHS.UK error pattern. The field is drawn in Python (format_html,
which escapes what it is given) rather than by an inclusion template, for speed;
tests/core/test_nhsuk_field.py holds the HTML each kind of field draws.
"""

from __future__ import annotations

from typing import Any

from django import forms, template
from django.forms.boundfield import BoundField
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..widgets import template_text

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


def field_context(
    field: BoundField,
    label: str = "",
    hint: str = "",
    width: str = "",
    legend_size: str = "",
    label_hidden: bool = False,
) -> dict[str, Any]:
    """What a form group is drawn from: the field, its kind, label, hint, the ids
    the input is described by, and (but for radios and checkboxes, drawn choice by
    choice) its widget with the design system's classes. The online pages draw it
    with their own template, in the page's language (pages.online.forms)."""
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


@register.simple_tag
def nhsuk_field(field: BoundField, **options: Any) -> SafeString:
    """The field as the design system's form group (options: those of
    field_context). Drawn here rather than by a template: a case page draws some
    forty, and as an inclusion template each cost more than the rest of the page's
    markup together."""
    c = field_context(field, **options)
    kind, label, hint = c["kind"], c["label"], c["hint"]
    if kind in ("radioselect", "checkboxselectmultiple"):
        return _choices_group(
            field, kind, label, hint, c["described_by"], c["legend_size"]
        )
    widget = c["widget"]
    if kind == "hidden":
        return widget
    auto_id = field.auto_id
    errors = _errors(field)
    if kind == "checkbox":
        return format_html(
            '<div class="{}" id="{}-group">\n  {}\n'
            '  <div class="nhsuk-checkboxes" data-module="nhsuk-checkboxes">\n'
            '    <div class="nhsuk-checkboxes__item">\n      {}\n'
            '      <label class="nhsuk-label nhsuk-checkboxes__label" for="{}">{}</label>'
            "\n      {}\n    </div>\n  </div>\n</div>\n",
            _group_class(field),
            auto_id,
            errors,
            widget,
            field.id_for_label,
            label,
            _hint(auto_id, hint, " nhsuk-checkboxes__hint"),
        )
    return format_html(
        '<div class="{}" id="{}-group">\n  <label class="nhsuk-label{}" for="{}">{}</label>'
        "\n  {}\n  {}\n  {}\n</div>\n",
        _group_class(field),
        auto_id,
        " nhsuk-u-visually-hidden" if c["label_hidden"] else "",
        field.id_for_label,
        label,
        _hint(auto_id, hint),
        errors,
        widget,
    )


def _group_class(field: BoundField) -> str:
    return (
        "nhsuk-form-group nhsuk-form-group--error"
        if field.errors
        else "nhsuk-form-group"
    )


def _hint(auto_id: str, hint: str, extra_class: str = "") -> SafeString | str:
    if not hint:
        return ""
    return format_html(
        '<div class="nhsuk-hint{}" id="{}-hint">{}</div>', extra_class, auto_id, hint
    )


def _errors(field: BoundField) -> SafeString | str:
    """A field's errors in one message (a line each): `aria-describedby` names one
    element, and a second with the same id was neither valid nor read out."""
    if not field.errors:
        return ""
    return format_html(
        '<span class="nhsuk-error-message" id="{}-error">'
        '<span class="nhsuk-u-visually-hidden">Error: </span>{}</span>',
        field.auto_id,
        format_html_join(mark_safe("<br>"), "{}", ((e,) for e in field.errors)),
    )


def _choices_group(
    field: BoundField,
    kind: str,
    label: str,
    hint: str,
    described: str,
    legend_size: str,
) -> SafeString:
    """Radios or checkboxes: a fieldset, its legend, and an item per choice."""
    name = "radios" if kind == "radioselect" else "checkboxes"
    kind_of_input = "radio" if kind == "radioselect" else "checkbox"
    items = format_html_join(
        "",
        '\n      <div class="nhsuk-{}__item">\n'
        '        <input class="nhsuk-{}__input" id="{}" name="{}" type="{}" value="{}"{}>'
        '\n        <label class="nhsuk-label nhsuk-{}__label" for="{}">{}</label>'
        "\n      </div>",
        (
            (
                name,
                name,
                option.id_for_label,
                option.data["name"],
                kind_of_input,
                template_text(option.data["value"]),
                mark_safe(" checked") if option.data["selected"] else "",
                name,
                option.id_for_label,
                option.choice_label,
            )
            for option in field
        ),
    )
    return format_html(
        '<div class="{}" id="{}-group">\n  <fieldset class="nhsuk-fieldset"{}>\n'
        '    <legend class="nhsuk-fieldset__legend{}">{}</legend>\n    {}\n    {}\n'
        '    <div class="nhsuk-{}" data-module="nhsuk-{}">{}\n    </div>\n'
        "  </fieldset>\n</div>\n",
        _group_class(field),
        field.auto_id,
        format_html(' aria-describedby="{}"', described) if described else "",
        f" nhsuk-fieldset__legend--{legend_size}" if legend_size else "",
        label,
        _hint(field.auto_id, hint),
        _errors(field),
        name,
        name,
        items,
    )


@register.simple_tag
def management_form(formset: forms.BaseFormSet) -> SafeString:
    """The formset's management form (its four hidden inputs), as
    `{{ formset.management_form }}` draws it. An unbound formset's is drawn here from
    its counts: Django's builds a form and renders it through the form renderer's
    template, a tenth of a case page's drawing for four inputs. A bound one (sent back
    with errors) is Django's own, which shows what was sent and any error in it, as
    is one with ids other than Django's default pattern."""
    if formset.is_bound or "%s" not in str(formset.auto_id):
        return formset.management_form
    prefix = formset.prefix
    return format_html_join(
        "",
        '<input type="hidden" name="{}-{}" value="{}" id="{}">',
        (
            (prefix, name, value, formset.auto_id % f"{prefix}-{name}")
            for name, value in (
                (forms.formsets.TOTAL_FORM_COUNT, formset.total_form_count()),
                (forms.formsets.INITIAL_FORM_COUNT, formset.initial_form_count()),
                (forms.formsets.MIN_NUM_FORM_COUNT, formset.min_num),
                (forms.formsets.MAX_NUM_FORM_COUNT, formset.max_num),
            )
        ),
    )


def form_errors(form: forms.BaseForm, row: str = "") -> list[tuple[str, str]]:
    """A form's errors for an error summary: each message with the id of the field
    it links to (an error of the whole form, its first field's).

    A form that is one row of several (`row`: what the row's legend says, "Contact
    2") has each message named with its row, "Contact 2: Enter their last name.",
    and its errors listed in the order of its fields (those its clean() adds came
    last), so that the same message from two rows can be told apart and read in
    the order of the page. A form on its own is listed as it is."""
    names = list(form.fields)
    first = names[0] if names else None
    # Where an error of the whole form points instead, when the page draws what it
    # asks the reader to check (the form's `whole_form_anchor`, an element's id).
    whole_form_anchor = getattr(form, "whole_form_anchor", "")
    items = list(form.errors.items())
    if row:
        # An error of the whole row goes first, where its link goes.
        items.sort(key=lambda item: names.index(item[0]) if item[0] in names else -1)
    errors: list[tuple[str, str]] = []
    for name, messages in items:
        if name not in form.fields and whole_form_anchor:
            anchor = whole_form_anchor
            errors.extend((str(message), anchor) for message in messages)
            continue
        target = name if name in form.fields else first
        anchor = field_anchor(form[target]) if target else ""
        errors.extend(
            (f"{row}: {message}" if row else str(message), anchor)
            for message in messages
        )
    return errors


@register.inclusion_tag("nhsuk/error_summary.html")
def nhsuk_errors(
    *forms_: forms.BaseForm | forms.BaseFormSet | None, summary_id: str = ""
) -> dict[str, Any]:
    """The error summary for these forms (or formsets): each error, linking to its
    field; errors of a whole form link to the form's first field. A form that is a
    row of several says which (its `legend`: form_errors).

    `summary_id` is the summary's id where a page can show more than one (a section
    of the case page, a row of a list: `{% nhsuk_errors form summary_id="x" %}`);
    two with one id were invalid, and a link to it found the first. Without, it is
    "error-summary". Focus needs no id: the script moves it to the summary within
    what was swapped in (static/js/app.js)."""
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
            errors.extend(form_errors(sub, row=getattr(sub, "legend", "")))
    return {"errors": errors, "summary_id": summary_id}
