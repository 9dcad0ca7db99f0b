"""CSV downloads: a cell that a spreadsheet would run as a formula is quoted."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """The value as CSV text; text starting like a formula ('=HYPERLINK(...)',
    '+44...' is a number and stays) gets a leading apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS and not text[1:].isdigit():
        return "'" + text
    return text
