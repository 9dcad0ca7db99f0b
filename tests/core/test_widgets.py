"""The project's form renderer (pages/widgets.py: the commonest widgets drawn in
Python, for speed) draws the same HTML as Django's own templates."""

from __future__ import annotations

import datetime as dt

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.test.html import parse_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from pages.widgets import WidgetRenderer

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
    "textarea": (
        forms.Textarea(attrs={"rows": 3, "class": "nhsuk-textarea"}),
        "a\n<b>",
    ),
    "textarea, empty": (forms.Textarea(), ""),
    "textarea, none": (forms.Textarea(), None),
    "text, a safe value": (forms.TextInput(), mark_safe("<b>&amp;</b>")),
    "text, an attribute of None and one of a number": (
        forms.TextInput(attrs={"data-none": None, "data-n": 12345.5}),
        1234567,
    ),
    "select, lazy and safe labels, a big number": (
        forms.Select(
            choices=[
                (1000000, gettext_lazy("Yes")),
                ("s", mark_safe("<i>safe</i>")),
                ("n", 1234567),
            ]
        ),
        1000000,
    ),
    "select, a disabled option": (
        forms.Select(choices=[("a", {"label": "A", "disabled": True})]),
        "a",
    ),
}


def test_the_project_draws_widgets_with_its_own_renderer():
    assert isinstance(get_default_renderer(), WidgetRenderer)


def test_the_renderer_draws_the_common_widgets_without_a_template(monkeypatch):
    """Drawn by its functions: no template is looked up for them."""
    renderer = WidgetRenderer()
    monkeypatch.setattr(
        renderer, "get_template", lambda name: pytest.fail(f"looked up {name}")
    )
    for name in ("text with attributes", "select", "textarea", "checkbox on", "date"):
        widget, value = WIDGETS[name]
        assert widget.render("field", value, renderer=renderer)


def test_a_template_it_does_not_draw_comes_from_the_templates():
    widget = forms.SplitDateTimeWidget()
    value = dt.datetime(2021, 1, 12, 9, 30, tzinfo=dt.UTC)
    ours = widget.render("when", value, attrs={"id": "id_when"})
    stock = widget.render("when", value, attrs={"id": "id_when"}, renderer=STOCK)
    assert parse_html(ours) == parse_html(stock)
    assert ours.count("<input") == 2


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
