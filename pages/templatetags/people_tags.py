"""How old a person is, as the pages that speak to them say it."""

from __future__ import annotations

from datetime import date

from django import template
from django.utils import timezone

from people.matching import age_on

register = template.Library()

# Below this age a caller speaks to a parent or guardian first and gives the advice
# to them: a child is not asked alone who they have been near, nor left to pass on
# when they must stay at home.
GUARDIAN_UNDER_AGE = 16


def _months_on(born: date, day: date) -> int:
    return (day.year - born.year) * 12 + day.month - born.month - (day.day < born.day)


@register.filter
def age_said(born: date | None) -> str:
    """How old they are today (London's date): "34 years old", a baby in months
    ("5 months old"); "" for a date of birth not known (or one after today)."""
    if born is None:
        return ""
    today = timezone.localdate()
    years = age_on(born, today)
    if years >= 1:
        return f"{years} year{'s' if years != 1 else ''} old"
    months = _months_on(born, today)
    if months < 0:
        return ""
    return f"{months} month{'s' if months != 1 else ''} old"


@register.filter
def is_child(born: date | None) -> bool:
    """Whether someone born then is a child whose parent or guardian is spoken to."""
    return born is not None and age_on(born, timezone.localdate()) < GUARDIAN_UNDER_AGE
