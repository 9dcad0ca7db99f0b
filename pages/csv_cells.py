"""CSV downloads: a cell that a spreadsheet would run as a formula is quoted, and
the file opens with a byte order mark."""

from __future__ import annotations

# The first character of every CSV the service gives: Excel reads a CSV without it
# as Windows-1252, and "Siân Llŷr" shows as "SiÃ¢n LlÅ·r". Other readers skip it
# (Python's "utf-8-sig", LibreOffice, pandas).
BOM = "\ufeff"

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> str:
    """The value as CSV text; text starting like a formula ('=HYPERLINK(...)',
    '+44...' is a number and stays) gets a leading apostrophe (CSV injection)."""
    text = "" if value is None else str(value)
    if text[:1] in FORMULA_STARTS and not text[1:].isdigit():
        return "'" + text
    return text
