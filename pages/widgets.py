"""The form renderer: Django's commonest widgets written out in Python, the rest from
their templates.

A caseworker's case page draws some forty widgets. Drawn from Django's widget
templates, even with their includes written in, they were a fifth of the page's time:
each a template render of a few lines, its variables looked up one by one. Here the
input family (text, email, tel, date, number, hidden, checkbox, ...), their options
(a radio or checkbox drawn on its own), the select with its options and the textarea
are drawn by a function each, to the same HTML as Django's own templates: the same
attributes in the same order, escaped and localized as a template escapes and
localizes them. tests/core/test_widgets.py renders every kind both ways and compares.

Any other template (a widget's own, the admin's, a multi-widget) is rendered by
TemplatesSetting, as before: the project's templates first, then Django's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.forms.renderers import TemplatesSetting
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData, mark_safe
from django.utils.timezone import template_localtime

WIDGETS = "django/forms/widgets/"
SELECT_OPTION = f"{WIDGETS}select_option.html"


def template_text(value: Any) -> str:
    """`{{ value }}` in a template: localized, then escaped unless already safe."""
    if type(value) is str:  # most of them: nothing to localize, nothing marked safe
        return escape(value)
    value = localize(template_localtime(value))
    if not issubclass(type(value), str):
        value = str(value)
    return conditional_escape(value)


def _string(value: Any) -> str:
    """`{{ value|stringformat:'s' }}`: as text, without localizing (a number of a
    thousand stays 1000); safe stays safe."""
    text = str(value)
    return template_text(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """django/forms/widgets/attrs.html: False leaves the attribute out, True writes
    its name alone."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {template_text(name)}")
        else:
            parts.append(f' {template_text(name)}="{_string(value)}"')
    return "".join(parts)


def _input(widget: Mapping[str, Any]) -> str:
    """input.html (and every template that only includes it)."""
    value = widget["value"]
    shown = "" if value is None else f' value="{_string(value)}"'
    return (
        f'<input type="{template_text(widget["type"])}" name="{template_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _option_input(widget: Mapping[str, Any]) -> str:
    """input_option.html, radio_option.html and checkbox_option.html: a radio or a
    checkbox drawn on its own, in its label when asked."""
    tag = _input(widget)
    if not widget.get("wrap_label"):
        return tag
    label_id = widget["attrs"].get("id")
    label_for = f' for="{template_text(label_id)}"' if label_id else ""
    return f"<label{label_for}>{tag} {template_text(widget['label'])}</label>"


def _select_option(widget: Mapping[str, Any]) -> str:
    return (
        f'<option value="{_string(widget["value"])}"{_attrs(widget["attrs"])}>'
        f"{template_text(widget['label'])}</option>"
    )


def _textarea(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = template_text(value) if value else ""
    return (
        f'<textarea name="{template_text(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{shown}</textarea>"
    )


class WidgetRenderer(TemplatesSetting):
    """FORM_RENDERER: see the module's docstring."""

    def __init__(self) -> None:
        super().__init__()
        written: dict[str, Callable[[Mapping[str, Any]], str]] = {
            f"{WIDGETS}{name}.html": _input
            for name in (
                "input",
                "checkbox",
                "color",
                "date",
                "datetime",
                "email",
                "file",
                "hidden",
                "number",
                "password",
                "search",
                "tel",
                "text",
                "time",
                "url",
            )
        }
        for name in ("input_option", "radio_option", "checkbox_option"):
            written[f"{WIDGETS}{name}.html"] = _option_input
        written[SELECT_OPTION] = _select_option
        written[f"{WIDGETS}select.html"] = self._select
        written[f"{WIDGETS}textarea.html"] = _textarea
        self.written = written

    def render(self, template_name: str, context: dict, request: Any = None) -> str:
        draw = self.written.get(template_name)
        if draw is None or request is not None or set(context) != {"widget"}:
            return super().render(template_name, context, request)
        return draw(context["widget"])

    def _option(self, option: Mapping[str, Any]) -> str:
        """An option as its own template draws it: select_option.html here, any
        other (a widget's option_template_name) by the renderer."""
        if option["template_name"] == SELECT_OPTION:
            return _select_option(option)
        return self.render(option["template_name"], {"widget": option})

    def _select(self, widget: Mapping[str, Any]) -> str:
        parts = [
            f'<select name="{template_text(widget["name"])}"{_attrs(widget["attrs"])}>'
        ]
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{template_text(group_name)}">')
            for option in group_choices:
                parts.append(f"\n  {self._option(option)}")
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return "".join(parts)
