"""A row's id as an address or a form writes it."""

from __future__ import annotations

# The most digits an id of a bigint column has (its largest is 19 digits long).
ID_DIGITS = 18


def row_id(text: str) -> int | None:
    """The id written in `text`, or None when it is no id: ASCII digits only (str's
    isdigit() is true of "²", which int() refuses) and at most ID_DIGITS of them (a
    longer one is past what the column holds)."""
    if not (text.isascii() and text.isdigit()) or len(text) > ID_DIGITS:
        return None
    return int(text)
