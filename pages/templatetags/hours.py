"""Hours as a person reads them (8, 44.5, 42.02), the same on every page and in the
messages: a minute over a cap still shows."""

from __future__ import annotations

from django import template

from staffing.services import hours_as_read

register = template.Library()


@register.filter
def hours(value: float | None) -> str:
    return "" if value is None else hours_as_read(float(value))
