"""The project's widget templates (templates/django/forms/widgets/: attrs and
options written in rather than included, for speed) render the same HTML as
Django's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.html import parse_html

STOCK = DjangoTemplates()  # Django's own templates only

CHOICES = [("", "Choose"), ("a", "Apple & pear"), ("b", 'Banana "split"'), (3, "Three")]
GROUPED = [("Fruit", [("a", "Apple"), ("b", "Banana")]), ("Other", [("c", "Cabbage")])]


class WithOwnOption(forms.Select):
    """A select whose options use another template: still included."""

    option_template_name = "django/forms/widgets/input_option.html"


WIDGETS = {
    "text with attributes": (
        forms.TextInput(
            attrs={
                "class": "nhsuk-input",
                "required": True,
                "disabled": False,
                "aria-describedby": "hint error",
                "maxlength": 20,
            }
        ),
        "O'Brien <&>",
    ),
    "text, empty": (forms.TextInput(), None),
    "number zero": (forms.NumberInput(attrs={"min": 0}), 0),
    "date": (forms.DateInput(attrs={"type": "date"}), dt.date(2021, 1, 12)),
    "email": (forms.EmailInput(attrs={"autocomplete": "email"}), "a@example.org"),
    "hidden": (forms.HiddenInput(), "x"),
    "phone": (forms.TextInput(attrs={"type": "tel"}), "+447700900123"),
    "password": (forms.PasswordInput(render_value=True), "secret"),
    "url": (forms.URLInput(), "https://example.org/?a=1&b=2"),
    "time": (forms.TimeInput(), dt.time(9, 30)),
    "date and time": (
        forms.DateTimeInput(),
        dt.datetime(2021, 1, 12, 9, 30, tzinfo=dt.UTC),
    ),
    "file": (forms.FileInput(), None),
    "colour": (forms.TextInput(attrs={"type": "color"}), "#005eb8"),
    "checkbox on": (
        forms.CheckboxInput(attrs={"class": "nhsuk-checkboxes__input"}),
        True,
    ),
    "checkbox off": (forms.CheckboxInput(), False),
    "select": (forms.Select(choices=CHOICES, attrs={"class": "nhsuk-select"}), "b"),
    "select, number chosen": (forms.Select(choices=CHOICES), 3),
    "select, none chosen": (forms.Select(choices=CHOICES), None),
    "select with groups": (forms.Select(choices=GROUPED), "c"),
    "select multiple": (forms.SelectMultiple(choices=CHOICES), ["a", "b"]),
    "yes, no or unknown": (forms.NullBooleanSelect(), True),
    "radios": (forms.RadioSelect(choices=CHOICES[1:]), "a"),
    "radios in groups": (forms.RadioSelect(choices=GROUPED), "b"),
    "checkboxes": (forms.CheckboxSelectMultiple(choices=CHOICES[1:]), ["a", 3]),
    "select with its own option template": (WithOwnOption(choices=CHOICES), "a"),
}


def test_the_project_renders_widgets_through_its_own_templates():
    assert get_default_renderer().__class__.__name__ == "TemplatesSetting"


@pytest.mark.parametrize("name", WIDGETS)
def test_a_widget_renders_as_djangos_own_templates_render_it(name):
    widget, value = WIDGETS[name]
    ours = widget.render("field", value, attrs={"id": "id_field"})
    stock = widget.render("field", value, attrs={"id": "id_field"}, renderer=STOCK)
    assert parse_html(ours) == parse_html(stock), f"{ours}\n!=\n{stock}"


def test_a_radio_drawn_on_its_own_renders_as_djangos_own():
    """The pages draw some radios one at a time (a bound field's subwidgets)."""
    field = forms.ChoiceField(choices=CHOICES[1:], widget=forms.RadioSelect)
    form = type("F", (forms.Form,), {"fruit": field})(data={"fruit": "b"})
    for radio in form["fruit"]:
        for wrap_label in (False, True):
            ours = radio.tag(wrap_label=wrap_label)
            theirs = STOCK.render(
                radio.data["template_name"],
                {"widget": {**radio.data, "wrap_label": wrap_label}},
            )
            assert parse_html(ours) == parse_html(theirs)
