"""A person's name as every door takes it: one that shows something."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Characters that show nothing: controls, format characters such as the zero-width
# space and joiners, separators, and the blank "letters" (Hangul fillers, the blank
# Braille pattern) that some keyboards and copied text put in.
BLANK_LETTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")

INVISIBLE_NAME = (
    "This name has no visible letters (only spaces or invisible characters, such as "
    "a zero-width space): give the name."
)


def name_shows_nothing(value: str) -> bool:
    """Whether a name is made only of characters that show nothing (or of none)."""
    return all(
        unicodedata.category(char)[0] in "CZ" or char in BLANK_LETTERS for char in value
    )


def visible_name(value: str) -> None:
    """The validator of a person's names (the model's fields: every door, the case
    page, the online route, a results file, the API)."""
    if name_shows_nothing(value):
        raise ValidationError(INVISIBLE_NAME, code="invisible")
